/*
 * collide_hash.c - a stand-in for dedup/page.c in which every page has the
 * same hash.  Linked instead of page.c (a link-time seam, no #ifdef), it
 * turns every index lookup into a collision, so a test can show that only
 * the full compare decides a merge.
 */
#include <string.h>

#include "dedup_internal.h"

uint64_t page_hash(const void *p)
{
	(void)p;
	return 0x4242424242424242ull;
}

int page_is_zero(const void *p)
{
	static const unsigned char zero[DEDUP_PAGE_SIZE];
	return memcmp(p, zero, DEDUP_PAGE_SIZE) == 0;
}

int page_equal(const void *a, const void *b)
{
	return memcmp(a, b, DEDUP_PAGE_SIZE) == 0;
}
