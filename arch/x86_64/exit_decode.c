/*
 * exit_decode.c - plain-C decisions of exit handling (see exit_decode.h).
 */
#include "exit_decode.h"

struct io_access io_decode(uint64_t q)
{
	struct io_access a = { (unsigned)(q & 7) + 1, (unsigned)(q >> 16) & 0xFFFF,
			       (q >> 3) & 1, (q >> 4) & 1, (q >> 5) & 1 };
	return a;
}

uint64_t io_merge_in(uint64_t rax, unsigned size, uint32_t value)
{
	if (size == 4)
		return value;
	if (size == 2)
		return (rax & ~0xFFFFull) | (value & 0xFFFF);
	return (rax & ~0xFFull) | (value & 0xFF);
}

void cpuid_adjust(uint32_t leaf, uint32_t out[4], unsigned vcpu, unsigned nvcpus)
{
	if (leaf == 0x40000000) {
		out[0] = 0x40000001;
		out[1] = 0x75646544; /* "Dedu" */
		out[2] = 0x73695670; /* "pVis" */
		out[3] = 0x2020726f; /* "or  " */
	} else if (leaf == 0x40000001) {
		out[0] = vcpu;
		out[1] = nvcpus;
		out[2] = out[3] = 0;
	} else if (leaf == 1) {
		out[2] &= ~(1u << 5); /* VMX: not offered to guests */
		out[2] |= 1u << 31;   /* a hypervisor is present */
	}
}
