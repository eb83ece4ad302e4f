/* test_frames.c - the frame allocator over made-up memory maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frames.h"

#define MB (1ull << 20)
#define R(base, bytes, type) { (base), (bytes) / 4096, (type), 0 }

static struct frame_pool fp;
static void *meta;

static int init(struct boot_mem_region *r, size_t n, const char **why)
{
	uint64_t bytes = frames_meta_bytes(r, n);
	free(meta);
	meta = malloc(bytes ? bytes : 1);
	return frames_init(&fp, r, n, meta, bytes, why);
}

static void test_counts_and_reserved(void **state)
{
	struct boot_mem_region r[] = {
		R(0, 640 * 1024, BOOT_MEM_USABLE),        /* below 1 MiB: kept */
		R(1 * MB, 15 * MB, BOOT_MEM_USABLE),
		R(16 * MB, 2 * MB, BOOT_MEM_LOADER),
		R(18 * MB, 14 * MB, BOOT_MEM_USABLE),
		R(32 * MB, 1 * MB, BOOT_MEM_RESERVED),
	};
	const char *why = NULL;
	uint64_t p;
	(void)state;
	assert_int_equal(init(r, 5, &why), 0);
	assert_int_equal(fp.nusable, (29 * MB) / 4096);
	assert_int_equal(fp.nfree, fp.nusable);
	assert_int_equal(frames_meta(&fp, 16 * MB)->state, FRAME_RESERVED);
	assert_null(frames_meta(&fp, 0));        /* below 1 MiB: not managed */
	assert_null(frames_meta(&fp, 64 * MB));
	assert_null(frames_meta(&fp, 2 * MB + 1)); /* unaligned */
	/* Ascending addresses, never a loader frame. */
	assert_int_equal(frames_alloc(&fp, FRAME_GUEST, &p), 0);
	assert_int_equal(p, 1 * MB);
	assert_int_equal(frames_meta(&fp, p)->state, FRAME_GUEST);
	assert_int_equal(frames_meta(&fp, p)->ref, 1);
	while (fp.nfree) {
		assert_int_equal(frames_alloc(&fp, FRAME_KERNEL, &p), 0);
		assert_true(p < 16 * MB || p >= 18 * MB);
		assert_true(p >= 1 * MB && p < 32 * MB);
	}
	assert_int_equal(frames_alloc(&fp, FRAME_KERNEL, &p), -1);
}

static void test_free_and_double_free(void **state)
{
	struct boot_mem_region r[] = { R(1 * MB, 31 * MB, BOOT_MEM_USABLE),
				       R(32 * MB, 1 * MB, BOOT_MEM_RESERVED) };
	const char *why;
	uint64_t a, b;
	(void)state;
	assert_int_equal(init(r, 2, &why), 0);
	assert_int_equal(frames_alloc(&fp, FRAME_GUEST, &a), 0);
	assert_int_equal(frames_alloc(&fp, FRAME_GUEST, &b), 0);
	assert_int_equal(fp.nfree, fp.nusable - 2);
	assert_int_equal(frames_free(&fp, a), 0);
	assert_int_equal(frames_free(&fp, a), -1);      /* double free */
	assert_int_equal(frames_free(&fp, 32 * MB), -1); /* reserved */
	assert_int_equal(frames_free(&fp, 100 * MB), -1);/* not ours */
	assert_int_equal(frames_free(&fp, b + 8), -1);   /* unaligned */
	assert_int_equal(fp.nfree, fp.nusable - 1);
	/* LIFO: the frame just freed comes back first. */
	assert_int_equal(frames_alloc(&fp, FRAME_EPT, &b), 0);
	assert_int_equal(b, a);
}

static void test_too_small(void **state)
{
	struct boot_mem_region r[] = { R(0, 640 * 1024, BOOT_MEM_USABLE),
				       R(1 * MB, 15 * MB - 4096, BOOT_MEM_USABLE) };
	const char *why = NULL;
	(void)state;
	assert_int_equal(init(r, 2, &why), -1);
	assert_non_null(strstr(why, "memory map too small"));
	{
		struct boot_mem_region none[] = { R(0, 512 * 1024, BOOT_MEM_USABLE) };
		assert_int_equal(init(none, 1, &why), -1);
	}
	{
		struct boot_mem_region ok[] = { R(1 * MB, 64 * MB, BOOT_MEM_USABLE) };
		char small[16];
		assert_int_equal(frames_init(&fp, ok, 1, small, sizeof(small), &why), -1);
		assert_non_null(strstr(why, "metadata buffer too small"));
	}
}

static void test_carve(void **state)
{
	struct boot_mem_region r[] = {
		R(0, 640 * 1024, BOOT_MEM_USABLE),
		R(1 * MB, 8 * MB, BOOT_MEM_USABLE),
		R(9 * MB, 1 * MB, BOOT_MEM_RESERVED),
		R(10 * MB, 30 * MB, BOOT_MEM_USABLE),
	};
	const char *why;
	uint64_t p, q, total = frames_usable_bytes(r, 4);
	(void)state;
	assert_int_equal(total, 640 * 1024 + 38 * MB);
	/* Off the top of the highest region. */
	assert_int_equal(frames_carve(r, 4, 5000, &p), 0);
	assert_int_equal(p, 40 * MB - 8192);
	assert_int_equal(r[3].pages, 30 * MB / 4096 - 2);
	/* Too big for the top region: the next one down. */
	assert_int_equal(frames_carve(r, 4, 29 * MB, &q), 0);
	assert_int_equal(q, 10 * MB + (30 * MB - 8192) - 29 * MB);
	assert_int_equal(frames_carve(r, 4, 7 * MB, &q), 0);
	assert_int_equal(q, 2 * MB);
	assert_int_equal(frames_carve(r, 4, 2 * MB, &q), -1);  /* nothing above 1 MiB fits */
	/* Carved memory is never handed out. */
	assert_int_equal(init(r, 4, &why), -1); /* now below 16 MiB: refused */
}

/* A map the allocator cannot trust is refused by every entry point, never
 * turned into wrapped sizes: frames.c may see a map boot_info_check did not.
 * One cmocka test per map (its state), so that each is reported. */
struct bad_map {
	const char *fragment;
	size_t n;
	struct boot_mem_region r[3];
};

static struct bad_map bad_maps[] = {
	/* pages * 4096 overflows: the old end was 128 MiB + 1 MiB, and 1 MiB
	 * was carved out of the middle of a region of 2^52 pages. */
	{ "memory region 1: base 0x8000000 + 0x10000000000100 pages overflows", 2,
	  { R(1 * MB, 64 * MB, BOOT_MEM_USABLE), { 128 * MB, (1ull << 52) + 256, BOOT_MEM_USABLE, 0 } } },
	/* The old metadata size overflowed to 381 KiB for 2^62 frames. */
	{ "memory region 1: base 0x8000000 + 0x4000000000000000 pages overflows", 2,
	  { R(1 * MB, 64 * MB, BOOT_MEM_USABLE), { 128 * MB, 1ull << 62, BOOT_MEM_USABLE, 0 } } },
	/* base + size wraps past 2^64. */
	{ "memory region 1: base 0xffffffffffe00000 + 0x400 pages wraps", 2,
	  { R(1 * MB, 64 * MB, BOOT_MEM_USABLE), { 0xFFFFFFFFFFE00000ull, 1024, BOOT_MEM_USABLE, 0 } } },
	{ "memory region 0: base 0x200000 + 0xfffffffffff00 pages wraps", 1,
	  { { 2 * MB, (0 - 2 * MB) / 4096 + 256, BOOT_MEM_USABLE, 0 } } },
	/* Beyond the 52-bit physical address space, without wrapping. */
	{ "memory region 1: base 0xffffffffff000 + 0x2 pages ends beyond", 2,
	  { R(1 * MB, 64 * MB, BOOT_MEM_USABLE), { (1ull << 52) - 4096, 2, BOOT_MEM_RESERVED, 0 } } },
	/* Overlapping usable regions: counted twice, and a carve from one
	 * left the carved frames free in the other. */
	{ "memory regions 0 and 1 overlap", 2,
	  { R(1 * MB, 32 * MB, BOOT_MEM_USABLE), R(16 * MB, 32 * MB, BOOT_MEM_USABLE) } },
	/* A usable region over a loader one hands the loader's data out. */
	{ "memory regions 0 and 1 overlap", 3,
	  { R(1 * MB, 64 * MB, BOOT_MEM_USABLE), R(8 * MB, 1 * MB, BOOT_MEM_LOADER),
	    R(65 * MB, 1 * MB, BOOT_MEM_USABLE) } },
	{ "memory region 1 (base 0x100000) is below region 0", 2,
	  { R(64 * MB, 32 * MB, BOOT_MEM_USABLE), R(1 * MB, 32 * MB, BOOT_MEM_USABLE) } },
	/* Unaligned: base / 4096 freed the bytes before the region. */
	{ "memory region 0: base 0x100800 not 4 KiB aligned", 1,
	  { R(1 * MB + 0x800, 64 * MB, BOOT_MEM_USABLE) } },
	/* More frames than the free stack's 32-bit indices reach. */
	{ "more than 16 TiB", 2,
	  { R(1 * MB, 64 * MB, BOOT_MEM_USABLE), R(1ull << 45, 1 * MB, BOOT_MEM_USABLE) } },
};

static void test_bad_map(void **state)
{
	struct bad_map *m = *state;
	struct boot_mem_region *r = m->r;
	const char *why = NULL;
	uint64_t p = 0x1234, pages[3];
	size_t i;
	static char buf[4096];

	for (i = 0; i < m->n; i++)
		pages[i] = r[i].pages;
	assert_int_equal(frames_meta_bytes(r, m->n), 0);
	assert_int_equal(frames_carve(r, m->n, 4096, &p), -1);
	assert_int_equal(p, 0x1234);
	assert_int_equal(frames_init(&fp, r, m->n, buf, sizeof(buf), &why), -1);
	if (!why || !strstr(why, m->fragment))
		fail_msg("frames_init: got '%s', wanted '%s'", why ? why : "(accepted)", m->fragment);
	/* Refused before the metadata is touched, whatever size it claims. */
	why = NULL;
	assert_int_equal(frames_init(&fp, r, m->n, NULL, UINT64_MAX, &why), -1);
	assert_non_null(why);
	assert_int_equal(frames_usable_bytes(r, m->n), 0);
	why = frames_map_check(r, m->n);
	if (!why || !strstr(why, m->fragment))
		fail_msg("frames_map_check: got '%s', wanted '%s'", why ? why : "(accepted)", m->fragment);
	for (i = 0; i < m->n; i++)  /* nothing carved */
		assert_int_equal(r[i].pages, pages[i]);
}

static void test_sound_edges(void **state)
{
	const char *why = NULL;
	uint64_t p;
	(void)state;
	{	/* Touching regions, and one ending at 2^52 exactly (reserved: a
		 * usable one there would span more than 16 TiB). */
		struct boot_mem_region r[] = { R(1 * MB, 20 * MB, BOOT_MEM_USABLE),
					       R(21 * MB, 4 * MB, BOOT_MEM_USABLE),
					       { (1ull << 52) - 1 * MB, 256, BOOT_MEM_RESERVED, 0 } };
		assert_null(frames_map_check(r, 3));
		assert_int_equal(frames_usable_bytes(r, 3), 24 * MB);
		/* Carving a whole region leaves it empty, and the map sound. */
		assert_int_equal(frames_carve(r, 3, 4 * MB, &p), 0);
		assert_int_equal(p, 21 * MB);
		assert_int_equal(r[1].pages, 0);
		assert_null(frames_map_check(r, 3));
		assert_int_equal(init(r, 3, &why), 0);
		assert_int_equal(fp.nusable, 20 * MB / 4096);
		assert_null(frames_meta(&fp, 21 * MB));
	}
	{	/* Sizes near 2^64 do not round up to nothing. */
		struct boot_mem_region r[] = { R(1 * MB, 64 * MB, BOOT_MEM_USABLE) };
		p = 0x1234;
		assert_int_equal(frames_carve(r, 1, UINT64_MAX, &p), -1);
		assert_int_equal(frames_carve(r, 1, UINT64_MAX - 4094, &p), -1);
		assert_int_equal(frames_carve(r, 1, 1ull << 63, &p), -1);
		assert_int_equal(p, 0x1234);
		assert_int_equal(r[0].pages, 64 * MB / 4096);
		assert_int_equal(frames_carve(r, 1, 0, &p), 0); /* nothing: the top */
		assert_int_equal(p, 65 * MB);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_reserved),
		cmocka_unit_test(test_free_and_double_free),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_carve),
		cmocka_unit_test(test_sound_edges),
#define BAD(i) { "bad_map_" #i, test_bad_map, NULL, NULL, &bad_maps[i] }
		BAD(0), BAD(1), BAD(2), BAD(3), BAD(4), BAD(5), BAD(6), BAD(7), BAD(8), BAD(9),
#undef BAD
	};
	int rc;
	_Static_assert(sizeof(bad_maps) / sizeof(bad_maps[0]) == 10, "one BAD() per bad map");
	rc = cmocka_run_group_tests_name("frames", tests, NULL, NULL);
	free(meta);
	return rc;
}
