/*
 * governor.h - the scanner's rate governor: how many pages per wake-up, and
 * how long to pause after each, so that a full scan takes scan_target_s and
 * the scanner stays under max_cpu_pct of its CPU.  Algorithm in governor.c.
 *
 * Clock-agnostic: the caller measures each step on its own clock and says
 * how fast that clock runs (TSC ticks in the hypervisor, where under Bochs a
 * tick is one emulated instruction; nanoseconds or anything else on a host).
 * Integer arithmetic only: the hypervisor is built without floating point.
 */
#ifndef DEDUP_GOVERNOR_H
#define DEDUP_GOVERNOR_H

#include <stdbool.h>
#include <stdint.h>

struct dedup_governor_cfg {
	uint32_t scan_target_s;  /* seconds for a full scan of every tracked page (>= 1) */
	uint32_t max_cpu_pct;    /* 1..100: the scanner's time / (time + pause), at most */
	uint32_t min_pages;      /* pages per wake-up, at least (>= 1) ... */
	uint32_t max_pages;      /* ... and at most (>= min_pages) */
	uint64_t sleep_ticks;    /* the pause planned between wake-ups (KSM's sleep_millisecs) */
};

struct dedup_governor {
	struct dedup_governor_cfg cfg;
	/* What it chose, for the next step: */
	uint32_t pages;          /* pages to scan at the next wake-up */
	uint64_t pause_ticks;    /* to wait after the step just measured, before the next */
	bool capped;             /* max_cpu_pct, not scan_target_s, sets the pace */
	/* What it measured: */
	bool measured;           /* a step with pages in it was seen */
	uint64_t tpp_q8;         /* ticks per page, smoothed (EWMA 1/4), x 256 */
};

#define DEDUP_GOVERNOR_Q 8   /* tpp_q8 = ticks per page << DEDUP_GOVERNOR_Q */

/* The most pages one scanner step may visit, whoever sizes it: the
 * governor (its max_pages) or a fixed pages_to_scan from the config, the
 * console or the API, all bound by this one number.  A step runs under the
 * hypervisor's lock between the boot CPU's vCPU slices, and 16,384 cold
 * pages take ~8 ms on hardware (~0.5 us each, make bench): the longest a
 * vCPU should wait for the scanner (kernel/sharing.c has the rest of the
 * derivation).  Issue 23: 2^24 pages a step, accepted before, held every
 * CPU for seconds. */
#define DEDUP_STEP_MAX_PAGES 16384u

/* Starts with nothing measured: min_pages at the first wake-up, pause
 * sleep_ticks.  A cfg outside its ranges is brought into them (a target of
 * 0 s as 1, a cap of 0 or above 100 as 100, min_pages 0 as 1, max_pages
 * below min_pages as min_pages). */
void dedup_governor_init(struct dedup_governor *g, const struct dedup_governor_cfg *cfg);

/* After a step: it took `ticks` of a clock running at `hz` ticks a second,
 * and visited `visited` pages; the engine tracks `tracked` pages.  Sets
 * g->pages (within [min_pages, max_pages]) and g->pause_ticks, and returns
 * g->pages.  Any input is safe: zero or absurdly large values never
 * overflow, divide by zero or leave the bounds. */
uint32_t dedup_governor_update(struct dedup_governor *g, uint64_t ticks, uint64_t visited,
			       uint64_t hz, uint64_t tracked);

#endif
