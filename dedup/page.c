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

int page_equal(const void *a, const void *b)
{
	return memcmp(a, b, DEDUP_PAGE_SIZE) == 0;
}
