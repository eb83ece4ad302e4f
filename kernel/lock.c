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

/* The next ticket to hand out, and the one whose holder has the lock. */
static volatile uint32_t ticket_next, ticket_owner;
/* Written only by the holder, read by the summary under the lock. */
static uint64_t held_since, holds, hold_ticks, hold_longest;

void hv_lock(void)
{
	uint32_t me = __atomic_fetch_add(&ticket_next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&ticket_owner, __ATOMIC_ACQUIRE) != me) {
		arch_poll_requests();
		arch_cpu_relax();
	}
	held_since = arch_time_now();
}

void hv_unlock(void)
{
	uint64_t t = arch_time_now() - held_since;

	holds++;
	hold_ticks += t;
	if (t > hold_longest)
		hold_longest = t;
	__atomic_store_n(&ticket_owner, ticket_owner + 1, __ATOMIC_RELEASE);
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
