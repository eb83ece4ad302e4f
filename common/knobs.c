/*
 * knobs.c - the scanner's knob table and what a set implies (knobs.h).
 *
 * Freestanding (no libc): the UEFI loader's config parser uses the table.
 */
#include "knobs.h"

/* Why these defaults: kernel/sharing.c (a full scan every 10 s) and
 * dedup/governor.h (the CPU cap); 100 pages a step is KSM's default, the
 * fixed rate's until someone sets pages_to_scan. */
const struct knob_desc knob_table[KNOB_COUNT] = {
	[KNOB_RUN] = { "run", 0, 1, 1, true, "the scanner runs" },
	[KNOB_SLEEP_MS] = { "sleep_ms", 0, 60000, 20, false,
			    "milliseconds between steps (the governor plans around it)" },
	[KNOB_MERGE_FIRST_SIGHT] = { "merge_first_sight", 0, 1, 0, true,
				     "merge a page on its first visit, without the volatility check" },
	[KNOB_SUMMARY_SCANS] = { "summary_scans", 0, 1000000, 8, false,
				 "a one-line summary every N full scans (0: none)" },
	[KNOB_MAX_CPU_PCT] = { "max_cpu_pct", 1, 100, 25, false,
			       "the scanner's share of a CPU whose vCPUs have work" },
	[KNOB_SCAN_TARGET_S] = { "scan_target_s", 1, 86400, 10, false,
				 "the governed rate: a full scan in about N seconds" },
	[KNOB_MEASURE_S] = { "measure_s", 0, 86400, 0, false,
			     "a measurement point every N seconds (0: none)" },
	[KNOB_PAGES_TO_SCAN] = { "pages_to_scan", 1, KNOB_STEP_MAX_PAGES, 100, false,
				 "the fixed rate: N pages a step" },
};

void knob_defaults(struct knob_values *k)
{
	unsigned i;
	for (i = 0; i < KNOB_COUNT; i++)
		k->v[i] = knob_table[i].def;
	k->governed = true;
}

int knob_find(const char *name, size_t len)
{
	unsigned i;
	size_t j;

	for (i = 0; i < KNOB_COUNT; i++) {
		const char *n = knob_table[i].name;
		for (j = 0; j < len && n[j] && n[j] == name[j]; j++)
			;
		if (j == len && !n[j])
			return (int)i;
	}
	return -1;
}

int knob_set(struct knob_values *k, unsigned id, uint32_t value)
{
	if (id >= KNOB_COUNT || value < knob_table[id].min || value > knob_table[id].max)
		return -1;
	k->v[id] = value;
	if (id == KNOB_PAGES_TO_SCAN)
		k->governed = false;
	else if (id == KNOB_SCAN_TARGET_S)
		k->governed = true;
	return 0;
}

bool knob_in_force(const struct knob_values *k, unsigned id)
{
	if (id == KNOB_PAGES_TO_SCAN)
		return !k->governed;
	if (id == KNOB_SCAN_TARGET_S)
		return k->governed;
	return id < KNOB_COUNT;
}

void knob_from_config(struct knob_values *k, const uint32_t value[KNOB_COUNT], uint32_t given)
{
	unsigned i;

	knob_defaults(k);
	for (i = 0; i < KNOB_COUNT; i++)
		if (given >> i & 1)
			(void)knob_set(k, i, value[i]); /* the parser checked the range */
}
