/*
 * fake_arch.h - the host's implementation of the arch.h calls that the
 * core's memory code (kernel/vm.c, sharing.c, sharing_ops.c, hypercall.c,
 * upcall.c, guest_out.c) makes: time, EPT invalidation, the CPU (one, index
 * 0, which sends no IPI), a vCPU's exit count and dump, the console queue's
 * room (always all of it).
 *
 * Nothing else of arch.h is implemented: a host test that links more of
 * the core fails to link rather than run over a made-up machine.  Time is
 * a counter that moves fake_arch_time_step ticks at each read (1 GHz), so
 * a run is deterministic.  Invalidations are counted and handed to a hook,
 * through which a test drops the translations its fake TLBs cached.
 */
#ifndef FAKE_ARCH_H
#define FAKE_ARCH_H

#include <stdint.h>

#define FAKE_ARCH_HZ 1000000000ull

extern uint64_t fake_arch_time;        /* what the next arch_time_now() returns */
extern uint64_t fake_arch_time_step;   /* added at each read */
extern uint64_t fake_arch_invalidations;
extern uint64_t fake_arch_dumps;       /* arch_vcpu_dump() calls */
/* Called by arch_ept_invalidate(eptp), or NULL. */
extern void (*fake_arch_on_invalidate)(uint64_t eptp);

#endif
