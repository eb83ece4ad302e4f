/*
 * exit_decode.c - plain-C decisions of exit handling (see exit_decode.h).
 */
#include "cpuid_bits.h"
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

struct cr_access cr_decode(uint64_t q)
{
	struct cr_access a = { (unsigned)(q & 0xF), (unsigned)(q >> 4) & 3, (unsigned)(q >> 8) & 0xF };
	return a;
}

/* The policy: offer what is virtualized, hide what is not.
 *   VMX                not offered to guests
 *   MONITOR/MWAIT      intercepted (MWAIT behaves as HLT): not offered
 *   XSAVE, AVX         XCR0 and the upper vector state are not switched
 *                      between guests: not offered (CR4.OSXSAVE #GPs)
 *   PDCM, leaf 0xA     no performance counters are virtualized
 *   hypervisor bit     set; leaves 0x40000000/1 are ours. */
void cpuid_adjust(uint32_t leaf, uint32_t out[4], unsigned vcpu, unsigned nvcpus)
{
	if (leaf == CPUID_LEAF_HV_BASE) {
		out[0] = CPUID_LEAF_HV_VCPU;
		out[1] = 0x75646544; /* "Dedu" */
		out[2] = 0x73695670; /* "pVis" */
		out[3] = 0x2020726f; /* "or  " */
	} else if (leaf == CPUID_LEAF_HV_VCPU) {
		out[0] = vcpu;
		out[1] = nvcpus;
		out[2] = out[3] = 0;
	} else if (leaf == CPUID_LEAF_FEATURES) {
		out[2] &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_MONITOR | CPUID_1_ECX_PDCM |
			    CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX);
		out[2] |= CPUID_1_ECX_HYPERVISOR;
	} else if (leaf == CPUID_LEAF_MONITOR || leaf == CPUID_LEAF_PMU || leaf == CPUID_LEAF_XSAVE) {
		out[0] = out[1] = out[2] = out[3] = 0;
	}
}
