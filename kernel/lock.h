/*
 * lock.h - the hypervisor lock (see lock.c).
 */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H
#include <stdint.h>
/* Takes the lock; while spinning, this CPU still answers invalidation
 * requests (arch_poll_requests), so holding it never blocks a shootdown. */
void hv_lock(void);
void hv_unlock(void);

/* A spinlock of its own for something smaller (the UART); while spinning
 * the CPU answers invalidation requests too.  Never take hv_lock while
 * holding one. */
struct spinlock { volatile uint32_t word; };
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
#endif
