/*
 * lock.c - the one hypervisor lock.
 *
 * All hypervisor code runs under it, released only while a CPU runs a
 * guest or idles: simple, and enough while exits are short.  A CPU that
 * spins for it keeps answering other CPUs' EPT invalidation requests
 * (arch_poll_requests), so the holder of the lock, which may be waiting for
 * those answers, never waits on a CPU that waits on it.
 *
 * It is a ticket lock: CPUs get it in the order they asked.  With an
 * unfair one, a CPU that takes it back right after releasing it (the boot
 * CPU between its scanner steps, while its own vCPUs idle) starved the
 * others: the second vCPU of an SMP Linux VM spent 42.8 s of its 74.5 s
 * life waiting to have its exits handled (bochs-linux-smp).
 *
 * Because everything waits on it, how long it is held is the hypervisor's
 * own latency: every hold is timed (two TSC reads), and the longest, the
 * number and the total are kept for the summary (hv_lock_report), so a
 * system case can bound what one exit, one scanner step or one HTTP poll
 * made every other CPU wait.  The same is kept for the window while the
 * VMs run (sched.c opens and closes it): the start, where the boot CPU
 * makes the VMs with the lock held and no guest runs yet, is not what a
 * guest can make the others wait.
 */
#include <stddef.h>
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

/* The next ticket to hand out, and the one whose holder has the lock. */
static volatile uint32_t ticket_next, ticket_owner;
/* Written only by the holder, read by the summary under the lock.  Where
 * the longest hold was taken and released (the callers of hv_lock and
 * hv_unlock: code addresses, for addr2line on dedupvisor.elf) says what
 * held it. */
static uint64_t held_since, holds, hold_ticks, hold_longest;
static void *held_from, *longest_from, *longest_to;
/* The window while the VMs run (hv_lock_window): what a guest can make
 * the others wait, the start - making the VMs, no guest running yet - not
 * counted.  A hold that began before the window opened counts from then. */
static bool win_open;
static uint64_t win_opened, win_longest;
static void *win_from, *win_to;
/* The longest hold since the last hv_lock_interval(): the API's per-second
 * history of it (control/api_history.c), for what a stretch of time (a
 * flood of requests, issue 23) made every CPU wait. */
static uint64_t interval_longest;
/* The longest hold since hv_lock_span_begin(): what a measurement point,
 * which works between the guests' slices, made the other CPUs wait while
 * it ran (control/points.c), apart from the API's per-second interval. */
static uint64_t span_opened, span_longest;
static void *span_from, *span_to;

static void window_hold(uint64_t now, void *to)
{
	uint64_t t = now - (held_since > win_opened ? held_since : win_opened);
	if (t > win_longest) {
		win_longest = t;
		win_from = held_from;
		win_to = to;
	}
}

/* noinline: the return address must be hv_lock's caller's. */
__attribute__((noinline)) void hv_lock(void)
{
	uint32_t me = __atomic_fetch_add(&ticket_next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&ticket_owner, __ATOMIC_ACQUIRE) != me) {
		arch_poll_requests();
		arch_cpu_relax();
	}
	held_since = arch_time_now();
	held_from = __builtin_return_address(0);
}

__attribute__((noinline)) void hv_unlock(void)
{
	uint64_t t = arch_time_now() - held_since;

	holds++;
	hold_ticks += t;
	if (t > hold_longest) {
		hold_longest = t;
		longest_from = held_from;
		longest_to = __builtin_return_address(0);
	}
	if (win_open)
		window_hold(held_since + t, __builtin_return_address(0));
	if (t > interval_longest)
		interval_longest = t;
	if (held_since + t - (held_since > span_opened ? held_since : span_opened) > span_longest) {
		span_longest = held_since + t - (held_since > span_opened ? held_since : span_opened);
		span_from = held_from;
		span_to = __builtin_return_address(0);
	}
	__atomic_store_n(&ticket_owner, ticket_owner + 1, __ATOMIC_RELEASE);
}

uint64_t hv_lock_interval(void)
{
	uint64_t w = interval_longest, now = arch_time_now() - held_since;

	interval_longest = 0;
	return now > w ? now : w;
}

__attribute__((noinline)) void hv_lock_window(bool open)
{
	uint64_t now = arch_time_now();

	if (open) {
		win_open = true;
		win_opened = now;
	} else if (win_open) {
		window_hold(now, __builtin_return_address(0)); /* the hold in progress, so far */
		win_open = false;
	}
}

void hv_lock_stats(struct hv_lock_stats *s)
{
	s->holds = holds;
	s->ticks = hold_ticks;
	s->longest = hold_longest;
	s->longest_from = longest_from;
	s->longest_to = longest_to;
	s->running_longest = win_longest;
	s->running_from = win_from;
	s->running_to = win_to;
	/* The hold in progress (the caller's own) counts too. */
	if (arch_time_now() - held_since > s->longest) {
		s->longest = arch_time_now() - held_since;
		s->longest_from = held_from;
		s->longest_to = NULL; /* not released yet */
	}
}

void hv_lock_span_begin(void)
{
	span_opened = arch_time_now(); /* the caller's hold so far is not the span's */
	span_longest = 0;
	span_from = span_to = NULL;
}

uint64_t hv_lock_span_longest(void **from, void **to)
{
	*from = span_from;
	*to = span_to;
	return span_longest;
}
