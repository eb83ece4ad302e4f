/*
 * test_lz4_page.c - Debian's lz4 (build/lz4, scripts/debsrc.sh) on 4 KiB
 * pages, the way the compressed tier uses it.
 *
 * The tier compresses one guest page at a time with a state it owns
 * (LZ4_compress_fast_extState: nothing on the stack, no malloc) into at
 * most half a page, and decompresses with LZ4_decompress_safe into a
 * fresh frame.  What it relies on, checked here: a page comes back byte
 * for byte; a page that does not fit the bound is refused (0), not
 * truncated; and hostile or damaged input never makes the decoder write
 * outside the 4 KiB it was given (guard bytes around the output).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lz4.h"

#define PAGE 4096
#define HALF (PAGE / 2)
#define GUARD 64

static LZ4_stream_t state; /* the tier's: static, not on the stack */

/* A page like kernel text or a slab: runs of structure with varying words. */
static void fill_structured(uint8_t *p, unsigned seed)
{
	unsigned i;
	for (i = 0; i < PAGE; i += 8) {
		uint64_t v = 0xffffffff81000000ull + (uint64_t)(i / 64) * 0x40 + seed;
		memcpy(p + i, &v, sizeof(v));
	}
}

static void fill_random(uint8_t *p, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	unsigned i;
	for (i = 0; i < PAGE; i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static int compress_page(const uint8_t *page, uint8_t *out, int cap)
{
	return LZ4_compress_fast_extState(&state, (const char *)page, (char *)out, PAGE, cap, 1);
}

static void test_round_trip(void **st)
{
	static uint8_t page[PAGE], out[HALF], back[PAGE + 2 * GUARD];
	unsigned seed;
	(void)st;
	for (seed = 0; seed < 64; seed++) {
		int n, m;
		if (seed == 0)
			memset(page, 0, PAGE);
		else
			fill_structured(page, seed);
		n = compress_page(page, out, HALF);
		assert_true(n > 0 && n <= HALF);
		memset(back, 0xa5, sizeof(back));
		m = LZ4_decompress_safe((const char *)out, (char *)back + GUARD, n, PAGE);
		assert_int_equal(m, PAGE);
		assert_memory_equal(back + GUARD, page, PAGE);
	}
}

/* Random bytes do not compress to half a page: refused, nothing written past cap. */
static void test_incompressible_refused(void **st)
{
	static uint8_t page[PAGE], out[HALF + GUARD];
	unsigned i;
	(void)st;
	fill_random(page, 7);
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(compress_page(page, out, HALF), 0);
	for (i = HALF; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x5a);
}

/* Damaged and random inputs: the decoder fails or fills at most the page. */
static void test_hostile_input_stays_inside(void **st)
{
	static uint8_t page[PAGE], comp[HALF], bad[HALF], back[PAGE + 2 * GUARD];
	uint32_t x = 12345;
	unsigned t, i;
	int n;
	(void)st;
	fill_structured(page, 3);
	n = compress_page(page, comp, HALF);
	assert_true(n > 0);
	for (t = 0; t < 20000; t++) {
		int len = n, m;
		memcpy(bad, comp, (size_t)n);
		if (t % 2) {                 /* a few flipped bytes */
			for (i = 0; i < 4; i++) {
				x ^= x << 13; x ^= x >> 17; x ^= x << 5;
				bad[x % (unsigned)n] ^= (uint8_t)(x >> 8);
			}
		} else {                     /* bytes of no meaning, any length */
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			len = 1 + (int)(x % HALF);
			for (i = 0; i < (unsigned)len; i++) {
				x ^= x << 13; x ^= x >> 17; x ^= x << 5;
				bad[i] = (uint8_t)x;
			}
		}
		memset(back, 0xa5, sizeof(back));
		m = LZ4_decompress_safe((const char *)bad, (char *)back + GUARD, len, PAGE);
		assert_true(m <= PAGE);
		for (i = 0; i < GUARD; i++) {
			assert_int_equal(back[i], 0xa5);
			assert_int_equal(back[GUARD + PAGE + i], 0xa5);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_incompressible_refused),
		cmocka_unit_test(test_hostile_input_stays_inside),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
