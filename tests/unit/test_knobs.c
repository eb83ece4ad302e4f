/*
 * test_knobs.c - one knob table for every front-end (common/knobs.h).
 *
 * What a set implies (pages_to_scan: the fixed rate; scan_target_s: the
 * governor), what is in force, the config's order; and the front-ends
 * against each other: for every knob and value at and around the edges of
 * its range, the config file (dedup.NAME = V), the console (set NAME V)
 * and the API's body ({"NAME": V}) accept the same values and refuse the
 * same ones, and a value each accepts, set through the sharing code's
 * knob_set as every front-end does, leaves the same knobs behind - the
 * bug this table fixed was the API storing pages_to_scan while the
 * governor it did not switch off went on sizing the steps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "console_cmd.h"
#include "knobs.h"
#include "knobs_parse.h"

static void test_defaults(void **st)
{
	struct knob_values k;
	unsigned i;
	(void)st;
	knob_defaults(&k);
	assert_true(k.governed);
	for (i = 0; i < KNOB_COUNT; i++) {
		assert_int_equal(k.v[i], knob_table[i].def);
		assert_true(knob_table[i].def >= knob_table[i].min);
		assert_true(knob_table[i].def <= knob_table[i].max);
		assert_true(knob_table[i].name && knob_table[i].help);
		assert_int_equal(knob_find(knob_table[i].name, strlen(knob_table[i].name)), (int)i);
		if (knob_table[i].boolean)
			assert_true(knob_table[i].min == 0 && knob_table[i].max == 1);
	}
	assert_int_equal(knob_find("pages_to", 8), -1);
	assert_int_equal(knob_find("pages_to_scanx", 14), -1);
	assert_int_equal(knob_find("", 0), -1);
	/* A step holds the hypervisor lock: bounded as the governor's steps are. */
	assert_int_equal(knob_table[KNOB_PAGES_TO_SCAN].max, KNOB_STEP_MAX_PAGES);
}

static void test_implications(void **st)
{
	struct knob_values k;
	(void)st;
	knob_defaults(&k);
	assert_true(knob_in_force(&k, KNOB_SCAN_TARGET_S));
	assert_false(knob_in_force(&k, KNOB_PAGES_TO_SCAN));
	assert_int_equal(knob_set(&k, KNOB_PAGES_TO_SCAN, 500), 0);
	assert_false(k.governed);
	assert_true(knob_in_force(&k, KNOB_PAGES_TO_SCAN));
	assert_false(knob_in_force(&k, KNOB_SCAN_TARGET_S));
	assert_int_equal(knob_set(&k, KNOB_SLEEP_MS, 5), 0); /* no rate change */
	assert_false(k.governed);
	assert_int_equal(knob_set(&k, KNOB_SCAN_TARGET_S, 30), 0);
	assert_true(k.governed);
	assert_int_equal(k.v[KNOB_PAGES_TO_SCAN], 500); /* kept for the next fixed rate */
	/* Out of range: refused, nothing changed (the rate neither). */
	assert_int_equal(knob_set(&k, KNOB_PAGES_TO_SCAN, 0), -1);
	assert_int_equal(knob_set(&k, KNOB_PAGES_TO_SCAN, KNOB_STEP_MAX_PAGES + 1), -1);
	assert_true(k.governed);
	assert_int_equal(k.v[KNOB_PAGES_TO_SCAN], 500);
	assert_int_equal(knob_set(&k, KNOB_COUNT, 1), -1);
	assert_true(knob_in_force(&k, KNOB_RUN));
	assert_false(knob_in_force(&k, KNOB_COUNT));
}

static void test_config_order(void **st)
{
	uint32_t v[KNOB_COUNT] = { 0 };
	struct knob_values k;
	(void)st;
	/* Both given: pages_to_scan wins, whatever the file's order was. */
	v[KNOB_PAGES_TO_SCAN] = 700;
	v[KNOB_SCAN_TARGET_S] = 40;
	knob_from_config(&k, v, 1u << KNOB_PAGES_TO_SCAN | 1u << KNOB_SCAN_TARGET_S);
	assert_false(k.governed);
	assert_int_equal(k.v[KNOB_PAGES_TO_SCAN], 700);
	assert_int_equal(k.v[KNOB_SCAN_TARGET_S], 40);
	knob_from_config(&k, v, 1u << KNOB_SCAN_TARGET_S);
	assert_true(k.governed);
	assert_int_equal(k.v[KNOB_PAGES_TO_SCAN], knob_table[KNOB_PAGES_TO_SCAN].def);
}

/* Each front-end's verdict on NAME = value: 1 accepted (value set in *k), 0 refused. */
static int by_config(unsigned id, uint64_t value, struct knob_values *k)
{
	static struct config cfg;
	struct config_error err;
	char text[96];
	snprintf(text, sizeof(text), "dedup.%s = %llu\n", knob_table[id].name,
		 (unsigned long long)value);
	if (config_parse(text, strlen(text), &cfg, &err))
		return 0;
	knob_from_config(k, cfg.knob, cfg.knob_given);
	return 1;
}

static int by_console(unsigned id, uint64_t value, struct knob_values *k)
{
	char line[96];
	struct cmd c;
	snprintf(line, sizeof(line), "set %s %llu", knob_table[id].name, (unsigned long long)value);
	c = console_parse(line);
	if (c.kind != CMD_SET)
		return 0;
	knob_defaults(k);
	assert_int_equal(knob_set(k, c.knob, c.value), 0);
	return 1;
}

static int by_api(unsigned id, uint64_t value, struct knob_values *k)
{
	/* control/api_serve.c's table: knobs_parse's view of knob_table. */
	struct knob_def defs[KNOB_COUNT];
	struct knob_value out[KNOB_COUNT];
	char body[96], reason[KNOBS_REASON_MAX];
	unsigned i;
	int n;
	for (i = 0; i < KNOB_COUNT; i++)
		defs[i] = (struct knob_def){ knob_table[i].name, knob_table[i].min, knob_table[i].max,
					     knob_table[i].boolean };
	snprintf(body, sizeof(body), "{\"%s\": %llu}", knob_table[id].name, (unsigned long long)value);
	n = knobs_parse(body, strlen(body), defs, KNOB_COUNT, out, KNOB_COUNT, reason);
	if (n != 1)
		return 0;
	knob_defaults(k);
	assert_int_equal(knob_set(k, (unsigned)out[0].def, (uint32_t)out[0].value), 0);
	return 1;
}

static void test_front_ends_agree(void **st)
{
	unsigned id, j;
	(void)st;
	for (id = 0; id < KNOB_COUNT; id++) {
		const struct knob_desc *d = &knob_table[id];
		uint64_t probe[] = { d->min, d->max, (uint64_t)d->min + 1, (uint64_t)d->max + 1,
				     d->min ? (uint64_t)d->min - 1 : d->max, d->def, 1u << 24 };
		for (j = 0; j < sizeof(probe) / sizeof(probe[0]); j++) {
			struct knob_values a, b, c;
			int ra = by_config(id, probe[j], &a), rb = by_console(id, probe[j], &b),
			    rc = by_api(id, probe[j], &c);
			int in_range = probe[j] >= d->min && probe[j] <= d->max;
			if (ra != in_range || rb != in_range || rc != in_range)
				fail_msg("%s = %llu: config %d, console %d, API %d; in range %d", d->name,
					 (unsigned long long)probe[j], ra, rb, rc, in_range);
			if (!in_range)
				continue;
			/* Field by field: the struct's padding is nobody's. */
			assert_memory_equal(a.v, b.v, sizeof(a.v));
			assert_memory_equal(a.v, c.v, sizeof(a.v));
			assert_int_equal(a.governed, b.governed);
			assert_int_equal(a.governed, c.governed);
			assert_int_equal(a.v[id], probe[j]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_implications),
		cmocka_unit_test(test_config_order),
		cmocka_unit_test(test_front_ends_agree),
	};
	return cmocka_run_group_tests_name("knobs", tests, NULL, NULL);
}
