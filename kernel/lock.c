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

static volatile uint32_t lock_word;

void hv_lock(void)
{
	while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&lock_word, __ATOMIC_RELAXED)) {
			arch_poll_requests();
			arch_cpu_relax();
		}
	}
}

void hv_unlock(void)
{
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}
