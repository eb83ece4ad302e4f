/* test_dedup_engine.c - each rule of the engine, with a test that fails if it breaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dedup_fixture.h"

#define A 11
#define B 22
#define C 33
#define Z 0

static uint64_t frame_of(struct fix *f, unsigned vm, uint64_t gfn)
{
	return f->m.vm[vm].ept[gfn].frame;
}

/* Index of the last event at or before `before` matching op (and vm/frame
 * when not ~0); -1 if none. */
static long find_back(struct fake_mem *m, long before, enum fake_op op, uint64_t gfn, uint64_t frame)
{
	return fake_find_back(m, before, op, ~0u, gfn, frame);
}

/* Checks the merge order for candidate gfn whose own frame was `own` and
 * which ended up on `shared`: WP -> invalidate -> compare -> remap -> invalidate -> free. */
static void assert_merge_order(struct fake_mem *m, uint64_t gfn, uint64_t own, uint64_t shared)
{
	long fr = find_back(m, (long)m->nlog - 1, EV_FREE, ~0ull, own);
	long inv2 = find_back(m, fr, EV_INVALIDATE, ~0ull, ~0ull);
	long remap = find_back(m, inv2, EV_MAP_RO, gfn, shared);
	long cmp_own = find_back(m, remap, EV_PTR, ~0ull, own);
	long cmp_sh = find_back(m, remap, EV_PTR, ~0ull, shared);
	long inv1 = find_back(m, cmp_own < cmp_sh ? cmp_own : cmp_sh, EV_INVALIDATE, ~0ull, ~0ull);
	long wp = find_back(m, inv1, EV_MAP_RO, gfn, own);
	assert_true(fr > 0);
	assert_true(inv2 > remap);
	assert_true(remap > cmp_own && remap > cmp_sh);
	assert_true(inv1 >= 0 && wp >= 0 && wp < inv1);
	/* No write-protect of this page between the first invalidate and the compare. */
	assert_true(find_back(m, remap, EV_MAP_RO, gfn, own) == wp);
	/* The frame is freed only after the second invalidate. */
	assert_true(find_back(m, fr, EV_INVALIDATE, ~0ull, ~0ull) == inv2);
}

static void test_merge_order(void **state)
{
	static const uint64_t c[] = { A, A, A };
	struct fix f;
	uint64_t own1, own2;
	(void)state;
	fix_init(&f, 64, 1, 0);
	f.m.logging = true;
	assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
	own1 = frame_of(&f, 0, 1);
	own2 = frame_of(&f, 0, 2);
	dedup_scan(f.d, 2); /* page 0 -> unstable, page 1 pairs with it */
	assert_int_equal(frame_of(&f, 0, 1), frame_of(&f, 0, 0));
	assert_merge_order(&f.m, 1, own1, frame_of(&f, 0, 0));
	dedup_scan(f.d, 1); /* page 2 merges into the stable frame */
	assert_int_equal(frame_of(&f, 0, 2), frame_of(&f, 0, 0));
	assert_merge_order(&f.m, 2, own2, frame_of(&f, 0, 0));
	assert_false(f.m.vm[0].ept[0].writable || f.m.vm[0].ept[1].writable || f.m.vm[0].ept[2].writable);
	assert_int_equal(fix_stats(&f).merges, 2);
	fix_fini(&f);
}

/* dedup_page_view (the hypervisor's audit reads it): a merged page is
 * SHARED on the frame its mapping names, keyed by its content's hash; a page
 * broken out of it is PRIVATE again; an untracked page is refused. */
static void test_page_view(void **state)
{
	static const uint64_t c[] = { A, A, B };
	struct dedup_page_view pv;
	struct fix f;
	uint8_t page[4096];
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
	dedup_scan(f.d, 3);
	assert_int_equal(dedup_page_view(f.d, 0, 1, &pv), 0);
	assert_int_equal(pv.kind, DEDUP_VIEW_SHARED);
	assert_int_equal(pv.frame, frame_of(&f, 0, 1));
	assert_int_equal(pv.frame, frame_of(&f, 0, 0));
	assert_true(pv.mapped);
	assert_false(pv.zero);
	content(A, page);
	assert_int_equal(pv.csum, (uint32_t)dedup_page_hash(page));
	assert_int_equal(dedup_page_view(f.d, 0, 2, &pv), 0);
	assert_int_equal(pv.kind, DEDUP_VIEW_PRIVATE);
	assert_int_equal(dedup_cow_break(f.d, 0, 1), 0);
	assert_int_equal(dedup_page_view(f.d, 0, 1, &pv), 0);
	assert_int_equal(pv.kind, DEDUP_VIEW_PRIVATE);
	assert_int_equal(dedup_page_view(f.d, 0, 3, &pv), DEDUP_EINVAL);
	assert_int_equal(dedup_page_view(f.d, 1, 0, &pv), DEDUP_EINVAL);
	fix_fini(&f);
}

static void test_volatile_never_merges(void **state)
{
	static const uint64_t c[] = { A, A, A };
	for (int ad = 0; ad <= 1; ad++) {
		struct fix f;
		struct dedup_vm_stats vs;
		(void)state;
		fix_init(&f, 64, ad, 0);
		assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
		for (int s = 0; s < 6; s++) {
			/* Page 1 changes before every scan; at every other visit it holds A again. */
			assert_int_equal(fix_write(&f, 0, 1, s & 1 ? A : B), 0);
			fix_full_scans(&f, 1);
		}
		dedup_get_vm_stats(f.d, 0, &vs);
		assert_int_equal(vs.merged, 2);                 /* pages 0 and 2 only */
		assert_int_not_equal(frame_of(&f, 0, 1), frame_of(&f, 0, 0));
		assert_true(fix_stats(&f).pages_volatile >= 1);
		assert_true(fix_reads(&f, 0, 1, A)); /* the last write (s = 5) */
		fix_fini(&f);
	}
}

static void test_first_scan_with_dirty_bits_second_without(void **state)
{
	static const uint64_t c[] = { A, B, A, B, Z, Z, C };
	struct fix f;
	(void)state;
	/* With A/D bits, unchanged memory merges in the first full scan. */
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 7, 0), 0);
	fix_full_scans(&f, 1);
	assert_int_equal(fix_stats(&f).frames_saved, 3);
	fix_fini(&f);
	/* Without, a page must look unchanged on two visits (KSM's rule). */
	fix_init(&f, 64, 0, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 7, 0), 0);
	fix_full_scans(&f, 1);
	assert_int_equal(fix_stats(&f).frames_saved, 0);
	fix_full_scans(&f, 1);
	assert_int_equal(fix_stats(&f).frames_saved, 3);
	fix_fini(&f);
	/* ...unless merge_first_sight says the memory is static. */
	fix_init(&f, 64, 0, 1);
	assert_int_equal(fix_add_vm(&f, 0, c, 7, 0), 0);
	fix_full_scans(&f, 1);
	assert_int_equal(fix_stats(&f).frames_saved, 3);
	fix_fini(&f);
}

/* The hypervisor writes guest pages too (a hypercall's result, a loaded
 * image): it calls dedup_cow_break() first, then writes the frame without
 * the guest's dirty bit.  The engine must read such a page again instead of
 * trusting the checksum of its last visit (issue 13, finding 8). */
static void test_hypervisor_write_is_seen(void **state)
{
	static const uint64_t c[] = { A, B, C, 44 };
	unsigned char page[4096];
	uint64_t frame;
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 4, 0), 0);
	fix_full_scans(&f, 2); /* all unchanged, all distinct: checksums stored */
	assert_int_equal(fix_stats(&f).frames_saved, 0);
	assert_int_equal(dedup_cow_break(f.d, 0, 2), 0); /* private already */
	assert_int_equal(f.ops.lookup(f.ops.ctx, 0, 2, &frame), 0);
	content(A, page);
	memcpy(f.ops.frame_ptr(f.ops.ctx, frame), page, sizeof(page)); /* no dirty bit */
	fix_full_scans(&f, 2);
	assert_int_equal(fix_stats(&f).frames_saved, 1); /* gfn 2 now holds A, as gfn 0 */
	assert_true(fix_reads(&f, 0, 2, A));
	fix_fini(&f);
}

static void test_domains_never_share(void **state)
{
	static const uint64_t c[] = { A, Z, B };
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
	assert_int_equal(fix_add_vm(&f, 1, c, 3, 1), 0);
	fix_full_scans(&f, 3);
	assert_int_equal(fix_stats(&f).frames_saved, 0);
	assert_int_equal(fix_add_vm(&f, 2, c, 3, 1), 0);
	fix_full_scans(&f, 2);
	assert_int_equal(fix_stats(&f).frames_saved, 3);
	for (uint64_t g = 0; g < 3; g++) {
		assert_int_equal(frame_of(&f, 2, g), frame_of(&f, 1, g));
		assert_int_not_equal(frame_of(&f, 2, g), frame_of(&f, 0, g));
	}
	/* Lazy zero memory uses its own domain's zero frame. */
	fake_vm_create(&f.m, 3, 4);
	assert_int_equal(dedup_vm_add(f.d, 3, 4, 0, true), 0);
	assert_int_equal(frame_of(&f, 3, 0), frame_of(&f, 3, 3));
	assert_int_not_equal(frame_of(&f, 3, 0), frame_of(&f, 1, 1));
	fix_fini(&f);
}

static void test_zero_pages(void **state)
{
	static const uint64_t c[] = { Z, Z, A, Z };
	struct fix f;
	struct dedup_stats s;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 4, 0), 0);
	fake_vm_create(&f.m, 1, 4);
	assert_int_equal(dedup_vm_add(f.d, 1, 4, 0, true), 0);
	fix_full_scans(&f, 1);
	s = fix_stats(&f);
	assert_int_equal(s.ksm_zero_pages, 7);
	assert_int_equal(s.pages_sharing, 0); /* zero frames are counted apart, as KSM does */
	assert_int_equal(s.frames_saved, 6);
	assert_int_equal(frame_of(&f, 0, 0), frame_of(&f, 1, 2));
	assert_int_equal(frame_of(&f, 0, 3), frame_of(&f, 1, 0));
	assert_int_equal(fake_frames_in_use(&f.m), 2); /* the zero frame and A */
	assert_true(fix_reads(&f, 1, 3, Z) && fix_reads(&f, 0, 2, A));
	fix_fini(&f);
}

static void test_lazy_vm_costs_nothing_until_written(void **state)
{
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	fake_vm_create(&f.m, 0, 1024); /* 4 MiB of guest memory, 16 frames of host memory */
	assert_int_equal(dedup_vm_add(f.d, 0, 1024, 0, true), 0);
	assert_int_equal(fake_frames_in_use(&f.m), 1);
	assert_true(fix_reads(&f, 0, 777, Z));
	assert_int_equal(fix_write(&f, 0, 5, A), 0);
	assert_int_equal(fake_frames_in_use(&f.m), 2);
	assert_true(fix_reads(&f, 0, 5, A) && fix_reads(&f, 0, 6, Z));
	fix_fini(&f);
}

static void test_cow_copy_then_reuse(void **state)
{
	static const uint64_t c[] = { A, A };
	struct fix f;
	uint64_t shared, allocs;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0);
	fix_full_scans(&f, 1);
	shared = frame_of(&f, 0, 0);
	assert_int_equal(frame_of(&f, 0, 1), shared);
	allocs = f.m.n_alloc;
	assert_int_equal(fix_write(&f, 0, 0, B), 0);           /* a copy */
	assert_int_equal(f.m.n_alloc, allocs + 1);
	assert_int_equal(fix_stats(&f).cow_breaks, 1);
	assert_int_equal(fix_write(&f, 0, 1, C), 0);           /* last sharer: no copy */
	assert_int_equal(f.m.n_alloc, allocs + 1);
	assert_int_equal(fix_stats(&f).cow_reuses, 1);
	assert_int_equal(frame_of(&f, 0, 1), shared);
	assert_true(f.m.vm[0].ept[1].writable);
	assert_true(fix_reads(&f, 0, 0, B) && fix_reads(&f, 0, 1, C));
	assert_int_equal(fix_stats(&f).frames_saved, 0);
	/* A spurious fault on a private page is harmless. */
	assert_int_equal(dedup_cow_break(f.d, 0, 1), 0);
	assert_int_equal(dedup_cow_break(f.d, 0, 2), DEDUP_EINVAL);
	assert_int_equal(dedup_cow_break(f.d, 9, 0), DEDUP_EINVAL);
	fix_fini(&f);
}

/* The ops one COW break costs, with n sharers. */
static void cow_cost(unsigned n, uint64_t out[4])
{
	uint64_t *c = calloc(n, sizeof(*c));
	struct fix f;
	for (unsigned i = 0; i < n; i++)
		c[i] = A;
	fix_init(&f, n + 16, 1, 1);
	assert_int_equal(fix_add_vm(&f, 0, c, n, 0), 0);
	fix_full_scans(&f, 1);
	assert_int_equal(fix_stats(&f).pages_sharing, n - 1);
	f.m.logging = true;
	fake_log_clear(&f.m);
	assert_int_equal(dedup_cow_break(f.d, 0, n / 2), 0);
	out[0] = fake_count(&f.m, EV_ALLOC, ~0u);
	out[1] = fake_count(&f.m, EV_MAP_RW, ~0u) + fake_count(&f.m, EV_MAP_RO, ~0u);
	out[2] = fake_count(&f.m, EV_INVALIDATE, ~0u);
	out[3] = fake_count(&f.m, EV_PTR, ~0u);
	assert_int_equal(fix_stats(&f).pages_sharing, n - 2);
	fix_fini(&f);
	free(c);
}

static void test_cow_cost_independent_of_sharers(void **state)
{
	uint64_t two[4], many[4];
	(void)state;
	cow_cost(3, two);
	cow_cost(5000, many);
	assert_memory_equal(two, many, sizeof(two));
	assert_int_equal(two[0], 1); /* one frame */
	assert_int_equal(two[2], 1); /* one invalidate */
}

static void test_cow_without_frames(void **state)
{
	static const uint64_t c[] = { A, A };
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0);
	fix_full_scans(&f, 1);
	f.m.alloc_budget = 0;
	assert_int_equal(fix_write(&f, 0, 0, B), DEDUP_ENOMEM);
	assert_int_equal(fix_stats(&f).cow_enomem, 1);
	assert_false(f.m.vm[0].ept[0].writable);
	assert_true(fix_reads(&f, 0, 0, A) && fix_reads(&f, 0, 1, A));
	assert_int_equal(fix_stats(&f).pages_sharing, 1);
	f.m.alloc_budget = -1;
	assert_int_equal(fix_write(&f, 0, 0, B), 0);
	assert_true(fix_reads(&f, 0, 0, B) && fix_reads(&f, 0, 1, A));
	fix_fini(&f);
}

/* A guest write through a stale writable translation, landing after the
 * write-protect but before the invalidate takes effect: the guest reads the
 * page (caching a writable translation) just before the write-protect... */
struct race { int armed; uint64_t gfn; };
static void race_cache(struct fake_mem *m, unsigned vm, uint64_t gfn, bool writable, void *arg)
{
	struct race *r = arg;
	unsigned char b[8];
	if (r->armed && gfn == r->gfn && !writable && m->vm[vm].ept[gfn].writable)
		fake_guest_read(m, vm, gfn, 0, b, sizeof(b));
}

/* ...and writes through it before the invalidate. */
static void race_write(struct fake_mem *m, unsigned vm, void *arg)
{
	struct race *r = arg;
	unsigned char page[4096];
	if (!r->armed || m->vm[vm].ept[r->gfn].writable)
		return;
	content(B, page);
	assert_int_equal(fake_guest_write(m, vm, r->gfn, 0, page, 4096), 0);
	r->armed = 0;
}

static void test_write_racing_the_merge(void **state)
{
	static const uint64_t c[] = { A, A };
	struct race r = { 1, 1 };
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0);
	f.m.on_map = race_cache;
	f.m.on_invalidate = race_write;
	f.m.on_invalidate_arg = &r;
	fix_full_scans(&f, 1);
	assert_int_equal(r.armed, 0);
	assert_int_equal(fix_stats(&f).merge_races, 1);
	assert_int_equal(fix_stats(&f).frames_saved, 0);
	assert_true(fix_reads(&f, 0, 0, A) && fix_reads(&f, 0, 1, B));
	assert_true(f.m.vm[0].ept[0].writable && f.m.vm[0].ept[1].writable);
	f.m.on_invalidate = NULL;
	f.m.on_map = NULL;
	fix_fini(&f);
}

static void test_self_inter_split(void **state)
{
	static const uint64_t v0[] = { A, A, B, Z }, v1[] = { A, C, Z }, v2[] = { A, Z, Z };
	struct fix f;
	struct dedup_stats s;
	struct dedup_vm_stats vs;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, v0, 4, 0), 0);
	assert_int_equal(fix_add_vm(&f, 1, v1, 3, 0), 0);
	assert_int_equal(fix_add_vm(&f, 2, v2, 3, 0), 0);
	fix_full_scans(&f, 1);
	s = fix_stats(&f);
	/* A: c = (2, 1, 1), k = 3: saves 3, self 1, inter 2.
	 * Z: c = (1, 1, 2), k = 3: saves 3, self 1, inter 2. */
	assert_int_equal(s.frames_saved, 6);
	assert_int_equal(s.self_sharing, 2);
	assert_int_equal(s.inter_sharing, 4);
	assert_int_equal(s.pages_shared, 1);
	assert_int_equal(s.pages_sharing, 3);
	assert_int_equal(s.ksm_zero_pages, 4);
	dedup_get_vm_stats(f.d, 0, &vs);
	assert_int_equal(vs.self_sharing, 1);
	dedup_get_vm_stats(f.d, 2, &vs);
	assert_int_equal(vs.self_sharing, 1);
	assert_int_equal(vs.zero, 2);
	/* A break of VM 1's A leaves (2, 0, 1): saves 2, self 1, inter 1. */
	assert_int_equal(fix_write(&f, 1, 0, C + 1), 0);
	s = fix_stats(&f);
	assert_int_equal(s.frames_saved, 5);
	assert_int_equal(s.self_sharing, 2);
	assert_int_equal(s.inter_sharing, 3);
	fix_fini(&f);
}

/* The API's PSS walk in steps: with no change in between, each VM's figure
 * is dedup_vm_account's (computed here by hand too: a frame mapped n times
 * gives 1/n to each mapping); a VM removed while it is walked is left out,
 * one not there is never counted. */
static void test_pss_walk(void **state)
{
	static const uint64_t v0[] = { A, A, B, Z }, v1[] = { A, C, Z }, v2[] = { B, Z, Z, C + 1, C + 2 };
	static struct dedup_pss_walk w;
	const uint64_t one = DEDUP_PSS_ONE;
	struct dedup_vm_account a;
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, v0, 4, 0), 0);
	assert_int_equal(fix_add_vm(&f, 1, v1, 3, 0), 0);
	assert_int_equal(fix_add_vm(&f, 3, v2, 5, 0), 0);
	fix_full_scans(&f, 1);
	/* A x3, B x2, Z x4 (one zero frame), C, C+1, C+2 alone. */
	dedup_pss_walk_begin(&w);
	assert_int_equal(dedup_pss_walk_step(f.d, &w, 2), 2);
	assert_int_equal(w.vm, 0);
	assert_int_equal(dedup_pss_walk_step(f.d, &w, 3), 3); /* VM 0's last 2, VM 1's first */
	assert_int_equal(w.vm, 1);
	while (w.vm < DEDUP_MAX_VMS)
		dedup_pss_walk_step(f.d, &w, 1);
	assert_int_equal(w.pss[0], 2 * (one / 3) + one / 2 + one / 4);
	assert_int_equal(w.pss[1], one / 3 + one + one / 4);
	assert_int_equal(w.pss[3], one / 2 + 2 * (one / 4) + 2 * one);
	assert_int_equal(w.npages[0], 4);
	assert_int_equal(w.npages[1], 3);
	assert_int_equal(w.npages[2], 0);
	assert_int_equal(w.npages[3], 5);
	for (unsigned v = 0; v < 4; v++)
		if (v != 2) {
			assert_int_equal(dedup_vm_account(f.d, v, &a), 0);
			assert_int_equal(w.pss[v], a.pss);
		}
	/* One step of any size walks it all. */
	dedup_pss_walk_begin(&w);
	assert_int_equal(dedup_pss_walk_step(f.d, &w, 1000), 12);
	assert_int_equal(w.vm, DEDUP_MAX_VMS);
	assert_int_equal(w.pss[3], a.pss);
	/* VM 3 removed half-way through its walk: left out. */
	dedup_pss_walk_begin(&w);
	assert_int_equal(dedup_pss_walk_step(f.d, &w, 9), 9);
	assert_int_equal(w.vm, 3);
	assert_int_equal(dedup_vm_remove(f.d, 3), 0);
	fake_vm_destroy(&f.m, 3);
	assert_int_equal(dedup_pss_walk_step(f.d, &w, 100), 0);
	assert_int_equal(w.vm, DEDUP_MAX_VMS);
	assert_int_equal(w.npages[3], 0);
	assert_int_equal(w.npages[0], 4);
	/* Its mappings gone, VM 0's B has one mapper and Z two. */
	dedup_pss_walk_begin(&w);
	dedup_pss_walk_step(f.d, &w, 100);
	assert_int_equal(w.pss[0], 2 * (one / 3) + one + one / 2);
	fix_fini(&f);
}

static void test_vm_remove_drops_references(void **state)
{
	static const uint64_t v0[] = { A, A, B }, v1[] = { A, B, C };
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, v0, 3, 0), 0);
	assert_int_equal(fix_add_vm(&f, 1, v1, 3, 0), 0);
	fix_full_scans(&f, 1);
	assert_int_equal(fake_frames_in_use(&f.m), 3);
	assert_int_equal(dedup_vm_remove(f.d, 0), 0);
	assert_int_equal(dedup_vm_remove(f.d, 0), DEDUP_ENOENT);
	fake_vm_destroy(&f.m, 0);
	assert_int_equal(fake_frames_in_use(&f.m), 3);
	assert_true(fix_reads(&f, 1, 0, A) && fix_reads(&f, 1, 1, B) && fix_reads(&f, 1, 2, C));
	assert_int_equal(fix_stats(&f).frames_saved, 0);
	assert_int_equal(fix_stats(&f).pages_tracked, 3);
	/* The slot can be reused, and sharing resumes. */
	assert_int_equal(fix_add_vm(&f, 0, v1, 3, 0), 0);
	fix_full_scans(&f, 1);
	assert_int_equal(fix_stats(&f).frames_saved, 3);
	assert_int_equal(dedup_vm_add(f.d, 0, 3, 0, false), DEDUP_EEXIST);
	fix_fini(&f);
}

static void test_bad_arguments(void **state)
{
	struct fix f;
	(void)state;
	fix_init(&f, 16, 1, 0);
	assert_int_equal(dedup_vm_add(f.d, DEDUP_MAX_VMS, 4, 0, true), DEDUP_EINVAL);
	assert_int_equal(dedup_vm_add(f.d, 0, 0, 0, true), DEDUP_EINVAL);
	assert_int_equal(dedup_vm_add(f.d, 0, DEDUP_MAX_PAGES + 1ull, 0, true), DEDUP_EINVAL);
	assert_int_equal(dedup_scan(f.d, 100), 0); /* nothing to scan */
	/* A lazy VM without a frame for the zero page: refused, nothing changed. */
	fake_vm_create(&f.m, 0, 8);
	f.m.alloc_budget = 0;
	assert_int_equal(dedup_vm_add(f.d, 0, 8, 0, true), DEDUP_ENOMEM);
	f.m.alloc_budget = -1;
	/* EPT tables exhausted half-way: undone. */
	f.m.fail_new_maps = true;
	assert_int_equal(dedup_vm_add(f.d, 0, 8, 0, true), DEDUP_ENOMEM);
	assert_int_equal(fake_frames_in_use(&f.m), 0);
	f.m.fail_new_maps = false;
	assert_int_equal(dedup_vm_add(f.d, 0, 8, 0, true), 0);
	fix_fini(&f);
}

/* The scanner's dirty-bit clears are batched: one invalidate per batch of
 * up to 64 pages of a wake-up, not one per page (on hardware each is an
 * INVEPT plus a shootdown).  Here one wake-up scans the whole VM. */
static void test_invalidations_batched(void **state)
{
	enum { N = 1000 };
	static uint64_t c[N];
	struct fix f;
	(void)state;
	for (unsigned i = 0; i < N; i++)
		c[i] = 5000 + i; /* all unique: no merges, so no merge invalidations */
	fix_init(&f, N + 16, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, N, 0), 0);
	f.m.logging = true;
	fake_log_clear(&f.m);
	assert_int_equal(dedup_scan(f.d, N), N);
	assert_int_equal(fix_stats(&f).full_scans, 1);
	assert_int_equal(fake_count(&f.m, EV_AD, ~0u), N);
	assert_int_equal(fake_count(&f.m, EV_INVALIDATE, ~0u), (N + 63) / 64);
	fake_log_clear(&f.m);
	assert_int_equal(dedup_scan(f.d, N), N); /* the same for a later scan */
	assert_int_equal(fake_count(&f.m, EV_INVALIDATE, ~0u), (N + 63) / 64);
	fix_fini(&f);
}

static void test_metadata_budget(void **state)
{
	enum { N = 8192 };
	static uint64_t c[N];
	struct fix f;
	struct dedup_stats s;
	(void)state;
	/* A mix like real VM memory: 60% zero, 20% duplicated in groups of 4, rest unique. */
	for (unsigned i = 0; i < N; i++)
		c[i] = i % 10 < 6 ? Z : i % 10 < 8 ? 1000 + i / 40 : 100000 + i;
	fix_init(&f, N + 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, N, 0), 0);
	fix_full_scans(&f, 2);
	s = fix_stats(&f);
	printf("metadata: %llu bytes for %u pages = %.2f bytes/page\n",
	       (unsigned long long)s.metadata_bytes, N, (double)s.metadata_bytes / N);
	assert_true(s.metadata_bytes <= 16ull * N);
	fix_fini(&f);
}

/* A CPU that did not answer an invalidate (the hypervisor gave up waiting:
 * arch/x86_64/smp.c) keeps its translations of that VM, writable ones
 * included.  fail_vm plays it: its invalidates fail while armed. */
struct wedged { unsigned vm; int armed; };
static int wedged_fails(struct fake_mem *m, unsigned vm, void *arg)
{
	const struct wedged *w = arg;
	(void)m;
	return w->armed && vm == w->vm;
}

/* VM 0's page, seen first, would become the shared frame of a pair merge
 * with VM 1's: while VM 0's CPU holds a writable translation of it and does
 * not answer, VM 1 must not be mapped to it (the fake's check_stale dies if
 * it is, or if a frame such a translation reaches is freed), and nothing is
 * saved; once the CPU answers, the merge happens. */
static void test_failed_invalidate_never_shares_what_a_cpu_may_write(void **state)
{
	static const uint64_t v0[] = { A, B }, v1[] = { A, C };
	struct wedged w = { 0, 1 };
	unsigned char page[4096];
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, v0, 2, 0), 0);
	assert_int_equal(fix_add_vm(&f, 1, v1, 2, 0), 0);
	assert_true(fix_reads(&f, 0, 0, A)); /* VM 0's CPU caches its translation */
	assert_true(f.m.vm[0].tlb[0].writable);
	f.m.fail_invalidate = wedged_fails;
	f.m.fail_invalidate_arg = &w;
	f.m.check_stale = true;
	fix_full_scans(&f, 4);
	assert_int_equal(fix_stats(&f).frames_saved, 0);
	assert_true(fix_stats(&f).merge_races >= 1);
	assert_true(f.m.vm[0].ept[0].writable && f.m.vm[1].ept[0].writable);
	/* Its write through the old translation stays its own. */
	content(C, page);
	assert_int_equal(fake_guest_write(&f.m, 0, 0, 0, page, 4096), 0);
	assert_true(fix_reads(&f, 0, 0, C) && fix_reads(&f, 1, 0, A));
	assert_int_equal(fix_write(&f, 0, 0, A), 0);
	/* It answers again: the pages merge. */
	w.armed = 0;
	fix_full_scans(&f, 3);
	assert_int_equal(fix_stats(&f).frames_saved, 1);
	assert_true(fix_reads(&f, 0, 0, A) && fix_reads(&f, 1, 0, A));
	f.m.check_stale = false;
	fix_fini(&f);
}

/* A VM removed while an invalidate of it fails frees nothing (DEDUP_EBUSY):
 * its CPU may still read the shared frame it mapped. */
static void test_failed_invalidate_keeps_a_removed_vms_frames(void **state)
{
	static const uint64_t v0[] = { A, A };
	struct wedged w = { 0, 1 };
	struct fix f;
	uint64_t in_use;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, v0, 2, 0), 0);
	fix_full_scans(&f, 3);
	assert_int_equal(fix_stats(&f).frames_saved, 1);
	assert_true(fix_reads(&f, 0, 0, A) && fix_reads(&f, 0, 1, A)); /* cached: the shared frame */
	f.m.fail_invalidate = wedged_fails;
	f.m.fail_invalidate_arg = &w;
	f.m.check_stale = true;
	in_use = fake_frames_in_use(&f.m);
	assert_int_equal(dedup_vm_remove(f.d, 0), DEDUP_EBUSY);
	assert_int_equal(fake_frames_in_use(&f.m), in_use);
	assert_int_equal(fix_stats(&f).pages_tracked, 0);
	f.m.check_stale = false;
	f.m.fail_invalidate = NULL;
	fake_vm_destroy(&f.m, 0);
	fix_fini(&f);
}

/* The merges' full compare (dedup/page.c, SSE2 in 256-byte blocks): equal
 * pages are equal; a single byte changed anywhere, in any bit, is not; and
 * a buffer not 16-byte aligned is compared too. */
static void test_page_equal_every_byte(void **state)
{
	static unsigned char a[4096] __attribute__((aligned(4096)));
	static unsigned char b[4096 + 1] __attribute__((aligned(4096)));
	unsigned i;
	(void)state;

	for (i = 0; i < 4096; i++)
		a[i] = b[i] = (unsigned char)(i * 7 + 1);
	assert_true(dedup_page_equal(a, b));
	for (i = 0; i < 4096; i++) {
		b[i] ^= (unsigned char)(1u << (i % 8));
		assert_false(dedup_page_equal(a, b));
		b[i] ^= (unsigned char)(1u << (i % 8));
	}
	memmove(b + 1, b, 4096);
	assert_true(dedup_page_equal(a, b + 1));
	b[1 + 4095] ^= 0x80;
	assert_false(dedup_page_equal(a, b + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_equal_every_byte),
		cmocka_unit_test(test_merge_order),
		cmocka_unit_test(test_page_view),
		cmocka_unit_test(test_volatile_never_merges),
		cmocka_unit_test(test_first_scan_with_dirty_bits_second_without),
		cmocka_unit_test(test_hypervisor_write_is_seen),
		cmocka_unit_test(test_domains_never_share),
		cmocka_unit_test(test_zero_pages),
		cmocka_unit_test(test_lazy_vm_costs_nothing_until_written),
		cmocka_unit_test(test_cow_copy_then_reuse),
		cmocka_unit_test(test_cow_cost_independent_of_sharers),
		cmocka_unit_test(test_cow_without_frames),
		cmocka_unit_test(test_write_racing_the_merge),
		cmocka_unit_test(test_self_inter_split),
		cmocka_unit_test(test_pss_walk),
		cmocka_unit_test(test_vm_remove_drops_references),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_invalidations_batched),
		cmocka_unit_test(test_metadata_budget),
		cmocka_unit_test(test_failed_invalidate_never_shares_what_a_cpu_may_write),
		cmocka_unit_test(test_failed_invalidate_keeps_a_removed_vms_frames),
	};
	return cmocka_run_group_tests_name("dedup_engine", tests, NULL, NULL);
}
