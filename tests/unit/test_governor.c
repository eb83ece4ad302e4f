/*
 * test_governor.c - the scanner's rate governor (dedup/governor.c) against a
 * simulated clock: a scanner whose pages cost a known number of ticks (with
 * jitter), stepping as the governor says and pausing as long as it says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "governor.h"

#define HZ 1000000000ull /* a 1 GHz clock: ticks are nanoseconds */

struct sim {
	struct dedup_governor g;
	uint64_t tracked, cursor;
	uint64_t cost;        /* ticks per page, on average */
	unsigned jitter_pct;  /* each step's cost varies by up to this much either way */
	uint32_t rng;
	/* The last complete full scan: */
	uint64_t scan_wall, scan_busy, scan_steps;
	/* Every step so far: */
	uint64_t worst_share_num, worst_share_den; /* the largest t / (t + pause) */
	uint32_t min_pages_seen, max_pages_seen;
};

static const struct dedup_governor_cfg base_cfg = {
	.scan_target_s = 10, .max_cpu_pct = 25, .min_pages = 64, .max_pages = 1u << 16,
	.sleep_ticks = 20000000, /* 20 ms */
};

static void sim_init(struct sim *s, const struct dedup_governor_cfg *cfg, uint64_t tracked, uint64_t cost)
{
	*s = (struct sim){ .tracked = tracked, .cost = cost, .rng = 12345,
			   .min_pages_seen = UINT32_MAX };
	dedup_governor_init(&s->g, cfg);
}

static uint32_t rnd(struct sim *s)
{
	s->rng = s->rng * 1103515245u + 12345u;
	return s->rng >> 8;
}

/* One step and its pause; returns 1 when it completed a full scan. */
static int sim_step(struct sim *s, uint64_t *wall, uint64_t *busy)
{
	uint64_t n = s->g.pages, t;
	if (n < s->min_pages_seen) s->min_pages_seen = (uint32_t)n;
	if (n > s->max_pages_seen) s->max_pages_seen = (uint32_t)n;
	if (n > s->tracked - s->cursor)
		n = s->tracked - s->cursor; /* the engine stops at the end of a full scan */
	t = n * s->cost;
	if (s->jitter_pct)
		t = t * (100 - s->jitter_pct + rnd(s) % (2 * s->jitter_pct + 1)) / 100;
	dedup_governor_update(&s->g, t, n, HZ, s->tracked);
	/* The busy share of this step with the pause it was given. */
	if (t * s->worst_share_den > s->worst_share_num * (t + s->g.pause_ticks) || !s->worst_share_den) {
		s->worst_share_num = t;
		s->worst_share_den = t + s->g.pause_ticks;
	}
	*wall += t + s->g.pause_ticks;
	*busy += t;
	s->cursor += n;
	if (s->cursor < s->tracked)
		return 0;
	s->cursor = 0;
	return 1;
}

/* Runs `scans` full scans; the last one's wall and busy ticks are kept. */
static void sim_scans(struct sim *s, unsigned scans)
{
	while (scans--) {
		uint64_t wall = 0, busy = 0, steps = 0;
		do
			steps++;
		while (!sim_step(s, &wall, &busy));
		s->scan_wall = wall;
		s->scan_busy = busy;
		s->scan_steps = steps;
	}
}

static void assert_near(uint64_t got, uint64_t want, unsigned pct)
{
	uint64_t lo = want - want * pct / 100, hi = want + want * pct / 100;
	if (got < lo || got > hi)
		fail_msg("%llu is not within %u%% of %llu", (unsigned long long)got, pct,
			 (unsigned long long)want);
}

static void assert_share_at_most(const struct sim *s, unsigned pct)
{
	if (s->worst_share_num * 100 > (uint64_t)pct * s->worst_share_den)
		fail_msg("a step took %llu of %llu ticks: above %u%%", (unsigned long long)s->worst_share_num,
			 (unsigned long long)s->worst_share_den, pct);
}

/* A first-scan-like cost (500 ns a page, 1 GiB of guests) needs 1.3% of a
 * CPU for a 10 s scan: the target sets the pace, and it is met. */
static void test_converges_to_target(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s, &base_cfg, 1u << 18, 500);
	sim_scans(&s, 3);
	assert_near(s.scan_wall, base_cfg.scan_target_s * HZ, 2);
	assert_false(s.g.capped);
	assert_share_at_most(&s, base_cfg.max_cpu_pct);
	/* The smoothed cost is the page cost, x 2^Q. */
	assert_near(s.g.tpp_q8 >> DEDUP_GOVERNOR_Q, s.cost, 1);
	/* A whole wake-up (not the last of a scan, cut short) is followed by
	 * the planned pause: n c + S = n P. */
	{
		uint64_t w = 0, b = 0;
		sim_step(&s, &w, &b);
		assert_near(s.g.pause_ticks, base_cfg.sleep_ticks, 5);
	}

	/* Noisy steps (cost +-50%) still keep the pace: each pause follows
	 * what its step did. */
	sim_init(&s, &base_cfg, 1u << 18, 500);
	s.jitter_pct = 50;
	sim_scans(&s, 3);
	assert_near(s.scan_wall, base_cfg.scan_target_s * HZ, 2);
	assert_share_at_most(&s, base_cfg.max_cpu_pct);
}

/* Converged memory is cheap (20 ns a page): the scan still takes the
 * target, with far fewer busy ticks, not faster. */
static void test_steady_state_is_paced(void **state)
{
	struct sim s;
	uint64_t first_busy;
	(void)state;
	sim_init(&s, &base_cfg, 1u << 18, 500);
	sim_scans(&s, 2);
	first_busy = s.scan_busy;
	s.cost = 20;
	sim_scans(&s, 3);
	assert_near(s.scan_wall, base_cfg.scan_target_s * HZ, 2);
	assert_true(s.scan_busy * 10 < first_busy);
}

/* Pages so dear (100 us each) that a scan needs 26 s of CPU: the cap binds,
 * every step stays within it, and the scan uses what the cap allows. */
static void test_respects_cpu_cap(void **state)
{
	struct sim s;
	(void)state;
	sim_init(&s, &base_cfg, 1u << 18, 100000);
	s.jitter_pct = 30;
	sim_scans(&s, 2);
	assert_true(s.g.capped);
	assert_share_at_most(&s, base_cfg.max_cpu_pct);
	assert_true(s.scan_wall > base_cfg.scan_target_s * HZ);
	assert_near(s.scan_wall, s.scan_busy * 100 / base_cfg.max_cpu_pct, 3);

	/* A higher cap lets the same scan go faster, still within it. */
	struct dedup_governor_cfg c = base_cfg;
	uint64_t capped25 = s.scan_wall;
	c.max_cpu_pct = 50;
	sim_init(&s, &c, 1u << 18, 100000);
	sim_scans(&s, 2);
	assert_share_at_most(&s, 50);
	assert_true(s.scan_wall * 3 < capped25 * 2);
}

/* One outlier step (a hundred times the usual cost: an interrupt, a cold
 * cache) moves the estimate, but far less than to the outlier's cost, and
 * normal steps bring it back. */
static void test_smoothing(void **state)
{
	struct sim s;
	uint64_t w = 0, b = 0, n;
	unsigned k;
	(void)state;
	sim_init(&s, &base_cfg, 1u << 18, 500);
	sim_scans(&s, 2);
	sim_step(&s, &w, &b);
	n = s.g.pages;
	dedup_governor_update(&s.g, n * s.cost * 100, n, HZ, s.tracked);
	assert_true((s.g.tpp_q8 >> DEDUP_GOVERNOR_Q) < s.cost * 100 / 2);
	assert_true((s.g.tpp_q8 >> DEDUP_GOVERNOR_Q) > s.cost);
	for (k = 0; k < 40; k++)
		sim_step(&s, &w, &b);
	assert_near(s.g.tpp_q8 >> DEDUP_GOVERNOR_Q, s.cost, 5);
}

/* Guest memory doubles between two scans: pages per wake-up follow at
 * once, and the scans that follow still take the target. */
static void test_reacts_to_doubling(void **state)
{
	struct sim s;
	uint32_t before;
	(void)state;
	sim_init(&s, &base_cfg, 1u << 18, 500);
	sim_scans(&s, 3);
	before = s.g.pages;
	s.tracked *= 2;
	sim_scans(&s, 2);
	assert_near(s.scan_wall, base_cfg.scan_target_s * HZ, 2);
	assert_true(s.g.pages >= before * 19 / 10);
	assert_share_at_most(&s, base_cfg.max_cpu_pct);
}

/* The bounds hold whatever the memory and the cost: a tiny VM still gets
 * min_pages per wake-up (and a longer pause keeps the target), a huge one
 * never more than max_pages. */
static void test_bounds(void **state)
{
	static const uint64_t tracked[] = { 1, 100, 1u << 18, 1ull << 30 };
	static const uint64_t costs[] = { 0, 1, 500, 100000, 10000000 };
	struct sim s;
	unsigned i, j;
	(void)state;
	for (i = 0; i < sizeof(tracked) / sizeof(tracked[0]); i++)
		for (j = 0; j < sizeof(costs) / sizeof(costs[0]); j++) {
			uint64_t wall = 0, busy = 0;
			unsigned k;
			sim_init(&s, &base_cfg, tracked[i], costs[j]);
			for (k = 0; k < 200; k++)
				sim_step(&s, &wall, &busy);
			assert_true(s.min_pages_seen >= base_cfg.min_pages);
			assert_true(s.max_pages_seen <= base_cfg.max_pages);
			assert_share_at_most(&s, base_cfg.max_cpu_pct);
		}
	/* 100 pages at 500 ns: min_pages (64) per wake-up is more than the
	 * target asks (a page per 0.1 s), so the pause stretches instead. */
	sim_init(&s, &base_cfg, 100, 500);
	sim_scans(&s, 3);
	assert_int_equal(s.g.pages, base_cfg.min_pages);
	assert_near(s.scan_wall, base_cfg.scan_target_s * HZ, 2);
	/* 2^30 pages (4 TiB) at 5 ns: the target wants more than max_pages per
	 * wake-up, within the cap; it gets max_pages. */
	sim_init(&s, &base_cfg, 1ull << 30, 5);
	for (unsigned k = 0; k < 100; k++) {
		uint64_t w = 0, b = 0;
		sim_step(&s, &w, &b);
	}
	assert_int_equal(s.g.pages, base_cfg.max_pages);
	/* At 500 ns they need 537 s of CPU a scan: the cap, not max_pages,
	 * limits a wake-up (at 25%, 20 ms of pause allow 6.7 ms of work). */
	sim_init(&s, &base_cfg, 1ull << 30, 500);
	for (unsigned k = 0; k < 100; k++) {
		uint64_t w = 0, b = 0;
		sim_step(&s, &w, &b);
	}
	assert_true(s.g.capped);
	assert_true(s.g.pages < base_cfg.max_pages);
	assert_true(s.g.pages * s.cost * (100 - base_cfg.max_cpu_pct) <=
		    base_cfg.sleep_ticks * base_cfg.max_cpu_pct);
	assert_share_at_most(&s, base_cfg.max_cpu_pct);
}

/* Zero, absurd and missing measurements: no overflow, no division by zero
 * (UBSan watches), pages within the bounds, pauses that honour the cap. */
static void test_odd_measurements(void **state)
{
	struct dedup_governor g;
	(void)state;
	dedup_governor_init(&g, &base_cfg);
	assert_int_equal(g.pages, base_cfg.min_pages);
	assert_int_equal(g.pause_ticks, base_cfg.sleep_ticks);
	assert_false(g.measured);

	/* A clock too coarse to see a step: cost 0; pace by the target alone. */
	dedup_governor_update(&g, 0, 1000, HZ, 1u << 18);
	assert_true(g.measured);
	assert_true(g.pages >= base_cfg.min_pages && g.pages <= base_cfg.max_pages);
	assert_true(g.pause_ticks <= base_cfg.scan_target_s * HZ);
	assert_true(g.pause_ticks > 0);

	/* A step that took "forever": the fewest pages, and a pause that keeps
	 * even that step within the cap, computed without wrapping. */
	dedup_governor_update(&g, UINT64_MAX, 1, HZ, 1u << 18);
	assert_int_equal(g.pages, base_cfg.min_pages);
	assert_true(g.capped);
	assert_true(g.pause_ticks >= 3 * (1ull << 48));

	/* The cap holds exactly even for a one-tick step (rounded up): with
	 * 2^40 pages the target leaves no pause of its own. */
	{
		struct dedup_governor_cfg c = base_cfg;
		c.max_cpu_pct = 30;
		dedup_governor_init(&g, &c);
		dedup_governor_update(&g, 1, 1, HZ, 1ull << 40);
		assert_true(100 <= 30 * (1 + g.pause_ticks));
	}

	/* Nonsense everywhere. */
	dedup_governor_init(&g, &base_cfg);
	dedup_governor_update(&g, UINT64_MAX, UINT64_MAX, 0, UINT64_MAX);
	assert_true(g.pages >= base_cfg.min_pages && g.pages <= base_cfg.max_pages);
	dedup_governor_update(&g, 1, UINT64_MAX, UINT64_MAX, 1);
	assert_true(g.pages >= base_cfg.min_pages && g.pages <= base_cfg.max_pages);

	/* Nothing tracked: the least work, the planned pause. */
	dedup_governor_update(&g, 1000, 0, HZ, 0);
	assert_int_equal(g.pages, base_cfg.min_pages);
	assert_int_equal(g.pause_ticks, base_cfg.sleep_ticks);
}

/* A cfg out of range is brought into it; with no pause planned and no cap,
 * an unreachable target runs flat out. */
static void test_cfg_normalized(void **state)
{
	struct dedup_governor_cfg c = { .scan_target_s = 0, .max_cpu_pct = 0, .min_pages = 0,
					.max_pages = 0, .sleep_ticks = UINT64_MAX };
	struct dedup_governor g;
	(void)state;
	dedup_governor_init(&g, &c);
	assert_int_equal(g.cfg.scan_target_s, 1);
	assert_int_equal(g.cfg.max_cpu_pct, 100);
	assert_int_equal(g.cfg.min_pages, 1);
	assert_int_equal(g.cfg.max_pages, 1);
	assert_true(g.cfg.sleep_ticks < UINT64_MAX);

	c = base_cfg;
	c.max_cpu_pct = 100;
	c.sleep_ticks = 0;
	dedup_governor_init(&g, &c);
	/* 2^18 pages at 100 us: 26 s of CPU against a 10 s target. */
	dedup_governor_update(&g, 64 * 100000ull, 64, HZ, 1u << 18);
	assert_int_equal(g.pages, c.max_pages);
	assert_int_equal(g.pause_ticks, 0);
	assert_false(g.capped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converges_to_target),
		cmocka_unit_test(test_steady_state_is_paced),
		cmocka_unit_test(test_respects_cpu_cap),
		cmocka_unit_test(test_smoothing),
		cmocka_unit_test(test_reacts_to_doubling),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_odd_measurements),
		cmocka_unit_test(test_cfg_normalized),
	};
	return cmocka_run_group_tests_name("governor", tests, NULL, NULL);
}
