/*
 * spec_ctrl.c - what to flush when a CPU goes from one VM to another.
 *
 * Three leaks between guests sharing a CPU, each closed where the CPU says
 * it is exposed and offers the means (issue 23, finding 7), decided as
 * Linux (arch/x86/kernel/cpu/bugs.c) and KVM (arch/x86/kvm/vmx/vmx.c) do:
 *
 *   branch predictions (Spectre v2 between guests): with IBPB offered
 *     (CPUID.(7,0).EDX SPEC_CTRL), an IBPB when a CPU loads a vCPU of
 *     another VM than the one it ran last, as KVM does on a VMCS switch.
 *     Enhanced IBRS does not separate guests from each other.
 *   L1 data cache (L1TF, "Foreshadow-NG"): a guest can read what is in
 *     L1D through a non-present page-table entry of its own, whatever the
 *     EPT says.  Exposed unless ARCH_CAPABILITIES says RDCL_NO; nothing to
 *     do when it says SKIP_L1DFL_VMENTRY (a hypervisor below flushes).
 *     Flushed with IA32_FLUSH_CMD (CPUID L1D_FLUSH) before every VM entry,
 *     KVM's "always" policy: this hypervisor reads every VM's memory (the
 *     scanner hashes it, COW breaks copy it), so any exit may have brought
 *     another VM's data into L1D.  Without IA32_FLUSH_CMD it is said, not
 *     done.
 *   CPU buffers (MDS, TAA): exposed unless ARCH_CAPABILITIES says MDS_NO
 *     (and, with TSX, TAA_NO); VERW clears them where CPUID says MD_CLEAR,
 *     before every VM entry.  The L1D flush clears them too (Linux relies
 *     on it): VERW only where there is no flush.
 *
 * Linux also keeps a table of models known not to be affected; without
 * it, this errs on the side of flushing: such a CPU loses some speed.
 * Only Intel's CPUs are considered exposed to L1TF and MDS; other vendors'
 * get the IBPB if they offer it this way.  MMIO stale data is left out:
 * no device is passed through to a guest.
 */
#include "cpuid_bits.h"
#include "msr.h"
#include "spec_ctrl.h"

struct spec_plan spec_plan(const struct spec_caps *c)
{
	struct spec_plan p = { false, false, false, "", "", "" };
	uint64_t ac = c->cpuid7_edx & CPUID_7_EDX_ARCH_CAPABILITIES ? c->arch_caps : 0;
	bool l1tf, mds;

	p.ibpb = (c->cpuid7_edx & CPUID_7_EDX_SPEC_CTRL) != 0;
	p.ibpb_why = p.ibpb ? "offered" : "not offered by this CPU";

	l1tf = c->intel && !(ac & ARCH_CAP_RDCL_NO);
	if (!l1tf)
		p.l1d_why = c->intel ? "not needed (RDCL_NO)" : "not needed (not Intel)";
	else if (ac & ARCH_CAP_SKIP_L1DFL_VMENTRY)
		p.l1d_why = "not needed (SKIP_L1DFL_VMENTRY: done below us)";
	else if (c->cpuid7_edx & CPUID_7_EDX_L1D_FLUSH) {
		p.l1d_flush = true;
		p.l1d_why = "L1TF: before every VM entry";
	} else
		p.l1d_why = "L1TF exposed, but no IA32_FLUSH_CMD on this CPU: not done";

	mds = c->intel && (!(ac & ARCH_CAP_MDS_NO) ||
			   ((c->cpuid7_ebx & CPUID_7_EBX_RTM) && !(ac & ARCH_CAP_TAA_NO)));
	if (!mds)
		p.verw_why = c->intel ? "not needed (MDS_NO, and TAA_NO or no TSX)" : "not needed (not Intel)";
	else if (p.l1d_flush)
		p.verw_why = "not needed (the L1D flush clears the buffers too)";
	else if (c->cpuid7_edx & CPUID_7_EDX_MD_CLEAR) {
		p.verw = true;
		p.verw_why = "MDS/TAA: before every VM entry";
	} else
		p.verw_why = "MDS exposed, but VERW does not clear buffers here (no MD_CLEAR): not done";
	return p;
}
