/* test_oracle.c - dedupsim's oracle on synthetic images whose answer is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oracle.h"

/* Page c: 0 = zeros, else filled with byte c (halves differ when c >= 100:
 * first half c, second half c+1). */
static void page(unsigned char *p, int c)
{
	memset(p, c >= 100 ? c - 100 : c, 2048);
	memset(p + 2048, c >= 100 ? c - 99 : c, 2048);
}

static unsigned char *image(const int *c, unsigned n)
{
	unsigned char *m = malloc(n * 4096ul);
	for (unsigned i = 0; i < n; i++)
		page(m + i * 4096ul, c[i]);
	return m;
}

static void test_known_answer(void **state)
{
	static const int v0[] = { 1, 1, 0, 2 }, v1[] = { 1, 3, 0 }, v2[] = { 0, 0 };
	const unsigned char *img[3] = { image(v0, 4), image(v1, 3), image(v2, 2) };
	uint64_t sz[3] = { 4 * 4096, 3 * 4096, 2 * 4096 };
	struct dedup_recount o;
	(void)state;
	assert_int_equal(oracle_compute(img, sz, 3, 4096, &o), 0);
	assert_int_equal(o.pages_total, 9);
	assert_int_equal(o.pages_zero, 4);
	assert_int_equal(o.pages_unique, 4);     /* 0, 1, 2, 3 */
	assert_int_equal(o.sharable, 5);
	assert_int_equal(o.sharable_nonzero, 2); /* five non-zero pages, three contents */
	assert_int_equal(o.vm[0].self, 1);
	assert_int_equal(o.vm[1].self, 0);
	assert_int_equal(o.vm[2].self, 1);
	assert_int_equal(o.self_sharing, 2);
	assert_int_equal(o.inter_sharing, 3);    /* 1: k=2 -> 1; 0: k=3 -> 2 */
	assert_int_equal(o.max_copies, 4);
	assert_true(o.max_copies_is_zero);
	assert_int_equal(o.vm[0].zero, 1);
	assert_int_equal(o.vm[2].zero, 2);
	dedup_recount_free(&o);
	for (int i = 0; i < 3; i++)
		free((void *)img[i]);
}

static void test_finer_granularity(void **state)
{
	/* Pages 101 (halves 1|2) and 102 (halves 2|3): no page is shared, but
	 * at 2 KiB the half "2" appears twice; page 1 (halves 1|1) shares its
	 * halves with 101's first half. */
	static const int v[] = { 101, 102, 1 };
	const unsigned char *img[1] = { image(v, 3) };
	uint64_t sz[1] = { 3 * 4096 };
	struct dedup_recount o;
	(void)state;
	assert_int_equal(oracle_compute(img, sz, 1, 4096, &o), 0);
	assert_int_equal(o.sharable, 0);
	dedup_recount_free(&o);
	assert_int_equal(oracle_compute(img, sz, 1, 2048, &o), 0);
	assert_int_equal(o.pages_total, 6);      /* halves: 1 2 2 3 1 1 */
	assert_int_equal(o.pages_unique, 3);
	assert_int_equal(o.sharable, 3);
	dedup_recount_free(&o);
	free((void *)img[0]);
}

static void test_empty_and_single(void **state)
{
	static const int v[] = { 7 };
	const unsigned char *img[1] = { image(v, 1) };
	uint64_t sz[1] = { 4096 };
	struct dedup_recount o;
	(void)state;
	assert_int_equal(oracle_compute(img, sz, 1, 4096, &o), 0);
	assert_int_equal(o.sharable, 0);
	assert_int_equal(o.sharable_nonzero, 0);
	assert_int_equal(o.inter_sharing, 0);
	dedup_recount_free(&o);
	free((void *)img[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_finer_granularity),
		cmocka_unit_test(test_empty_and_single),
	};
	return cmocka_run_group_tests_name("oracle", tests, NULL, NULL);
}
