/*
 * console_cmd.c - parse the console's command lines (see console_cmd.h).
 *
 * Words are separated by spaces or tabs; a knob's value is a decimal
 * number within the knob's range, checked here so that a typo never
 * reaches the engine.  No libc: the same file builds for the host tests.
 */
#include <stdbool.h>

#include "console_cmd.h"
#include "governor.h"

static int eq(const char *a, const char *b, unsigned n)
{
	unsigned i;
	for (i = 0; i < n && b[i]; i++)
		if (a[i] != b[i])
			return 0;
	return i == n && !b[i];
}

struct word { const char *s; unsigned n; };

static unsigned split(const char *line, struct word *w, unsigned max)
{
	unsigned n = 0;
	while (*line) {
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		if (!*line)
			break;
		if (n == max)
			return max + 1;
		w[n].s = line;
		while (*line && *line != ' ' && *line != '\t' && *line != '\r')
			line++;
		w[n].n = (unsigned)(line - w[n].s);
		n++;
	}
	return n;
}

/* Each knob's range, and the message that says it (no libc to format it). */
static const struct { const char *name; enum knob k; uint32_t min, max; const char *range; } knobs[] = {
	/* At most one scanner step's maximum, as dedup.pages_to_scan. */
	{ "pages_to_scan", KNOB_PAGES_TO_SCAN, 1, DEDUP_STEP_MAX_PAGES,
	  "value out of range: pages_to_scan is 1 to 16384 (the most pages a scanner step may take)" },
	{ "sleep_ms", KNOB_SLEEP_MS, 0, 60000, "value out of range: sleep_ms is 0 to 60000" },
	{ "merge_first_sight", KNOB_MERGE_FIRST_SIGHT, 0, 1, "value out of range: merge_first_sight is 0 or 1" },
	{ "run", KNOB_RUN, 0, 1, "value out of range: run is 0 or 1" },
	{ "summary_scans", KNOB_SUMMARY_SCANS, 0, 1000000, "value out of range: summary_scans is 0 to 1000000" },
	/* as dedup.scan_target_s */
	{ "scan_target_s", KNOB_SCAN_TARGET_S, 1, 86400, "value out of range: scan_target_s is 1 to 86400" },
};
_Static_assert(DEDUP_STEP_MAX_PAGES == 16384, "the pages_to_scan message above says the maximum");

struct cmd console_parse(const char *line)
{
	struct cmd c = { CMD_NONE, KNOB_RUN, 0, 0, "" };
	struct word w[4];
	unsigned n = split(line, w, 3), i;

	if (n == 0)
		return c;
	c.kind = CMD_ERROR;
	if (n > 3) {
		c.error = "too many words";
		return c;
	}
	if (eq(w[0].s, "stats", w[0].n) || eq(w[0].s, "vms", w[0].n) || eq(w[0].s, "help", w[0].n)) {
		if (n != 1) {
			c.error = "this command takes no arguments";
			return c;
		}
		c.kind = w[0].s[0] == 's' ? CMD_STATS : w[0].s[0] == 'v' ? CMD_VMS : CMD_HELP;
		return c;
	}
	if (eq(w[0].s, "measure", w[0].n)) {
		if (n != 1) {
			c.error = "this command takes no arguments";
			return c;
		}
		c.kind = CMD_MEASURE;
		return c;
	}
	if (eq(w[0].s, "start", w[0].n) || eq(w[0].s, "stop", w[0].n)) {
		bool start = w[0].n == 5;
		if (n != 2) {
			c.error = start ? "usage: start VM" : "usage: stop VM";
			return c;
		}
		if (w[1].n >= sizeof(c.name)) {
			c.error = "no VM has so long a name";
			return c;
		}
		for (i = 0; i < w[1].n; i++)
			c.name[i] = w[1].s[i];
		c.name[i] = 0;
		c.kind = start ? CMD_START : CMD_STOP;
		return c;
	}
	if (!eq(w[0].s, "set", w[0].n)) {
		c.error = "unknown command (stats, vms, measure, start VM, stop VM, set KNOB VALUE, help)";
		return c;
	}
	if (n != 3) {
		c.error = "usage: set KNOB VALUE";
		return c;
	}
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		uint64_t v = 0;
		unsigned k;
		if (!eq(w[1].s, knobs[i].name, w[1].n))
			continue;
		for (k = 0; k < w[2].n; k++) {
			char ch = w[2].s[k];
			if (ch < '0' || ch > '9' || v > 0xFFFFFFFFull) {
				c.error = "the value must be a decimal number";
				return c;
			}
			v = v * 10 + (uint64_t)(ch - '0');
		}
		if (v < knobs[i].min || v > knobs[i].max) {
			c.error = knobs[i].range;
			return c;
		}
		c.kind = CMD_SET;
		c.knob = knobs[i].k;
		c.value = (uint32_t)v;
		return c;
	}
	c.error = "unknown knob (pages_to_scan, sleep_ms, merge_first_sight, run, summary_scans, "
		  "scan_target_s)";
	return c;
}
