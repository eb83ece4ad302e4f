/* dedup_fixture.h - shared setup for the dedup engine's tests: a fake
 * machine, an engine over it, and page contents named by small integers. */
#ifndef DEDUP_FIXTURE_H
#define DEDUP_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "dedup.h"
#include "fake_mem.h"

struct fix {
	struct fake_mem m;
	struct dedup_ops ops;
	struct dedup *d;
};

/* Content c: 0 = zeros; otherwise 512 words derived from c. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* Content c: 0 zeros; c with CZ set: compressible (a random head of 8 to
 * 1,984 bytes, by c, then zeros: lz4 makes it about the head's size);
 * c with SV set: SV_OF(base, j), nearly the same as the other variants of
 * its base: 512 random words of the base (lz4 cannot fit them in 2 KiB),
 * which variant j > 0 changes in every 37th word from word j % 37 on (a
 * patch of ~150 bytes against another variant: dedup/tier_patch.c);
 * c with LE set: LE_OF(id, k), 512 x k random bytes of an alphabet of 8
 * (k 1..8), then zeros: few bits a byte and no long repeats, which zstd's
 * entropy stage halves and lz4 cannot (k = 8: lz4 ~3,500 bytes, more than
 * it keeps; zstd ~1,650; k = 2: lz4 ~980, zstd ~440: tier/zstd_page.h);
 * otherwise 512 random words, which do not compress.  Equal c, equal
 * content; different c, different content. */
#define CZ (1ull << 40)
#define SV (1ull << 41)
#define LE (1ull << 42)
#define SV_OF(base, j) (SV | (uint64_t)(base) << 8 | (uint64_t)((j) & 0xff))
#define LE_OF(id, k) (LE | (uint64_t)(k) << 32 | (uint32_t)(id))
static inline void content(uint64_t c, void *page)
{
	uint64_t *w = page;
	unsigned head = c & CZ ? 1 + (unsigned)(c % 248) : 512, j = (unsigned)(c & 0xff);
	if (c & LE) {
		unsigned char *b = page;
		unsigned n = 512 * (unsigned)((c >> 32) & 0xf);
		for (unsigned i = 0; i < 4096; i++)
			b[i] = i < n ? (unsigned char)('a' + (mix64((uint32_t)c * 4096ull + i) & 7)) : 0;
		return;
	}
	if (c & SV) {
		for (unsigned i = 0; i < 512; i++)
			w[i] = mix64((c >> 8) * 512 + i);
		for (unsigned i = j % 37; j && i < 512; i += 37)
			w[i] += (uint64_t)j << 20;
		return;
	}
	for (unsigned i = 0; i < 512; i++)
		w[i] = c && i < head ? mix64(c * 512 + i) : 0;
}

static inline void fix_init(struct fix *f, uint64_t nframes, int ad, int first_sight)
{
	struct dedup_knobs k = { .pages_to_scan = 100, .sleep_ms = 20, .merge_first_sight = first_sight != 0 };
	fake_init(&f->m, nframes, ad != 0);
	f->ops = fake_ops(&f->m);
	f->d = dedup_create(&f->ops, &k);
}

static inline void fix_fini(struct fix *f)
{
	for (unsigned v = 0; v < FAKE_MAX_VMS; v++)
		if (f->m.vm[v].ept) {
			dedup_vm_remove(f->d, v);
			fake_vm_destroy(&f->m, v);
		}
	dedup_destroy(f->d);
	fake_fini(&f->m);
}

/* Adds VM vm whose page g holds contents[g]. */
static inline void fix_fill_cb(unsigned vm, uint64_t gfn, void *page, void *arg)
{
	(void)vm;
	content(((const uint64_t *)arg)[gfn], page);
}

static inline int fix_add_vm(struct fix *f, unsigned vm, const uint64_t *contents, uint64_t n,
			     uint16_t domain)
{
	fake_vm_create(&f->m, vm, n);
	fake_vm_populate(&f->m, vm, fix_fill_cb, (void *)contents);
	return dedup_vm_add(f->d, vm, n, domain, false);
}

/* Guest writes content c to the whole page, breaking COW as a hypervisor
 * would.  Returns 0 or the COW error. */
static inline int fix_write(struct fix *f, unsigned vm, uint64_t gfn, uint64_t c)
{
	unsigned char page[4096];
	content(c, page);
	while (fake_guest_write(&f->m, vm, gfn, 0, page, 4096)) {
		int r = dedup_cow_break(f->d, vm, gfn);
		if (r)
			return r;
	}
	return 0;
}

/* A guest read, faulting a compressed page back as the hypervisor would:
 * 0, or the fault-in's error. */
static inline int fix_read(struct fix *f, unsigned vm, uint64_t gfn, unsigned off, void *dst,
			   unsigned len)
{
	while (fake_guest_read(&f->m, vm, gfn, off, dst, len)) {
		int r = dedup_fault_in(f->d, vm, gfn);
		if (r)
			return r;
	}
	return 0;
}

/* 1 if the guest sees content c at (vm, gfn). */
static inline int fix_reads(struct fix *f, unsigned vm, uint64_t gfn, uint64_t c)
{
	unsigned char a[4096], b[4096];
	content(c, a);
	if (fix_read(f, vm, gfn, 0, b, 4096))
		return 0;
	return memcmp(a, b, 4096) == 0;
}

static inline struct dedup_stats fix_stats(struct fix *f)
{
	struct dedup_stats s;
	dedup_get_stats(f->d, &s);
	return s;
}

/* Runs n full scans (dedup_scan stops at each full scan's end). */
static inline void fix_full_scans(struct fix *f, unsigned n)
{
	uint64_t target = fix_stats(f).full_scans + n;
	while (fix_stats(f).full_scans < target)
		dedup_scan(f->d, 100);
}

#endif
