/*
 * cpuid_bits.h - CPUID leaves and feature bits that dedupvisor's CPUID
 * policy touches, named as in the Intel SDM Vol. 2A, CPUID, Table 3-8
 * ("Information Returned by CPUID Instruction") and Table 3-10.
 */
#ifndef ARCH_CPUID_BITS_H
#define ARCH_CPUID_BITS_H

#define CPUID_LEAF_FEATURES      0x01
#define   CPUID_1_ECX_MONITOR      (1u << 3)   /* MONITOR/MWAIT */
#define   CPUID_1_ECX_VMX          (1u << 5)
#define   CPUID_1_ECX_PDCM         (1u << 15)  /* perfmon and debug capability MSR */
#define   CPUID_1_ECX_XSAVE        (1u << 26)
#define   CPUID_1_ECX_OSXSAVE      (1u << 27)
#define   CPUID_1_ECX_AVX          (1u << 28)
#define   CPUID_1_ECX_HYPERVISOR   (1u << 31)  /* reserved for hypervisors */
#define CPUID_LEAF_MONITOR       0x05
#define CPUID_LEAF_PMU           0x0A  /* architectural performance monitoring */
#define CPUID_LEAF_XSAVE         0x0D
#define CPUID_LEAF_HV_BASE       0x40000000  /* hypervisor leaves */
#define CPUID_LEAF_HV_VCPU       0x40000001  /* ours: vCPU index and count */

#endif
