/*
 * test_auth_throttle.c - wrong tokens lock their address out
 * (api/auth_throttle.c): the doubling lockout and its cap, the right token
 * clearing it, other addresses untouched, records forgotten, a full table,
 * and a guesser's rate over an hour of simulated clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "auth_throttle.h"

static struct auth_throttle t;

static void test_lockout_doubles(void **state)
{
	uint64_t now = 5000, want = 1000;
	unsigned i;
	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(auth_throttle_wait(&t, 1, now), 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(auth_throttle_failed(&t, 1, now), want);
		assert_int_equal(auth_throttle_wait(&t, 1, now), want);
		assert_int_equal(auth_throttle_wait(&t, 1, now + want - 1), 1);
		assert_int_equal(auth_throttle_wait(&t, 2, now), 0); /* another address: never */
		now += want;
		assert_int_equal(auth_throttle_wait(&t, 1, now), 0);
		want = want * 2 > AUTH_LOCK_MAX_S * 1000 ? AUTH_LOCK_MAX_S * 1000 : want * 2;
	}
	/* The right token clears it: the next wrong one locks 1 s again. */
	auth_throttle_passed(&t, 1);
	assert_int_equal(auth_throttle_failed(&t, 1, now), 1000);
	/* Forgotten after AUTH_FORGET_S without a wrong token. */
	now += 1000 + AUTH_FORGET_S * 1000ull;
	assert_int_equal(auth_throttle_failed(&t, 1, now), 1000);
}

static void test_full_table(void **state)
{
	uint64_t now = 0;
	unsigned i;
	(void)state;
	memset(&t, 0, sizeof(t));
	/* AUTH_PEERS addresses locked out, each for longer than the last. */
	for (i = 0; i < AUTH_PEERS; i++) {
		unsigned k;
		for (k = 0; k <= i % 4; k++)
			auth_throttle_failed(&t, 100 + i, now);
	}
	for (i = 0; i < AUTH_PEERS; i++)
		assert_true(auth_throttle_wait(&t, 100 + i, now) > 0);
	/* One more: it takes the slot of a lockout that ends first (1 s),
	 * and every 8 s lockout is kept. */
	assert_int_equal(auth_throttle_failed(&t, 999, now), 1000);
	assert_int_equal(auth_throttle_wait(&t, 999, now), 1000);
	for (i = 0; i < AUTH_PEERS; i++)
		if (i % 4 == 3)
			assert_int_equal(auth_throttle_wait(&t, 100 + i, now), 8000);
	/* Once the 1 s lockouts end, a new address takes one of those. */
	now = 1000;
	assert_int_equal(auth_throttle_failed(&t, 998, now), 1000);
	assert_int_equal(auth_throttle_wait(&t, 999, now), 0);
	for (i = 0; i < AUTH_PEERS; i++)
		if (i % 4 == 3)
			assert_int_equal(auth_throttle_wait(&t, 100 + i, now), 7000);
}

/* Issue 23: a guesser that tries as fast as it is answered.  Before, every
 * attempt was compared; now one per lockout: 7 in the first 64 s, then
 * one a minute. */
static void test_guess_rate(void **state)
{
	uint64_t now, compared = 0, refused = 0;
	(void)state;
	memset(&t, 0, sizeof(t));
	for (now = 0; now < 3600 * 1000ull; now += 10) { /* an attempt every 10 ms */
		if (auth_throttle_wait(&t, 7, now)) {
			refused++;
			continue;
		}
		compared++;
		auth_throttle_failed(&t, 7, now);
	}
	assert_true(compared <= 7 + 3600 / 64 + 1);
	assert_true(compared >= 3600 / 64);
	assert_int_equal(compared + refused, 360000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lockout_doubles),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_guess_rate),
	};
	return cmocka_run_group_tests_name("auth_throttle", tests, NULL, NULL);
}
