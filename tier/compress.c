/*
 * compress.c - a guest page through lz4 (see compress.h).
 *
 * LZ4_compress_fast_extState with acceleration 1 (lz4's default: the best
 * ratio of its fast mode) and the caller's bound as the output capacity, so
 * that lz4 itself gives up on a page that will not fit rather than
 * compressing it in full first.  LZ4_decompress_safe checks every offset
 * and length against both buffers: a damaged object fails, it never writes
 * past the page (tests/unit/test_lz4_page.c).
 */
#include "compress.h"
#include "lz4.h"

static LZ4_stream_t state; /* 16 KiB: static, not on the stack */

uint32_t tier_compress(const void *page, void *out, uint32_t cap)
{
	int n = LZ4_compress_fast_extState(&state, page, out, TIER_PAGE, (int)cap, 1);
	return n > 0 ? (uint32_t)n : 0;
}

int tier_decompress(const void *in, uint32_t len, void *page)
{
	if (len == 0 || len > TIER_PAGE)
		return -1;
	return LZ4_decompress_safe(in, page, (int)len, TIER_PAGE) == TIER_PAGE ? 0 : -1;
}
