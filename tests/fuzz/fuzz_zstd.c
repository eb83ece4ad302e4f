/*
 * fuzz_zstd.c - the cold tier's zstd codec (tier/zstd_page.c) over
 * hostile bytes.
 *
 * Feeds: the input as a compressed object (at most 2 KiB, the most the
 * pool keeps), decoded into a page between guard bytes; then the input's
 * bytes repeated to fill a page, compressed and decoded again.
 *
 * Checks: decoding hostile bytes returns 0 or -1 and never writes a guard
 * byte; a compressed page fits the bound it was given and decodes to the
 * same 4096 bytes; a page that does not fit is refused without a byte
 * written past the bound.
 */
#include <string.h>

#include "fuzz_common.h"
#include "zstd_page.h"

#define PAGE 4096
#define HALF 2048
#define GUARD 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t back[PAGE + 2 * GUARD], page[PAGE], out[HALF + GUARD];
	size_t len = size > HALF ? HALF : size, i;
	uint32_t n;
	int r;

	CHECK(tier_zstd_ready(), "the static workspaces hold zstd's contexts");
	memset(back, 0xa5, sizeof(back));
	r = tier_zstd_decompress(data, (uint32_t)len, back + GUARD);
	CHECK(r == 0 || r == -1, "decode returns 0 or -1");
	for (i = 0; i < GUARD; i++)
		CHECK(back[i] == 0xa5 && back[GUARD + PAGE + i] == 0xa5, "decode stays inside the page");

	if (!size)
		return 0;
	for (i = 0; i < PAGE; i++)
		page[i] = data[i % size];
	memset(out, 0x5a, sizeof(out));
	n = tier_zstd_compress(page, out, HALF);
	for (i = HALF; i < sizeof(out); i++)
		CHECK(out[i] == 0x5a, "compress writes nothing past its bound");
	if (n) {
		CHECK(n <= HALF, "the length is within the bound");
		memset(back, 0xa5, sizeof(back));
		CHECK(tier_zstd_decompress(out, n, back + GUARD) == 0, "a compressed page decodes");
		CHECK(memcmp(back + GUARD, page, PAGE) == 0, "to the same bytes");
	}
	return 0;
}
