/*
 * test_dedup_tier.c - the cold tier (dedup/tier.c), each rule with a test
 * that fails if it breaks: cold private pages are compressed in the merge
 * order's mirror and fault back exact; what does not fit, the pool's cap,
 * a fault without a frame and a damaged object change nothing they must
 * not; zero and shared pages stay; a compressed page still merges with a
 * twin; the figures count the pool; zstd, the second codec, takes what
 * lz4 cannot fit and remakes long-idle lz4 objects smaller, exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dedup_fixture.h"
#include "dedup_internal.h"

#define P(i) (CZ | (100 + (i))) /* a compressible content, distinct per i */

static uint64_t now;

/* An engine whose pages go cold after one idle full scan. */
static void tier_init(struct fix *f, uint64_t nframes, uint64_t pool_max)
{
	fix_init(f, nframes, 1, 0);
	dedup_knobs(f->d)->cold_ticks = 1;
	dedup_knobs(f->d)->pool_max_frames = pool_max;
	now = 0;
}

/* Full scans, the clock one tick further at each. */
static void scans(struct fix *f, unsigned n)
{
	while (n--) {
		dedup_clock(f->d, ++now);
		fix_full_scans(f, 1);
	}
}

static int compressed(struct fix *f, unsigned vm, uint64_t gfn)
{
	return dp_state(&f->d->vm[vm].pages[gfn]) == DP_COMPRESSED;
}

static struct dedup_stats st(struct fix *f) { return fix_stats(f); }

/* Cold compressible pages go to the pool and their frames back; a read and
 * a write fault them in with their content exact. */
static void test_compress_and_fault_back(void **state)
{
	enum { N = 12 };
	uint64_t c[N];
	struct fix f;
	uint64_t before;
	(void)state;
	for (unsigned i = 0; i < N; i++)
		c[i] = P(i * 7);
	tier_init(&f, 64, 16);
	assert_int_equal(fix_add_vm(&f, 0, c, N, 0), 0);
	before = fake_frames_in_use(&f.m);
	scans(&f, 1); /* idle since registration: not yet cold at the first visit */
	assert_int_equal(st(&f).pages_compressed, 0);
	scans(&f, 1);
	assert_int_equal(st(&f).pages_compressed, N);
	assert_int_equal(st(&f).compressions, N);
	for (unsigned i = 0; i < N; i++) {
		assert_true(compressed(&f, 0, i));
		assert_false(f.m.vm[0].ept[i].present);
	}
	/* The frames went back; the pool holds fewer. */
	assert_int_equal(fake_frames_in_use(&f.m), before - N + st(&f).pool_frames);
	assert_true(st(&f).pool_frames <= (N + 1) / 2); /* objects <= 2 KiB: 2 a frame at least */
	assert_int_equal(dedup_frames_in_use(f.d), st(&f).pool_frames);
	/* A read faults it back, exact; so does a write. */
	assert_true(fix_reads(&f, 0, 3, c[3]));
	assert_false(compressed(&f, 0, 3));
	assert_true(f.m.vm[0].ept[3].present && f.m.vm[0].ept[3].writable);
	assert_int_equal(st(&f).decompressions, 1);
	assert_int_equal(fix_write(&f, 0, 5, P(999)), 0);
	assert_true(fix_reads(&f, 0, 5, P(999)));
	assert_int_equal(st(&f).decompressions, 2);
	/* A spurious fault on a page not compressed is harmless. */
	assert_int_equal(dedup_fault_in(f.d, 0, 3), 0);
	assert_int_equal(dedup_fault_in(f.d, 0, N), DEDUP_EINVAL);
	assert_int_equal(dedup_fault_in(f.d, 7, 0), DEDUP_EINVAL);
	/* Every other page still reads its content (faulting each back). */
	for (unsigned i = 0; i < N; i++)
		if (i != 5)
			assert_true(fix_reads(&f, 0, i, c[i]));
	assert_int_equal(st(&f).pages_compressed, 0);
	assert_int_equal(st(&f).pool_frames, 0);
	fix_fini(&f);
}

static long find_back(struct fake_mem *m, long before, enum fake_op op, uint64_t gfn, uint64_t frame)
{
	return fake_find_back(m, before, op, ~0u, gfn, frame);
}

/* The order: write-protect -> invalidate -> read the frame -> unmap ->
 * invalidate -> free; nothing writable reaches the frame after the first
 * invalidate, nothing at all when it is freed. */
static void test_compress_order(void **state)
{
	static const uint64_t c[] = { P(1) };
	struct fix f;
	uint64_t own;
	long fr, inv2, um, rd, inv1, wp;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, c, 1, 0), 0);
	own = f.m.vm[0].ept[0].frame;
	scans(&f, 1);
	f.m.logging = true;
	fake_log_clear(&f.m);
	scans(&f, 1);
	assert_true(compressed(&f, 0, 0));
	fr = find_back(&f.m, (long)f.m.nlog - 1, EV_FREE, ~0ull, own);
	inv2 = find_back(&f.m, fr, EV_INVALIDATE, ~0ull, ~0ull);
	um = find_back(&f.m, inv2, EV_UNMAP, 0, ~0ull);
	rd = find_back(&f.m, um, EV_PTR, ~0ull, own);
	inv1 = find_back(&f.m, rd, EV_INVALIDATE, ~0ull, ~0ull);
	wp = find_back(&f.m, inv1, EV_MAP_RO, 0, own);
	assert_true(fr > inv2 && inv2 > um && um > rd && rd > inv1 && inv1 > wp && wp >= 0);
	/* No write access came back in between. */
	assert_true(find_back(&f.m, fr, EV_MAP_RW, 0, ~0ull) < wp);
	fix_fini(&f);
}

/* Random bytes do not fit 2 KiB: left mapped, writable, intact, and not
 * tried again until written. */
static void test_incompressible_left_alone(void **state)
{
	static const uint64_t c[] = { 11, 12, P(3) };
	struct fix f;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
	scans(&f, 2);
	assert_int_equal(st(&f).compress_rejected, 2);
	assert_int_equal(st(&f).pages_compressed, 1);
	assert_true(f.m.vm[0].ept[0].present && f.m.vm[0].ept[0].writable);
	assert_true(fix_reads(&f, 0, 0, 11) && fix_reads(&f, 0, 1, 12));
	scans(&f, 3);
	assert_int_equal(st(&f).compress_rejected, 2); /* not tried again */
	/* Written with something that compresses: tried, and compressed. */
	assert_int_equal(fix_write(&f, 0, 1, P(4)), 0);
	scans(&f, 3);
	assert_true(compressed(&f, 0, 1));
	assert_true(fix_reads(&f, 0, 1, P(4)));
	fix_fini(&f);
}

/* The pool's cap: pages beyond it stay on their frames, intact; a higher
 * cap lets the next scans compress them. */
static void test_pool_cap(void **state)
{
	enum { N = 10 };
	uint64_t c[N];
	struct fix f;
	(void)state;
	for (unsigned i = 0; i < N; i++)
		c[i] = CZ | (1000 * 248 + 200 + i); /* ~1.6 KiB heads: 2 a frame */
	tier_init(&f, 64, 2);
	assert_int_equal(fix_add_vm(&f, 0, c, N, 0), 0);
	scans(&f, 2);
	assert_int_equal(st(&f).pool_frames, 2);
	assert_int_equal(st(&f).pages_compressed, 4);
	assert_true(st(&f).compress_enomem >= 1);
	for (unsigned i = 0; i < N; i++)
		assert_true(fix_reads(&f, 0, i, c[i]));
	/* Those reads faulted the compressed ones back (and made every page
	 * hot); with more room all go, once cold again. */
	dedup_knobs(f.d)->pool_max_frames = 8;
	scans(&f, 3);
	assert_int_equal(st(&f).pages_compressed, N);
	assert_true(st(&f).pool_frames <= 8);
	for (unsigned i = 0; i < N; i++)
		assert_true(fix_reads(&f, 0, i, c[i]));
	fix_fini(&f);
}

/* No frame for a fault: ENOMEM, and the page stays compressed, its object
 * untouched; with frames again the fault succeeds. */
static void test_fault_without_frames(void **state)
{
	static const uint64_t c[] = { P(1), P(2) };
	struct fix f;
	struct dedup_stats s0;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0);
	scans(&f, 2);
	assert_true(compressed(&f, 0, 1));
	s0 = st(&f);
	f.m.alloc_budget = 0;
	assert_int_equal(dedup_fault_in(f.d, 0, 1), DEDUP_ENOMEM);
	assert_int_equal(dedup_cow_break(f.d, 0, 1), DEDUP_ENOMEM);
	assert_true(compressed(&f, 0, 1));
	assert_false(f.m.vm[0].ept[1].present);
	assert_int_equal(st(&f).pages_compressed, s0.pages_compressed);
	assert_int_equal(st(&f).pool_frames, s0.pool_frames);
	assert_int_equal(st(&f).fault_enomem, 2);
	f.m.alloc_budget = -1;
	assert_true(fix_reads(&f, 0, 1, P(2)));
	fix_fini(&f);
}

/* No EPT table for the page's mapping: the same, nothing changed. */
static void test_fault_without_mapping(void **state)
{
	static const uint64_t c[] = { P(1) };
	struct fix f;
	uint64_t frames;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, c, 1, 0), 0);
	scans(&f, 2);
	frames = fake_frames_in_use(&f.m);
	f.m.fail_new_maps = true;
	assert_int_equal(dedup_fault_in(f.d, 0, 0), DEDUP_ENOMEM);
	assert_true(compressed(&f, 0, 0));
	assert_int_equal(fake_frames_in_use(&f.m), frames); /* the frame it took went back */
	f.m.fail_new_maps = false;
	assert_true(fix_reads(&f, 0, 0, P(1)));
	fix_fini(&f);
}

/* A damaged object fails its check: the fault says DEDUP_EIO and changes
 * nothing, the check and the reader find it, no wrong byte is mapped. */
static void test_damaged_object(void **state)
{
	static const uint64_t c[] = { P(1), P(2) };
	unsigned char buf[4096];
	struct fix f;
	uint64_t bad;
	struct cobj *o;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0);
	scans(&f, 2);
	assert_int_equal(dedup_tier_check(f.d, &bad), 2);
	assert_int_equal(bad, 0);
	o = cobj_of(f.d, &f.d->vm[0].pages[1]);
	((unsigned char *)(o + 1))[o->len / 2] ^= 0x40;
	assert_int_equal(dedup_fault_in(f.d, 0, 1), DEDUP_EIO);
	assert_true(compressed(&f, 0, 1));
	assert_false(f.m.vm[0].ept[1].present);
	assert_null(dedup_page_read(f.d, 0, 1, buf));
	assert_non_null(dedup_page_read(f.d, 0, 0, buf));
	assert_int_equal(dedup_tier_check(f.d, &bad), 2);
	assert_int_equal(bad, 1);
	assert_true(st(&f).tier_corrupt >= 3);
	fix_fini(&f);
}

/* Zero pages stay on the zero frame and shared pages stay shared, however
 * cold; so does a lazy VM's untouched memory. */
static void test_zero_and_shared_stay(void **state)
{
	static const uint64_t c[] = { 0, 0, P(1), P(1), P(2) };
	struct fix f;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, c, 5, 0), 0);
	fake_vm_create(&f.m, 1, 16);
	assert_int_equal(dedup_vm_add(f.d, 1, 16, 0, true), 0);
	scans(&f, 4);
	assert_int_equal(st(&f).pages_compressed, 1); /* only gfn 4 */
	assert_true(compressed(&f, 0, 4));
	for (unsigned g = 0; g < 4; g++)
		assert_int_equal(dp_state(&f.d->vm[0].pages[g]), DP_SHARED);
	for (unsigned g = 0; g < 16; g++)
		assert_int_equal(dp_state(&f.d->vm[1].pages[g]), DP_SHARED);
	fix_fini(&f);
}

/* A VM that joins after a page went cold still shares it: its twin merges
 * with the compressed page, which is mapped to the twin's frame and leaves
 * the pool.  A compressed page also joins a shared frame made after it. */
static void test_compressed_page_still_merges(void **state)
{
	static const uint64_t a[] = { P(1), P(2) }, b[] = { P(1) }, c2[] = { P(2), P(2) };
	struct fix f;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, a, 2, 0), 0);
	scans(&f, 2);
	assert_int_equal(st(&f).pages_compressed, 2);
	assert_int_equal(fix_add_vm(&f, 1, b, 1, 0), 0);
	scans(&f, 1);
	assert_int_equal(st(&f).tier_merges, 1);
	assert_int_equal(st(&f).frames_saved, 1);
	assert_int_equal(dp_state(&f.d->vm[0].pages[0]), DP_SHARED);
	assert_int_equal(f.m.vm[0].ept[0].frame, f.m.vm[1].ept[0].frame);
	assert_true(fix_reads(&f, 0, 0, P(1)) && fix_reads(&f, 1, 0, P(1)));
	/* Two pages of P(2) in another VM, which cannot merge with the
	 * compressed P(2) (no EPT table for its mapping), merge with each
	 * other; the compressed one joins their shared frame at its next
	 * visit, once it can be mapped. */
	dedup_knobs(f.d)->cold_ticks = 1000;
	assert_int_equal(fix_add_vm(&f, 2, c2, 2, 0), 0);
	f.m.fail_new_maps = true;
	scans(&f, 1);
	assert_int_equal(st(&f).tier_merges, 1);
	assert_true(compressed(&f, 0, 1));
	assert_int_equal(st(&f).frames_saved, 2);
	f.m.fail_new_maps = false;
	scans(&f, 1);
	assert_int_equal(st(&f).tier_merges, 2);
	assert_int_equal(st(&f).pages_compressed, 0);
	assert_int_equal(st(&f).frames_saved, 3);
	assert_true(fix_reads(&f, 0, 1, P(2)));
	fix_fini(&f);
}

/* Removing a VM gives its objects back to the pool. */
static void test_vm_remove_frees_objects(void **state)
{
	static const uint64_t c[] = { P(1), P(2), P(3) };
	struct fix f;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
	scans(&f, 2);
	assert_int_equal(st(&f).pages_compressed, 3);
	assert_true(st(&f).pool_frames > 0);
	assert_int_equal(dedup_vm_remove(f.d, 0), 0);
	fake_vm_destroy(&f.m, 0);
	assert_int_equal(st(&f).pages_compressed, 0);
	assert_int_equal(st(&f).pool_frames, 0);
	assert_int_equal(fake_frames_in_use(&f.m), 0);
	fix_fini(&f);
}

/* The figures: PSS and exclusive count a compressed page as one content
 * (the recount's view), pss_cost and exclusive_bytes at its slot; frames
 * in use include the pool's. */
static void test_accounting(void **state)
{
	static const uint64_t c[] = { P(1), P(2), 0, 0, 77 };
	struct dedup_vm_account a;
	struct dedup_vm_stats vs;
	struct fix f;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, c, 5, 0), 0);
	scans(&f, 2);
	assert_int_equal(dedup_vm_account(f.d, 0, &a), 0);
	assert_int_equal(a.compressed, 2);
	assert_int_equal(a.compressed_bytes, f.d->vm[0].cslots);
	assert_int_equal(a.private_frames, 1);                /* gfn 4: incompressible */
	assert_int_equal(a.pss, 3 * DEDUP_PSS_ONE + DEDUP_PSS_ONE / 2 * 2);
	assert_int_equal(a.pss_cost, DEDUP_PSS_ONE + DEDUP_PSS_ONE / 2 * 2 +
			 a.compressed_bytes * (DEDUP_PSS_ONE / 4096));
	assert_int_equal(a.exclusive_frames, 1 + 1 + 2);       /* private, zero frame, 2 compressed */
	assert_int_equal(a.exclusive_bytes, 2 * 4096 + a.compressed_bytes);
	assert_int_equal(a.ws[DEDUP_WS_COLD], 5);
	assert_int_equal(dedup_frames_in_use(f.d), 2 + st(&f).pool_frames);
	assert_int_equal(dedup_frames_in_use(f.d), fake_frames_in_use(&f.m));
	assert_int_equal(dedup_get_vm_stats(f.d, 0, &vs), 0);
	assert_int_equal(vs.compressed, 2);
	assert_true(st(&f).compressed_bytes > 0 && st(&f).compressed_bytes <= st(&f).compressed_slots);
	assert_true(st(&f).compressed_slots <= st(&f).pool_frames * 4096);
	fix_fini(&f);
}

/* dedup_page_read gives the content whatever the state. */
static void test_page_read(void **state)
{
	static const uint64_t c[] = { P(1), 0, 55 };
	unsigned char buf[4096], want[4096];
	struct fix f;
	(void)state;
	tier_init(&f, 64, 4);
	assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
	scans(&f, 2);
	assert_true(compressed(&f, 0, 0));
	for (unsigned g = 0; g < 3; g++) {
		const void *p = dedup_page_read(f.d, 0, g, buf);
		content(c[g], want);
		assert_non_null(p);
		assert_memory_equal(p, want, 4096);
	}
	assert_null(dedup_page_read(f.d, 0, 3, buf));
	assert_null(dedup_page_read(f.d, 9, 0, buf));
	fix_fini(&f);
}

/* Bounded work: compress_per_step pages a dedup_scan() call at most; a
 * VM's ceiling holds. */
static void test_bounds(void **state)
{
	enum { N = 40 };
	uint64_t c[N];
	struct fix f;
	(void)state;
	for (unsigned i = 0; i < N; i++)
		c[i] = P(i);
	tier_init(&f, 128, 32);
	dedup_knobs(f.d)->compress_per_step = 5;
	assert_int_equal(fix_add_vm(&f, 0, c, N, 0), 0);
	scans(&f, 1);
	dedup_clock(f.d, ++now);
	assert_int_equal(dedup_scan(f.d, N), N);
	assert_int_equal(st(&f).pages_compressed, 5);
	assert_int_equal(dedup_scan(f.d, N), N); /* the next full scan */
	assert_int_equal(st(&f).pages_compressed, 10);
	dedup_knobs(f.d)->compress_per_step = 0;
	assert_int_equal(dedup_vm_set_tier_max(f.d, 0, 17), 0);
	assert_int_equal(dedup_vm_set_tier_max(f.d, 5, 17), DEDUP_ENOENT);
	scans(&f, 3);
	assert_int_equal(st(&f).pages_compressed, 17);
	fix_fini(&f);
}

/* Without A/D bits nothing is known to be cold: nothing is compressed. */
static void test_no_ad_bits_no_tier(void **state)
{
	static const uint64_t c[] = { P(1), P(2) };
	struct fix f;
	(void)state;
	fix_init(&f, 64, 0, 0);
	dedup_knobs(f.d)->cold_ticks = 1;
	dedup_knobs(f.d)->pool_max_frames = 4;
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0);
	for (uint64_t t = 1; t < 10; t++) {
		dedup_clock(f.d, t);
		fix_full_scans(&f, 1);
	}
	assert_int_equal(st(&f).pages_compressed, 0);
	fix_fini(&f);
}

/* zstd, the second codec: a cold page lz4 cannot fit is kept in zstd's
 * format at once; it faults back exact, counted as zstd's. */
static void test_zstd_takes_what_lz4_cannot(void **state)
{
	static const uint64_t c[] = { LE_OF(1, 8), LE_OF(2, 8), 13 };
	struct fix f;
	(void)state;
	tier_init(&f, 64, 8);
	dedup_knobs(f.d)->zstd_ticks = 1000; /* (the long-idle stage: not reached here) */
	assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
	scans(&f, 2);
	assert_true(compressed(&f, 0, 0) && compressed(&f, 0, 1));
	assert_false(compressed(&f, 0, 2)); /* random words: neither fits */
	assert_int_equal(st(&f).zstd_direct, 2);
	assert_int_equal(st(&f).pages_zstd, 2);
	assert_int_equal(st(&f).compress_rejected, 1);
	assert_true(st(&f).zstd_bytes > 2 * 1024 && st(&f).zstd_bytes <= 2 * COBJ_MAX);
	assert_int_equal(st(&f).zstd_bytes, st(&f).compressed_bytes);
	assert_int_equal(f.d->vm[0].pages[0].csum == f.d->vm[0].pages[1].csum, 0);
	/* Read back through the reader, then faulted in by an access. */
	assert_true(fix_reads(&f, 0, 1, c[1]));
	assert_int_equal(st(&f).zstd_faults, 1);
	assert_int_equal(st(&f).pages_zstd, 1);
	assert_int_equal(fix_write(&f, 0, 0, P(5)), 0);
	assert_true(fix_reads(&f, 0, 0, P(5)));
	assert_int_equal(st(&f).zstd_faults, 2);
	assert_int_equal(st(&f).pages_zstd, 0);
	assert_int_equal(st(&f).zstd_bytes, 0);
	fix_fini(&f);
}

/* Without the knob, zstd is never used: the same pages stay on frames. */
static void test_zstd_off(void **state)
{
	static const uint64_t c[] = { LE_OF(1, 8), LE_OF(3, 2) };
	struct fix f;
	(void)state;
	tier_init(&f, 64, 8);
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0);
	scans(&f, 40);
	assert_false(compressed(&f, 0, 0));
	assert_true(compressed(&f, 0, 1));
	assert_int_equal(st(&f).pages_zstd + st(&f).zstd_direct + st(&f).zstd_recompressed +
			 st(&f).zstd_kept, 0);
	fix_fini(&f);
}

/* The long-idle stage: lz4's object, still not accessed zstd_ticks after
 * the page was last, is remade in zstd's smaller slot; one zstd would not
 * shrink is kept and not tried again; the figures follow; all read back. */
static void test_zstd_recompresses_long_idle(void **state)
{
	static const uint64_t c[] = { LE_OF(4, 2), P(6), LE_OF(7, 2) };
	struct fix f;
	uint64_t slots, frames;
	(void)state;
	tier_init(&f, 64, 8);
	dedup_knobs(f.d)->zstd_ticks = 6;
	assert_int_equal(fix_add_vm(&f, 0, c, 3, 0), 0);
	scans(&f, 2);
	assert_int_equal(st(&f).pages_compressed, 3);
	assert_int_equal(st(&f).pages_zstd, 0); /* lz4 first */
	slots = st(&f).compressed_slots;
	frames = st(&f).pool_frames;
	/* Page 2 is read (brought back) and goes cold again later than the rest. */
	assert_true(fix_reads(&f, 0, 2, c[2]));
	/* Idle is counted from the start of the first scan that found the page
	 * not accessed (scan.c): pages 0 and 1 from tick 1. */
	scans(&f, 4);
	assert_int_equal(now, 6);
	assert_int_equal(st(&f).zstd_recompressed, 0); /* idle 5 ticks: not yet */
	scans(&f, 1);
	assert_int_equal(st(&f).zstd_recompressed, 1);  /* page 0 */
	assert_int_equal(st(&f).zstd_kept, 1);          /* page 1: lz4's slot is as small */
	assert_int_equal(st(&f).pages_zstd, 1);
	assert_true(compressed(&f, 0, 0) && compressed(&f, 0, 1) && compressed(&f, 0, 2));
	assert_true(st(&f).compressed_slots < slots);
	assert_int_equal(st(&f).compressed_bytes, f.d->vm[0].cbytes);
	scans(&f, 10);
	assert_int_equal(st(&f).zstd_recompressed, 2);  /* page 2, later */
	assert_int_equal(st(&f).zstd_kept, 1);          /* page 1 not tried again */
	assert_true(st(&f).pool_frames <= frames);
	assert_int_equal(st(&f).pages_compressed, 3);
	/* Still in the compressed index: a twin written now merges with page 0. */
	assert_int_equal(fix_write(&f, 0, 1, c[0]), 0);
	scans(&f, 2);
	/* Every page reads its content. */
	assert_true(fix_reads(&f, 0, 0, c[0]));
	assert_true(fix_reads(&f, 0, 1, c[0]));
	assert_true(fix_reads(&f, 0, 2, c[2]));
	assert_int_equal(st(&f).tier_corrupt, 0);
	fix_fini(&f);
}

/* knobs.zstd_per_step bounds a scanner call's zstd work: pages over it
 * wait, unmarked (not rejected), and all get their turn. */
static void test_zstd_per_step(void **state)
{
	static const uint64_t c[] = { LE_OF(11, 2), LE_OF(12, 2), LE_OF(13, 2), LE_OF(14, 8),
				      LE_OF(15, 8), LE_OF(16, 2) };
	struct fix f;
	uint64_t last = 0;
	(void)state;
	tier_init(&f, 64, 16);
	dedup_knobs(f.d)->zstd_ticks = 3;
	dedup_knobs(f.d)->zstd_per_step = 1;
	assert_int_equal(fix_add_vm(&f, 0, c, 6, 0), 0); /* 6 pages: one dedup_scan() a full scan */
	for (unsigned i = 0; i < 12; i++) {
		uint64_t done;
		scans(&f, 1);
		done = st(&f).zstd_direct + st(&f).zstd_recompressed + st(&f).zstd_kept;
		assert_true(done - last <= 1);
		last = done;
	}
	assert_int_equal(st(&f).zstd_direct, 2);
	assert_int_equal(st(&f).zstd_recompressed, 4);
	assert_int_equal(st(&f).compress_rejected, 0); /* none was marked for waiting */
	assert_int_equal(st(&f).pages_zstd, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_true(fix_reads(&f, 0, i, c[i]));
	fix_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compress_and_fault_back),
		cmocka_unit_test(test_compress_order),
		cmocka_unit_test(test_incompressible_left_alone),
		cmocka_unit_test(test_pool_cap),
		cmocka_unit_test(test_fault_without_frames),
		cmocka_unit_test(test_fault_without_mapping),
		cmocka_unit_test(test_damaged_object),
		cmocka_unit_test(test_zero_and_shared_stay),
		cmocka_unit_test(test_compressed_page_still_merges),
		cmocka_unit_test(test_vm_remove_frees_objects),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_page_read),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_no_ad_bits_no_tier),
		cmocka_unit_test(test_zstd_takes_what_lz4_cannot),
		cmocka_unit_test(test_zstd_off),
		cmocka_unit_test(test_zstd_recompresses_long_idle),
		cmocka_unit_test(test_zstd_per_step),
	};
	return cmocka_run_group_tests_name("dedup_tier", tests, NULL, NULL);
}
