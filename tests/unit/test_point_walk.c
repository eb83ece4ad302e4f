/*
 * test_point_walk.c - dedup/point_walk.c: what a measurement point reads of
 * the live engine in steps - each VM's working set and every compressed
 * page read back - equals what dedup_vm_account() and dedup_tier_check()
 * say in one go, whatever the steps' budgets, when nothing changes between
 * them; a damaged compressed object is found; a VM removed under the walk
 * is left; the account walk (a point's own engine) equals dedup_vm_account()
 * in steps of any budget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dedup_fixture.h"
#include "dedup_internal.h"

#define P(i) (CZ | (200 + (i)))

static uint64_t now;

static void scans(struct fix *f, unsigned n)
{
	while (n--) {
		dedup_clock(f->d, ++now);
		fix_full_scans(f, 1);
	}
}

/* Two VMs: zero, shared, compressible and incompressible pages; some go
 * cold and into the pool, some are read and written since. */
static void build(struct fix *f)
{
	enum { N = 40 };
	uint64_t a[N], b[N];
	for (unsigned i = 0; i < N; i++) {
		a[i] = i % 5 == 0 ? 0 : i % 5 == 1 ? 7 : i % 5 == 2 ? P(i) : 1000 + i;
		b[i] = i % 4 == 0 ? 0 : i % 4 == 1 ? 7 : P(i + 100);
	}
	fix_init(f, 256, 1, 0);
	dedup_knobs(f->d)->cold_ticks = 2;
	dedup_knobs(f->d)->pool_max_frames = 32;
	now = 0;
	assert_int_equal(fix_add_vm(f, 0, a, N, 0), 0);
	assert_int_equal(fix_add_vm(f, 1, b, N, 0), 0);
	scans(f, 4);
	assert_true(fix_reads(f, 0, 2, a[2]));
	assert_int_equal(fix_write(f, 1, 3, 55), 0);
	assert_true(fix_reads(f, 0, 1, 7));
	dedup_clock(f->d, ++now);
	dedup_scan(f->d, 30); /* the cursor mid-scan: some pages behind it */
}

static void test_walk_equals_account_and_check(void **state)
{
	struct fix f;
	struct dedup_stats s;
	static struct dedup_point_walk w;
	uint64_t bad, checked, steps = 0;
	(void)state;
	build(&f);
	dedup_get_stats(f.d, &s);
	assert_true(s.pages_compressed > 0);
	for (uint64_t budget = 1; budget < 600; budget = budget * 3 + 1) {
		dedup_point_walk_begin(&w);
		while (w.vm < DEDUP_MAX_VMS) {
			uint64_t spent = dedup_point_walk_step(f.d, &w, budget);
			assert_true(spent >= 1 || w.vm == DEDUP_MAX_VMS); /* the last: empty slots */
			assert_true(spent < budget + 256); /* a read-back may pass it by its weight */
			steps++;
		}
		for (unsigned vm = 0; vm < 2; vm++) {
			struct dedup_vm_account acc;
			assert_int_equal(dedup_vm_account(f.d, vm, &acc), 0);
			for (unsigned c = 0; c < DEDUP_WS_CLASSES; c++)
				assert_int_equal(w.ws[vm][c], acc.ws[c]);
		}
		checked = dedup_tier_check(f.d, &bad);
		assert_int_equal(w.checked, checked);
		assert_int_equal(w.checked, s.pages_compressed);
		assert_int_equal(w.bad, 0);
		assert_int_equal(bad, 0);
	}
	assert_true(steps > 80 / 1 + 1);
	fix_fini(&f);
}

/* A damaged object is counted bad; a VM removed under the walk is left. */
static void test_walk_finds_damage_and_leaves_removed(void **state)
{
	struct fix f;
	static struct dedup_point_walk w;
	uint64_t g;
	(void)state;
	build(&f);
	for (g = 0; g < f.d->vm[1].npages && dp_state(&f.d->vm[1].pages[g]) != DP_COMPRESSED; g++)
		;
	assert_true(g < f.d->vm[1].npages);
	((unsigned char *)cobj_of(f.d, &f.d->vm[1].pages[g]))[sizeof(struct cobj) + 3] ^= 0x5a;
	dedup_point_walk_begin(&w);
	dedup_point_walk_step(f.d, &w, 10); /* into VM 0 */
	assert_int_equal(w.vm, 0);
	while (w.vm < DEDUP_MAX_VMS)
		dedup_point_walk_step(f.d, &w, 7);
	assert_int_equal(w.bad, 1);
	/* Again, VM 1 removed once the walk is in VM 0: nothing of it counted. */
	dedup_point_walk_begin(&w);
	dedup_point_walk_step(f.d, &w, 10);
	assert_int_equal(dedup_vm_remove(f.d, 1), 0);
	fake_vm_destroy(&f.m, 1);
	while (w.vm < DEDUP_MAX_VMS)
		dedup_point_walk_step(f.d, &w, 7);
	for (unsigned c = 0; c < DEDUP_WS_CLASSES; c++)
		assert_int_equal(w.ws[1][c], 0);
	fix_fini(&f);
}

/* The account walk, in steps of any budget, equals dedup_vm_account()
 * field by field (the working set aside), compressed pages included. */
static void test_account_walk_equals_account(void **state)
{
	struct fix f;
	static struct dedup_account_walk w;
	(void)state;
	build(&f);
	for (uint64_t budget = 1; budget < 300; budget = budget * 4 + 1) {
		uint64_t steps = 0;
		dedup_account_walk_begin(f.d, &w);
		while (!w.done) {
			assert_true(dedup_account_walk_step(f.d, &w, budget) <= budget);
			steps++;
		}
		assert_true(steps >= 80 / budget);
		for (unsigned vm = 0; vm < 2; vm++) {
			struct dedup_vm_account a, *b = &w.acc[vm];
			assert_int_equal(dedup_vm_account(f.d, vm, &a), 0);
			assert_int_equal(b->pages, a.pages);
			assert_int_equal(b->private_frames, a.private_frames);
			assert_int_equal(b->zero, a.zero);
			assert_int_equal(b->self_sharing, a.self_sharing);
			assert_int_equal(b->pss, a.pss);
			assert_int_equal(b->exclusive_frames, a.exclusive_frames);
			assert_int_equal(b->domain, a.domain);
			assert_int_equal(b->compressed, a.compressed);
			assert_int_equal(b->compressed_bytes, a.compressed_bytes);
			assert_int_equal(b->pss_cost, a.pss_cost);
			assert_int_equal(b->exclusive_bytes, a.exclusive_bytes);
		}
		assert_true(w.acc[0].compressed + w.acc[1].compressed > 0);
		assert_true(w.acc[0].exclusive_frames > w.acc[0].private_frames);
	}
	fix_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_equals_account_and_check),
		cmocka_unit_test(test_walk_finds_damage_and_leaves_removed),
		cmocka_unit_test(test_account_walk_equals_account),
	};
	return cmocka_run_group_tests_name("point_walk", tests, NULL, NULL);
}
