/*
 * compress.h - one 4 KiB guest page compressed and decompressed with lz4.
 *
 * Debian's lz4 (build/lz4, scripts/debsrc.sh; the Makefile says why lz4):
 * the block format, one page per block, no dictionary, so each object
 * decodes alone.  Plain C; the compressor's 16 KiB state is static (not on
 * the hypervisor's stack, no malloc), so calls must be serialized, as the
 * engine's are.
 */
#ifndef TIER_COMPRESS_H
#define TIER_COMPRESS_H

#include <stdint.h>

#define TIER_PAGE 4096u

/* Compresses the page into out, at most cap bytes: the length, or 0 when
 * it does not fit (then out holds nothing useful, and nothing past cap was
 * written). */
uint32_t tier_compress(const void *page, void *out, uint32_t cap);

/* Decompresses len bytes at in into page: 0 when they decode to exactly
 * TIER_PAGE bytes, -1 otherwise.  Whatever the input, nothing outside the
 * page is written. */
int tier_decompress(const void *in, uint32_t len, void *page) __attribute__((warn_unused_result));

#endif
