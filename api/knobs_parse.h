/*
 * knobs_parse.h - the body of POST /api/knobs, parsed and range-checked.
 *
 *   {"pages_to_scan": 500, "sleep_ms": 20, "run": true}
 *
 * A strict subset of JSON, on purpose: one flat object; keys are strings
 * without escapes (knob names are [a-z_]); values are unsigned decimal
 * integers without sign, fraction, exponent or leading zeros, or true or
 * false; whitespace as JSON allows; nothing after the object.  Anything
 * else is refused with a reason naming what and where, as is a key not in
 * the caller's table, a key given twice, a value out of its knob's range
 * or a true/false for a knob that is not boolean.
 *
 * All or nothing: the pairs come back only when every one is valid, so the
 * caller applies all of them or none.
 */
#ifndef API_KNOBS_PARSE_H
#define API_KNOBS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One knob the caller accepts: its name and range; a boolean one takes
 * true/false (and 0/1). */
struct knob_def {
	const char *name;
	uint64_t min, max;
	bool boolean;
};

/* One name/value pair of the body: index into the caller's table. */
struct knob_value {
	size_t def;
	uint64_t value;
};

#define KNOBS_REASON_MAX 96u

/* Parses body[0..len) against defs[0..ndefs); up to max pairs go to out.
 * Returns the number of pairs (0 for "{}"), or -1 with reason (a NUL-
 * terminated line of at most KNOBS_REASON_MAX bytes: the answer is 400),
 * e.g. "pages_to_scan: 0 is out of range 1..100000". */
int knobs_parse(const char *body, size_t len, const struct knob_def *defs, size_t ndefs,
		struct knob_value *out, size_t max, char reason[KNOBS_REASON_MAX]);

#endif
