/* sharing.h - the dedup engine inside the hypervisor (see sharing.c). */
#ifndef KERNEL_SHARING_H
#define KERNEL_SHARING_H
#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "dedup.h"
#include "frames.h"
#include "recount.h"
#include "governor.h"
#include "knobs.h"
#include "vm.h"

/* The engine's calls into the machine that sharing_ops.c times, while
 * the scan cost is measured (sharing.c: the first full scans). */
enum { SOP_AD, SOP_INVALIDATE, SOP_LOOKUP, SOP_MAP, SOP_UNMAP, SOP_ALLOC, SOP_FREE, SOP_COUNT };
struct sharing_op_cost {
	bool on;                   /* time the calls (off: not a TSC read) */
	uint64_t ticks[SOP_COUNT]; /* TSC ticks inside them (under Bochs: instructions) */
	uint64_t calls[SOP_COUNT];
};

/* What the engine's ops (sharing_ops.c) reach through ops.ctx. */
struct sharing_ctx {
	struct frame_pool *frames;
	struct vm *vms;            /* indexed by the engine's VM id */
	uint64_t reserve_frames;   /* never given to guests: the hypervisor's */
	uint64_t invalidations;    /* invalidate() calls, for the summary */
	uint64_t invalidations_failed; /* ...that a CPU did not answer (smp.c) */
	struct sharing_op_cost cost;
};

extern struct dedup *engine;

/* Frames never given to guests (nor to a point's copies, kernel/freeze.c):
 * 1 MiB kept for the hypervisor - EPT tables and VMCSs for the VMs still
 * to start, a few page-table pages. */
#define SHARING_RESERVE_FRAMES 256

/* The engine's ops over ctx. */
struct dedup_ops sharing_ops(struct sharing_ctx *ctx);
/* What timing one op adds while ctx->cost.on: ticks inside its figure, and
 * in all (sharing_ops.c). */
void sharing_cost_overhead(struct sharing_ctx *c, uint64_t *inside, uint64_t *all);

/* Creates the engine from the config's knobs.  0, or -1. */
int sharing_init(const struct config *cfg);
/* The reference candidates the cold tier's patches may index for this
 * config (0: no patches): what the heap is sized for. */
uint64_t sharing_patch_refs_max(const struct config *cfg);
/* Registers vm's RAM with the engine: every page reads as zeros through
 * its domain's zero frame until written.  0, or -1. */
int sharing_add_vm(struct vm *vm);
/* Drops vm from the engine and frees its private frames and EPT.  0, or -1
 * when a CPU that may still hold its translations did not answer: then
 * nothing of its memory is freed (the engine's DEDUP_EBUSY). */
int sharing_remove_vm(struct vm *vm);
/* A write to gfn faulted: 0 resumed, DEDUP_ENOMEM (no frame: wait). */
int sharing_write_fault(struct vm *vm, uint64_t gfn);
/* Prints one line: by CPU, the write faults handled and the shootdown IPIs
 * they sent. */
void sharing_cow_report(const char *prefix);
/* Invalidations that gave up on a CPU (arch_ept_invalidate failed). */
uint64_t sharing_invalidations_failed(void);
/* An access (write: a write) to gfn faulted on a page not present (the
 * cold tier's, or a same-behaviour domain's fused page): 0 (brought back,
 * or it was neither), DEDUP_ENOMEM (no frame: wait), DEDUP_EIO (it fails
 * its checksum: its content is lost). */
int sharing_fault_in(struct vm *vm, uint64_t gfn, bool write);
/* gfn's content as the engine holds it, read-only, compressed or not;
 * valid until the next call; NULL when it cannot be read. */
const void *sharing_read_page(struct vm *vm, uint64_t gfn);
/* A private, writable host pointer to gpa's page (COW broken first). */
void *sharing_private_page(struct vm *vm, uint64_t gpa);
/* One scanner step: pages_to_scan pages, or as many as the governor chose.
 * Returns the ticks to pause before the next step: the governor's, or 0 at
 * the fixed rate (sched.c's CPU cap paces it). */
uint64_t sharing_scan_step(void);
/* One summary line: the longest step, and the work it did. */
void sharing_longest_step_report(void);
/* The scanner's knobs (common/knobs.h), owned here.  sharing_knob_set
 * sets one with what it implies (pages_to_scan: the fixed rate;
 * scan_target_s: the governor, its measurements kept) and applies it to
 * the engine and the governor at once: 0, or -1 (out of range, nothing
 * changed).  Every front-end (config, console, API) sets them so. */
const struct knob_values *sharing_knobs(void);
int sharing_knob_set(unsigned id, uint32_t value);
/* The governor, or NULL at the fixed rate. */
const struct dedup_governor *sharing_governor(void);
/* One line for `stats`: the rate, and what the governor chose and measured. */
void sharing_governor_report(void);
/* Frames vm holds of its own (pages not mapped to a shared or zero frame). */
uint64_t sharing_private_frames(const struct vm *vm);
/* The running or halted VM holding the most frames of its own, and how
 * many (*held); NULL if none holds any. */
struct vm *sharing_biggest_holder(uint64_t *held);
/* Frames ran out: one line of what sharing and the cold tier saved, and
 * what is still missing (`waiting` vCPUs each wait for a frame). */
void sharing_oom_report(uint64_t waiting);
/* Prints the one-line summary of the engine's counters. */
void sharing_summary(const char *when);
/* sharing_converge.c: */
/* Scans until a whole pass that began with every page a candidate or
 * shared merges nothing more; returns how many full scans that took (0
 * when no VM's memory is in the engine).  Meaningful while no vCPU runs
 * (sched_pause, or all done). */
uint64_t sharing_converge(void);
/* The exact recount (dedup/recount.c) of VMs ids[0..k), read through their
 * EPTs, in 4 KiB pages.  0, or -1 (out of memory). */
int sharing_recount(const unsigned *ids, unsigned k, struct dedup_recount *o);
/* Scans until unchanging memory converged, then checks the result against
 * an exact recount of identical pages (dedup/recount.c), per domain. */
void sharing_converge_and_check(void);
#endif
