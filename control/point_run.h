/*
 * point_run.h - a measurement point's counting, over the contents held at
 * its instant T, in bounded steps while the guests run (point_run.c).
 */
#ifndef CONTROL_POINT_RUN_H
#define CONTROL_POINT_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "dedup.h"
#include "vm.h"

/* Per VM (by index in vms[]). */
struct prun_vm {
	bool in;                          /* held at T: measured */
	struct dedup_vm_account ideal;    /* the point engine's, converged over the contents at T */
	uint64_t rc_pss, rc_excl;         /* the recount's of the same contents */
	uint64_t ws[DEDUP_WS_CLASSES];    /* the live engine's working set, walked from T */
};

/* Per sharing domain, the recount's totals. */
struct prun_domain {
	uint16_t domain;
	unsigned nvm;
	uint64_t pages, distinct, saved, self, inter;
};

struct prun_result {
	struct prun_vm vm[VM_MAX];
	struct dedup_stats ideal;         /* the point engine's counters, converged */
	uint64_t ideal_frames;            /* the frames it holds: the fleet's footprint at T, ideally */
	uint64_t scans;                   /* the full scans it took */
	struct prun_domain dom[VM_MAX];
	unsigned ndom;
	bool rc_ok;                       /* the recount is whole (else it ran out of memory) */
	uint64_t rc_saved, rc_self, rc_inter;
	uint64_t tier_checked, tier_bad;  /* the live engine's compressed pages read back */
	uint64_t patch_checked, patch_bad; /* of those, patched ones rebuilt */
	/* What the work cost: TSC ticks in each part, and the steps; the
	 * longest single piece of work (a step ends after the one that passes
	 * its deadline) and which part it was in. */
	uint64_t walk_ticks, engine_ticks, recount_ticks, steps;
	uint64_t longest_piece;
	const char *longest_in;
	char failed[160];                 /* "": the figures are there; else why not */
};

/* Begins the work over the VMs the hold holds (freeze_holding).  0, or -1
 * with result()->failed saying why (no memory for the point's engine). */
int prun_start(void);
/* Works until the TSC reaches deadline (one unit of work at least): 1 when
 * all is done (or failed: result()->failed), 0 when there is more. */
int prun_step(uint64_t deadline);
const struct prun_result *prun_result(void);
/* Frees what the work holds, done or not. */
void prun_stop(void);

#endif
