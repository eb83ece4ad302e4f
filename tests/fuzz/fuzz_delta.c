/*
 * fuzz_delta.c - delta/patch.c's decoder over hostile bytes, and its
 * encoder over hostile pages.
 *
 * Feeds: u8 mode, u32 seed.  The reference page is made from the seed
 * (mode & 1: random bytes; else kernel-like words: pointers, small
 * numbers, zeros), in a 4 KiB heap block of its own, as is the output
 * frame: AddressSanitizer reports any byte read or written outside either.
 *   mode & 2 clear: the rest of the input is a patch, given to
 *     delta_decode whole (its first byte replaced by the format byte when
 *     mode & 4, so the ops are reached).
 *     Checks: the result is 0, DELTA_EBADPATCH or DELTA_ECHECKSUM; on 0,
 *     the frame's checksum is the one the patch carries.
 *   mode & 2 set: the rest edits a copy of the reference into a page
 *     (records of u8 kind, u16 offset, u16 length, u8 value: set a byte,
 *     fill a run, copy a run from the reference's other offset, or from
 *     the page's own earlier bytes), encoded within a bound (u16 % 4200),
 *     decoded again.
 *     Checks: a patch no longer than the bound and longer than the header,
 *     or DELTA_E2BIG with nothing written past the bound; what it makes
 *     decodes to the page exactly.
 */
#include <string.h>

#include "delta.h"
#include "fuzz_common.h"

#define PAGE DELTA_PAGE_SIZE

static struct delta_work work;

static void make_ref(uint8_t *ref, uint32_t seed, int random)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	for (unsigned i = 0; i < PAGE; i += 8) {
		uint64_t v;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (random)
			v = x;
		else if (x % 4 == 0)
			v = 0xffff888000000000ull + (x >> 20 & 0xfffff8);
		else if (x % 4 == 1)
			v = x >> 58;
		else
			v = 0;
		memcpy(ref + i, &v, 8);
	}
}

static void decode_hostile(const uint8_t *ref, uint8_t *out, struct fz *f, int fix_format)
{
	uint8_t *patch = malloc(f->n ? f->n : 1); /* exactly the input: ASan sees any overread */
	uint32_t sum;
	int rc;

	CHECK(patch, "out of memory");
	memcpy(patch, f->p, f->n);
	if (fix_format && f->n)
		patch[0] = DELTA_FMT_COPYINS;
	rc = delta_decode(ref, patch, f->n, out);
	CHECK(rc == 0 || rc == DELTA_EBADPATCH || rc == DELTA_ECHECKSUM, "decode returned %d", rc);
	if (rc == 0) {
		CHECK(f->n > DELTA_HEADER, "a patch of %zu bytes decoded", f->n);
		sum = (uint32_t)patch[1] | (uint32_t)patch[2] << 8 | (uint32_t)patch[3] << 16 |
		      (uint32_t)patch[4] << 24;
		CHECK(delta_page_checksum(out) == sum, "decoded a page of another checksum");
	}
	free(patch);
}

static void round_trip(const uint8_t *ref, uint8_t *out, struct fz *f)
{
	uint8_t *page = malloc(PAGE), *patch;
	size_t cap = fz_u16(f) % 4200;
	int n, rc;

	CHECK(page, "out of memory");
	memcpy(page, ref, PAGE);
	while (f->n) {
		unsigned kind = fz_u8(f) % 4, off = fz_u16(f) % PAGE, len = fz_u16(f) % PAGE;
		uint8_t val = fz_u8(f);
		if (len > PAGE - off)
			len = PAGE - off;
		switch (kind) {
		case 0: page[off] = val; break;
		case 1: memset(page + off, val, len); break;
		case 2: { /* from the reference at another offset */
			unsigned src = (off + val * 16u) % PAGE;
			if (len > PAGE - src)
				len = PAGE - src;
			memcpy(page + off, ref + src, len);
			break;
		}
		default: /* from the page's own earlier bytes */
			if (off) {
				unsigned src = val % off;
				memmove(page + off, page + src, len);
			}
			break;
		}
	}
	patch = malloc(cap + 16);
	CHECK(patch, "out of memory");
	memset(patch, 0x5a, cap + 16);
	n = delta_encode(&work, page, ref, patch, cap);
	if (n == DELTA_E2BIG) {
		for (size_t i = cap; i < cap + 16; i++)
			CHECK(patch[i] == 0x5a, "encode wrote past its bound (%zu)", cap);
	} else {
		CHECK(n > (int)DELTA_HEADER && (size_t)n <= cap, "encode returned %d for bound %zu", n, cap);
		rc = delta_decode(ref, patch, (size_t)n, out);
		CHECK(rc == 0, "a fresh patch did not decode: %d", rc);
		CHECK(memcmp(out, page, PAGE) == 0, "a fresh patch decoded to another page");
	}
	free(patch);
	free(page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t mode = fz_u8(&f);
	uint32_t seed = fz_u32(&f);
	uint8_t *ref = malloc(PAGE), *out = malloc(PAGE);

	CHECK(ref && out, "out of memory");
	make_ref(ref, seed, mode & 1);
	if (mode & 2)
		round_trip(ref, out, &f);
	else
		decode_hostile(ref, out, &f, mode & 4);
	free(ref);
	free(out);
	return 0;
}
