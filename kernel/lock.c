/*
 * lock.c - the one hypervisor lock.
 *
 * All hypervisor code runs under it, released only while a CPU runs a
 * guest or idles: simple, and enough while exits are short.  A CPU that
 * spins for it keeps answering other CPUs' EPT invalidation requests
 * (arch_poll_requests), so the holder of the lock, which may be waiting for
 * those answers, never waits on a CPU that waits on it.
 *
 * Because everything waits on it, how long it is held is the hypervisor's
 * own latency: every hold is timed (two TSC reads), and the longest, the
 * number and the total are kept for the summary (hv_lock_report), so a
 * system case can bound what one exit, one scanner step or one HTTP poll
 * made every other CPU wait.
 */
#include <stdint.h>

#include "arch.h"
#include "lock.h"

void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&l->word, __ATOMIC_RELAXED)) {
			arch_poll_requests();
			arch_cpu_relax();
		}
	}
}

void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
}

static struct spinlock big_lock;
/* Written only by the holder, read by the summary under the lock. */
static uint64_t held_since, holds, hold_ticks, hold_longest;
/* The longest hold since the last hv_lock_window(): the API's per-second
 * history of it (kernel/api_history.c), for what a stretch of time (a
 * flood of requests, issue 23) made every CPU wait. */
static uint64_t window_longest;

void hv_lock(void)
{
	spin_lock(&big_lock);
	held_since = arch_time_now();
}

void hv_unlock(void)
{
	uint64_t t = arch_time_now() - held_since;

	holds++;
	hold_ticks += t;
	if (t > hold_longest)
		hold_longest = t;
	if (t > window_longest)
		window_longest = t;
	spin_unlock(&big_lock);
}

uint64_t hv_lock_window(void)
{
	uint64_t w = window_longest, now = arch_time_now() - held_since;

	window_longest = 0;
	return now > w ? now : w;
}

void hv_lock_stats(struct hv_lock_stats *s)
{
	s->holds = holds;
	s->ticks = hold_ticks;
	s->longest = hold_longest;
	/* The hold in progress (the caller's own) counts too. */
	if (arch_time_now() - held_since > s->longest)
		s->longest = arch_time_now() - held_since;
}
