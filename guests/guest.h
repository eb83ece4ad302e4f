/*
 * guest.h - the little a dedupvisor test guest needs: hypercalls and output.
 * Guests run 32-bit flat with paging off, so a guest-physical address is
 * just a pointer.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>

#include "guest_abi.h"

static inline int32_t hypercall(uint32_t nr, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	int32_t r;
	__asm__ volatile("vmcall" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
	return r;
}

static inline uint32_t str_len(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

static inline void say(const char *s)
{
	hypercall(HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)s, str_len(s), 0, 0);
}

/* Decimal into buf (at least 11 bytes); returns buf. */
static inline char *u32_str(uint32_t v, char *buf)
{
	char t[11];
	int i = 0, j = 0;
	do t[i++] = (char)('0' + v % 10); while (v /= 10);
	while (i)
		buf[j++] = t[--i];
	buf[j] = 0;
	return buf;
}

/* This vCPU's index and the VM's vCPU count (CPUID leaf 0x40000001). */
static inline void vcpu_id(uint32_t *index, uint32_t *count)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000001), "c"(0));
	*index = a;
	*count = b ? b : 1;
}

/* The TSC (under Bochs: emulated instructions).  The memory clobber keeps
 * the accesses being timed between two reads. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* The median of v[0..n), sorting v (insertion sort: n is small). */
static inline uint32_t median(uint32_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint32_t t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
		}
	return v[n / 2];
}

static inline const struct guest_params *params(void)
{
	return (const struct guest_params *)(uintptr_t)GUEST_PARAMS_GPA;
}

#endif
