/*
 * lock.h - the hypervisor lock (see lock.c).
 */
#ifndef KERNEL_LOCK_H
#define KERNEL_LOCK_H
/* Takes the lock; while spinning, this CPU still answers invalidation
 * requests (arch_poll_requests), so holding it never blocks a shootdown. */
void hv_lock(void);
void hv_unlock(void);
#endif
