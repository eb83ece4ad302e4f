/*
 * vmx_features.c - every VT-x requirement of dedupvisor, checked in one place.
 *
 * A VMX control is "allowed" when its bit is set in the high 32 bits
 * (allowed-1 settings) of the capability MSR (SDM Vol. 3D, A.3); the EPT
 * and VPID capabilities are plain bits of IA32_VMX_EPT_VPID_CAP (A.10).
 * One line per requirement below, with why we need it.
 */
#include "vmx_features.h"
#include "msr.h"

#define ALLOWED1(msr, bit) ((((msr) >> 32) >> (bit)) & 1)
#define CAP(bit) ((s->ept_vpid_cap >> (bit)) & 1)

enum vmx_fc_action vmx_feature_control_action(uint64_t fc)
{
	if (!(fc & FEATURE_CONTROL_LOCK))
		return VMX_FC_ENABLE;
	return (fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX) ? VMX_FC_OK : VMX_FC_DISABLED;
}

unsigned vmx_check_features(const struct vmx_snapshot *s, struct vmx_feature out[VMX_NFEATURES])
{
	bool vmx = s->cpuid_vmx;
	bool sec = vmx && ALLOWED1(s->procbased, 31);
	unsigned i, missing = 0;
	struct vmx_feature f[VMX_NFEATURES] = {
		/* The CPU has VMX at all. */
		{ "CPUID.1:ECX.VMX", vmx },
		/* The firmware lets VMXON run (or left the MSR for us to set). */
		{ "IA32_FEATURE_CONTROL allows VMXON", vmx &&
		  vmx_feature_control_action(s->feature_control) != VMX_FC_DISABLED },
		/* EPT, VPID and unrestricted guest live in the secondary controls. */
		{ "secondary processor-based controls", sec },
		/* Guest-physical memory through EPT: what dedup remaps. */
		{ "EPT", sec && ALLOWED1(s->procbased2, 1) },
		/* Our EPT tables have 4 levels. */
		{ "EPT 4-level page walk", vmx && CAP(6) },
		/* Guest RAM is write-back. */
		{ "EPT write-back memory type", vmx && CAP(14) },
		/* Large guest mappings where RAM allows. */
		{ "EPT 2 MiB pages", vmx && CAP(16) },
		/* Invalidating after write-protect: the merge protocol needs INVEPT. */
		{ "INVEPT", vmx && CAP(20) },
		/* ...per EPTP, so one VM's merge does not flush the others. */
		{ "INVEPT single-context", vmx && CAP(25) },
		/* Dirty bits tell the scanner which pages changed without hashing. */
		{ "EPT accessed/dirty bits", vmx && CAP(21) },
		/* Tagged TLBs: no flush on every VM switch. */
		{ "VPID", sec && ALLOWED1(s->procbased2, 5) },
		/* INVVPID to drop one VM's linear translations. */
		{ "INVVPID", vmx && ((s->ept_vpid_cap >> 32) & 1) },
		/* Guests start in real mode without a VM86 monitor. */
		{ "unrestricted guest", sec && ALLOWED1(s->procbased2, 7) },
		/* Time slices among vCPUs without a host timer interrupt. */
		{ "VMX-preemption timer", vmx && ALLOWED1(s->pinbased, 6) },
	};

	for (i = 0; i < VMX_NFEATURES; i++) {
		out[i] = f[i];
		missing += !f[i].present;
	}
	return missing;
}
