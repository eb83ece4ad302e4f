/*
 * vmx_gate.c - read this CPU's VT-x capabilities and report them by name.
 *
 * The VMX capability MSRs #GP on a CPU without VMX, so they are read only
 * when CPUID says VMX exists; the TRUE_ variants are used when
 * IA32_VMX_BASIC[55] says they exist, and PROCBASED_CTLS2 / EPT_VPID_CAP
 * only when the secondary controls may be enabled (SDM 3D A.3.3, A.10).
 * IA32_FEATURE_CONTROL left unlocked (OVMF does, on every CPU) is set to
 * LOCK | VMX_OUTSIDE_SMX here; locked without it is reported as missing.
 */
#include <stdio.h>

#include "cpu.h"
#include "msr.h"
#include "vmx_features.h"
#include "vmx_gate.h"

bool vmx_lock_feature_control(void)
{
	uint64_t fc = rdmsr(IA32_FEATURE_CONTROL);
	if (vmx_feature_control_action(fc) != VMX_FC_ENABLE)
		return false;
	wrmsr(IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	return true;
}

unsigned vmx_gate(void)
{
	struct vmx_snapshot s = { 0 };
	struct vmx_feature f[VMX_NFEATURES];
	uint32_t r[4];
	unsigned i, missing;

	cpuid(1, 0, r);
	s.cpuid_vmx = (r[2] >> 5) & 1;
	if (s.cpuid_vmx) {
		bool true_ctls;
		if (vmx_lock_feature_control())
			printf("vmx: IA32_FEATURE_CONTROL was unlocked; set to 0x%lx\n",
			       rdmsr(IA32_FEATURE_CONTROL));
		s.feature_control = rdmsr(IA32_FEATURE_CONTROL);
		s.basic = rdmsr(IA32_VMX_BASIC);
		true_ctls = s.basic & VMX_BASIC_TRUE_CTLS;
		s.pinbased = rdmsr(true_ctls ? IA32_VMX_TRUE_PINBASED_CTLS : IA32_VMX_PINBASED_CTLS);
		s.procbased = rdmsr(true_ctls ? IA32_VMX_TRUE_PROCBASED_CTLS : IA32_VMX_PROCBASED_CTLS);
		if ((s.procbased >> 63) & 1) {
			s.procbased2 = rdmsr(IA32_VMX_PROCBASED_CTLS2);
			s.ept_vpid_cap = rdmsr(IA32_VMX_EPT_VPID_CAP);
		}
		printf("vmx: VMCS revision 0x%lx\n", s.basic & 0x7fffffff);
	}
	missing = vmx_check_features(&s, f);
	if (!s.cpuid_vmx) {
		printf("vmx: VT-x missing: [CPUID.1:ECX.VMX] (no VMX on this CPU; "
		       "its capability MSRs cannot be read)\n");
		return missing;
	}
	for (i = 0; i < VMX_NFEATURES; i++)
		printf("vmx:   %-36s %s\n", f[i].name, f[i].present ? "present" : "MISSING");
	if (!missing) {
		printf("vmx: all required VT-x features present\n");
		return 0;
	}
	printf("vmx: VT-x missing:");
	for (i = 0; i < VMX_NFEATURES; i++)
		if (!f[i].present)
			printf(" [%s]", f[i].name);
	printf("\n");
	return missing;
}
