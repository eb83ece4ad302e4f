/*
 * zstd_page.c - a guest page through zstd (see zstd_page.h).
 *
 * How it works: zstd's static API places a compression and a decompression
 * context in memory the caller owns (ZSTD_initStaticCCtx/DCtx): here two
 * static arrays, sized for one 4 KiB page at TIER_ZSTD_LEVEL.  zstd sizes
 * its tables by the input it is told of: ZSTD_compress2() knows the whole
 * page is the input, so it uses the parameters of ZSTD_getCParams(level,
 * 4096, 0) (a 4 KiB window, an 8 K-entry hash table), which is what
 * ZSTD_estimateCCtxSize_usingCParams() sizes; a workspace too small makes
 * the first call fail, never overrun (tier_zstd_ready() says so, and the
 * unit test checks it).  The decompression context needs the same room
 * for any frame, ZSTD_estimateDCtxSize().
 *
 * The frame is magicless (ZSTD_f_zstd1_magicless: 4 bytes fewer), without
 * content size, checksum or dictionary ID: the pool's object header holds
 * the length, and the engine checks every page it reads back against its
 * own checksum.  ZSTD_decompressDCtx() checks every offset and length
 * against both buffers (zstd is fuzzed continuously; tests/fuzz/fuzz_zstd
 * here too): damaged bytes fail, they never write outside the page.  But
 * with the magicless format zstd 1.5.4 reads a 4-byte magic number when as
 * little as 1 byte is left (ZSTD_decompressMultiFrame: the loop wants
 * ZSTD_startingInputLength() bytes, 1 when magicless, then reads 4 to look
 * for a skippable frame), up to 3 bytes past the input; our fuzzer found
 * it (later zstd reads the magic number only in the zstd1 format, with 4
 * bytes left).  So the input is copied into a buffer with zeros after it, and zstd
 * reads only what we own; a 4 KiB page always takes more than 3 bytes.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <string.h>

#include "zstd_page.h"
#include "zstd.h"

#define PAGE 4096u

/* Measured with ZSTD_estimate*(): 73,624 and 95,976 bytes for zstd
 * 1.5.4 at level 1 for a 4 KiB input; a little room for another version. */
static uint64_t cws[80 * 1024 / 8], dws[100 * 1024 / 8];
static ZSTD_CCtx *cctx;
static ZSTD_DCtx *dctx;
static int state; /* 0: not tried, 1: ready, -1: a workspace is too small */
#define PAD 8
static unsigned char in_copy[PAGE + PAD]; /* the input, then PAD zeros (see the top) */

int tier_zstd_ready(void)
{
	if (state)
		return state > 0;
	state = -1;
	cctx = ZSTD_initStaticCCtx(cws, sizeof(cws));
	dctx = ZSTD_initStaticDCtx(dws, sizeof(dws));
	if (!cctx || !dctx ||
	    ZSTD_estimateCCtxSize_usingCParams(ZSTD_getCParams(TIER_ZSTD_LEVEL, PAGE, 0)) > sizeof(cws) ||
	    ZSTD_estimateDCtxSize() > sizeof(dws))
		return 0;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, TIER_ZSTD_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_format, ZSTD_f_zstd1_magicless)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_dictIDFlag, 0)) ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_format, ZSTD_f_zstd1_magicless)))
		return 0;
	state = 1;
	return 1;
}

uint32_t tier_zstd_compress(const void *page, void *out, uint32_t cap)
{
	size_t n;

	if (!tier_zstd_ready())
		return 0;
	n = ZSTD_compress2(cctx, out, cap, page, PAGE);
	return ZSTD_isError(n) || n == 0 ? 0 : (uint32_t)n;
}

int tier_zstd_decompress(const void *in, uint32_t len, void *page)
{
	size_t n;

	if (len < 4 || len > PAGE || !tier_zstd_ready())
		return -1;
	memcpy(in_copy, in, len);
	memset(in_copy + len, 0, PAD);
	n = ZSTD_decompressDCtx(dctx, page, PAGE, in_copy, len);
	return !ZSTD_isError(n) && n == PAGE ? 0 : -1;
}
