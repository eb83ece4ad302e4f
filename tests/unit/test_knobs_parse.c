/*
 * test_knobs_parse.c - api/knobs_parse.c: POST /api/knobs bodies, accepted
 * and refused, with the reasons a client sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "knobs_parse.h"

/* The console's knobs (control/console_cmd.c), less one, with a narrower
 * pages_to_scan than the console's, as a caller might choose. */
static const struct knob_def defs[] = {
	{ "pages_to_scan", 1, 100000, false },
	{ "sleep_ms", 0, 60000, false },
	{ "merge_first_sight", 0, 1, true },
	{ "run", 0, 1, true },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static int parse(const char *body, struct knob_value *out, size_t max, char *reason)
{
	return knobs_parse(body, strlen(body), defs, NDEFS, out, max, reason);
}

static void test_accepted(void **state)
{
	struct knob_value v[8];
	char why[KNOBS_REASON_MAX];
	(void)state;

	assert_int_equal(parse("{\"pages_to_scan\": 500, \"sleep_ms\": 20}", v, 8, why), 2);
	assert_int_equal(v[0].def, 0);
	assert_int_equal(v[0].value, 500);
	assert_int_equal(v[1].def, 1);
	assert_int_equal(v[1].value, 20);
	assert_string_equal(why, "");

	assert_int_equal(parse(" \r\n\t{ \"run\" :true ,\n\"merge_first_sight\":false } \n", v, 8,
			       why), 2);
	assert_int_equal(v[0].def, 3);
	assert_int_equal(v[0].value, 1);
	assert_int_equal(v[1].def, 2);
	assert_int_equal(v[1].value, 0);

	assert_int_equal(parse("{\"run\": 0, \"sleep_ms\": 0, \"pages_to_scan\": 100000}", v, 8, why),
			 3);
	assert_int_equal(v[2].value, 100000);
	assert_int_equal(parse("{}", v, 8, why), 0);
	assert_int_equal(parse(" { } ", v, 0, why), 0);
}

static void refused(const char *body, const char *reason)
{
	struct knob_value v[8];
	char why[KNOBS_REASON_MAX];
	memset(why, 'X', sizeof(why));
	if (parse(body, v, 8, why) != -1)
		fail_msg("'%s' accepted", body);
	assert_non_null(memchr(why, 0, sizeof(why)));
	if (!strstr(why, reason))
		fail_msg("'%s': reason '%s' lacks '%s'", body, why, reason);
}

static void test_refused(void **state)
{
	char big[256];
	(void)state;

	refused("{\"pages_to_scan\": 0}", "pages_to_scan: 0 is out of range 1..100000");
	refused("{\"pages_to_scan\": 100001}", "pages_to_scan: 100001 is out of range 1..100000");
	refused("{\"sleep_ms\": -1}", "sleep_ms: -1 is out of range 0..60000");
	refused("{\"sleep_ms\": 18446744073709551616}",
		"sleep_ms: 18446744073709551616 is out of range 0..60000");
	refused("{\"run\": 2}", "run: 2 is out of range 0..1");
	refused("{\"sleep_ms\": 1.5}", "sleep_ms: expects an unsigned integer in 0..60000");
	refused("{\"sleep_ms\": 1e3}", "sleep_ms: expects an unsigned integer");
	refused("{\"sleep_ms\": \"20\"}", "sleep_ms: expects an unsigned integer");
	refused("{\"sleep_ms\": true}", "sleep_ms: expects an unsigned integer");
	refused("{\"sleep_ms\": null}", "sleep_ms: expects an unsigned integer");
	refused("{\"sleep_ms\": -}", "sleep_ms: expects an unsigned integer");
	refused("{\"sleep_ms\": 007}", "sleep_ms: leading zeros");
	refused("{\"run\": \"yes\"}", "run: expects true or false");
	refused("{\"run\": {}}", "run: expects true or false");
	refused("{\"frobs\": 1}", "unknown knob \"frobs\"");
	refused("{\"Run\": 1}", "unknown knob \"Run\"");
	refused("{\"run\": 1, \"run\": 1}", "run: given twice");
	refused("{\"run\" 1}", "expected ':' at offset 7");
	refused("{\"run\": 1,}", "expected a knob name (a string) at offset 10");
	refused("{\"run\": 1 \"sleep_ms\": 1}", "expected ',' or '}' at offset 10");
	refused("{\"run\": 1", "expected ',' or '}' at offset 9");
	refused("{\"run\": 1} x", "text after the object at offset 11");
	refused("{\"run\": 1}{}", "text after the object");
	refused("[1]", "expected a JSON object ('{') at offset 0");
	refused("", "expected a JSON object ('{') at offset 0");
	refused("{run: 1}", "expected a knob name (a string) at offset 1");
	refused("{\"ru\\u006e\": 1}", "escapes in keys are not supported");
	refused("{\"run", "unterminated key");
	refused("{\"r\nun\": 1}", "control character in a key");
	/* A long unknown name is cut, and the reason still fits. */
	memset(big, 'k', sizeof(big));
	memcpy(big, "{\"", 2);
	memcpy(big + sizeof(big) - 6, "\": 1}", 6);
	refused(big, "unknown knob \"kkkk");
}

/* More pairs than the caller has room for. */
static void test_room(void **state)
{
	struct knob_value v[2];
	char why[KNOBS_REASON_MAX];
	(void)state;
	assert_int_equal(parse("{\"run\": 1, \"sleep_ms\": 2}", v, 2, why), 2);
	assert_int_equal(parse("{\"run\": 1, \"sleep_ms\": 2, \"pages_to_scan\": 3}", v, 2, why), -1);
	assert_string_equal(why, "more than 2 knobs");
}

/* The body is bounded by its length, not by a NUL. */
static void test_length(void **state)
{
	static const char body[] = "{\"run\": 1}{\"run\": 0}";
	struct knob_value v[2];
	char why[KNOBS_REASON_MAX];
	(void)state;
	assert_int_equal(knobs_parse(body, strlen("{\"run\": 1}"), defs, NDEFS, v, 2, why), 1);
	assert_int_equal(knobs_parse(body, 5, defs, NDEFS, v, 2, why), -1);
	assert_string_equal(why, "unterminated key at offset 5");
	assert_int_equal(knobs_parse("{\"run\": 1\0}", 11, defs, NDEFS, v, 2, why), -1);
	assert_string_equal(why, "expected ',' or '}' at offset 9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_length),
	};
	return cmocka_run_group_tests_name("knobs_parse", tests, NULL, NULL);
}
