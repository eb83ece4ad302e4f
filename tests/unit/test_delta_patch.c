/*
 * test_delta_patch.c - delta/patch.c: pages as patches against a
 * reference, and their rebuild.
 *
 * What the engine will rely on: a patch rebuilds its page byte for byte;
 * one that does not fit the size class is refused and nothing is written
 * past the bound; a damaged patch or reference is refused with an error,
 * never a wrong page; hostile bytes never make the decoder write outside
 * its 4 KiB; the format is what patch.c's header says (hand-made patches
 * decode as documented).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "delta.h"

#define PAGE 4096
#define GUARD 64

static struct delta_work work;
static uint8_t ref[PAGE], page[PAGE], patch[2 * PAGE], back[PAGE + 2 * GUARD];

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Kernel-data-like: 8-byte words, pointers into one region, small integers, zeros. */
static void fill_like_kernel(uint8_t *p, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 7;
	for (unsigned i = 0; i < PAGE; i += 8) {
		uint64_t v;
		switch (rnd(&x) % 4) {
		case 0: v = 0xffff888000000000ull + (rnd(&x) & 0xfffff8); break;
		case 1: v = rnd(&x) % 100; break;
		case 2: v = 0; break;
		default: v = (uint64_t)rnd(&x) << 32 | rnd(&x); break;
		}
		memcpy(p + i, &v, 8);
	}
}

static void fill_random(uint8_t *p, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (unsigned i = 0; i < PAGE; i++)
		p[i] = (uint8_t)rnd(&x);
}

/* Encodes page against ref (cap), decodes it between guard bytes, checks. */
static int round_trip(size_t cap)
{
	int n = delta_encode(&work, page, ref, patch, cap);
	if (n < 0)
		return n;
	assert_true(n > (int)DELTA_HEADER && (size_t)n <= cap);
	memset(back, 0xa5, sizeof(back));
	assert_int_equal(delta_decode(ref, patch, (size_t)n, back + GUARD), 0);
	assert_memory_equal(back + GUARD, page, PAGE);
	for (unsigned i = 0; i < GUARD; i++) {
		assert_int_equal(back[i], 0xa5);
		assert_int_equal(back[GUARD + PAGE + i], 0xa5);
	}
	return n;
}

static void test_identical_page_is_a_few_bytes(void **st)
{
	(void)st;
	fill_like_kernel(ref, 1);
	memcpy(page, ref, PAGE);
	/* header + one SAME of 4096 (token and u16 length) */
	assert_int_equal(round_trip(DELTA_MAX_PATCH), DELTA_HEADER + 3);
}

/* A few changed words (KASLR-like pointer changes): round trip, and the
 * patch grows with the change, not with the page. */
static void test_few_changes_round_trip(void **st)
{
	(void)st;
	for (uint32_t seed = 0; seed < 200; seed++) {
		uint32_t x = seed + 99;
		unsigned changes = seed % 40;
		int n;
		fill_like_kernel(ref, seed);
		memcpy(page, ref, PAGE);
		for (unsigned c = 0; c < changes; c++)
			page[(rnd(&x) % (PAGE / 8)) * 8 + rnd(&x) % 4] ^= (uint8_t)(1 + rnd(&x) % 255);
		n = round_trip(DELTA_MAX_PATCH);
		assert_true(n > 0);
		assert_true((unsigned)n <= DELTA_HEADER + 3 + changes * 5);
	}
}

/* Content that moved (the same data at another offset) is copied, not inserted. */
static void test_moved_content_is_copied(void **st)
{
	(void)st;
	fill_random(ref, 5);
	memcpy(page, ref + 1000, PAGE - 1000);
	memcpy(page + PAGE - 1000, ref, 1000);
	assert_true(round_trip(DELTA_MAX_PATCH) <= 32);
}

/* Content repeated inside the page is copied from the page itself. */
static void test_repeated_content_is_copied(void **st)
{
	(void)st;
	fill_random(ref, 6);
	fill_random(page, 7);
	memcpy(page + 2048, page, 2048);
	/* 2 KiB of literals plus a copy of the same 2 KiB */
	int n = round_trip(PAGE + 64);
	assert_true(n > 2048 && n <= 2048 + 32);
}

static void test_zeroed_region_is_a_run(void **st)
{
	(void)st;
	fill_random(ref, 8);
	memcpy(page, ref, PAGE);
	memset(page + 100, 0, 3000);
	assert_true(round_trip(DELTA_MAX_PATCH) <= 16);
}

/* Unrelated pages do not fit the size class: refused, nothing past the bound. */
static void test_oversized_refused(void **st)
{
	(void)st;
	fill_random(ref, 10);
	fill_random(page, 11);
	for (size_t cap = 0; cap <= DELTA_MAX_PATCH; cap += cap < 16 ? 1 : 509) {
		memset(patch, 0x5a, sizeof(patch));
		assert_int_equal(delta_encode(&work, page, ref, patch, cap), DELTA_E2BIG);
		for (size_t i = cap; i < sizeof(patch); i++)
			assert_int_equal(patch[i], 0x5a);
	}
	/* With room for the whole page as literals, it round-trips. */
	assert_true(round_trip(sizeof(patch)) > PAGE);
}

/* A bound just under a patch's size refuses it; at its size it is made. */
static void test_bound_is_exact(void **st)
{
	int n;
	(void)st;
	fill_like_kernel(ref, 12);
	memcpy(page, ref, PAGE);
	for (unsigned i = 0; i < PAGE; i += 97)
		page[i] ^= 0x42;
	n = delta_encode(&work, page, ref, patch, sizeof(patch));
	assert_true(n > 0);
	assert_int_equal(delta_encode(&work, page, ref, patch, (size_t)n - 1), DELTA_E2BIG);
	assert_int_equal(round_trip((size_t)n), n);
}

/* Every single-byte change to a patch is refused, or (a COPY source moved
 * onto equal bytes) rebuilds the very same page: never a wrong page. */
static void test_corrupt_patch_refused(void **st)
{
	uint8_t bad[PAGE];
	unsigned refused = 0;
	int n;
	(void)st;
	fill_like_kernel(ref, 13);
	memcpy(page, ref, PAGE);
	for (unsigned i = 0; i < PAGE; i += 61)
		page[i] ^= 0x5c;
	memset(page + 3000, 0, 200);
	memcpy(page + 1200, ref + 2200, 300);
	n = delta_encode(&work, page, ref, patch, DELTA_MAX_PATCH);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			int rc;
			memcpy(bad, patch, (size_t)n);
			bad[i] ^= (uint8_t)(1u << bit);
			memset(back, 0xa5, sizeof(back));
			rc = delta_decode(ref, bad, (size_t)n, back + GUARD);
			assert_true(rc == 0 || rc == DELTA_EBADPATCH || rc == DELTA_ECHECKSUM);
			if (rc == 0)
				assert_memory_equal(back + GUARD, page, PAGE);
			else
				refused++;
			assert_int_equal(back[GUARD - 1], 0xa5);
			assert_int_equal(back[GUARD + PAGE], 0xa5);
		}
	}
	assert_true(refused >= (unsigned)n * 8 * 9 / 10);
	/* Cut short, or with a byte too many: malformed. */
	for (int len = 0; len < n; len++)
		assert_int_not_equal(delta_decode(ref, patch, (size_t)len, back + GUARD), 0);
	memcpy(bad, patch, (size_t)n);
	bad[n] = 0;
	assert_int_equal(delta_decode(ref, bad, (size_t)n + 1, back + GUARD), DELTA_EBADPATCH);
	/* Only the last byte changed: SAME 4095, INSERT 1.  That literal
	 * changed again is well formed, so the checksum refuses it. */
	memcpy(page, ref, PAGE);
	page[PAGE - 1] ^= 0x11;
	n = delta_encode(&work, page, ref, patch, DELTA_MAX_PATCH);
	assert_int_equal(n, DELTA_HEADER + 3 + 2);
	patch[n - 1] ^= 1;
	assert_int_equal(delta_decode(ref, patch, (size_t)n, back + GUARD), DELTA_ECHECKSUM);
}

/* The same patch against a damaged reference: refused by the checksum. */
static void test_damaged_reference_refused(void **st)
{
	int n;
	(void)st;
	fill_like_kernel(ref, 14);
	memcpy(page, ref, PAGE);
	page[17] ^= 1;
	n = delta_encode(&work, page, ref, patch, DELTA_MAX_PATCH);
	assert_true(n > 0);
	ref[2000] ^= 0x80;
	assert_int_equal(delta_decode(ref, patch, (size_t)n, back + GUARD), DELTA_ECHECKSUM);
}

/* Hostile bytes behind a valid format byte: the decoder fails or rebuilds
 * a page, and writes nothing outside the 4 KiB it was given. */
static void test_hostile_patches_stay_inside(void **st)
{
	uint32_t x = 4242;
	(void)st;
	fill_like_kernel(ref, 15);
	for (unsigned t = 0; t < 20000; t++) {
		size_t len = 1 + rnd(&x) % 600;
		int rc;
		for (size_t i = 0; i < len; i++)
			patch[i] = (uint8_t)rnd(&x);
		patch[0] = DELTA_FMT_COPYINS;
		memset(back, 0xa5, sizeof(back));
		rc = delta_decode(ref, patch, len, back + GUARD);
		assert_true(rc == DELTA_EBADPATCH || rc == DELTA_ECHECKSUM);
		for (unsigned i = 0; i < GUARD; i++) {
			assert_int_equal(back[i], 0xa5);
			assert_int_equal(back[GUARD + PAGE + i], 0xa5);
		}
	}
}

static void put_sum(uint8_t *p, const uint8_t *content)
{
	uint32_t s = delta_page_checksum(content);
	p[0] = DELTA_FMT_COPYINS;
	for (unsigned i = 0; i < 4; i++)
		p[1 + i] = (uint8_t)(s >> 8 * i);
}

/* Hand-made patches decode as patch.c's header documents the format. */
static void test_format_as_documented(void **st)
{
	uint8_t p[64];
	(void)st;
	fill_random(ref, 16);

	/* SAME 4096 (extended length): the reference itself. */
	put_sum(p, ref);
	p[5] = 0 << 6 | 63; p[6] = 0x00; p[7] = 0x10;
	assert_int_equal(delta_decode(ref, p, 8, back), 0);
	assert_memory_equal(back, ref, PAGE);

	/* INSERT 2 "AB", COPY from the page at 0, 4094 long: "ABAB...". */
	for (unsigned i = 0; i < PAGE; i++)
		page[i] = i % 2 ? 'B' : 'A';
	put_sum(p, page);
	p[5] = 1 << 6 | 1; p[6] = 'A'; p[7] = 'B';
	p[8] = 2 << 6 | 63; p[9] = 0xFE; p[10] = 0x0F; p[11] = 0x00; p[12] = 0x80;
	assert_int_equal(delta_decode(ref, p, 13, back), 0);
	assert_memory_equal(back, page, PAGE);

	/* RUN 4096 of 0x33; COPY 4096 from the reference at 0; each alone. */
	memset(page, 0x33, PAGE);
	put_sum(p, page);
	p[5] = 3 << 6 | 63; p[6] = 0x00; p[7] = 0x10; p[8] = 0x33;
	assert_int_equal(delta_decode(ref, p, 9, back), 0);
	assert_memory_equal(back, page, PAGE);
	put_sum(p, ref);
	p[5] = 2 << 6 | 63; p[6] = 0x00; p[7] = 0x10; p[8] = 0; p[9] = 0;
	assert_int_equal(delta_decode(ref, p, 10, back), 0);
	assert_memory_equal(back, ref, PAGE);

	/* COPY from the reference past its end; from the page at or past the
	 * cursor; a run past the page; a zero extended length; short of 4096;
	 * an unknown format byte. */
	p[8] = 1;
	assert_int_equal(delta_decode(ref, p, 10, back), DELTA_EBADPATCH);
	p[5] = 1 << 6 | 0; p[6] = 'x'; p[7] = 2 << 6 | 0; p[8] = 1; p[9] = 0x80;
	assert_int_equal(delta_decode(ref, p, 10, back), DELTA_EBADPATCH);
	p[5] = 0 << 6 | 63; p[6] = 0x01; p[7] = 0x10;
	assert_int_equal(delta_decode(ref, p, 8, back), DELTA_EBADPATCH);
	p[6] = 0; p[7] = 0;
	assert_int_equal(delta_decode(ref, p, 8, back), DELTA_EBADPATCH);
	p[5] = 0 << 6 | 62;
	assert_int_equal(delta_decode(ref, p, 6, back), DELTA_EBADPATCH);
	p[0] = 0x02; p[5] = 0 << 6 | 63; p[6] = 0x00; p[7] = 0x10;
	assert_int_equal(delta_decode(ref, p, 8, back), DELTA_EBADPATCH);
	/* Right shape, wrong checksum. */
	put_sum(p, page);
	assert_int_equal(delta_decode(ref, p, 8, back), DELTA_ECHECKSUM);
}

static void test_bad_arguments(void **st)
{
	(void)st;
	fill_random(ref, 17);
	assert_int_equal(delta_encode(NULL, ref, ref, patch, 100), DELTA_EINVAL);
	assert_int_equal(delta_encode(&work, NULL, ref, patch, 100), DELTA_EINVAL);
	assert_int_equal(delta_encode(&work, ref, ref, patch, DELTA_HEADER), DELTA_E2BIG);
	int n = delta_encode(&work, ref, ref, patch, 100);
	assert_true(n > 0);
	/* The output may not overlap the reference or the patch. */
	memcpy(back, ref, PAGE);
	assert_int_equal(delta_decode(back, patch, (size_t)n, back), DELTA_EINVAL);
	assert_int_equal(delta_decode(ref, back, (size_t)n, back + 1), DELTA_EINVAL);
	assert_int_equal(delta_decode(ref, NULL, (size_t)n, back), DELTA_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_page_is_a_few_bytes),
		cmocka_unit_test(test_few_changes_round_trip),
		cmocka_unit_test(test_moved_content_is_copied),
		cmocka_unit_test(test_repeated_content_is_copied),
		cmocka_unit_test(test_zeroed_region_is_a_run),
		cmocka_unit_test(test_oversized_refused),
		cmocka_unit_test(test_bound_is_exact),
		cmocka_unit_test(test_corrupt_patch_refused),
		cmocka_unit_test(test_damaged_reference_refused),
		cmocka_unit_test(test_hostile_patches_stay_inside),
		cmocka_unit_test(test_format_as_documented),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
