/*
 * spec_ctrl.h - what to flush when a CPU goes from one VM to another
 * (spec_ctrl.c): IBPB, the L1D flush and VERW, decided from CPUID and
 * IA32_ARCH_CAPABILITIES as Linux and KVM decide.  Plain C, host-tested.
 */
#ifndef ARCH_SPEC_CTRL_H
#define ARCH_SPEC_CTRL_H

#include <stdbool.h>
#include <stdint.h>

/* What the CPU says about itself. */
struct spec_caps {
	bool intel;            /* CPUID 0: GenuineIntel */
	uint32_t cpuid7_ebx;   /* CPUID.(7,0).EBX: RTM (TSX) */
	uint32_t cpuid7_edx;   /* CPUID.(7,0).EDX: MD_CLEAR, SPEC_CTRL, L1D_FLUSH, ARCH_CAPABILITIES */
	uint64_t arch_caps;    /* IA32_ARCH_CAPABILITIES, 0 where CPUID does not offer it */
};

/* What the hypervisor does, and why (one phrase each, for the console). */
struct spec_plan {
	bool ibpb;             /* IA32_PRED_CMD.IBPB when a CPU loads a vCPU of another VM */
	bool l1d_flush;        /* IA32_FLUSH_CMD.L1D_FLUSH before every VM entry */
	bool verw;             /* VERW before every VM entry (when there is no L1D flush) */
	const char *ibpb_why, *l1d_why, *verw_why;
};

struct spec_plan spec_plan(const struct spec_caps *c);

#endif
