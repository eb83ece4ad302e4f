/*
 * knobs_parse.c - POST /api/knobs's JSON subset (see knobs_parse.h).
 *
 * A cursor walks the body once: '{', then (key ':' value) pairs separated
 * by ',', then '}' and only whitespace.  Every refusal says what was
 * expected and at which byte offset, or which knob and why.
 */
#include <stdio.h>
#include <string.h>

#include "knobs_parse.h"

struct cur {
	const char *s;
	size_t n, i;
	char *reason;
};

static void ws(struct cur *c)
{
	while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' ||
			       c->s[c->i] == '\r'))
		c->i++;
}

static int at(const struct cur *c)
{
	return c->i < c->n ? (unsigned char)c->s[c->i] : -1;
}

static int refuse(struct cur *c, const char *what)
{
	snprintf(c->reason, KNOBS_REASON_MAX, "%s at offset %u", what, (unsigned)c->i);
	return -1;
}

static bool word(struct cur *c, const char *w)
{
	size_t n = strlen(w);
	if (c->n - c->i < n || memcmp(c->s + c->i, w, n))
		return false;
	c->i += n;
	return true;
}

static int out_of_range(struct cur *c, const struct knob_def *d, const char *num, size_t nn)
{
	snprintf(c->reason, KNOBS_REASON_MAX, "%s: %.*s is out of range %llu..%llu", d->name,
		 (int)(nn > 24 ? 24 : nn), num, (unsigned long long)d->min,
		 (unsigned long long)d->max);
	return -1;
}

static int bad_value(struct cur *c, const struct knob_def *d)
{
	if (d->boolean)
		snprintf(c->reason, KNOBS_REASON_MAX, "%s: expects true or false", d->name);
	else
		snprintf(c->reason, KNOBS_REASON_MAX, "%s: expects an unsigned integer in %llu..%llu",
			 d->name, (unsigned long long)d->min, (unsigned long long)d->max);
	return -1;
}

/* The value of knob d at the cursor, into *v. */
static int value(struct cur *c, const struct knob_def *d, uint64_t *v)
{
	size_t start = c->i;
	bool big = false;
	int ch = at(c);

	if (word(c, "true") || word(c, "false")) {
		if (!d->boolean)
			return bad_value(c, d);
		*v = c->s[start] == 't';
		return 0;
	}
	if (ch == '-') {
		c->i++;
		while (at(c) >= '0' && at(c) <= '9')
			c->i++;
		if (c->i == start + 1)
			return bad_value(c, d);
		return out_of_range(c, d, c->s + start, c->i - start);
	}
	if (ch < '0' || ch > '9')
		return bad_value(c, d);
	*v = 0;
	while (at(c) >= '0' && at(c) <= '9') {
		uint64_t digit = (uint64_t)(at(c) - '0');
		if (*v > (UINT64_MAX - digit) / 10)
			big = true;
		else
			*v = *v * 10 + digit;
		c->i++;
	}
	if (at(c) == '.' || at(c) == 'e' || at(c) == 'E')
		return bad_value(c, d);
	if (ch == '0' && c->i - start > 1) {
		snprintf(c->reason, KNOBS_REASON_MAX, "%s: leading zeros are not JSON", d->name);
		return -1;
	}
	if (big || *v < d->min || *v > d->max)
		return out_of_range(c, d, c->s + start, c->i - start);
	return 0;
}

/* The key at the cursor (after its quote): its index in defs. */
static int key(struct cur *c, const struct knob_def *defs, size_t ndefs, size_t *def)
{
	size_t start = c->i, n, k;

	for (;;) {
		int ch = at(c);
		if (ch < 0)
			return refuse(c, "unterminated key");
		if (ch == '\\')
			return refuse(c, "escapes in keys are not supported");
		if (ch < 0x20)
			return refuse(c, "control character in a key");
		if (ch == '"')
			break;
		c->i++;
	}
	n = c->i - start;
	c->i++;
	for (k = 0; k < ndefs; k++) {
		if (strlen(defs[k].name) == n && !memcmp(defs[k].name, c->s + start, n)) {
			*def = k;
			return 0;
		}
	}
	snprintf(c->reason, KNOBS_REASON_MAX, "unknown knob \"%.*s\"", (int)(n > 32 ? 32 : n),
		 c->s + start);
	return -1;
}

int knobs_parse(const char *body, size_t len, const struct knob_def *defs, size_t ndefs,
		struct knob_value *out, size_t max, char reason[KNOBS_REASON_MAX])
{
	struct cur c = { body, len, 0, reason };
	size_t n = 0, k;

	reason[0] = 0;
	ws(&c);
	if (at(&c) != '{')
		return refuse(&c, "expected a JSON object ('{')");
	c.i++;
	ws(&c);
	if (at(&c) == '}') {
		c.i++;
	} else {
		for (;;) {
			size_t def = 0;
			uint64_t v = 0;
			ws(&c);
			if (at(&c) != '"')
				return refuse(&c, "expected a knob name (a string)");
			c.i++;
			if (key(&c, defs, ndefs, &def))
				return -1;
			for (k = 0; k < n; k++) {
				if (out[k].def == def) {
					snprintf(reason, KNOBS_REASON_MAX, "%s: given twice", defs[def].name);
					return -1;
				}
			}
			ws(&c);
			if (at(&c) != ':')
				return refuse(&c, "expected ':'");
			c.i++;
			ws(&c);
			if (value(&c, &defs[def], &v))
				return -1;
			if (n == max) {
				snprintf(reason, KNOBS_REASON_MAX, "more than %u knobs", (unsigned)max);
				return -1;
			}
			out[n].def = def;
			out[n++].value = v;
			ws(&c);
			if (at(&c) == '}') {
				c.i++;
				break;
			}
			if (at(&c) != ',')
				return refuse(&c, "expected ',' or '}'");
			c.i++;
		}
	}
	ws(&c);
	if (c.i != c.n)
		return refuse(&c, "text after the object");
	return (int)n;
}
