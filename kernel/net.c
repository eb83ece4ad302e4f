/*
 * net.c - the core's side of the network: lwIP's port functions.
 *
 * lwIP (Debian's source, built by the Makefile from build/lwip) runs with
 * NO_SYS=1 and asks its port for a millisecond clock, random numbers and
 * what to do when an assertion fails (net/lwip_port.h).  They live here,
 * in the core, because the clock is the architecture's TSC and only the
 * core may call arch.h; net/ stays plain C.
 */
#include <stdio.h>

#include <lwip/sys.h>

#include "arch.h"
#include "lwip_port.h"

u32_t sys_now(void)
{
	uint64_t per_ms = arch_time_hz() / 1000;
	return (u32_t)(arch_time_now() / (per_ms ? per_ms : 1));
}

uint32_t lwip_port_rand(void)
{
	static uint32_t x;
	if (!x)
		x = (uint32_t)arch_time_now() | 1;
	/* xorshift32 (Marsaglia 2003): ports and sequence numbers, no secret. */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
	printf("lwip: assertion failed: %s (%s:%d)\n", msg, file, line);
	arch_power_off("lwIP assertion failed");
}
