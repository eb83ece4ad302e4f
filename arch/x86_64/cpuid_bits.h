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
#define   CPUID_1_ECX_DTES64       (1u << 2)
#define   CPUID_1_ECX_DS_CPL       (1u << 4)
#define   CPUID_1_ECX_SMX          (1u << 6)
#define   CPUID_1_ECX_EIST         (1u << 7)
#define   CPUID_1_ECX_TM2          (1u << 8)
#define   CPUID_1_ECX_FMA          (1u << 12)  /* VEX-encoded: needs the AVX state */
#define   CPUID_1_ECX_X2APIC       (1u << 21)
#define   CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define   CPUID_1_ECX_F16C         (1u << 29)  /* VEX-encoded */
#define   CPUID_1_ECX_RDRAND       (1u << 30)
#define   CPUID_1_EDX_MCE          (1u << 7)
#define   CPUID_1_EDX_APIC         (1u << 9)
#define   CPUID_1_EDX_MTRR         (1u << 12)
#define   CPUID_1_EDX_MCA          (1u << 14)
#define   CPUID_1_EDX_PAT          (1u << 16)
#define   CPUID_1_EDX_PSN          (1u << 18)
#define   CPUID_1_EDX_DS           (1u << 21)
#define   CPUID_1_EDX_ACPI         (1u << 22)  /* thermal monitor and clock control MSRs */
#define   CPUID_1_EDX_HTT          (1u << 28)
#define   CPUID_1_EDX_TM           (1u << 29)
#define   CPUID_1_EDX_PBE          (1u << 31)
#define CPUID_LEAF_MONITOR       0x05
#define CPUID_LEAF_THERMAL_POWER 0x06
#define CPUID_LEAF_EXT_FEATURES  0x07
#define   CPUID_7_EBX_FSGSBASE     (1u << 0)
#define   CPUID_7_EBX_BMI1         (1u << 3)
#define   CPUID_7_EBX_SMEP         (1u << 7)
#define   CPUID_7_EBX_BMI2         (1u << 8)
#define   CPUID_7_EBX_ERMS         (1u << 9)
#define   CPUID_7_EBX_RDSEED       (1u << 18)
#define   CPUID_7_EBX_ADX          (1u << 19)
#define   CPUID_7_EBX_SMAP         (1u << 20)
#define   CPUID_7_EBX_CLFLUSHOPT   (1u << 23)
#define   CPUID_7_EBX_CLWB         (1u << 24)
#define   CPUID_7_EBX_SHA          (1u << 29)
#define   CPUID_7_EBX_RTM          (1u << 11)  /* TSX restricted transactional memory */
#define   CPUID_7_EDX_MD_CLEAR     (1u << 10)  /* VERW clears CPU buffers */
#define   CPUID_7_EDX_SPEC_CTRL    (1u << 26)  /* IBRS and IBPB */
#define   CPUID_7_EDX_L1D_FLUSH    (1u << 28)  /* IA32_FLUSH_CMD */
#define   CPUID_7_EDX_ARCH_CAPABILITIES (1u << 29)
#define CPUID_LEAF_TOPOLOGY      0x0B
#define CPUID_LEAF_TSC           0x15  /* TSC/crystal ratio and crystal Hz */
#define CPUID_LEAF_FREQUENCY     0x16  /* base, max and bus MHz */
#define CPUID_LEAF_TOPOLOGY_V2   0x1F
#define CPUID_LEAF_EXT_INFO      0x80000001
#define   CPUID_81_EDX_RDTSCP      (1u << 27)
#define CPUID_LEAF_PMU           0x0A  /* architectural performance monitoring */
#define CPUID_LEAF_XSAVE         0x0D
#define CPUID_LEAF_HV_BASE       0x40000000  /* hypervisor leaves */
#define CPUID_LEAF_HV_VCPU       0x40000001  /* ours: vCPU index and count */

#endif
