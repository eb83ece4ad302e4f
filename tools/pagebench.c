/*
 * pagebench - how fast the engine hashes, compares and zero-checks pages.
 *
 * Times dedup/page.c's functions (the engine's own) on the host: hot (one
 * page, in cache) and cold (a sweep over 1 GiB of distinct pages, so each
 * comes from DRAM).  Prints pages per second; part of make bench.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup_internal.h"

#define COLD_PAGES (1u << 18) /* 1 GiB */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static volatile uint64_t sink;

int main(void)
{
	unsigned char *a = malloc((size_t)COLD_PAGES * 4096 + 4096), *b = malloc(4096);
	const unsigned hot = 2000000;
	double t;
	unsigned i;

	if (!a || !b)
		return fprintf(stderr, "pagebench: out of memory\n"), 1;
	for (i = 0; i < COLD_PAGES; i++) /* distinct, non-zero pages */
		memset(a + (size_t)i * 4096, (int)(i * 2654435761u >> 24) | 1, 4096),
		((uint32_t *)(a + (size_t)i * 4096))[7] = i;
	memcpy(b, a, 4096);

	t = now();
	for (i = 0; i < hot; i++)
		sink += page_hash(a);
	printf("XXH3-64 hash, hot:        %6.2f M pages/s (%5.1f GB/s)\n", hot / (now() - t) / 1e6,
	       hot * 4096.0 / (now() - t) / 1e9);
	t = now();
	for (i = 0; i < hot; i++)
		sink += page_equal(a, b);
	printf("4 KiB compare, hot:       %6.2f M pages/s\n", hot / (now() - t) / 1e6);
	memset(b, 0, 4096);
	t = now();
	for (i = 0; i < hot; i++)
		sink += page_is_zero(b);
	printf("zero check of a zero page:%6.2f M pages/s\n", hot / (now() - t) / 1e6);

	t = now();
	for (i = 0; i < COLD_PAGES; i++)
		sink += page_hash(a + (size_t)i * 4096);
	printf("XXH3-64 hash, cold:       %6.2f M pages/s (%.2f us a page)\n",
	       COLD_PAGES / (now() - t) / 1e6, (now() - t) / COLD_PAGES * 1e6);
	t = now();
	for (i = 0; i + 1 < COLD_PAGES; i += 2)
		sink += page_equal(a + (size_t)i * 4096, a + (size_t)(i + 1) * 4096 + 0);
	printf("4 KiB compare, cold:      %6.2f M page pairs/s (differ at byte 0)\n",
	       COLD_PAGES / 2 / (now() - t) / 1e6);
	free(a);
	free(b);
	return 0;
}
