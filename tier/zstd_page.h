/*
 * zstd_page.h - one 4 KiB guest page compressed and decompressed with
 * zstd: the cold tier's second codec, for pages idle much longer.
 *
 * Debian's libzstd source (build/zstd, scripts/debsrc.sh; the Makefile
 * says why zstd).  One page per frame, zstd's magicless frame format
 * without content size, checksum or dictionary ID (the engine checks each
 * page against its own checksum), level 1: on the corpus of idle Debian
 * VMs it takes about half lz4's bytes, and on an idle VM's image it fits
 * under 2 KiB a sixth of the pages lz4 cannot (docs/tier.md).  Both contexts live in static workspaces
 * (zstd's "static" API: no malloc), so calls must be serialized, as the
 * engine's are.
 */
#ifndef TIER_ZSTD_PAGE_H
#define TIER_ZSTD_PAGE_H

#include <stdint.h>

/* The level: 1.  On the corpus's idle0 image (docs/tier.md) level 3 took
 * 2% fewer bytes at about the same speed, 5 took 4% fewer for 2.6x the
 * time, 9 4.5% for 7x; 1 keeps the smallest context (72 KiB, 3's 88). */
#define TIER_ZSTD_LEVEL 1

/* Compresses the 4096-byte page into out, at most cap bytes: the length,
 * or 0 when it does not fit or the workspace is too small for zstd's
 * context (nothing past cap is written either way). */
uint32_t tier_zstd_compress(const void *page, void *out, uint32_t cap);

/* Decompresses len bytes at in into page: 0 when they decode to exactly
 * 4096 bytes, -1 otherwise.  Whatever the input, nothing outside the page
 * is written. */
int tier_zstd_decompress(const void *in, uint32_t len, void *page) __attribute__((warn_unused_result));

/* Whether both contexts fit their static workspaces (checked once). */
int tier_zstd_ready(void);

#endif
