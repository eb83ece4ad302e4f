/*
 * test_dedup_same.c - same-behaviour domains (dedup/same.c): idle before
 * lookup, fusion twin or not, copy-on-access with the same work either way,
 * the randomized pool, and what stays as it was (normal domains, the cold
 * tier, failed invalidates), over the fake machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dedup_fixture.h"
#include "dedup_internal.h"

#define SAME 1 /* the same-behaviour domain of these tests */

static void init(struct fix *f, uint64_t nframes, unsigned pool, uint64_t seed)
{
	fix_init(f, nframes, 1, 0);
	assert_int_equal(dedup_same_seed(f->d, seed, pool), 0);
	assert_int_equal(dedup_domain_same(f->d, SAME), 0);
}

static const struct dpage *page(struct fix *f, unsigned vm, uint64_t g)
{
	return &f->d->vm[vm].pages[g];
}

static bool present(struct fix *f, unsigned vm, uint64_t g)
{
	return f->m.vm[vm].ept[g].present;
}

static bool fused(struct fix *f, unsigned vm, uint64_t g)
{
	return dp_state(page(f, vm, g)) == DP_SHARED && !present(f, vm, g);
}

static void touch(struct fix *f, unsigned vm, uint64_t g)
{
	unsigned char b[8];
	assert_int_equal(fake_guest_read(&f->m, vm, g, 0, b, sizeof(b)), 0);
}

/* The engine's frames agree with the fake machine's: nothing leaked. */
static void check_frames(struct fix *f)
{
	assert_int_equal(dedup_frames_in_use(f->d), fake_frames_in_use(&f->m));
}

/* Idle before lookup: a page accessed at each visit is never fused and its
 * content never read; the others are fused at their second idle visit,
 * twin or not, and a twin in use stays apart until it idles too. */
static void test_idle_before_fusion(void **state)
{
	static const uint64_t c0[] = { 11, 12, 13, 14 }, c1[] = { 11, 22 };
	uint64_t busy_frame;
	struct fix f;
	(void)state;

	init(&f, 256, 8, 1);
	assert_int_equal(fix_add_vm(&f, 0, c0, 4, SAME), 0);
	assert_int_equal(fix_add_vm(&f, 1, c1, 2, SAME), 0);
	busy_frame = f.m.vm[0].ept[0].frame;
	f.m.logging = true;
	for (unsigned scan = 1; scan <= 4; scan++) {
		touch(&f, 0, 0); /* vm 0's page 0 and vm 1's page 0 (content 11) in use */
		touch(&f, 1, 0);
		fix_full_scans(&f, 1);
		/* Registration counts as an access: idle pages fuse at scan 2. */
		assert_int_equal(fused(&f, 0, 1), scan >= 2);
		assert_int_equal(fused(&f, 0, 3), scan >= 2);
		assert_false(fused(&f, 0, 0));
		assert_false(fused(&f, 1, 0));
	}
	/* The busy page's frame was never read: no hash, no compare. */
	for (uint64_t i = 0; i < f.m.nlog; i++)
		assert_false(f.m.log[i].op == EV_PTR && f.m.log[i].frame == busy_frame);
	assert_true(fix_stats(&f).same_not_idle >= 8);
	/* Every fused page went alone: no twin among them. */
	assert_int_equal(fix_stats(&f).same_fused, 4);
	assert_int_equal(fix_stats(&f).same_fake_merges, 4);
	assert_int_equal(fix_stats(&f).frames_saved, 0);
	/* Both pages of content 11 stop being used: the first visited fuses
	 * alone, the other joins its frame. */
	fix_full_scans(&f, 2);
	assert_true(fused(&f, 1, 0) && fused(&f, 0, 0));
	assert_int_equal(dp_index(page(&f, 0, 0)), dp_index(page(&f, 1, 0)));
	assert_int_equal(f.d->sf[dp_index(page(&f, 0, 0))].refs, 2);
	assert_int_equal(fix_stats(&f).frames_saved, 1);
	assert_int_equal(fix_stats(&f).inter_sharing, 1);
	check_frames(&f);
	fix_fini(&f);
}

/* A unique page is fake-merged: not present, on a frame of its own that is
 * not the one it had, in the stable index; its twin later fuses with it,
 * and the shared content moves to a newly drawn frame again. */
static void test_fake_merge_then_twin(void **state)
{
	static const uint64_t c0[] = { 31, 32 }, c1[] = { 33, 31 };
	uint64_t before = 0, alone;
	uint32_t id;
	struct fix f;
	(void)state;

	init(&f, 128, 8, 2);
	assert_int_equal(fix_add_vm(&f, 0, c0, 2, SAME), 0);
	before = f.m.vm[0].ept[0].frame;
	fix_full_scans(&f, 2);
	assert_true(fused(&f, 0, 0));
	id = dp_index(page(&f, 0, 0));
	alone = f.d->sf[id].frame;
	assert_int_equal(f.d->sf[id].refs, 1);
	assert_int_not_equal(alone, before);
	assert_int_equal(f.m.mapcount[alone], 0); /* the invariant: never mapped */
	assert_true(fix_reads(&f, 0, 1, 32));      /* (faults page 1 back: fine) */
	/* The twin arrives in another VM. */
	assert_int_equal(fix_add_vm(&f, 1, c1, 2, SAME), 0);
	fix_full_scans(&f, 2);
	assert_true(fused(&f, 1, 1));
	assert_int_equal(dp_index(page(&f, 1, 1)), id);
	assert_int_equal(f.d->sf[id].refs, 2);
	assert_int_not_equal(f.d->sf[id].frame, alone); /* moved to a frame drawn anew */
	assert_int_equal(f.m.mapcount[f.d->sf[id].frame], 0);
	assert_int_equal(fix_stats(&f).merges, 1);
	/* Both read their content back (each a copy). */
	assert_true(fix_reads(&f, 0, 0, 31));
	assert_true(fix_reads(&f, 1, 1, 31));
	check_frames(&f);
	fix_fini(&f);
}

/* Copy-on-access: a read or a write of a fused page faults and gets a
 * private copy; no last-sharer reuse; the frame nobody maps stays until
 * the next scanner step's sweep. */
static void test_copy_on_access(void **state)
{
	static const uint64_t c[] = { 41, 42, 43 };
	unsigned char b[4096], want[4096];
	uint32_t id;
	uint64_t shared;
	struct fix f;
	(void)state;

	init(&f, 128, 8, 3);
	assert_int_equal(fix_add_vm(&f, 0, c, 3, SAME), 0);
	fix_full_scans(&f, 2);
	assert_true(fused(&f, 0, 0) && fused(&f, 0, 1) && fused(&f, 0, 2));
	/* A read faults. */
	assert_int_equal(fake_guest_read(&f.m, 0, 0, 0, b, 8), -1);
	assert_int_equal(dedup_access_fault(f.d, 0, 0, false), 0);
	assert_true(present(&f, 0, 0) && f.m.vm[0].ept[0].writable);
	content(41, want);
	assert_int_equal(fake_guest_read(&f.m, 0, 0, 0, b, 4096), 0);
	assert_memory_equal(b, want, 4096);
	/* A write to a page whose frame has one sharer: a copy all the same. */
	id = dp_index(page(&f, 0, 1));
	shared = f.d->sf[id].frame;
	assert_int_equal(f.d->sf[id].refs, 1);
	assert_int_equal(fix_write(&f, 0, 1, 99), 0);
	assert_int_not_equal(f.m.vm[0].ept[1].frame, shared);
	assert_int_equal(fix_stats(&f).cow_reuses, 0);
	assert_int_equal(fix_stats(&f).same_copies_read, 1);
	assert_int_equal(fix_stats(&f).same_copies_write, 1);
	/* Its frame, mapped by nobody, is held until the sweep... */
	assert_true(f.d->sf[id].flags & SF_USED);
	assert_int_equal(f.d->sf[id].refs, 0);
	check_frames(&f);
	/* ...which the next scanner step runs. */
	dedup_scan(f.d, 1);
	assert_false(f.d->sf[id].flags & SF_USED);
	check_frames(&f);
	/* The hypervisor's own write (dedup_cow_break) copies too. */
	assert_int_equal(dedup_cow_break(f.d, 0, 2), 0);
	assert_true(present(&f, 0, 2) && f.m.vm[0].ept[2].writable);
	assert_int_equal(fix_stats(&f).same_copies_write, 2);
	fix_fini(&f);
}

/* The ops one fault of (vm, gfn) makes, as a string of event kinds. */
static void fault_ops(struct fix *f, unsigned vm, uint64_t g, char *out, size_t cap)
{
	unsigned char b = 1;
	size_t n = 0;
	fake_log_clear(&f->m);
	f->m.logging = true;
	if (fake_guest_write(&f->m, vm, g, 0, &b, 1)) {
		if (f->d->vm[vm].same)
			assert_int_equal(dedup_access_fault(f->d, vm, g, true), 0);
		else
			assert_int_equal(dedup_cow_break(f->d, vm, g), 0);
	}
	f->m.logging = false;
	for (uint64_t i = 0; i < f->m.nlog && n + 1 < cap; i++)
		out[n++] = "AFrwuIPD"[f->m.log[i].op];
	out[n] = 0;
}

/* The attacker's question - does another VM hold my page's content? - gets
 * the same answer from a fault either way: the same calls, in the same
 * order, whether the page has a twin or not.  In a normal domain the two
 * differ (the last sharer gets its frame back), which is the channel. */
static void test_same_work_twin_or_not(void **state)
{
	static const uint64_t a[] = { 51, 52 }, b[] = { 51, 53 };
	char twin[64], alone[64];
	struct fix f;
	(void)state;

	init(&f, 128, 8, 4);
	assert_int_equal(fix_add_vm(&f, 0, a, 2, SAME), 0); /* "attacker": 51 has a twin, 52 not */
	assert_int_equal(fix_add_vm(&f, 1, b, 2, SAME), 0); /* "victim" holds 51 */
	fix_full_scans(&f, 2);
	assert_true(fused(&f, 0, 0) && fused(&f, 0, 1));
	assert_int_equal(f.d->sf[dp_index(page(&f, 0, 0))].refs, 2);
	assert_int_equal(f.d->sf[dp_index(page(&f, 0, 1))].refs, 1);
	fault_ops(&f, 0, 0, twin, sizeof(twin));
	fault_ops(&f, 0, 1, alone, sizeof(alone));
	assert_string_equal(twin, alone);
	assert_null(strchr(twin, 'I')); /* no invalidate, */
	assert_null(strchr(twin, 'F')); /* no free in the fault */
	fix_fini(&f);

	/* The same in a normal domain (0): the write to the page without a
	 * twin reuses the frame (no allocation, no copy). */
	fix_init(&f, 128, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, a, 2, 0), 0);
	assert_int_equal(fix_add_vm(&f, 1, b, 2, 0), 0);
	assert_int_equal(fix_add_vm(&f, 2, (const uint64_t[]){ 52 }, 1, 0), 0);
	fix_full_scans(&f, 2);
	assert_int_equal(f.d->sf[dp_index(page(&f, 0, 0))].refs, 2);
	assert_int_equal(fix_write(&f, 2, 0, 77), 0); /* 52 is now vm 0's alone */
	fault_ops(&f, 0, 0, twin, sizeof(twin));
	fault_ops(&f, 0, 1, alone, sizeof(alone));
	assert_string_not_equal(twin, alone);
	fix_fini(&f);
}

/*
 * The frame a fusion gets is not predictable from the order of merges.
 * A VM of N unique pages is fused page by page (one scanner visit a call);
 * before each, two guesses an attacker who knows the order could make: the
 * frame the engine gave up last (a LIFO allocator's choice; here the
 * previous page's old frame) and the lowest frame not holding guest data
 * (a lowest-first allocator's).  The statistic: how often the frame drawn
 * is either guess.  With a pool of 64 each is right with probability about
 * 1/64 per fusion, so for N = 1000 the hits are ~31 (sd 5.5); asserted
 * < 5%.  With a pool of one frame the draw is the frame just freed every
 * time (asserted > 95%: the test can fail).  Two seeds over the same
 * sequence agree on fewer than 10% of the frames (~1/64 expected).
 */
#define N_FUSE 1000

static void fuse_sequence(unsigned pool, uint64_t seed, uint64_t *got, unsigned *hits)
{
	static uint64_t c[N_FUSE];
	struct fix f;
	uint64_t last_freed = ~0ull;
	uint8_t *held;

	for (unsigned i = 0; i < N_FUSE; i++)
		c[i] = 100000 + i;
	init(&f, 2 * N_FUSE + 200, pool, seed);
	held = calloc(f.m.nframes, 1);
	assert_int_equal(fix_add_vm(&f, 0, c, N_FUSE, SAME), 0);
	dedup_clock(f.d, 0);
	fix_full_scans(&f, 1); /* every page idle once: the next visit fuses it */
	*hits = 0;
	for (unsigned i = 0; i < N_FUSE; i++) {
		uint64_t lowest = 0, old = f.m.vm[0].ept[i].frame;
		/* Frames that hold guest data: mapped, or a shared frame's. */
		memset(held, 0, f.m.nframes);
		for (uint64_t g = 0; g < N_FUSE; g++)
			if (f.m.vm[0].ept[g].present)
				held[f.m.vm[0].ept[g].frame] = 1;
		for (uint32_t k = 0; k < f.d->sf_top; k++)
			if (f.d->sf[k].flags & SF_USED)
				held[f.d->sf[k].frame] = 1;
		while (held[lowest])
			lowest++;
		assert_int_equal(dedup_scan(f.d, 1), 1);
		assert_true(fused(&f, 0, i));
		got[i] = f.d->sf[dp_index(page(&f, 0, i))].frame;
		*hits += got[i] == last_freed || got[i] == lowest;
		last_freed = old;
	}
	free(held);
	check_frames(&f);
	fix_fini(&f);
}

static void test_frames_unpredictable(void **state)
{
	static uint64_t a[N_FUSE], b[N_FUSE];
	unsigned hits, same = 0;
	(void)state;

	fuse_sequence(1, 7, a, &hits);
	printf("same: pool of 1: %u of %u fusions got a guessed frame\n", hits, N_FUSE);
	assert_true(hits > N_FUSE * 95 / 100);
	fuse_sequence(64, 7, a, &hits);
	printf("same: pool of 64: %u of %u fusions got a guessed frame (1/32 expected: %u)\n", hits,
	       N_FUSE, N_FUSE / 32);
	assert_true(hits < N_FUSE * 5 / 100);
	fuse_sequence(64, 8, b, &hits);
	assert_true(hits < N_FUSE * 5 / 100);
	for (unsigned i = 0; i < N_FUSE; i++)
		same += a[i] == b[i];
	printf("same: seeds 7 and 8: %u of %u fusions got the same frame\n", same, N_FUSE);
	assert_true(same < N_FUSE / 10);
}

/* A fusion whose invalidate fails (a CPU did not answer) is abandoned: the
 * page stays private and writable, nothing is copied or fused. */
static int fail_all(struct fake_mem *m, unsigned vm, void *arg)
{
	(void)m, (void)vm, (void)arg;
	return 1;
}

static void test_failed_invalidate(void **state)
{
	static const uint64_t c[] = { 61, 62 };
	struct fix f;
	(void)state;

	init(&f, 128, 8, 5);
	assert_int_equal(fix_add_vm(&f, 0, c, 2, SAME), 0);
	fix_full_scans(&f, 1);
	f.m.fail_invalidate = fail_all;
	fix_full_scans(&f, 1);
	assert_false(fused(&f, 0, 0) || fused(&f, 0, 1));
	assert_true(present(&f, 0, 0) && f.m.vm[0].ept[0].writable);
	assert_int_equal(fix_stats(&f).same_fused, 0);
	assert_true(fix_stats(&f).merge_races >= 2);
	f.m.fail_invalidate = NULL;
	assert_true(fix_reads(&f, 0, 0, 61) && fix_reads(&f, 0, 1, 62));
	check_frames(&f);
	fix_fini(&f);
}

/* The cold tier compresses a normal domain's idle pages and leaves the
 * same-behaviour domain's alone (same.c says why). */
static void test_cold_tier_leaves_same_alone(void **state)
{
	uint64_t c[8];
	struct fix f;
	(void)state;

	for (unsigned i = 0; i < 8; i++)
		c[i] = CZ | (700 + i);
	init(&f, 256, 8, 6);
	dedup_knobs(f.d)->cold_ticks = 2;
	dedup_knobs(f.d)->pool_max_frames = 8;
	assert_int_equal(fix_add_vm(&f, 0, c, 8, 0), 0);
	for (unsigned i = 0; i < 8; i++)
		c[i] = CZ | (800 + i);
	assert_int_equal(fix_add_vm(&f, 1, c, 8, SAME), 0);
	for (uint64_t t = 1; t <= 8; t++) {
		dedup_clock(f.d, t * 10);
		fix_full_scans(&f, 1);
	}
	assert_true(f.d->vm[0].compressed > 0);
	assert_int_equal(f.d->vm[1].compressed, 0);
	for (uint64_t g = 0; g < 8; g++)
		assert_true(fused(&f, 1, g));
	check_frames(&f);
	fix_fini(&f);
}

/* The mode is a domain's, set before it has VMs, only with A/D bits; a
 * normal domain beside it merges as before (read-only mappings). */
static void test_domain_mode_rules(void **state)
{
	static const uint64_t c[] = { 81, 81, 82 };
	struct dedup_vm_stats vs;
	struct fix f;
	(void)state;

	fix_init(&f, 64, 0, 0);
	assert_int_equal(dedup_domain_same(f.d, SAME), DEDUP_EINVAL); /* no A/D bits */
	assert_false(dedup_domain_is_same(f.d, SAME));
	fix_fini(&f);

	fix_init(&f, 128, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
	assert_int_equal(dedup_domain_same(f.d, 0), DEDUP_EBUSY);
	assert_false(dedup_domain_is_same(f.d, 0));
	assert_int_equal(dedup_domain_same(f.d, SAME), 0);
	assert_int_equal(dedup_domain_same(f.d, SAME), 0);
	assert_true(dedup_domain_is_same(f.d, SAME));
	assert_int_equal(fix_add_vm(&f, 1, c, 3, SAME), 0);
	fix_full_scans(&f, 3);
	/* Domain 0: merged, mapped read-only; domain 1: fused, not present. */
	assert_true(dp_state(page(&f, 0, 0)) == DP_SHARED && present(&f, 0, 0) &&
		    !f.m.vm[0].ept[0].writable);
	assert_true(fused(&f, 1, 0) && fused(&f, 1, 1) && fused(&f, 1, 2));
	assert_int_not_equal(f.d->sf[dp_index(page(&f, 0, 0))].domain,
			     f.d->sf[dp_index(page(&f, 1, 0))].domain);
	assert_int_equal(dedup_get_vm_stats(f.d, 1, &vs), 0);
	assert_true(vs.same);
	assert_int_equal(dedup_get_vm_stats(f.d, 0, &vs), 0);
	assert_false(vs.same);
	assert_int_equal(fix_stats(&f).frames_saved, 2); /* one in each domain */
	check_frames(&f);
	fix_fini(&f);
}

/* Lazy registration maps nothing; never-written memory reads as zeros
 * (a copy), zero pages fuse back to the zero frame; removing the VM and
 * the engine gives every frame back. */
static void test_lazy_zero_and_teardown(void **state)
{
	struct fix f;
	(void)state;

	init(&f, 128, 8, 9);
	fake_vm_create(&f.m, 0, 16);
	assert_int_equal(dedup_vm_add(f.d, 0, 16, SAME, true), 0);
	for (uint64_t g = 0; g < 16; g++)
		assert_true(fused(&f, 0, g));
	assert_int_equal(fix_stats(&f).ksm_zero_pages, 16);
	assert_true(fix_reads(&f, 0, 3, 0));
	assert_int_equal(fix_write(&f, 0, 4, 5), 0);
	assert_int_equal(fix_write(&f, 0, 5, 5), 0);
	assert_int_equal(fix_stats(&f).ksm_zero_pages, 13);
	fix_full_scans(&f, 3);
	assert_true(fused(&f, 0, 3) && fused(&f, 0, 4) && fused(&f, 0, 5));
	assert_int_equal(fix_stats(&f).ksm_zero_pages, 14);
	assert_int_equal(dp_index(page(&f, 0, 4)), dp_index(page(&f, 0, 5)));
	assert_int_equal(fix_stats(&f).frames_saved, 14); /* 14 zero + 2 of content 5 on 2 frames */
	check_frames(&f);
	assert_int_equal(dedup_vm_remove(f.d, 0), 0);
	fake_vm_destroy(&f.m, 0);
	check_frames(&f);
	dedup_destroy(f.d);
	assert_int_equal(fake_frames_in_use(&f.m), 0);
	fake_fini(&f.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_before_fusion),
		cmocka_unit_test(test_fake_merge_then_twin),
		cmocka_unit_test(test_copy_on_access),
		cmocka_unit_test(test_same_work_twin_or_not),
		cmocka_unit_test(test_frames_unpredictable),
		cmocka_unit_test(test_failed_invalidate),
		cmocka_unit_test(test_cold_tier_leaves_same_alone),
		cmocka_unit_test(test_domain_mode_rules),
		cmocka_unit_test(test_lazy_zero_and_teardown),
	};
	return cmocka_run_group_tests_name("dedup_same", tests, NULL, NULL);
}
