/*
 * page.c - hashing and comparing 4 KiB pages.
 *
 * The hash is XXH3-64 from xxHash (Debian's libxxhash-dev, header-only with
 * XXH_INLINE_ALL): the fastest well-kept non-cryptographic hash, ~30 GB/s
 * per core with SIMD, scalar in the hypervisor (built without SSE), and it
 * needs no libc beyond memcpy.  It only nominates merge candidates: the
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
