/*
 * test_delta_sim.c - delta/sim.c, the similarity index.
 *
 * What the engine will rely on: a page like an indexed one gets it as a
 * candidate, under each kind of key; the page itself is never answered;
 * an unrelated page gets nothing; removal (of a page, of a VM) forgets
 * exactly what it names; blocks or words of one repeated byte make no
 * key; the index's memory is fixed at creation however much is inserted,
 * and answers stay within max, without repeats, best first; bad schemes
 * and names are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "delta.h"

#define PAGE 4096

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void fill_random(uint8_t *p, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (unsigned i = 0; i < PAGE; i++)
		p[i] = (uint8_t)rnd(&x);
}

static const struct delta_sim_scheme *const schemes[] = { &delta_sim_default, &delta_sim_de };

/* A few bytes changed away from the DE scheme's blocks (1 KiB, 3 KiB),
 * and few enough words that each min-hash most likely survives. */
static void near_copy(uint8_t *dst, const uint8_t *src)
{
	memcpy(dst, src, PAGE);
	dst[8] ^= 1;
	dst[2056] ^= 2;
}

static void test_similar_page_is_a_candidate(void **st)
{
	static uint8_t a[PAGE], b[PAGE], other[PAGE];
	(void)st;
	for (unsigned s = 0; s < 2; s++) {
		struct delta_sim *x = delta_sim_create(schemes[s], 1000);
		struct delta_ref out[8];
		unsigned found = 0;
		assert_non_null(x);
		for (uint32_t seed = 0; seed < 50; seed++) {
			fill_random(a, seed);
			near_copy(b, a);
			assert_int_equal(delta_sim_insert(x, 3, 100 + seed, a), 0);
			unsigned n = delta_sim_lookup(x, 5, 7, b, out, 8);
			for (unsigned i = 0; i < n; i++)
				if (out[i].vm == 3 && out[i].gfn == 100 + seed)
					found++;
		}
		/* min-hash: 2 of 512 words changed, so most of the bins keep
		 * their least hash: nearly all found; DE's blocks: all. */
		assert_true(found >= 48);
		fill_random(other, 999);
		assert_int_equal(delta_sim_lookup(x, 5, 7, other, out, 8), 0);
		delta_sim_destroy(x);
	}
}

static void test_self_is_never_answered(void **st)
{
	static uint8_t a[PAGE];
	struct delta_ref out[8];
	struct delta_sim *x = delta_sim_create(&delta_sim_default, 100);
	(void)st;
	fill_random(a, 1);
	assert_int_equal(delta_sim_insert(x, 2, 9, a), 0);
	assert_int_equal(delta_sim_lookup(x, 2, 9, a, out, 8), 0);
	assert_int_equal(delta_sim_lookup(x, 2, 10, a, out, 8), 1);
	assert_int_equal(out[0].vm, 2);
	assert_int_equal(out[0].gfn, 9);
	/* Inserting again adds nothing. */
	assert_int_equal(delta_sim_insert(x, 2, 9, a), 0);
	assert_int_equal(delta_sim_lookup(x, 2, 10, a, out, 8), 1);
	delta_sim_destroy(x);
}

static void test_remove_forgets_what_it_names(void **st)
{
	static uint8_t a[PAGE], b[PAGE];
	struct delta_ref out[8];
	struct delta_sim *x = delta_sim_create(&delta_sim_default, 100);
	(void)st;
	fill_random(a, 2);
	fill_random(b, 3);
	delta_sim_insert(x, 1, 5, a);
	delta_sim_insert(x, 2, 5, a);
	delta_sim_insert(x, 1, 6, b);
	delta_sim_insert(x, 4, 6, b);
	assert_int_equal(delta_sim_lookup(x, 0, 0, a, out, 8), 2);
	delta_sim_remove(x, 1, 5, a);
	assert_int_equal(delta_sim_lookup(x, 0, 0, a, out, 8), 1);
	assert_int_equal(out[0].vm, 2);
	delta_sim_remove_vm(x, 4);
	assert_int_equal(delta_sim_lookup(x, 0, 0, b, out, 8), 1);
	assert_int_equal(out[0].vm, 1);
	assert_int_equal(out[0].gfn, 6);
	delta_sim_remove_vm(x, 2);
	delta_sim_remove_vm(x, 1);
	assert_int_equal(delta_sim_lookup(x, 0, 0, a, out, 8), 0);
	assert_int_equal(delta_sim_lookup(x, 0, 0, b, out, 8), 0);
	delta_sim_destroy(x);
}

static void test_uniform_bytes_make_no_key(void **st)
{
	static uint8_t p[PAGE];
	uint32_t keys[DELTA_SIM_MAX_KEYS];
	struct delta_sim *de = delta_sim_create(&delta_sim_de, 10);
	struct delta_sim *mh = delta_sim_create(&delta_sim_default, 10);
	struct delta_sim_scheme keyed = delta_sim_de;
	struct delta_sim *dek;
	(void)st;
	keyed.skip_uniform = 0;
	dek = delta_sim_create(&keyed, 10);
	memset(p, 0, PAGE);
	assert_int_equal(delta_sim_keys(de, p, keys), 0);
	assert_int_equal(delta_sim_keys(mh, p, keys), 0);
	assert_int_equal(delta_sim_keys(dek, p, keys), 1);
	memset(p, 0xff, PAGE);
	p[5] = 1; /* not in DE's blocks; the one word the min-hash keys, in one bin */
	assert_int_equal(delta_sim_keys(de, p, keys), 0);
	assert_int_equal(delta_sim_keys(mh, p, keys), 1);
	p[4000] = 2; /* a second word: one key more, or the same bin */
	unsigned two = delta_sim_keys(mh, p, keys);
	assert_true(two == 1 || two == 2);
	/* A uniform page is indexed under no key (skip_uniform): never a
	 * candidate; keyed (skip_uniform = 0), it would match every such page. */
	memset(p, 0, PAGE);
	delta_sim_insert(de, 0, 1, p);
	delta_sim_insert(dek, 0, 1, p);
	struct delta_ref out[4];
	assert_int_equal(delta_sim_lookup(dek, 0, 2, p, out, 4), 1);
	assert_int_equal(delta_sim_lookup(de, 0, 2, p, out, 4), 0);
	delta_sim_destroy(de);
	delta_sim_destroy(mh);
	delta_sim_destroy(dek);
}

/* Far more pages than the index was made for: its bytes do not change, a
 * full bucket forgets its oldest entries, the newest are still found. */
static void test_memory_is_bounded(void **st)
{
	static uint8_t p[PAGE];
	struct delta_sim *x = delta_sim_create(&delta_sim_default, 64);
	uint64_t bytes = delta_sim_bytes(x);
	struct delta_ref out[16];
	(void)st;
	/* at most 16 bytes per key of each page it was made for, and its header */
	assert_true(bytes <= 64u * delta_sim_default.nkeys * 16 + 256);
	fill_random(p, 4);
	for (uint32_t g = 0; g < 5000; g++) {
		p[(g % 512) * 8] ^= (uint8_t)(g + 1); /* each page a bit unlike the last */
		assert_int_equal(delta_sim_insert(x, g % 63, g, p), 0);
	}
	assert_int_equal(delta_sim_bytes(x), bytes);
	unsigned n = delta_sim_lookup(x, 0, 999999, p, out, 16);
	assert_true(n >= 1 && n <= 16);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < i; j++)
			assert_false(out[i].vm == out[j].vm && out[i].gfn == out[j].gfn);
	assert_int_equal(delta_sim_lookup(x, 0, 999999, p, out, 2) <= 2, 1);
	delta_sim_destroy(x);
}

/* The candidate sharing more keys comes first. */
static void test_most_keys_first(void **st)
{
	static uint8_t q[PAGE], near[PAGE], far[PAGE];
	struct delta_sim_scheme s = { .kind = DELTA_SIM_BLOCKS, .nkeys = 4, .blocks = 1,
				      .skip_uniform = 1, .offset = { { 0 }, { 1024 }, { 2048 }, { 3072 } } };
	struct delta_sim *x = delta_sim_create(&s, 100);
	struct delta_ref out[4];
	(void)st;
	fill_random(q, 5);
	memcpy(near, q, PAGE);
	memcpy(far, q, PAGE);
	near[0] ^= 1;                   /* shares 3 keys with q */
	far[0] ^= 1, far[1024] ^= 1, far[2048] ^= 1; /* shares 1 */
	delta_sim_insert(x, 0, 1, near); /* inserted first: older */
	delta_sim_insert(x, 0, 2, far);
	assert_int_equal(delta_sim_lookup(x, 0, 3, q, out, 4), 2);
	assert_int_equal(out[0].gfn, 1);
	assert_int_equal(out[1].gfn, 2);
	assert_int_equal(delta_sim_lookup(x, 0, 3, q, out, 1), 1);
	assert_int_equal(out[0].gfn, 1);
	delta_sim_destroy(x);
}

static void test_bad_schemes_and_names_refused(void **st)
{
	static uint8_t p[PAGE];
	struct delta_sim_scheme s = delta_sim_de;
	struct delta_sim *x;
	(void)st;
	assert_int_equal(delta_sim_scheme_check(&s), 0);
	s.nkeys = 0;
	assert_int_equal(delta_sim_scheme_check(&s), DELTA_EINVAL);
	s.nkeys = DELTA_SIM_MAX_KEYS + 1;
	assert_int_equal(delta_sim_scheme_check(&s), DELTA_EINVAL);
	s = delta_sim_de;
	s.offset[0][1] = 3073; /* not 64-aligned */
	assert_int_equal(delta_sim_scheme_check(&s), DELTA_EINVAL);
	s.offset[0][1] = 4096; /* past the page */
	assert_int_equal(delta_sim_scheme_check(&s), DELTA_EINVAL);
	assert_null(delta_sim_create(&s, 10));
	s = delta_sim_de;
	s.blocks = 0;
	assert_int_equal(delta_sim_scheme_check(&s), DELTA_EINVAL);
	s = delta_sim_de;
	s.kind = 9;
	assert_int_equal(delta_sim_scheme_check(&s), DELTA_EINVAL);
	x = delta_sim_create(&delta_sim_default, 10);
	fill_random(p, 6);
	assert_int_equal(delta_sim_insert(x, 63, 0, p), DELTA_EINVAL);
	assert_int_equal(delta_sim_insert(x, 0, 1u << 24, p), DELTA_EINVAL);
	assert_int_equal(delta_sim_insert(x, 62, (1u << 24) - 1, p), 0);
	struct delta_ref out[2];
	assert_int_equal(delta_sim_lookup(x, 0, 0, p, out, 2), 1);
	assert_int_equal(out[0].vm, 62);
	assert_int_equal(out[0].gfn, (1u << 24) - 1);
	delta_sim_destroy(x);
}

/* Keys computed once serve a lookup and an insert: the same answers as
 * the calls that compute them from the page. */
static void test_keys_computed_once(void **st)
{
	static uint8_t a[PAGE], b[PAGE];
	uint32_t keys[DELTA_SIM_MAX_KEYS];
	struct delta_ref out1[8], out2[8];
	struct delta_sim *x = delta_sim_create(&delta_sim_default, 100);
	unsigned n, n1, n2;
	(void)st;
	fill_random(a, 20);
	near_copy(b, a);
	n = delta_sim_keys(x, a, keys);
	assert_int_equal(n, delta_sim_default.nkeys);
	assert_int_equal(delta_sim_insert_keys(x, 1, 2, keys, n), 0);
	assert_int_equal(delta_sim_insert_keys(x, 1, 3, keys, DELTA_SIM_MAX_KEYS + 1), DELTA_EINVAL);
	n1 = delta_sim_lookup(x, 0, 0, b, out1, 8);
	n = delta_sim_keys(x, b, keys);
	n2 = delta_sim_lookup_keys(x, 0, 0, keys, n, out2, 8);
	assert_int_equal(n1, 1);
	assert_int_equal(n2, n1);
	assert_int_equal(out2[0].vm, 1);
	assert_int_equal(out2[0].gfn, 2);
	delta_sim_destroy(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_similar_page_is_a_candidate),
		cmocka_unit_test(test_self_is_never_answered),
		cmocka_unit_test(test_remove_forgets_what_it_names),
		cmocka_unit_test(test_uniform_bytes_make_no_key),
		cmocka_unit_test(test_memory_is_bounded),
		cmocka_unit_test(test_most_keys_first),
		cmocka_unit_test(test_bad_schemes_and_names_refused),
		cmocka_unit_test(test_keys_computed_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
