/*
 * test_zstd_page.c - Debian's zstd (build/zstd, scripts/debsrc.sh) on
 * 4 KiB pages through tier/zstd_page.c, the way the cold tier's second
 * codec uses it.
 *
 * What the tier relies on, checked here: both contexts fit the static
 * workspaces (no malloc in the hypervisor); a page comes back byte for
 * byte; zstd's output of a structured page is smaller than lz4's (the
 * reason for the second stage); a page that does not fit the bound is
 * refused (0), nothing written past it; and hostile or damaged input never
 * makes the decoder write outside the 4 KiB it was given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "compress.h"
#include "zstd_page.h"

#define PAGE 4096
#define HALF (PAGE / 2)
#define GUARD 64

static uint32_t next(uint32_t *x)
{
	*x ^= *x << 13; *x ^= *x >> 17; *x ^= *x << 5;
	return *x;
}

/* Like a slab of kernel objects: pointers, small counters, some noise. */
static void fill_structured(uint8_t *p, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	unsigned i;
	for (i = 0; i < PAGE; i += 8) {
		uint64_t v = (i % 64 == 0) ? 0xffff888003a00000ull + (next(&x) & 0xfff0) :
			     (i % 64 == 8) ? (uint64_t)(next(&x) & 0xff) : 0xffffffff81000000ull + (i / 64) * 0x40;
		memcpy(p + i, &v, sizeof(v));
	}
}

static void test_workspace_fits(void **st)
{
	(void)st;
	assert_true(tier_zstd_ready());
}

static void test_round_trip(void **st)
{
	static uint8_t page[PAGE], out[HALF], back[PAGE + 2 * GUARD];
	unsigned seed, i;
	(void)st;
	for (seed = 0; seed < 64; seed++) {
		uint32_t n;
		if (seed == 0)
			memset(page, 0, PAGE);
		else
			fill_structured(page, seed);
		if (seed == 5) /* a page of text: bytes, not words */
			for (i = 0; i < PAGE; i++)
				page[i] = (uint8_t)("the quick brown fox "[i % 20] ^ (i % 97 == 0));
		n = tier_zstd_compress(page, out, HALF);
		assert_true(n > 0 && n <= HALF);
		memset(back, 0xa5, sizeof(back));
		assert_int_equal(tier_zstd_decompress(out, n, back + GUARD), 0);
		assert_memory_equal(back + GUARD, page, PAGE);
		for (i = 0; i < GUARD; i++) {
			assert_int_equal(back[i], 0xa5);
			assert_int_equal(back[GUARD + PAGE + i], 0xa5);
		}
	}
}

/* The second stage is worth its cost only if it is smaller than lz4. */
static void test_smaller_than_lz4(void **st)
{
	static uint8_t page[PAGE], out[HALF];
	uint64_t lz = 0, zs = 0;
	unsigned seed;
	(void)st;
	for (seed = 1; seed < 33; seed++) {
		uint32_t a, b;
		fill_structured(page, seed);
		a = tier_compress(page, out, HALF);
		b = tier_zstd_compress(page, out, HALF);
		assert_true(a > 0 && b > 0);
		lz += a;
		zs += b;
	}
	assert_true(zs < lz);
}

/* Random bytes do not compress to half a page: refused, nothing past cap. */
static void test_incompressible_refused(void **st)
{
	static uint8_t page[PAGE], out[HALF + GUARD];
	uint32_t x = 7;
	unsigned i;
	(void)st;
	for (i = 0; i < PAGE; i++)
		page[i] = (uint8_t)next(&x);
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(tier_zstd_compress(page, out, HALF), 0);
	for (i = HALF; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x5a);
	/* and the context still works after the refusal */
	fill_structured(page, 9);
	assert_true(tier_zstd_compress(page, out, HALF) > 0);
}

/* Damaged and random inputs: the decoder fails or fills at most the page;
 * a wrong length (short or long) fails. */
static void test_hostile_input_stays_inside(void **st)
{
	static uint8_t page[PAGE], comp[HALF], bad[HALF], back[PAGE + 2 * GUARD];
	uint32_t x = 12345, n;
	unsigned t, i;
	(void)st;
	fill_structured(page, 3);
	n = tier_zstd_compress(page, comp, HALF);
	assert_true(n > 0);
	assert_int_not_equal(tier_zstd_decompress(comp, n - 1, page), 0);
	assert_int_not_equal(tier_zstd_decompress(comp, 0, page), 0);
	for (t = 0; t < 20000; t++) {
		uint32_t len = n;
		int r;
		memcpy(bad, comp, n);
		if (t % 2) {                 /* a few flipped bytes */
			for (i = 0; i < 4; i++) {
				next(&x);
				bad[x % n] ^= (uint8_t)(x >> 8);
			}
		} else {                     /* bytes of no meaning, any length */
			len = 1 + next(&x) % HALF;
			for (i = 0; i < len; i++)
				bad[i] = (uint8_t)next(&x);
		}
		memset(back, 0xa5, sizeof(back));
		r = tier_zstd_decompress(bad, len, back + GUARD);
		assert_true(r == 0 || r == -1);
		for (i = 0; i < GUARD; i++) {
			assert_int_equal(back[i], 0xa5);
			assert_int_equal(back[GUARD + PAGE + i], 0xa5);
		}
	}
	/* and the good object still decodes after all that */
	assert_int_equal(tier_zstd_decompress(comp, n, back + GUARD), 0);
	fill_structured(page, 3);
	assert_memory_equal(back + GUARD, page, PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workspace_fits),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_smaller_than_lz4),
		cmocka_unit_test(test_incompressible_refused),
		cmocka_unit_test(test_hostile_input_stays_inside),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
