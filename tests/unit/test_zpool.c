/*
 * test_zpool.c - the compressed tier's pool and page codec (tier/), over
 * the fake machine's frames (tests/fake/fake_mem.c): objects keep their
 * bytes, land in the smallest class that holds them, give their frame back
 * when the last one goes, respect the cap, and fail cleanly when frames or
 * handles are wrong; pages round-trip through lz4 within the 2 KiB bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compress.h"
#include "fake_mem.h"
#include "zpool.h"

static struct fake_mem M;

static struct zpool *pool(uint64_t nframes, uint64_t max)
{
	struct dedup_ops o;
	struct zpool_ops z;
	fake_init(&M, nframes, true);
	o = fake_ops(&M);
	z = (struct zpool_ops){ o.frame_ptr, o.frame_alloc, o.frame_free, o.ctx };
	return zpool_create(&z, max);
}

static void done(struct zpool *p)
{
	zpool_destroy(p);
	assert_int_equal(fake_frames_in_use(&M), 0);
	fake_fini(&M);
}

static struct zpool_stats stats(const struct zpool *p)
{
	struct zpool_stats s;
	zpool_get_stats(p, &s);
	return s;
}

static void fill(struct zpool *p, uint32_t h, uint32_t size, unsigned seed)
{
	unsigned char *b = zpool_ptr(p, h);
	assert_non_null(b);
	for (uint32_t i = 0; i < size; i++)
		b[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
}

static int intact(struct zpool *p, uint32_t h, uint32_t size, unsigned seed)
{
	const unsigned char *b = zpool_ptr(p, h);
	for (uint32_t i = 0; i < size; i++)
		if (b[i] != (unsigned char)(seed * 31 + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

/* The class table: ascending, each class fills its frame, the smallest
 * class that holds a size is the one chosen. */
static void test_classes(void **state)
{
	(void)state;
	assert_int_equal(zpool_class_slot(ZPOOL_NCLASSES - 1), ZPOOL_MAX_OBJECT);
	for (unsigned c = 0; c < ZPOOL_NCLASSES; c++) {
		uint32_t slot = zpool_class_slot(c), n = ZPOOL_FRAME_SIZE / slot;
		assert_true(slot % 8 == 0);
		assert_true(n >= 2 && n <= 64);
		assert_true(ZPOOL_FRAME_SIZE - n * slot < 8 * n); /* the frame is filled */
		if (c)
			assert_true(zpool_class_slot(c - 1) < slot);
		assert_int_equal(zpool_class_of(slot), c);
		assert_int_equal(zpool_class_of(slot - (c ? slot - zpool_class_slot(c - 1) - 1 : slot - 1)), c);
		if (c + 1 < ZPOOL_NCLASSES)
			assert_int_equal(zpool_class_of(slot + 1), c + 1);
	}
	assert_int_equal(zpool_class_of(1), 0);
}

/* Objects of every size keep their bytes through allocations and frees
 * around them: no two overlap. */
static void test_objects_keep_their_bytes(void **state)
{
	enum { N = 600 };
	static uint32_t h[N], size[N];
	struct zpool *p = pool(512, 512);
	uint64_t slot_bytes = 0;
	(void)state;
	for (unsigned i = 0; i < N; i++) {
		size[i] = 1 + (i * 37) % ZPOOL_MAX_OBJECT;
		assert_int_equal(zpool_alloc(p, size[i], &h[i]), 0);
		assert_true(zpool_slot_size(p, h[i]) >= size[i]);
		assert_true(h[i] < (1u << ZPOOL_HANDLE_BITS));
		fill(p, h[i], size[i], i);
		slot_bytes += zpool_slot_size(p, h[i]);
	}
	for (unsigned i = 0; i < N; i += 3) { /* free a third, then refill */
		slot_bytes -= zpool_slot_size(p, h[i]);
		assert_int_equal(zpool_free(p, h[i]), 0);
	}
	for (unsigned i = 0; i < N; i += 3) {
		size[i] = 1 + (i * 91) % ZPOOL_MAX_OBJECT;
		assert_int_equal(zpool_alloc(p, size[i], &h[i]), 0);
		fill(p, h[i], size[i], i + 7000);
		slot_bytes += zpool_slot_size(p, h[i]);
	}
	for (unsigned i = 0; i < N; i++)
		assert_true(intact(p, h[i], size[i], i % 3 == 0 ? i + 7000 : i));
	assert_int_equal(stats(p).objects, N);
	assert_int_equal(stats(p).slot_bytes, slot_bytes);
	assert_int_equal(stats(p).frames, fake_frames_in_use(&M));
	assert_true(stats(p).frames * ZPOOL_FRAME_SIZE >= slot_bytes);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(zpool_free(p, h[i]), 0);
	assert_int_equal(stats(p).objects, 0);
	done(p);
}

/* A frame goes back when its last object does; a class's free slot is
 * reused before a new frame is taken. */
static void test_empty_frames_returned(void **state)
{
	uint32_t h[8], again;
	struct zpool *p = pool(16, 16);
	(void)state;
	for (unsigned i = 0; i < 8; i++) /* 1024-byte class: 4 a frame, 2 frames */
		assert_int_equal(zpool_alloc(p, 1000, &h[i]), 0);
	assert_int_equal(stats(p).frames, 2);
	assert_int_equal(fake_frames_in_use(&M), 2);
	assert_int_equal(zpool_free(p, h[5]), 0);
	assert_int_equal(zpool_alloc(p, 900, &again), 0); /* the slot just freed */
	assert_int_equal(again, h[5]);
	assert_int_equal(stats(p).frames, 2);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(zpool_free(p, h[i]), 0);
	assert_int_equal(stats(p).frames, 1);
	assert_int_equal(fake_frames_in_use(&M), 1);
	for (unsigned i = 4; i < 8; i++)
		assert_int_equal(zpool_free(p, h[i]), 0);
	assert_int_equal(stats(p).frames, 0);
	assert_int_equal(fake_frames_in_use(&M), 0);
	done(p);
}

/* The cap: no frame beyond it; a refusal changes nothing; a free slot of
 * the class can still be used; a higher cap lets it grow again. */
static void test_cap(void **state)
{
	uint32_t h[8], x;
	struct zpool *p = pool(16, 2);
	struct zpool_stats before;
	(void)state;
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(zpool_alloc(p, 2000, &h[i]), 0); /* 2 a frame */
	assert_int_equal(stats(p).frames, 2);
	assert_false(zpool_has_room(p, 2000));
	assert_false(zpool_has_room(p, 100)); /* another class: a new frame */
	before = stats(p);
	assert_int_equal(zpool_alloc(p, 2000, &x), ZPOOL_ENOMEM);
	assert_int_equal(zpool_alloc(p, 100, &x), ZPOOL_ENOMEM);
	assert_int_equal(stats(p).objects, before.objects);
	assert_int_equal(stats(p).frames, 2);
	assert_int_equal(stats(p).enomem, before.enomem + 2);
	assert_int_equal(zpool_free(p, h[0]), 0);
	assert_true(zpool_has_room(p, 2000));
	assert_int_equal(zpool_alloc(p, 1500, &x), 0);
	zpool_set_max(p, 3);
	assert_int_equal(zpool_alloc(p, 100, &h[4]), 0);
	assert_int_equal(stats(p).frames, 3);
	/* A lower cap keeps what is held. */
	zpool_set_max(p, 1);
	assert_non_null(zpool_ptr(p, h[1]));
	assert_int_equal(stats(p).frames, 3);
	assert_int_equal(zpool_alloc(p, 2000, &h[5]), ZPOOL_ENOMEM);
	assert_int_equal(zpool_free(p, x), 0);
	assert_int_equal(zpool_free(p, h[1]), 0);
	assert_int_equal(zpool_free(p, h[2]), 0);
	assert_int_equal(zpool_free(p, h[3]), 0);
	assert_int_equal(zpool_free(p, h[4]), 0);
	done(p);
}

/* The frame ops refuse: ENOMEM, nothing held. */
static void test_no_frames(void **state)
{
	uint32_t h;
	struct zpool *p = pool(16, 16);
	(void)state;
	M.alloc_budget = 0;
	assert_int_equal(zpool_alloc(p, 64, &h), ZPOOL_ENOMEM);
	assert_int_equal(stats(p).frames, 0);
	assert_int_equal(stats(p).objects, 0);
	M.alloc_budget = -1;
	assert_int_equal(zpool_alloc(p, 64, &h), 0);
	assert_int_equal(zpool_free(p, h), 0);
	done(p);
}

/* Wrong sizes and handles are refused, never acted on. */
static void test_bad_input(void **state)
{
	uint32_t h, h2;
	struct zpool *p = pool(16, 16);
	(void)state;
	assert_int_equal(zpool_alloc(p, 0, &h), ZPOOL_EINVAL);
	assert_int_equal(zpool_alloc(p, ZPOOL_MAX_OBJECT + 1, &h), ZPOOL_EINVAL);
	assert_int_equal(zpool_alloc(p, 64, &h), 0);
	assert_int_equal(zpool_alloc(p, 64, &h2), 0);
	assert_int_equal(zpool_free(p, h), 0);
	assert_int_equal(zpool_free(p, h), ZPOOL_EINVAL);  /* twice */
	assert_null(zpool_ptr(p, h));
	assert_int_equal(zpool_slot_size(p, h), 0);
	assert_int_equal(zpool_free(p, h2 + (1u << ZPOOL_SLOT_BITS)), ZPOOL_EINVAL); /* no such frame */
	assert_int_equal(zpool_free(p, 1u << ZPOOL_HANDLE_BITS), ZPOOL_EINVAL);
	assert_int_equal(zpool_free(p, (h2 & ~63u) | 63u), ZPOOL_EINVAL);           /* no such slot */
	assert_int_equal(stats(p).objects, 1);
	assert_int_equal(zpool_free(p, h2), 0);
	done(p);
}

/* Pages through lz4: a compressible page fits half a page and comes back
 * exact; random bytes do not fit and are refused; a damaged object fails. */
static void test_page_codec(void **state)
{
	static unsigned char page[TIER_PAGE], back[TIER_PAGE], out[ZPOOL_MAX_OBJECT];
	uint32_t n, x = 99;
	(void)state;
	for (unsigned i = 0; i < TIER_PAGE; i += 8) {
		uint64_t v = 0xffff888000000000ull + (i / 64) * 0x1000;
		memcpy(page + i, &v, 8);
	}
	n = tier_compress(page, out, sizeof(out));
	assert_true(n > 0 && n <= sizeof(out));
	assert_int_equal(tier_decompress(out, n, back), 0);
	assert_memory_equal(page, back, TIER_PAGE);
	assert_int_equal(tier_decompress(out, n - 1, back), -1); /* truncated */
	assert_int_equal(tier_decompress(out, 0, back), -1);
	for (unsigned i = 0; i < TIER_PAGE; i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		page[i] = (unsigned char)x;
	}
	assert_int_equal(tier_compress(page, out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_objects_keep_their_bytes),
		cmocka_unit_test(test_empty_frames_returned),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_no_frames),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_page_codec),
	};
	return cmocka_run_group_tests_name("zpool", tests, NULL, NULL);
}
