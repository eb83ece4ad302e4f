/*
 * lock.c - the one hypervisor lock.
 *
 * All hypervisor code runs under it, released only while a CPU runs a
 * guest or idles: simple, and enough while exits are short.  A CPU that
 * spins for it keeps answering other CPUs' EPT invalidation requests
 * (arch_poll_requests), so the holder of the lock, which may be waiting for
 * those answers, never waits on a CPU that waits on it.
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

void hv_lock(void)
{
	spin_lock(&big_lock);
}

void hv_unlock(void)
{
	spin_unlock(&big_lock);
}
