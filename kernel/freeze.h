/*
 * freeze.h - a measurement point's instant T, held while the guests run
 * (freeze.c says how).
 *
 * The operator's side (control/points.c) begins a hold with the vCPUs
 * paused, reads the contents as they were at T through freeze_read()
 * while the guests run, then lets go.  The core calls the hooks: a write
 * fault and the hypervisor's own writes (freeze_write), the engine's
 * mappings (freeze_may_write, kernel/sharing_ops.c), a VM's memory going
 * back (freeze_vm_gone).  All under hv_lock.
 */
#ifndef KERNEL_FREEZE_H
#define KERNEL_FREEZE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

struct freeze_stats {
	unsigned vms;          /* VMs held */
	uint64_t regions;      /* 2 MiB regions frozen at T */
	uint64_t thawed;       /* ... thawed by a write since */
	uint64_t saved;        /* pages whose T content was saved: written during the hold */
	uint64_t copies;       /* ... into a frame of the point's (the others were zero) */
	uint64_t waits;        /* writes that found no frame for their copy (they wait) */
	uint64_t withheld;     /* the engine's writable mappings made read-only meanwhile */
	uint64_t restored;     /* leaves given their W back at the end */
};

/* With every vCPU out of its guest (sched_pause): every running VM's
 * regions frozen, then invalidated.  0: T is now, and held; -1 with *why
 * (no memory for the bookkeeping, or a CPU that did not answer the
 * invalidation): nothing is held (what was frozen is given back). */
int freeze_begin(const char **why);
/* A hold is on (begun, not yet over: its regions may still be frozen). */
bool freeze_active(void);
/* VM vm's contents at T are held (it was running at T, its memory is still
 * there, and the readers are not done). */
bool freeze_holding(const struct vm *vm);
/* The hold was given up (a VM's memory went back, a page could not be
 * read): why, or NULL. */
const char *freeze_abandoned(void);

/* (vm, gfn)'s content at T, for a reader: the copy saved when it was
 * written since, else what it holds now (the same bytes: dedup_page_read,
 * a compressed page decompressed into buf).  Used only until the next call
 * that may write guest memory or change mappings (under hv_lock, nothing
 * else runs meanwhile).  NULL when it cannot be read, or vm is not held. */
const void *freeze_read(struct vm *vm, uint64_t gfn, void *buf);

/* Hooks of the core. */
/* A write to (vm, gfn), in RAM, faulted - or the hypervisor is about to
 * write it: its T content saved first if it is held and not yet saved (the
 * region thawed at its first write).  1: the write may go on now (write
 * access given back); 0: not the hold's concern (the page is read-only for
 * the engine's reasons: go on to the COW break); DEDUP_ENOMEM: no frame for
 * the copy, the writer waits and retries. */
int freeze_write(struct vm *vm, uint64_t gfn);
/* Whether the engine may map (vm, gfn) writable now; if not, it maps it
 * read-only and marks it withheld (ept_withhold_write): the first write
 * faults, and freeze_write() saves the page then. */
bool freeze_may_write(const struct vm *vm, uint64_t gfn);
/* vm's memory goes back (it stopped): it leaves the hold, which is given up
 * if the readers were not done (they would read freed frames). */
void freeze_vm_gone(struct vm *vm);

/* The readers are done: from now on a fault in a region still frozen
 * gives it back at once, and nothing is saved any more. */
void freeze_release(void);
/* Gives back up to max_regions regions (their W, and their leaves'), in
 * order; when all are, frees the copies and ends the hold: true. */
bool freeze_restore_step(uint64_t max_regions);
/* The hold's figures so far (the last hold's, once over). */
const struct freeze_stats *freeze_stats(void);

#endif
