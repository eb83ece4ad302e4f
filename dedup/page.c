/*
 * page.c - hashing and comparing 4 KiB pages.
 *
 * The hash is XXH3-64 from xxHash (Debian's libxxhash-dev, header-only with
 * XXH_INLINE_ALL): the fastest well-kept non-cryptographic hash, ~30 GB/s
 * per core with SIMD (SSE2 in the hypervisor too: the Makefile builds this
 * file with it, HV_SIMD), and it needs no libc beyond memcpy.  It only nominates merge candidates: the
 * merge itself always compares the full page (page_equal).
 */
#include <string.h>

/* Unaligned reads as packed-struct loads, not memcpy calls: the hypervisor
 * is built -ffreestanding (-fno-builtin), where each would be a call. */
#define XXH_FORCE_MEMORY_ACCESS 1
#define XXH_INLINE_ALL
#define XXH_NO_STDLIB
#include <xxhash.h>

#include "dedup_internal.h"

uint64_t page_hash(const void *p)
{
	return XXH3_64bits(p, DEDUP_PAGE_SIZE);
}

uint64_t dedup_page_hash(const void *page)
{
	return page_hash(page);
}

int dedup_page_equal(const void *a, const void *b)
{
	return page_equal(a, b);
}

int dedup_page_zero(const void *page)
{
	return page_is_zero(page);
}

const char *dedup_hash_path(void)
{
#if XXH_VECTOR == XXH_AVX512
	return "AVX-512";
#elif XXH_VECTOR == XXH_AVX2
	return "AVX2";
#elif XXH_VECTOR == XXH_SSE2
	return "SSE2";
#else
	return "scalar";
#endif
}

/*
 * Most guest memory is zero, and the zero check runs twice on a zero page
 * (at its visit, and after write-protect in its merge): a third of a first
 * scan's instructions (make bench, callgrind).  With SSE2 (this file's
 * flags, in the hypervisor too) it ORs 256 bytes into one register per
 * test, 16-byte loads folded into the ORs: ~370 instructions a page against
 * ~1,150 for 8-byte words.  A non-zero page still fails within its first
 * 256 bytes, which its hash reads next anyway.  Frames are page-aligned.
 */
#if defined(__SSE2__)
#include <emmintrin.h>

int page_is_zero(const void *p)
{
	const __m128i *v = p;
	unsigned i;
	for (i = 0; i < DEDUP_PAGE_SIZE / 16; i += 16) {
		__m128i a = _mm_or_si128(_mm_or_si128(v[i], v[i + 1]), _mm_or_si128(v[i + 2], v[i + 3]));
		__m128i b = _mm_or_si128(_mm_or_si128(v[i + 4], v[i + 5]), _mm_or_si128(v[i + 6], v[i + 7]));
		__m128i c = _mm_or_si128(_mm_or_si128(v[i + 8], v[i + 9]), _mm_or_si128(v[i + 10], v[i + 11]));
		__m128i e = _mm_or_si128(_mm_or_si128(v[i + 12], v[i + 13]), _mm_or_si128(v[i + 14], v[i + 15]));
		a = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, e));
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(a, _mm_setzero_si128())) != 0xFFFF)
			return 0;
	}
	return 1;
}
#else
int page_is_zero(const void *p)
{
	const uint64_t *w = p;
	uint64_t acc = 0;
	unsigned i;
	for (i = 0; i < DEDUP_PAGE_SIZE / 8; i += 8) {
		acc = w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7];
		if (acc)
			return 0;
	}
	return 1;
}
#endif

/*
 * The merges' full compare, likewise: the hypervisor's memcmp (newlib's C,
 * -mno-sse) takes 8 bytes a turn of 8 instructions, ~4,100 for an equal
 * page, where dedupsim's (glibc's AVX2) takes ~590 (callgrind), so the
 * product's merges cost more than dedupsim's for the same work (make
 * bench-scan, scripts/scancmp.sh).  With SSE2 here: the XOR of 256 bytes
 * ORed into one register per test, ~890 for an equal page, the same code
 * in both; pages that differ still fail within the 256 bytes where they
 * do.  Frames are page-aligned; a buffer that is not 16-byte aligned (the
 * engine's scratch is malloc's, which aligns to 16 on both, but nothing
 * promises it) takes memcmp.
 */
#if defined(__SSE2__)
int page_equal(const void *a, const void *b)
{
	const __m128i *v = a, *w = b;
	unsigned i, j;
	if (((uintptr_t)a | (uintptr_t)b) & 15)
		return memcmp(a, b, DEDUP_PAGE_SIZE) == 0;
	for (i = 0; i < DEDUP_PAGE_SIZE / 16; i += 16) {
		__m128i x = _mm_setzero_si128();
#pragma GCC unroll 16
		for (j = 0; j < 16; j++)
			x = _mm_or_si128(x, _mm_xor_si128(_mm_load_si128(v + i + j), _mm_load_si128(w + i + j)));
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())) != 0xFFFF)
			return 0;
	}
	return 1;
}
#else
int page_equal(const void *a, const void *b)
{
	return memcmp(a, b, DEDUP_PAGE_SIZE) == 0;
}
#endif
