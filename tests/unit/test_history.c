/*
 * test_history.c - api/history.c: the ring of per-second samples behind
 * GET /api/history: the baseline, rates from cumulative counters, seconds
 * missed by the caller, wraparound, clamping to 32 bits, the JSON (exact
 * text, the newest N, and its size with every number at its largest
 * against the server's body buffer), and the ?seconds= parameter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "history.h"

/* net/http_server.h's HTTP_BODY_MAX (it needs lwIP's headers, so it is not
 * included here; control/api_history.c asserts HISTORY_JSON_MAX against
 * the real one at compile time). */
#define SERVER_BODY_MAX (24u * 1024u)

static struct history h;

static void in6(uint64_t *in, uint64_t saved, uint64_t self, uint64_t inter, uint64_t zero,
		uint64_t cow, uint64_t scanned)
{
	in[HC_SAVED] = saved;
	in[HC_SELF] = self;
	in[HC_INTER] = inter;
	in[HC_ZERO] = zero;
	in[HC_COW_BREAKS] = cow;
	in[HC_PAGES_SCANNED] = scanned;
	in[HC_LOCK_US] = 0;
}

static void test_empty(void **state)
{
	char buf[512];
	int n;
	(void)state;

	history_init(&h);
	assert_int_equal(h.count, 0);
	assert_null(history_newest(&h));
	n = history_json(&h, 0, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "{\"interval_s\":1,\"capacity\":300,\"count\":0,\"newest_s\":0,"
			    "\"saved\":[],\"self\":[],\"inter\":[],\"zero\":[],\"cow_breaks\":[],"
			    "\"pages_scanned\":[],\"lock_us\":[]}");
}

static void test_baseline_then_rates(void **state)
{
	uint64_t in[HISTORY_NCOLS];
	const uint32_t *s;
	(void)state;

	history_init(&h);
	in6(in, 10, 4, 6, 2, 1000, 50000);
	assert_int_equal(history_tick(&h, 100, in), 0); /* the baseline */
	assert_int_equal(h.count, 0);
	in6(in, 11, 5, 6, 3, 1007, 50400);
	assert_int_equal(history_tick(&h, 100, in), 0); /* the same second */
	in6(in, 12, 5, 7, 3, 1010, 51000);
	assert_int_equal(history_tick(&h, 101, in), 1);
	s = history_newest(&h);
	assert_non_null(s);
	assert_int_equal(s[HC_SAVED], 12);
	assert_int_equal(s[HC_SELF], 5);
	assert_int_equal(s[HC_INTER], 7);
	assert_int_equal(s[HC_ZERO], 3);
	/* Growth since the last recorded second (100), not since the call
	 * within it. */
	assert_int_equal(s[HC_COW_BREAKS], 10);
	assert_int_equal(s[HC_PAGES_SCANNED], 1000);
	assert_int_equal(h.newest_s, 101);

	/* A counter that goes back is no growth, not a huge rate. */
	in6(in, 12, 5, 7, 3, 900, 51000);
	assert_int_equal(history_tick(&h, 102, in), 1);
	assert_int_equal(history_newest(&h)[HC_COW_BREAKS], 0);
	assert_int_equal(history_newest(&h)[HC_PAGES_SCANNED], 0);
	assert_int_equal(h.count, 2);
}

static void test_missed_seconds(void **state)
{
	uint64_t in[HISTORY_NCOLS];
	uint32_t i, sum = 0;
	(void)state;

	history_init(&h);
	in6(in, 0, 0, 0, 0, 0, 0);
	history_tick(&h, 7, in);
	/* Away for 4 s: 4 samples, 10 breaks spread 3,3,2,2, gauges as now. */
	in6(in, 40, 30, 10, 5, 10, 4000);
	assert_int_equal(history_tick(&h, 11, in), 4);
	assert_int_equal(h.count, 4);
	for (i = 0; i < 4; i++) {
		const uint32_t *s = history_at(&h, i);
		assert_int_equal(s[HC_SAVED], 40);
		assert_int_equal(s[HC_ZERO], 5);
		assert_int_equal(s[HC_PAGES_SCANNED], 1000);
		assert_int_equal(s[HC_COW_BREAKS], i < 2 ? 3 : 2);
		sum += s[HC_COW_BREAKS];
	}
	assert_int_equal(sum, 10);
	assert_int_equal(h.newest_s, 11);

	/* Away longer than the ring: it holds the last HISTORY_CAP seconds. */
	in6(in, 1, 1, 0, 0, 10 + 2 * (HISTORY_CAP + 50), 4000);
	assert_int_equal(history_tick(&h, 11 + HISTORY_CAP + 50, in), HISTORY_CAP);
	assert_int_equal(h.count, HISTORY_CAP);
	assert_int_equal(history_at(&h, 0)[HC_COW_BREAKS], 2);
	assert_int_equal(history_newest(&h)[HC_SAVED], 1);

	/* A clock that goes back starts a new baseline, records nothing. */
	assert_int_equal(history_tick(&h, 5, in), 0);
	assert_int_equal(h.newest_s, 5);
	assert_int_equal(h.count, HISTORY_CAP);
}

static void test_wraparound(void **state)
{
	uint64_t in[HISTORY_NCOLS];
	uint32_t t, i, n = HISTORY_CAP + 7;
	(void)state;

	history_init(&h);
	in6(in, 0, 0, 0, 0, 0, 0);
	history_tick(&h, 0, in);
	for (t = 1; t <= n; t++) {
		/* saved = t; pages_scanned grows by t each second. */
		in6(in, t, 0, 0, 0, 0, (uint64_t)t * (t + 1) / 2);
		assert_int_equal(history_tick(&h, t, in), 1);
		assert_int_equal(h.count, t < HISTORY_CAP ? t : HISTORY_CAP);
	}
	/* The oldest seven were overwritten; the rest are in order. */
	for (i = 0; i < HISTORY_CAP; i++) {
		assert_int_equal(history_at(&h, i)[HC_SAVED], 8 + i);
		assert_int_equal(history_at(&h, i)[HC_PAGES_SCANNED], 8 + i);
	}
	assert_int_equal(history_newest(&h)[HC_SAVED], n);
	assert_int_equal(h.next, 7);
}

static void test_clamp(void **state)
{
	uint64_t in[HISTORY_NCOLS];
	(void)state;

	history_init(&h);
	in6(in, 0, 0, 0, 0, 0, 0);
	history_tick(&h, 0, in);
	in6(in, 1ull << 40, UINT32_MAX, 0, 0, 1ull << 33, UINT64_MAX);
	history_tick(&h, 1, in);
	assert_int_equal(history_newest(&h)[HC_SAVED], UINT32_MAX);
	assert_int_equal(history_newest(&h)[HC_SELF], UINT32_MAX);
	assert_int_equal(history_newest(&h)[HC_COW_BREAKS], UINT32_MAX);
	assert_int_equal(history_newest(&h)[HC_PAGES_SCANNED], UINT32_MAX);
}

static void test_json_exact_and_last(void **state)
{
	uint64_t in[HISTORY_NCOLS];
	char buf[512];
	int n;
	(void)state;

	history_init(&h);
	in6(in, 0, 0, 0, 0, 0, 0);
	history_tick(&h, 41, in);
	in6(in, 3, 1, 2, 9, 5, 100);
	in[HC_LOCK_US] = 1250; /* a gauge: as read */
	history_tick(&h, 42, in);
	in6(in, 4, 2, 2, 8, 5, 300);
	in[HC_LOCK_US] = 7;
	history_tick(&h, 43, in);
	n = history_json(&h, 0, buf, sizeof(buf));
	assert_string_equal(buf, "{\"interval_s\":1,\"capacity\":300,\"count\":2,\"newest_s\":43,"
			    "\"saved\":[3,4],\"self\":[1,2],\"inter\":[2,2],\"zero\":[9,8],"
			    "\"cow_breaks\":[5,0],\"pages_scanned\":[100,200],\"lock_us\":[1250,7]}");
	assert_int_equal(n, (int)strlen(buf));
	/* The newest one only; more than held means all. */
	history_json(&h, 1, buf, sizeof(buf));
	assert_string_equal(buf, "{\"interval_s\":1,\"capacity\":300,\"count\":1,\"newest_s\":43,"
			    "\"saved\":[4],\"self\":[2],\"inter\":[2],\"zero\":[8],"
			    "\"cow_breaks\":[0],\"pages_scanned\":[200],\"lock_us\":[7]}");
	assert_int_equal(history_json(&h, 99, buf, sizeof(buf)), n);
	/* A buffer one byte short (no room for the NUL) is refused. */
	assert_int_equal(history_json(&h, 0, buf, (size_t)n), -1);
	assert_int_equal(history_json(&h, 0, buf, (size_t)n + 1), n);
	assert_int_equal(history_json(&h, 0, buf, 0), -1);
}

/* A full ring at the largest numbers: the longest answer there can be. */
static void test_json_max_fits(void **state)
{
	static char buf[SERVER_BODY_MAX + 1];
	uint32_t i, c;
	int n;
	(void)state;

	history_init(&h);
	for (i = 0; i < HISTORY_CAP; i++)
		for (c = 0; c < HISTORY_NCOLS; c++)
			h.s[i][c] = UINT32_MAX;
	h.count = HISTORY_CAP;
	h.newest_s = UINT64_MAX;
	n = history_json(&h, 0, buf, sizeof(buf));
	assert_true(n > 0);
	/* Exactly: 76 bytes of fields and braces; per column its key with
	 * quotes, colon and brackets, HISTORY_CAP numbers of 10 digits and
	 * the commas between them, and one comma after each column. */
	{
		size_t want = 76;
		for (c = 0; c < HISTORY_NCOLS; c++)
			want += strlen(history_col_name[c]) + 5 + HISTORY_CAP * 11 - 1 + 1;
		want -= 1; /* no comma after the last column */
		assert_int_equal((size_t)n, want);
	}
	assert_true((unsigned)n <= HISTORY_JSON_MAX);
	assert_true(HISTORY_JSON_MAX < SERVER_BODY_MAX);
	printf("history: a full ring at its largest is %d bytes of JSON (bound %u, buffer %u)\n",
	       n, HISTORY_JSON_MAX, SERVER_BODY_MAX);
	assert_non_null(strstr(buf, "\"newest_s\":18446744073709551615,"));
	assert_non_null(strstr(buf, "\"pages_scanned\":[4294967295,4294967295,"));
}

static void test_query_seconds(void **state)
{
	uint32_t n = 99;
	(void)state;

	assert_true(history_query_seconds("", &n));
	assert_int_equal(n, 0);
	assert_true(history_query_seconds("other=1", &n));
	assert_int_equal(n, 0);
	assert_true(history_query_seconds("seconds=60", &n));
	assert_int_equal(n, 60);
	assert_true(history_query_seconds("a=b&seconds=1", &n));
	assert_int_equal(n, 1);
	assert_true(history_query_seconds("seconds=100000000000000000000000", &n));
	assert_int_equal(n, HISTORY_CAP);
	assert_true(history_query_seconds("seconds=301", &n));
	assert_int_equal(n, HISTORY_CAP);
	assert_false(history_query_seconds("seconds=0", &n));
	assert_false(history_query_seconds("seconds=", &n));
	assert_false(history_query_seconds("seconds=-1", &n));
	assert_false(history_query_seconds("seconds=6x", &n));
	assert_false(history_query_seconds("seconds", &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_baseline_then_rates),
		cmocka_unit_test(test_missed_seconds),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_clamp),
		cmocka_unit_test(test_json_exact_and_last),
		cmocka_unit_test(test_json_max_fits),
		cmocka_unit_test(test_query_seconds),
	};
	return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
