/* test_dedup_collision.c - with every checksum equal, only equal pages merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dedup_fixture.h"

static void test_collisions_never_merge(void **state)
{
	static const uint64_t v0[] = { 1, 2, 1, 2, 3, 0, 0 }, v1[] = { 2, 4, 0 };
	struct fix f;
	struct dedup_stats s;
	(void)state;
	for (int ad = 0; ad <= 1; ad++) {
		fix_init(&f, 64, ad, 0);
		assert_int_equal(fix_add_vm(&f, 0, v0, 7, 0), 0);
		assert_int_equal(fix_add_vm(&f, 1, v1, 3, 0), 0);
		fix_full_scans(&f, 3);
		s = fix_stats(&f);
		/* Ideal: 10 pages, 5 distinct contents (0, 1, 2, 3, 4). */
		assert_int_equal(s.frames_saved, 5);
		assert_true(s.hash_collisions > 0);
		for (uint64_t g = 0; g < 7; g++)
			assert_true(fix_reads(&f, 0, g, v0[g]));
		for (uint64_t g = 0; g < 3; g++)
			assert_true(fix_reads(&f, 1, g, v1[g]));
		assert_int_not_equal(f.m.vm[0].ept[0].frame, f.m.vm[0].ept[1].frame);
		assert_int_equal(f.m.vm[0].ept[1].frame, f.m.vm[1].ept[0].frame);
		fix_fini(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_collisions_never_merge) };
	return cmocka_run_group_tests_name("dedup_collision", tests, NULL, NULL);
}
