/*
 * random.c - a seed for what a guest must not predict: the dedup engine's
 * randomized frame pool (dedup/same.c), whose draws a guest of a
 * same-behaviour domain must not be able to foresee.
 *
 * RDRAND where CPUID.1:ECX says the CPU has it, retried up to 10 times as
 * Intel's DRNG guide advises (it fails only when the generator is drained
 * for a moment).  Without it - an old CPU, or one whose generator keeps
 * failing - the TSC and the real-time clock, mixed: good enough to keep
 * the pool from starting the same at every boot, not against one who
 * knows when and on what the machine booted; the caller says which it got.
 * (Under Bochs, whose RDRAND comes from the host's rand() and whose TSC
 * counts instructions, a run is as repeatable as the emulator is.)
 */
#include "arch.h"
#include "cpu.h"
#include "cpuid_bits.h"

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint64_t arch_random_seed(bool *hardware)
{
	struct arch_datetime t = { 0 };
	uint32_t r[4];
	uint64_t v;
	unsigned i;

	cpuid(CPUID_LEAF_FEATURES, 0, r);
	if (r[2] & CPUID_1_ECX_RDRAND)
		for (i = 0; i < 10; i++)
			if (rdrand64(&v)) {
				*hardware = true;
				return v;
			}
	*hardware = false;
	(void)arch_wallclock(&t);
	return mix(rdtsc() ^ mix(((uint64_t)t.year << 40 | (uint64_t)t.month << 32 | t.day << 24 |
				  t.hour << 16 | t.minute << 8 | t.second)));
}
