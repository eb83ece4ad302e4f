/*
 * fake_arch.c - arch.h on the host, for the core's memory code (see .h).
 */
#include "arch.h"
#include "fake_arch.h"

uint64_t fake_arch_time = 1;
uint64_t fake_arch_time_step = 1000;
uint64_t fake_arch_invalidations;
uint64_t fake_arch_dumps;
void (*fake_arch_on_invalidate)(uint64_t eptp);

uint64_t arch_time_now(void)
{
	uint64_t t = fake_arch_time;
	fake_arch_time += fake_arch_time_step;
	return t;
}

uint64_t arch_time_hz(void)
{
	return FAKE_ARCH_HZ;
}

/* As the hardware's when every CPU answers: every CPU that may cache
 * eptp's translations drops them before this returns (here: the test's
 * fake TLBs, through the hook). */
int arch_ept_invalidate(uint64_t eptp, struct arch_ept_cpus *cpus)
{
	(void)cpus;
	fake_arch_invalidations++;
	if (fake_arch_on_invalidate)
		fake_arch_on_invalidate(eptp);
	return 0;
}

/* One CPU, which never sends a shootdown IPI. */
unsigned arch_cpu_index(void)
{
	return 0;
}

bool arch_cpu_online(unsigned cpu)
{
	return cpu == 0;
}

uint64_t arch_shootdowns_sent_by(unsigned cpu)
{
	(void)cpu;
	return 0;
}

/* The console's queue: always all of it free, nothing to wait for (what
 * is written goes where the test's console_write sends it). */
size_t arch_console_room(void)
{
	return ARCH_CONSOLE_QUEUE;
}

void arch_console_flush(void)
{
}

/* As arch/x86_64/vmexit.c: the sum over every exit reason. */
uint64_t arch_vcpu_exits(const struct arch_vcpu *a)
{
	uint64_t n = 0;
	unsigned i;
	for (i = 0; i < ARCH_EXIT_REASONS; i++)
		n += a->exits[i];
	return n;
}

void arch_vcpu_dump(const struct arch_vcpu *a)
{
	(void)a;
	fake_arch_dumps++;
}

/* A fixed seed: the host tests want repeatable runs. */
uint64_t arch_random_seed(bool *hardware)
{
	*hardware = false;
	return 0x5EED;
}
