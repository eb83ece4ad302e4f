/*
 * fuzz_console_cmd.c - kernel/console_cmd.c's console_parse() over arbitrary
 * lines.
 *
 * Feeds: the input up to its first NUL (or all of it) as one console line,
 * in a heap block of exactly its length + 1, so a read past the terminator
 * is caught.
 * Checks: the result against a second, independent reading of
 * console_cmd.h's grammar (words split on space, tab and CR; "stats",
 * "vms", "help" alone; "set KNOB VALUE" with a decimal VALUE, leading
 * zeros allowed, within the knob's range): the same kind, and for "set"
 * the same knob and value.  An error always has a message, a command never.
 */
#include <stdbool.h>
#include <string.h>

#include "console_cmd.h"
#include "fuzz_common.h"

static const struct { const char *name; enum knob k; uint64_t min, max; } knobs[] = {
	/* DEDUP_STEP_MAX_PAGES, written out: the reference reading stays independent. */
	{ "pages_to_scan", KNOB_PAGES_TO_SCAN, 1, 16384 },
	{ "sleep_ms", KNOB_SLEEP_MS, 0, 60000 },
	{ "merge_first_sight", KNOB_MERGE_FIRST_SIGHT, 0, 1 },
	{ "run", KNOB_RUN, 0, 1 },
	{ "summary_scans", KNOB_SUMMARY_SCANS, 0, 1000000 },
	{ "scan_target_s", KNOB_SCAN_TARGET_S, 1, 86400 },
};

static bool sep(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && !memcmp(s, w, n);
}

/* The reference reading: kind, and knob and value for CMD_SET. */
static struct cmd reference(const char *line)
{
	struct cmd c = { CMD_NONE, KNOB_RUN, 0, 0, "" };
	const char *w[4];
	size_t wl[4], nw = 0, i;

	while (*line) {
		const char *s;
		while (*line && sep(*line))
			line++;
		if (!*line)
			break;
		s = line;
		while (*line && !sep(*line))
			line++;
		if (nw == 4)
			return (struct cmd){ CMD_ERROR, KNOB_RUN, 0, 0, "" };
		w[nw] = s;
		wl[nw++] = (size_t)(line - s);
	}
	if (nw == 0)
		return c;
	c.kind = CMD_ERROR;
	if (nw > 3)
		return c;
	if (word_is(w[0], wl[0], "stats") || word_is(w[0], wl[0], "vms") ||
	    word_is(w[0], wl[0], "help")) {
		if (nw == 1)
			c.kind = w[0][0] == 's' ? CMD_STATS : w[0][0] == 'v' ? CMD_VMS : CMD_HELP;
		return c;
	}
	if (word_is(w[0], wl[0], "measure")) {
		if (nw == 1)
			c.kind = CMD_MEASURE;
		return c;
	}
	if (word_is(w[0], wl[0], "start") || word_is(w[0], wl[0], "stop")) {
		if (nw == 2 && wl[1] < sizeof(c.name)) {
			c.kind = wl[0] == 5 ? CMD_START : CMD_STOP;
			memcpy(c.name, w[1], wl[1]);
			c.name[wl[1]] = 0;
		}
		return c;
	}
	if (!word_is(w[0], wl[0], "set") || nw != 3)
		return c;
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		uint64_t v = 0;
		size_t k;
		bool big = false;
		if (!word_is(w[1], wl[1], knobs[i].name))
			continue;
		for (k = 0; k < wl[2]; k++) {
			if (w[2][k] < '0' || w[2][k] > '9')
				return c;
			v = v * 10 + (uint64_t)(w[2][k] - '0');
			if (v > 0xFFFFFFFFull)
				big = true, v = 0xFFFFFFFFull + 1;
		}
		if (big || v < knobs[i].min || v > knobs[i].max)
			return c;
		c.kind = CMD_SET;
		c.knob = knobs[i].k;
		c.value = (uint32_t)v;
		return c;
	}
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	char *line;
	struct cmd got, want;

	while (n < size && data[n])
		n++;
	line = malloc(n + 1);
	CHECK(line, "out of memory");
	memcpy(line, data, n);
	line[n] = 0;
	got = console_parse(line);
	want = reference(line);
	CHECK(got.kind == want.kind, "'%s': kind %d, expected %d (%s)", line, got.kind, want.kind,
	      got.error ? got.error : "no error");
	CHECK((got.kind == CMD_ERROR) == (got.error != NULL), "'%s': kind %d with error %s", line,
	      got.kind, got.error ? got.error : "NULL");
	if (got.kind == CMD_START || got.kind == CMD_STOP)
		CHECK(!strcmp(got.name, want.name), "'%s': VM '%s', expected '%s'", line, got.name,
		      want.name);
	if (got.kind == CMD_SET)
		CHECK(got.knob == want.knob && got.value == want.value,
		      "'%s': knob %d value %u, expected knob %d value %u", line, got.knob, got.value,
		      want.knob, want.value);
	free(line);
	return 0;
}
