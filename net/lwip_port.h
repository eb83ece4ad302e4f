/*
 * lwip_port.h - what the hypervisor's lwIP port provides to lwIP, besides
 * lwipopts.h and arch/cc.h.
 *
 * lwIP (build/lwip, Debian's source) runs with NO_SYS=1: no threads, no
 * semaphores, no sys_arch.c.  It needs a millisecond clock for its timers
 * (sys_now, declared by lwip/sys.h), a way out of a failed assertion and
 * random numbers.  All three are defined by control/net.c, the one file of
 * the core that drives lwIP: the clock is the TSC (arch_time_now), and
 * only the core may call arch.h.  `make check-seams` allows lwIP's objects
 * these calls into the core (sys_now and lwip_port_*) and nothing else of
 * the core or of arch/.
 */
#ifndef NET_LWIP_PORT_H
#define NET_LWIP_PORT_H

#include <stdint.h>

/* lwIP's assertion failed: prints msg, file and line, and never returns
 * into lwIP: control/net.c's guard throws lwIP's state away and starts it
 * afresh (an assertion is no remote kill of the VMs). */
void lwip_port_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
/* A 32-bit pseudo-random number (not for secrets). */
uint32_t lwip_port_rand(void);

#endif
