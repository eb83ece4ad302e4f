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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_reserved),
		cmocka_unit_test(test_free_and_double_free),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_carve),
	};
	int rc = cmocka_run_group_tests_name("frames", tests, NULL, NULL);
	free(meta);
	return rc;
}
