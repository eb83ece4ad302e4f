/*
 * lock.h - the hypervisor lock (see lock.c).
 */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H
#include <stdbool.h>
#include <stdint.h>
/* Takes the lock; while spinning, this CPU still answers invalidation
 * requests (arch_poll_requests), so holding it never blocks a shootdown. */
void hv_lock(void);
void hv_unlock(void);

/* How the lock was held so far, in TSC ticks (under Bochs: emulated
 * instructions).  Call with the lock held: the hold in progress counts. */
struct hv_lock_stats {
	uint64_t holds;   /* releases */
	uint64_t ticks;   /* held in all */
	uint64_t longest; /* the longest single hold */
	/* Where it was taken and released (hv_lock's and hv_unlock's callers;
	 * longest_to NULL: the caller's own hold, in progress). */
	void *longest_from, *longest_to;
	/* The same while the VMs ran (hv_lock_window). */
	uint64_t running_longest;
	void *running_from, *running_to;
};
void hv_lock_stats(struct hv_lock_stats *s);
/* Opens (true) or closes the window whose longest hold is kept apart:
 * while the VMs run.  With the lock held. */
void hv_lock_window(bool open);
/* The longest hold since the previous call (the caller's hold so far
 * counted too), in TSC ticks; a new interval begins.  With the lock held. */
uint64_t hv_lock_interval(void);

/* The longest hold since hv_lock_span_begin() (with the lock held: the
 * caller's hold counts from there), and where it was taken and released. */
void hv_lock_span_begin(void);
uint64_t hv_lock_span_longest(void **from, void **to);

/* A spinlock of its own for something smaller (the UART); while spinning
 * the CPU answers invalidation requests too.  Never take hv_lock while
 * holding one. */
struct spinlock { volatile uint32_t word; };
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
#endif
