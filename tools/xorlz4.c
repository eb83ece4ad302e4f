/*
 * xorlz4.c - the XOR-then-lz4 patch format, for comparison only (patchbench,
 * docs/patching.md): the page XORed with its reference (zeros where they
 * agree) compressed by Debian's lz4 (build/lz4), behind the same 5-byte
 * header as delta/'s format (format byte 0x02, the page's checksum).
 * Decoding: LZ4_decompress_safe into the frame (it never writes past the
 * 4 KiB it is given), exactly 4096 bytes or refused, XOR with the
 * reference, checksum compared.
 */
#include <string.h>

#include "lz4.h"
#include "xorlz4.h"

#define FMT_XORLZ4 0x02

static LZ4_stream_t state; /* host tool, one thread */

int xorlz4_encode(void *ctx, const void *page_, const void *ref_, void *out_, size_t cap)
{
	const unsigned char *page = page_, *ref = ref_;
	unsigned char x[DELTA_PAGE_SIZE], *out = out_;
	uint32_t sum = delta_page_checksum(page);
	int n;

	(void)ctx;
	if (cap <= DELTA_HEADER)
		return DELTA_E2BIG;
	for (unsigned i = 0; i < DELTA_PAGE_SIZE; i++)
		x[i] = page[i] ^ ref[i];
	n = LZ4_compress_fast_extState(&state, (const char *)x, (char *)out + DELTA_HEADER,
				       DELTA_PAGE_SIZE, (int)(cap - DELTA_HEADER), 1);
	if (n <= 0)
		return DELTA_E2BIG;
	out[0] = FMT_XORLZ4;
	for (unsigned i = 0; i < 4; i++)
		out[1 + i] = (unsigned char)(sum >> 8 * i);
	return n + (int)DELTA_HEADER;
}

int xorlz4_decode(const void *ref_, const void *patch_, size_t len, void *out_)
{
	const unsigned char *ref = ref_, *p = patch_;
	unsigned char *out = out_;
	uint32_t sum;

	if (len <= DELTA_HEADER || p[0] != FMT_XORLZ4)
		return DELTA_EBADPATCH;
	if (LZ4_decompress_safe((const char *)p + DELTA_HEADER, (char *)out, (int)(len - DELTA_HEADER),
				DELTA_PAGE_SIZE) != DELTA_PAGE_SIZE)
		return DELTA_EBADPATCH;
	for (unsigned i = 0; i < DELTA_PAGE_SIZE; i++)
		out[i] ^= ref[i];
	sum = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
	return delta_page_checksum(out) == sum ? 0 : DELTA_ECHECKSUM;
}
