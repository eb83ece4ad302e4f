/*
 * knobs.h - the scanner's knobs: one table for every front-end.
 *
 * The config file (dedup.NAME = VALUE), the console (set NAME VALUE,
 * knobs) and the API (GET and POST /api/knobs) all name, range-check, set
 * and show the same knobs through this table, so that no front-end can
 * accept what another refuses, or set a value that is not in force while
 * another reports it.  What a set implies is here too, once:
 *
 *   pages_to_scan   selects the fixed rate: that many pages a step
 *   scan_target_s   selects the rate governor (dedup/governor.c): a full
 *                   scan in about that many seconds
 *
 * measure_s is the operator's (control/points.c reads it), kept here so
 * that it too is one knob everywhere.
 *
 * (as Linux's KSM refuses a pages_to_scan write while its advisor runs, a
 * value that would not be in force is never silently stored).  The values
 * live in struct knob_values, which the sharing code owns
 * (kernel/sharing.c: sharing_knob_set applies a set to the engine and the
 * governor); this file is plain C, host-tested (tests/unit/test_knobs.c)
 * and built into the loader too (the config parser uses it).
 */
#ifndef COMMON_KNOBS_H
#define COMMON_KNOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum knob_id {
	KNOB_RUN,               /* the scanner runs (0/1) */
	KNOB_SLEEP_MS,          /* the pause between steps the governor plans around */
	KNOB_MERGE_FIRST_SIGHT, /* merge a page on its first visit (0/1) */
	KNOB_SUMMARY_SCANS,     /* a one-line summary every N full scans (0: none) */
	KNOB_MAX_CPU_PCT,       /* the scanner's share of a CPU whose vCPUs have work */
	KNOB_SCAN_TARGET_S,     /* governed: seconds a full scan should take */
	KNOB_MEASURE_S,         /* a measurement point every N seconds (0: none; control/points.c) */
	KNOB_PAGES_TO_SCAN,     /* fixed rate: pages a step (last: see knob_from_config) */
	KNOB_COUNT
};

/*
 * The most pages one step may scan, at either rate.  A step runs under the
 * hypervisor lock between the boot CPU's vCPU slices, and 16,384 cold
 * pages take ~8 ms on hardware (~0.5 us each, make bench): the longest a
 * vCPU there should wait for the scanner.  (It was 2^24 once: one step
 * then held every CPU for seconds.)  At least 64: the engine's batch.
 */
#define KNOB_STEP_MIN_PAGES 64u
#define KNOB_STEP_MAX_PAGES 16384u

struct knob_desc {
	const char *name;  /* as the console and the API spell it; "dedup." + name in the config */
	uint32_t min, max;
	uint32_t def;      /* the default */
	bool boolean;      /* 0/1, shown as false/true by the API */
	const char *help;  /* one line: what it does */
};
extern const struct knob_desc knob_table[KNOB_COUNT];

/* Every knob's value, and which rate is in force. */
struct knob_values {
	uint32_t v[KNOB_COUNT];
	bool governed;     /* the governor sizes the steps (else pages_to_scan does) */
};

/* The defaults: governed, a full scan in 10 s within 25% of a CPU. */
void knob_defaults(struct knob_values *k);

/* The knob named name[0..len), or -1. */
int knob_find(const char *name, size_t len);

/* Sets knob id to value, with what that implies (above).  0, or -1 with
 * nothing changed when id or value is out of range. */
int knob_set(struct knob_values *k, unsigned id, uint32_t value);

/* Whether knob id's value is what the scanner uses now: pages_to_scan only
 * at the fixed rate, scan_target_s only governed; the others always. */
bool knob_in_force(const struct knob_values *k, unsigned id);

/* The config's values: the defaults, then each knob the file gave
 * (bit id of given), in table order, so a file that gives pages_to_scan
 * runs at the fixed rate whatever else it gives. */
void knob_from_config(struct knob_values *k, const uint32_t value[KNOB_COUNT], uint32_t given);

#endif
