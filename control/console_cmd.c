/*
 * console_cmd.c - parse the console's command lines (see console_cmd.h).
 *
 * Words are separated by spaces or tabs; a knob's value is a decimal
 * number within the knob's range, checked here so that a typo never
 * reaches the engine.  No libc: the same file builds for the host tests.
 */
#include <stdbool.h>

#include "console_cmd.h"
#include "knobs.h"

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

/* Appends s, then returns the end. */
static char *put(char *d, char *end, const char *s)
{
	while (*s && d < end)
		*d++ = *s++;
	return d;
}

static char *put_u32(char *d, char *end, uint32_t v)
{
	char t[10];
	unsigned n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n && d < end)
		*d++ = t[--n];
	return d;
}

/* "value out of range: NAME is MIN..MAX", in a buffer of the parser's (one
 * console: the message lives until the next line is parsed). */
static const char *range_error(const struct knob_desc *k)
{
	static char msg[96];
	char *d = msg, *end = msg + sizeof(msg) - 1;

	d = put(d, end, "value out of range: ");
	d = put(d, end, k->name);
	d = put(d, end, " is ");
	d = put_u32(d, end, k->min);
	d = put(d, end, "..");
	d = put_u32(d, end, k->max);
	*d = 0;
	return msg;
}

struct cmd console_parse(const char *line)
{
	struct cmd c = { CMD_NONE, KNOB_RUN, 0, 0, "" };
	uint64_t v = 0;
	int id;
	struct word w[4];
	unsigned n = split(line, w, 3), i;

	if (n == 0)
		return c;
	c.kind = CMD_ERROR;
	if (n > 3) {
		c.error = "too many words";
		return c;
	}
	if (eq(w[0].s, "stats", w[0].n) || eq(w[0].s, "vms", w[0].n) || eq(w[0].s, "help", w[0].n) ||
	    eq(w[0].s, "knobs", w[0].n)) {
		if (n != 1) {
			c.error = "this command takes no arguments";
			return c;
		}
		c.kind = w[0].s[0] == 's' ? CMD_STATS : w[0].s[0] == 'v' ? CMD_VMS
			 : w[0].s[0] == 'k' ? CMD_KNOBS : CMD_HELP;
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
	if (eq(w[0].s, "start", w[0].n) || eq(w[0].s, "stop", w[0].n) || eq(w[0].s, "attach", w[0].n)) {
		bool start = w[0].n == 5, attach = w[0].n == 6;
		if (n != 2) {
			c.error = attach ? "usage: attach VM" : start ? "usage: start VM" : "usage: stop VM";
			return c;
		}
		if (w[1].n >= sizeof(c.name)) {
			c.error = "no VM has so long a name";
			return c;
		}
		for (i = 0; i < w[1].n; i++)
			c.name[i] = w[1].s[i];
		c.name[i] = 0;
		c.kind = attach ? CMD_ATTACH : start ? CMD_START : CMD_STOP;
		return c;
	}
	if (!eq(w[0].s, "set", w[0].n)) {
		c.error = "unknown command (stats, vms, knobs, measure, start VM, stop VM, attach VM, "
			  "set KNOB VALUE, help)";
		return c;
	}
	if (n != 3) {
		c.error = "usage: set KNOB VALUE";
		return c;
	}
	id = knob_find(w[1].s, w[1].n);
	if (id < 0) {
		c.error = "unknown knob (run, sleep_ms, merge_first_sight, summary_scans, max_cpu_pct, "
			  "scan_target_s, measure_s, pages_to_scan)";
		return c;
	}
	for (i = 0; i < w[2].n; i++) {
		char ch = w[2].s[i];
		if (ch < '0' || ch > '9' || v > 0xFFFFFFFFull) {
			c.error = "the value must be a decimal number";
			return c;
		}
		v = v * 10 + (uint64_t)(ch - '0');
	}
	if (v < knob_table[id].min || v > knob_table[id].max) {
		c.error = range_error(&knob_table[id]);
		return c;
	}
	c.kind = CMD_SET;
	c.knob = (unsigned)id;
	c.value = (uint32_t)v;
	return c;
}
