/*
 * test_dedup_patch.c - patches in the cold tier (dedup/tier_patch.c), each
 * rule with a test that fails if it breaks: a cold page nearly the same as
 * a reference is kept as a patch and rebuilt exact on any access; the
 * merge order's mirror; a private reference is frozen first, and one
 * written meanwhile keeps nothing; a reference written by its own VM is
 * copied and stays, one whose VM stopped stays until its last patch goes;
 * lz4 keeps what it makes smaller; no reference across domains; a damaged
 * patch or reference is refused; the pool out of room changes nothing; a
 * patched page still merges with a twin; the figures (PSS with references
 * divided among mappings and pins, frames in use) add up; the attempts per
 * scanner step are bounded, a page over the bound waits as it was, and the
 * end is the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "compress.h"
#include "dedup_fixture.h"
#include "dedup_internal.h"

/*
 * Contents: the fixture's (content(): zero, random, CZ compressible), and
 * SIM(k, j): 512 random words of base k (lz4 cannot fit them in 2 KiB),
 * which variant j > 0 changes in every 37th word from word j % 37 on (14
 * words): variants of one base are nearly the same, and each is a page
 * lz4 leaves alone.
 */
#define SIMF (1ull << 62)
#define NZF  (1ull << 61)
#define SIM(k, j) (SIMF | (uint64_t)(k) << 8 | (j))
/* NZ(k, j): nearly zero, three random words of base k, variant j > 0
 * changes the second: lz4 makes a few dozen bytes of it. */
#define NZ(k, j) (NZF | (uint64_t)(k) << 8 | (j))
/* ROT(k): SIM(k, 0)'s words, each one place further on: the same words
 * (the same similarity keys), hardly a byte at the same offset. */
#define ROTF (1ull << 60)
#define ROT(k) (ROTF | (uint64_t)(k) << 8)

static void fill(uint64_t c, void *page)
{
	uint64_t *w = page, k = (c & ~(SIMF | NZF | ROTF)) >> 8;
	unsigned j = (unsigned)(c & 0xff);
	if (c & ROTF) {
		for (unsigned i = 0; i < 512; i++)
			w[(i + 1) % 512] = mix64(k * 512 + i + 0x5151);
		return;
	}
	if (!(c & (SIMF | NZF))) {
		content(c, page);
		return;
	}
	memset(page, 0, 4096);
	for (unsigned i = 0; i < (c & SIMF ? 512u : 3u); i++)
		w[i] = mix64(k * 512 + i + 0x5151);
	if (c & NZF)
		w[1] += (uint64_t)j << 20;
	for (unsigned i = j % 37; (c & SIMF) && j && i < 512; i += 37)
		w[i] += (uint64_t)j << 20;
}

/* Every patched page of vm takes a smaller pool slot than lz4's object of
 * its content would (the rule: tier_patch.c). */
static void patches_beat_lz4(struct fix *f, unsigned vm, const uint64_t *c, uint64_t n)
{
	static unsigned char page[4096], out[4096];
	for (uint64_t g = 0; g < n; g++) {
		const struct dpage *p = &f->d->vm[vm].pages[g];
		uint32_t len;
		if (dp_state(p) != DP_COMPRESSED || cobj_of(f->d, p)->kind != COBJ_DELTA)
			continue;
		fill(c[g], page);
		len = tier_compress(page, out, COBJ_MAX);
		if (len)
			assert_true(zpool_slot_size(f->d->pool, dp_handle(p)) <
				    zpool_class_slot(zpool_class_of(len + (uint32_t)sizeof(struct cobj))));
	}
}

static void fill_cb(unsigned vm, uint64_t gfn, void *page, void *arg)
{
	(void)vm;
	fill(((const uint64_t *)arg)[gfn], page);
}

static uint64_t now;

/* An engine whose pages go cold after one idle full scan, with patches. */
static void patch_init(struct fix *f, uint64_t nframes, uint64_t pool_max)
{
	fix_init(f, nframes, 1, 0);
	dedup_knobs(f->d)->cold_ticks = 1;
	dedup_knobs(f->d)->pool_max_frames = pool_max;
	dedup_knobs(f->d)->patch_refs_max = 256;
	now = 0;
}

static int add_vm(struct fix *f, unsigned vm, const uint64_t *c, uint64_t n, uint16_t domain)
{
	fake_vm_create(&f->m, vm, n);
	fake_vm_populate(&f->m, vm, fill_cb, (void *)c);
	return dedup_vm_add(f->d, vm, n, domain, false);
}

static void scans(struct fix *f, unsigned n)
{
	while (n--) {
		dedup_clock(f->d, ++now);
		fix_full_scans(f, 1);
	}
}

/* Whether the guest reads content c at (vm, gfn), faulting it back as the
 * hypervisor would. */
static int reads(struct fix *f, unsigned vm, uint64_t gfn, uint64_t c)
{
	unsigned char a[4096], b[4096];
	fill(c, a);
	return fix_read(f, vm, gfn, 0, b, 4096) == 0 && memcmp(a, b, 4096) == 0;
}

/* Whether the page's content is c, without faulting it back. */
static int holds(struct fix *f, unsigned vm, uint64_t gfn, uint64_t c)
{
	unsigned char a[4096], buf[4096];
	const void *p = dedup_page_read(f->d, vm, gfn, buf);
	fill(c, a);
	return p && memcmp(a, p, 4096) == 0;
}

static int pooled(struct fix *f, unsigned vm, uint64_t gfn, unsigned kind)
{
	const struct dpage *p = &f->d->vm[vm].pages[gfn];
	return dp_state(p) == DP_COMPRESSED && cobj_of(f->d, p)->kind == kind;
}

static struct dedup_stats st(struct fix *f) { return fix_stats(f); }

static uint32_t ref_of(struct fix *f, unsigned vm, uint64_t gfn)
{
	return cobj_ref(cobj_of(f->d, &f->d->vm[vm].pages[gfn]));
}

/* Frames in use: the engine's count is the fake machine's. */
static void frames_agree(struct fix *f)
{
	assert_int_equal(dedup_frames_in_use(f->d), fake_frames_in_use(&f->m));
}

/* A cold page like another VM's incompressible one: that page becomes a
 * reference (read-only, a shared frame of one mapper, pinned), the cold
 * one a patch (not present); an access rebuilds it exact and releases
 * the pin. */
static void test_patch_and_rebuild(void **state)
{
	static const uint64_t a[] = { SIM(1, 0), SIM(2, 0) }, b[] = { SIM(1, 3), SIM(2, 5) };
	struct fix f;
	uint64_t before;
	uint32_t ref;
	(void)state;
	patch_init(&f, 64, 8);
	assert_int_equal(add_vm(&f, 0, a, 2, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 2, 0), 0);
	before = fake_frames_in_use(&f.m);
	scans(&f, 2);
	assert_int_equal(st(&f).patches, 2);
	assert_int_equal(st(&f).pages_patched, 2);
	assert_int_equal(st(&f).refs_made, 2);
	assert_int_equal(st(&f).ref_frames, 2);
	assert_int_equal(st(&f).pages_compressed, 0);
	for (unsigned g = 0; g < 2; g++) {
		assert_true(pooled(&f, 1, g, COBJ_DELTA));
		assert_false(f.m.vm[1].ept[g].present);
		/* The reference: read-only, its own frame, one mapper, pinned. */
		assert_int_equal(dp_state(&f.d->vm[0].pages[g]), DP_SHARED);
		ref = dp_index(&f.d->vm[0].pages[g]);
		assert_int_equal(ref_of(&f, 1, g), ref);
		assert_true(f.m.vm[0].ept[g].present && !f.m.vm[0].ept[g].writable);
		assert_int_equal(f.d->sf[ref].refs, 1);
		assert_int_equal(pins_of(f.d, ref), 1);
		assert_true(holds(&f, 1, g, b[g]));
	}
	patches_beat_lz4(&f, 1, b, 2);
	/* The patched pages' frames went back; the pool holds the patches
	 * (two ~150-byte objects: one frame). */
	assert_int_equal(st(&f).pool_frames, 1);
	assert_int_equal(fake_frames_in_use(&f.m), before - 2 + 1);
	assert_true(st(&f).patch_bytes < 2 * 300);
	frames_agree(&f);
	/* The reference's VM reads it without a fault. */
	assert_true(reads(&f, 0, 0, a[0]));
	/* An access rebuilds: exact, mapped writable, the pin released. */
	ref = ref_of(&f, 1, 0);
	assert_true(reads(&f, 1, 0, b[0]));
	assert_true(f.m.vm[1].ept[0].present && f.m.vm[1].ept[0].writable);
	assert_int_equal(st(&f).rebuilds, 1);
	assert_int_equal(st(&f).decompressions, 0);
	assert_int_equal(pins_of(f.d, ref), 0);
	assert_false(f.d->sf[ref].flags & SF_PINNED);
	assert_int_equal(st(&f).ref_frames, 1);
	/* A write rebuilds too, then writes. */
	assert_int_equal(fix_write(&f, 1, 1, 77), 0);
	assert_true(reads(&f, 1, 1, 77));
	assert_int_equal(st(&f).rebuilds, 2);
	assert_int_equal(st(&f).pages_patched, 0);
	assert_int_equal(st(&f).pool_frames, 0);
	frames_agree(&f);
	fix_fini(&f);
	assert_int_equal(fake_frames_in_use(&f.m), 0);
}

/* The order: the page write-protected, the batch invalidated; the
 * reference write-protected and its VM invalidated before the patch is
 * checked against it; then the page unmapped, invalidated, its frame
 * freed; no write access to either in between. */
static void test_patch_order(void **state)
{
	static const uint64_t a[] = { SIM(1, 0) }, b[] = { SIM(1, 2) };
	struct fix f;
	uint64_t own, rframe;
	long fr, inv2, um, rinv, rwp, inv1, wp;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 1, 0), 0);
	scans(&f, 2); /* a: cold, lz4 gives up: a reference candidate */
	assert_int_equal(st(&f).compress_rejected, 1);
	assert_int_equal(add_vm(&f, 1, b, 1, 0), 0);
	own = f.m.vm[1].ept[0].frame;
	rframe = f.m.vm[0].ept[0].frame;
	scans(&f, 1);
	f.m.logging = true;
	fake_log_clear(&f.m);
	scans(&f, 1);
	assert_true(pooled(&f, 1, 0, COBJ_DELTA));
	fr = fake_find_back(&f.m, (long)f.m.nlog - 1, EV_FREE, ~0u, ~0ull, own);
	inv2 = fake_find_back(&f.m, fr, EV_INVALIDATE, 1, ~0ull, ~0ull);
	um = fake_find_back(&f.m, inv2, EV_UNMAP, 1, 0, ~0ull);
	rinv = fake_find_back(&f.m, um, EV_INVALIDATE, 0, ~0ull, ~0ull);
	rwp = fake_find_back(&f.m, rinv, EV_MAP_RO, 0, 0, rframe);
	inv1 = fake_find_back(&f.m, rwp, EV_INVALIDATE, 1, ~0ull, ~0ull);
	wp = fake_find_back(&f.m, inv1, EV_MAP_RO, 1, 0, own);
	assert_true(fr > inv2 && inv2 > um && um > rinv && rinv > rwp && rwp > inv1 && inv1 > wp && wp >= 0);
	assert_true(fake_find_back(&f.m, fr, EV_MAP_RW, 1, 0, ~0ull) < wp);
	assert_true(fake_find_back(&f.m, fr, EV_MAP_RW, 0, 0, ~0ull) < rwp);
	assert_true(reads(&f, 1, 0, b[0]) && reads(&f, 0, 0, a[0]));
	fix_fini(&f);
}

/* The reference's own VM writes it: a copy (the last mapper of a pinned
 * frame does not get the frame), the reference stays and still rebuilds
 * the patch; the frame goes when the patch does. */
static void test_reference_written(void **state)
{
	static const uint64_t a[] = { SIM(1, 0) }, b[] = { SIM(1, 4) };
	struct fix f;
	uint32_t ref;
	uint64_t rframe, frames;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 1, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 1, 0), 0);
	scans(&f, 2);
	assert_true(pooled(&f, 1, 0, COBJ_DELTA));
	ref = ref_of(&f, 1, 0);
	rframe = f.d->sf[ref].frame;
	frames = fake_frames_in_use(&f.m);
	assert_int_equal(fix_write(&f, 0, 0, 99), 0);
	assert_int_equal(st(&f).cow_reuses, 0);
	assert_int_equal(st(&f).cow_breaks, 1);
	assert_true(f.m.vm[0].ept[0].frame != rframe);
	assert_int_equal(fake_frames_in_use(&f.m), frames + 1);
	assert_int_equal(f.d->sf[ref].refs, 0);
	assert_true((f.d->sf[ref].flags & (SF_USED | SF_PINNED)) == (SF_USED | SF_PINNED));
	assert_int_equal(st(&f).ref_unmapped, 1);
	frames_agree(&f);
	assert_true(reads(&f, 0, 0, 99));
	/* Still rebuilds exact; then the frame nobody needs goes. */
	assert_true(holds(&f, 1, 0, b[0]));
	assert_true(reads(&f, 1, 0, b[0]));
	assert_false(f.d->sf[ref].flags & SF_USED);
	assert_int_equal(st(&f).ref_frames, 0);
	frames_agree(&f);
	fix_fini(&f);
	assert_int_equal(fake_frames_in_use(&f.m), 0);
}

/* The reference's VM stops: the frame stays for the patches of the other
 * VM, which still rebuild exact; removing that VM too frees everything. */
static void test_reference_vm_removed(void **state)
{
	static const uint64_t a[] = { SIM(1, 0), SIM(2, 0), 5 }, b[] = { SIM(1, 6), SIM(2, 7), SIM(1, 8) };
	struct fix f;
	uint64_t bad;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 3, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 3, 0), 0);
	scans(&f, 2);
	assert_int_equal(st(&f).pages_patched, 3); /* two against SIM(1, 0)'s frame */
	assert_int_equal(pins_of(f.d, ref_of(&f, 1, 0)), 2);
	assert_int_equal(dedup_vm_remove(f.d, 0), 0);
	fake_vm_destroy(&f.m, 0);
	assert_int_equal(st(&f).ref_frames, 2);
	assert_int_equal(st(&f).ref_unmapped, 2);
	frames_agree(&f);
	assert_int_equal(dedup_patch_check(f.d, &bad), 3);
	assert_int_equal(bad, 0);
	assert_true(reads(&f, 1, 1, b[1]));  /* its reference's last pin: the frame goes */
	assert_int_equal(st(&f).ref_frames, 1);
	frames_agree(&f);
	assert_true(holds(&f, 1, 0, b[0]) && holds(&f, 1, 2, b[2]));
	assert_int_equal(dedup_vm_remove(f.d, 1), 0);
	fake_vm_destroy(&f.m, 1);
	assert_int_equal(st(&f).ref_frames, 0);
	assert_int_equal(fake_frames_in_use(&f.m), 0);
	fix_fini(&f);
}

/* A shared frame is a reference as it is: patched against, then written
 * by both its mappers (a copy each, even the last), kept for the patch. */
static void test_shared_frame_reference(void **state)
{
	static const uint64_t a[] = { SIM(3, 0), SIM(3, 0) }, b[] = { SIM(3, 9) };
	struct fix f;
	uint32_t ref;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 2, 0), 0);
	scans(&f, 2); /* merged, then cold: indexed */
	assert_int_equal(st(&f).frames_saved, 1);
	assert_int_equal(add_vm(&f, 1, b, 1, 0), 0);
	scans(&f, 2);
	assert_true(pooled(&f, 1, 0, COBJ_DELTA));
	assert_int_equal(st(&f).refs_made, 0);
	ref = ref_of(&f, 1, 0);
	assert_int_equal(dp_index(&f.d->vm[0].pages[0]), ref);
	assert_int_equal(fix_write(&f, 0, 0, 11), 0);
	assert_int_equal(fix_write(&f, 0, 1, 12), 0);
	assert_int_equal(st(&f).cow_breaks, 2);
	assert_int_equal(st(&f).cow_reuses, 0);
	assert_int_equal(f.d->sf[ref].refs, 0);
	assert_true(f.d->sf[ref].flags & SF_USED);
	frames_agree(&f);
	assert_true(reads(&f, 1, 0, b[0]));
	assert_false(f.d->sf[ref].flags & SF_USED);
	frames_agree(&f);
	fix_fini(&f);
	assert_int_equal(fake_frames_in_use(&f.m), 0);
}

/* lz4 keeps what it makes as small: a nearly-zero page near a shared one
 * is compressed, not patched (no smaller slot than lz4's smallest). */
static void test_lz4_keeps_its_own(void **state)
{
	static const uint64_t a[] = { NZ(1, 0), NZ(1, 0) }, b[] = { NZ(1, 1) };
	struct fix f;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 2, 0), 0);
	scans(&f, 2);
	assert_int_equal(add_vm(&f, 1, b, 1, 0), 0);
	scans(&f, 2);
	assert_true(pooled(&f, 1, 0, COBJ_LZ4));
	assert_int_equal(st(&f).patches, 0);
	assert_true(reads(&f, 1, 0, b[0]));
	fix_fini(&f);
}

/* A candidate whose bytes are all elsewhere (the same words, moved) is not
 * tried: a sample of its bytes at the page's offsets shows it hopeless. */
static void test_hopeless_candidate_skipped(void **state)
{
	static const uint64_t a[] = { SIM(1, 0) }, b[] = { ROT(1) };
	struct fix f;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 1, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 1, 0), 0);
	scans(&f, 3);
	assert_int_equal(st(&f).patch_tries, 1);
	assert_int_equal(st(&f).patch_skipped, 1);
	assert_int_equal(st(&f).patch_encodes, 0);
	assert_int_equal(st(&f).patches, 0);
	assert_true(reads(&f, 1, 0, b[0]));
	fix_fini(&f);
}

/* No reference across sharing domains; within one, it is found. */
static void test_domains(void **state)
{
	static const uint64_t a[] = { SIM(1, 0) }, b[] = { SIM(1, 3) }, c[] = { SIM(1, 5) };
	struct fix f;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 1, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 1, 1), 0);
	scans(&f, 3);
	assert_int_equal(st(&f).patches, 0);
	assert_int_equal(st(&f).compress_rejected, 2);
	assert_int_equal(add_vm(&f, 2, c, 1, 1), 0);
	scans(&f, 2);
	assert_int_equal(st(&f).patches, 1);
	assert_true(pooled(&f, 2, 0, COBJ_DELTA));
	assert_int_equal(f.d->sf[ref_of(&f, 2, 0)].domain, 1);
	assert_true(dp_private(&f.d->vm[0].pages[0])); /* never made a reference */
	assert_true(reads(&f, 2, 0, c[0]));
	fix_fini(&f);
}

/* A private reference written after its bytes were read for the patch,
 * before its write-protect took effect (a vCPU's cached translation): the
 * patch does not rebuild the page from the frozen reference, and nothing
 * is kept; both pages read what was last written. */
static unsigned races;
static void write_ref_late(struct fake_mem *m, unsigned vm, void *arg)
{
	uint64_t w = 0x1234;
	(void)arg;
	if (vm == 0 && !m->vm[0].ept[0].writable && m->vm[0].tlb[0].gen == m->vm[0].tlb_gen &&
	    m->vm[0].tlb[0].writable && !races) {
		assert_int_equal(fake_guest_write(m, 0, 0, 8, &w, 8), 0);
		races++;
	}
}

static void test_reference_written_before_frozen(void **state)
{
	static const uint64_t a[] = { SIM(1, 0) }, b[] = { SIM(1, 2) };
	unsigned char want[4096], got[4096];
	struct fix f;
	uint64_t w = 0x1234;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 1, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 1, 0), 0);
	scans(&f, 1);
	/* gfn 0 of VM 0 becomes a candidate in this scan; its vCPU holds a
	 * writable translation when the reference is made. */
	races = 0;
	f.m.on_invalidate = write_ref_late;
	dedup_clock(f.d, ++now);
	dedup_scan(f.d, 1); /* VM 0's page: lz4 gives up, indexed */
	assert_int_equal(fake_guest_read(&f.m, 0, 0, 0, got, 8), 0); /* cache it */
	fix_full_scans(&f, 1);
	f.m.on_invalidate = NULL;
	assert_int_equal(races, 1);
	assert_int_equal(st(&f).patch_races, 1);
	assert_int_equal(st(&f).patches, 0);
	fill(a[0], want);
	memcpy(want + 8, &w, 8);
	assert_int_equal(fix_read(&f, 0, 0, 0, got, 4096), 0);
	assert_memory_equal(got, want, 4096);
	assert_true(reads(&f, 1, 0, b[0]));
	fix_fini(&f);
}

/* Every page in an unstable chain is UNSTABLE (a page made a reference
 * must leave its chain, or the chain runs through its shared-frame id). */
static void chains_sound(struct fix *f)
{
	const struct dedup *d = f->d;
	for (uint32_t b = 0; b <= d->umask; b++)
		for (uint32_t l = d->uheads[b], n = 0; l != DP_NIL; n++) {
			const struct dpage *q;
			assert_true(n < 1000 && link_vm(l) < DEDUP_MAX_VMS && d->vm[link_vm(l)].pages &&
				    link_gfn(l) < d->vm[link_vm(l)].npages);
			q = &d->vm[link_vm(l)].pages[link_gfn(l)];
			assert_int_equal(dp_state(q), DP_UNSTABLE);
			l = dp_index(q);
		}
}

/* The reference and the patched page in one scanner batch: the reference,
 * a candidate of this very batch, leaves the unstable index when it
 * becomes a shared frame. */
static void test_reference_in_the_batch(void **state)
{
	static const uint64_t a[] = { SIM(1, 0), SIM(1, 3), SIM(1, 4), SIM(2, 0), SIM(2, 1), 7, 8 };
	struct fix f;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 7, 0), 0);
	dedup_clock(f.d, ++now);
	fix_full_scans(&f, 1);
	dedup_clock(f.d, ++now);
	assert_int_equal(dedup_scan(f.d, 7), 7); /* one batch: the scan's end not yet reached */
	assert_int_equal(st(&f).refs_made, 2);
	assert_int_equal(st(&f).pages_patched, 3);
	chains_sound(&f);
	fix_full_scans(&f, 2);
	chains_sound(&f);
	for (unsigned g = 0; g < 7; g++)
		assert_true(reads(&f, 0, g, a[g]));
	fix_fini(&f);
}

/* A damaged patch, or a damaged reference, fails its check: the fault
 * says DEDUP_EIO and changes nothing; the check finds it. */
static void test_damaged(void **state)
{
	static const uint64_t a[] = { SIM(1, 0), SIM(2, 0) }, b[] = { SIM(1, 3), SIM(2, 3) };
	unsigned char buf[4096];
	struct fix f;
	struct cobj *o;
	uint64_t bad;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 2, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 2, 0), 0);
	scans(&f, 2);
	assert_int_equal(dedup_patch_check(f.d, &bad), 2);
	assert_int_equal(bad, 0);
	o = cobj_of(f.d, &f.d->vm[1].pages[0]);
	((unsigned char *)(o + 1))[o->len - 1] ^= 0x10;
	assert_int_equal(dedup_fault_in(f.d, 1, 0), DEDUP_EIO);
	assert_true(pooled(&f, 1, 0, COBJ_DELTA));
	assert_null(dedup_page_read(f.d, 1, 0, buf));
	((unsigned char *)fake_frame_ptr(&f.m, f.d->sf[ref_of(&f, 1, 1)].frame))[100] ^= 1;
	assert_int_equal(dedup_fault_in(f.d, 1, 1), DEDUP_EIO);
	assert_int_equal(dedup_patch_check(f.d, &bad), 2);
	assert_int_equal(bad, 2);
	assert_int_equal(dedup_tier_check(f.d, &bad), 2);
	assert_int_equal(bad, 2);
	fix_fini(&f);
}

/* No room in the pool: nothing changes (the page keeps its frame, not
 * marked incompressible); with room, the next scans patch it. */
static void test_pool_without_room(void **state)
{
	static const uint64_t a[] = { SIM(1, 0) }, b[] = { SIM(1, 3) };
	struct fix f;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 1, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 1, 0), 0);
	scans(&f, 1);
	f.m.alloc_budget = 0;
	scans(&f, 1);
	assert_int_equal(st(&f).patches, 0);
	assert_true(st(&f).compress_enomem >= 1);
	assert_true(f.m.vm[1].ept[0].present && f.m.vm[1].ept[0].writable);
	assert_false(f.d->vm[1].age[0] & AGE_NOCOMP);
	f.m.alloc_budget = -1;
	scans(&f, 1);
	assert_true(pooled(&f, 1, 0, COBJ_DELTA));
	assert_true(reads(&f, 1, 0, b[0]));
	fix_fini(&f);
}

/* A patched page still merges: with a twin that comes later (its pin
 * released), as a compressed page does. */
static void test_patched_page_merges(void **state)
{
	static const uint64_t a[] = { SIM(1, 0) }, b[] = { SIM(1, 3) }, c[] = { SIM(1, 3) };
	struct fix f;
	uint32_t ref;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 1, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 1, 0), 0);
	scans(&f, 2);
	assert_true(pooled(&f, 1, 0, COBJ_DELTA));
	ref = ref_of(&f, 1, 0);
	dedup_knobs(f.d)->cold_ticks = 1000;
	assert_int_equal(add_vm(&f, 2, c, 1, 0), 0);
	scans(&f, 1);
	assert_int_equal(st(&f).tier_merges, 1);
	assert_int_equal(dp_state(&f.d->vm[1].pages[0]), DP_SHARED);
	assert_int_equal(f.m.vm[1].ept[0].frame, f.m.vm[2].ept[0].frame);
	assert_int_equal(pins_of(f.d, ref), 0);
	assert_int_equal(st(&f).pages_patched, 0);
	assert_true(reads(&f, 1, 0, b[0]) && reads(&f, 2, 0, c[0]));
	frames_agree(&f);
	fix_fini(&f);
}

/* The figures: PSS and exclusive count a patched page as one content; the
 * cost divides a reference among its mappings and pins, and over the VMs
 * adds up to the frames outside the pool plus the slot bytes. */
static void test_accounting(void **state)
{
	static const uint64_t a[] = { SIM(1, 0), SIM(1, 0), SIM(2, 0), 0 }, b[] = { SIM(1, 3), SIM(2, 4), 0 };
	struct dedup_vm_account x, y;
	struct dedup_vm_stats vs;
	struct fix f;
	uint64_t cost, slots, frames;
	(void)state;
	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 4, 0), 0);
	scans(&f, 2);
	assert_int_equal(add_vm(&f, 1, b, 3, 0), 0);
	scans(&f, 2);
	assert_int_equal(st(&f).pages_patched, 2);
	patches_beat_lz4(&f, 1, b, 3);
	assert_int_equal(dedup_vm_account(f.d, 0, &x), 0);
	assert_int_equal(dedup_vm_account(f.d, 1, &y), 0);
	assert_int_equal(y.patched, 2);
	assert_int_equal(y.patch_bytes, f.d->vm[1].pslots);
	assert_int_equal(dedup_get_vm_stats(f.d, 1, &vs), 0);
	assert_int_equal(vs.patched, 2);
	assert_int_equal(vs.patch_bytes, y.patch_bytes);
	/* Contents: VM 1 holds 2 of its own and shares the zero frame. */
	assert_int_equal(y.pss, 2 * DEDUP_PSS_ONE + DEDUP_PSS_ONE / 2);
	assert_int_equal(y.exclusive_frames, 2);
	/* Costs: SIM(1,0)'s frame has 2 mappings and 1 pin, SIM(2,0)'s 1 and 1. */
	assert_int_equal(y.ref_share, DEDUP_PSS_ONE / 3 + DEDUP_PSS_ONE / 2);
	assert_int_equal(y.pss_cost, y.patch_bytes * (DEDUP_PSS_ONE / 4096) + y.ref_share + DEDUP_PSS_ONE / 2);
	assert_int_equal(x.pss_cost, 2 * (DEDUP_PSS_ONE / 3) + DEDUP_PSS_ONE / 2 + DEDUP_PSS_ONE / 2);
	cost = x.pss_cost + y.pss_cost;
	slots = st(&f).patch_slots + st(&f).compressed_slots;
	frames = dedup_frames_in_use(f.d) - st(&f).pool_frames;
	assert_true(cost <= frames * DEDUP_PSS_ONE + slots * (DEDUP_PSS_ONE / 4096));
	assert_true(cost + 8 >= frames * DEDUP_PSS_ONE + slots * (DEDUP_PSS_ONE / 4096));
	frames_agree(&f);
	fix_fini(&f);
}

/*
 * The attempts per step are bounded (knobs.patch_per_step): 24 cold pages,
 * each like another VM's incompressible page, make one attempt each; with
 * a bound of B no dedup_scan() call makes more than B (the first page of a
 * call is tried whatever B is), a page left for later stays as it was
 * (mapped writable, neither compressed nor marked incompressible), and the
 * end is the unbounded engine's: every page patched against its own
 * reference, the same frames.
 */
#define BOUNDED_N 24

static void bounded_run(unsigned bound, uint64_t *most, uint64_t *calls, uint64_t *frames)
{
	static uint64_t a[BOUNDED_N], b[BOUNDED_N];
	struct fix f;
	uint64_t e;

	for (unsigned k = 0; k < BOUNDED_N; k++) {
		a[k] = SIM(k + 1, 0);
		b[k] = SIM(k + 1, 3);
	}
	patch_init(&f, 256, 16);
	dedup_knobs(f.d)->patch_per_step = bound;
	assert_int_equal(add_vm(&f, 0, a, BOUNDED_N, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, BOUNDED_N, 0), 0);
	*most = *calls = 0;
	while (st(&f).pages_patched < BOUNDED_N) {
		assert_true(++*calls < 100);
		dedup_clock(f.d, ++now);
		e = st(&f).patch_encodes;
		dedup_scan(f.d, 100); /* the 48 pages: one full scan a call */
		e = st(&f).patch_encodes - e;
		if (e > *most)
			*most = e;
		if (bound)
			assert_true(e <= (bound > 4 ? bound : 4));
		for (unsigned g = 0; g < BOUNDED_N; g++) {
			if (pooled(&f, 1, g, COBJ_DELTA))
				continue;
			assert_int_equal(dp_state(&f.d->vm[1].pages[g]) == DP_COMPRESSED, 0);
			assert_true(f.m.vm[1].ept[g].present && f.m.vm[1].ept[g].writable);
			assert_false(f.d->vm[1].age[g] & AGE_NOCOMP);
		}
	}
	assert_int_equal(st(&f).patches, BOUNDED_N);
	assert_int_equal(st(&f).patch_encodes, BOUNDED_N);
	assert_int_equal(st(&f).refs_made, BOUNDED_N);
	assert_int_equal(st(&f).pages_compressed, 0);
	for (unsigned g = 0; g < BOUNDED_N; g++) {
		assert_int_equal(ref_of(&f, 1, g), dp_index(&f.d->vm[0].pages[g]));
		assert_true(holds(&f, 1, g, b[g]));
	}
	patches_beat_lz4(&f, 1, b, BOUNDED_N);
	frames_agree(&f);
	*frames = fake_frames_in_use(&f.m);
	fix_fini(&f);
}

static void test_attempts_per_step(void **state)
{
	uint64_t most, calls, frames, most0, calls0, frames0;
	(void)state;
	bounded_run(0, &most0, &calls0, &frames0);
	assert_int_equal(most0, BOUNDED_N); /* unbounded: all in one call */
	bounded_run(5, &most, &calls, &frames);
	assert_int_equal(most, 5);
	assert_true(calls > calls0); /* the burst spread over more steps */
	assert_int_equal(frames, frames0);
	bounded_run(1, &most, &calls, &frames); /* progress below a page's candidates */
	assert_int_equal(most, 1);
	assert_int_equal(frames, frames0);
}

/* Off unless asked for; a VM's pool ceiling counts its patches. */
static void test_off_and_ceiling(void **state)
{
	static const uint64_t a[] = { SIM(1, 0) }, b[] = { SIM(1, 3), SIM(1, 4), CZ | 500 };
	struct fix f;
	(void)state;
	patch_init(&f, 64, 4);
	dedup_knobs(f.d)->patch_refs_max = 0;
	assert_int_equal(add_vm(&f, 0, a, 1, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 3, 0), 0);
	scans(&f, 3);
	assert_int_equal(st(&f).patches, 0);
	assert_int_equal(st(&f).pages_compressed, 1);
	fix_fini(&f);

	patch_init(&f, 64, 4);
	assert_int_equal(add_vm(&f, 0, a, 1, 0), 0);
	assert_int_equal(add_vm(&f, 1, b, 3, 0), 0);
	assert_int_equal(dedup_vm_set_tier_max(f.d, 1, 2), 0);
	scans(&f, 3);
	assert_int_equal(st(&f).patches + st(&f).pages_compressed, 2);
	fix_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch_and_rebuild),
		cmocka_unit_test(test_patch_order),
		cmocka_unit_test(test_reference_written),
		cmocka_unit_test(test_reference_vm_removed),
		cmocka_unit_test(test_shared_frame_reference),
		cmocka_unit_test(test_lz4_keeps_its_own),
		cmocka_unit_test(test_hopeless_candidate_skipped),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_reference_written_before_frozen),
		cmocka_unit_test(test_reference_in_the_batch),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_pool_without_room),
		cmocka_unit_test(test_patched_page_merges),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_off_and_ceiling),
		cmocka_unit_test(test_attempts_per_step),
	};
	return cmocka_run_group_tests_name("dedup_patch", tests, NULL, NULL);
}
