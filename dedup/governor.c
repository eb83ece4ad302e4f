/*
 * governor.c - the scanner's rate governor (see governor.h).
 *
 * Overview (in the manner of Linux mm/ksm.c)
 * ------------------------------------------
 * KSM scans pages_to_scan pages per wake-up of ksmd and then sleeps
 * sleep_millisecs: two fixed knobs whose right values depend on how much
 * memory there is and on what a page costs, which changes by a factor of
 * 50 between a first scan (every page read and hashed) and a scan of
 * converged memory (clean pages are not even read).  KSM's scan-time
 * advisor (advisor_mode=scan-time) and UKSM's CPU governors replace the
 * first knob by a goal.  So does this one, per step rather than per full
 * scan, with two goals:
 *
 *   scan_target_s   a full scan of every tracked page takes about this long,
 *                   so new sharing is found within that time and converged
 *                   memory costs only what one scan per scan_target_s costs;
 *   max_cpu_pct     the scanner's busy share, time / (time + pause), stays
 *                   at most this, whatever the target would want.
 *
 * What it measures.  After each step the caller reports the ticks the step
 * took and the pages it visited.  Their ratio, ticks per page, is smoothed
 * (an exponentially weighted average, new = (3 old + sample) / 4, kept x 256
 * so that a few ticks a page keep their fractions): c.
 *
 * What it chooses.  The target is a wall time per page, P = scan_target_s x
 * hz / tracked.  A wake-up of n pages lasts n c and is followed by the
 * planned pause S (sleep_ticks); it takes n P of wall time when
 *     n = S / (P - c),
 * and the busy share n c / (n c + S) stays under max_cpu_pct when
 *     n <= S pct / ((100 - pct) c),
 * so n is the smaller of the two (the cap then sets the pace: `capped`),
 * within [min_pages, max_pages].  If P <= c the target cannot be met even
 * without pausing, and n is as large as the cap allows.  More memory means
 * a smaller P and a larger n at once, before anything is measured again.
 *
 * The pause is computed from what the step did, not from the plan, so that
 * noise, a clamped n or a step cut short at the end of a full scan do not
 * drift the pace: a step of t ticks over v pages is followed by
 *     max(v P - t, ceil(t (100 - pct) / pct)),
 * the first term keeping v pages per v P of wall time (the target), the
 * second keeping t / (t + pause) <= pct exactly, on the measured step.  The
 * first term never exceeds a full scan's target.
 *
 * Arithmetic.  Integers only (the hypervisor has no floating point).  Ticks
 * and rates are clamped to 2^48 (19 hours at 4 GHz; 65 days under Bochs'
 * 50 MHz), which keeps every product below 2^64; multiplications saturate
 * anyway, so any input, zero or absurd, gives a bounded answer.
 */
#include "governor.h"

#define Q        DEDUP_GOVERNOR_Q
#define BIG      (1ull << 48)  /* ticks, hz and targets are clamped to this */

static uint64_t clamp64(uint64_t v, uint64_t max) { return v > max ? max : v; }

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

void dedup_governor_init(struct dedup_governor *g, const struct dedup_governor_cfg *cfg)
{
	*g = (struct dedup_governor){ .cfg = *cfg };
	if (g->cfg.scan_target_s == 0)
		g->cfg.scan_target_s = 1;
	if (g->cfg.max_cpu_pct == 0 || g->cfg.max_cpu_pct > 100)
		g->cfg.max_cpu_pct = 100;
	if (g->cfg.min_pages == 0)
		g->cfg.min_pages = 1;
	if (g->cfg.max_pages < g->cfg.min_pages)
		g->cfg.max_pages = g->cfg.min_pages;
	g->cfg.sleep_ticks = clamp64(g->cfg.sleep_ticks, BIG);
	g->pages = g->cfg.min_pages;
	g->pause_ticks = g->cfg.sleep_ticks;
}

uint32_t dedup_governor_update(struct dedup_governor *g, uint64_t ticks, uint64_t visited,
			       uint64_t hz, uint64_t tracked)
{
	const struct dedup_governor_cfg *c = &g->cfg;
	const uint64_t pct = c->max_cpu_pct, sleep = c->sleep_ticks;
	uint64_t target, per_page, n, cap_pause = 0, pace_pause;

	ticks = clamp64(ticks, BIG);
	hz = clamp64(hz ? hz : 1, BIG);
	if (visited) { /* the measurement: ticks per page x 2^Q, smoothed */
		uint64_t s = (ticks << Q) / visited;
		g->tpp_q8 = g->measured ? (3 * g->tpp_q8 + s) / 4 : s;
		g->measured = true;
	}
	if (tracked == 0) { /* nothing to scan: the least work, the planned pause */
		g->pages = c->min_pages;
		g->pause_ticks = sleep;
		g->capped = false;
		return g->pages;
	}

	/* P: the wall time the target allows each page, x 2^Q. */
	target = clamp64(mul_sat(c->scan_target_s, hz), BIG);
	per_page = (target << Q) / tracked;

	/* n for the next wake-up: the target's, then the cap's limit. */
	n = per_page > g->tpp_q8 ? (sleep << Q) / (per_page - g->tpp_q8) : UINT64_MAX;
	g->capped = false;
	if (pct < 100 && g->tpp_q8) {
		uint64_t ncap = ((sleep * pct) << Q) / mul_sat(g->tpp_q8, 100 - pct);
		if (n > ncap) {
			n = ncap;
			g->capped = true;
		}
	}
	g->pages = (uint32_t)(n < c->min_pages ? c->min_pages : n > c->max_pages ? c->max_pages : n);

	/* The pause after the step just measured: the target's pace and the cap,
	 * whichever is longer. */
	if (visited == 0) {
		g->pause_ticks = sleep;
		return g->pages;
	}
	pace_pause = clamp64(mul_sat(clamp64(visited, BIG), per_page) >> Q, target);
	pace_pause = pace_pause > ticks ? pace_pause - ticks : 0;
	if (pct < 100)
		cap_pause = (ticks * (100 - pct) + pct - 1) / pct;
	if (cap_pause > pace_pause)
		g->capped = true;
	g->pause_ticks = cap_pause > pace_pause ? cap_pause : pace_pause;
	return g->pages;
}
