/*
 * guest_msr.c - the model-specific registers a guest may read and write.
 *
 * Every RDMSR and WRMSR exits (the MSR bitmap is all ones).  What a guest
 * may touch is listed here, each with where its value lives:
 *
 *   EFER, FS/GS base, SYSENTER_*, DEBUGCTL   the VMCS's guest-state area,
 *                      switched by VM entry and exit;
 *   KERNEL_GS_BASE, STAR, LSTAR, CSTAR, FMASK  the CPU itself while the vCPU
 *                      owns it (vcpu.c's own_cpu_state switches them between
 *                      vCPUs; the hypervisor never executes SYSCALL or SWAPGS);
 *   TSC                read: the time-stamp counter (RDTSC does not exit and
 *                      is not offset either); not writable;
 *   MISC_ENABLE        reads "fast strings, no BTS, no PEBS"; writes ignored
 *                      (Linux clears and sets bits it then re-reads);
 *   BIOS_SIGN_ID, BIOS_UPDT_TRIG, PLATFORM_ID  read 0; writes ignored (no
 *                      microcode is loaded into a virtual CPU);
 *   FEATURE_CONTROL    reads "locked, VMX off": VMX is not offered.
 *
 * Any other MSR goes to the core (core_msr: the local APICs an SMP Linux
 * VM has, devices/lapic.c) and otherwise raises #GP, as an unimplemented
 * MSR does on hardware; Linux probes with rdmsr_safe/wrmsr_safe, and CPUID
 * (exit_decode.c) does not offer the features whose MSRs are missing
 * (MTRR, PAT, MCE, the local APIC but where the VM models it, performance
 * counters, TSC deadline, speculation controls).
 */
#include "arch.h"
#include "cpu.h"
#include "guest_msr.h"
#include "msr.h"
#include "vmcs_fields.h"
#include "vmx.h"

/* The SYSCALL MSRs of the vCPU, in the order of struct arch_vcpu.syscall. */
static const uint32_t syscall_msrs[ARCH_SYSCALL_MSRS] = {
	IA32_STAR, IA32_LSTAR, IA32_CSTAR, IA32_FMASK,
};

static int syscall_index(uint32_t msr)
{
	int i;
	for (i = 0; i < ARCH_SYSCALL_MSRS; i++)
		if (syscall_msrs[i] == msr)
			return i;
	return -1;
}

void guest_msr_load(const struct arch_vcpu *v)
{
	int i;
	for (i = 0; i < ARCH_SYSCALL_MSRS; i++)
		wrmsr(syscall_msrs[i], v->syscall[i]);
	wrmsr(IA32_KERNEL_GS_BASE, v->kernel_gs_base);
}

void guest_msr_save(struct arch_vcpu *v)
{
	int i;
	for (i = 0; i < ARCH_SYSCALL_MSRS; i++)
		v->syscall[i] = rdmsr(syscall_msrs[i]);
	v->kernel_gs_base = rdmsr(IA32_KERNEL_GS_BASE);
}

/* A canonical address (48-bit), as the base MSRs require. */
static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

bool guest_msr_read(struct arch_vcpu *v, uint32_t msr, uint64_t *val)
{
	int s = syscall_index(msr);

	if (s >= 0) {
		*val = rdmsr(msr); /* the vCPU owns this CPU's copy */
		return true;
	}
	switch (msr) {
	case IA32_EFER:           *val = vmcs_read64(GUEST_IA32_EFER); return true;
	case IA32_FS_BASE:        *val = vmcs_readnat(GUEST_FS_BASE); return true;
	case IA32_GS_BASE:        *val = vmcs_readnat(GUEST_GS_BASE); return true;
	case IA32_KERNEL_GS_BASE: *val = rdmsr(IA32_KERNEL_GS_BASE); return true;
	case IA32_SYSENTER_CS:    *val = vmcs_read32(GUEST_SYSENTER_CS); return true;
	case IA32_SYSENTER_ESP:   *val = vmcs_readnat(GUEST_SYSENTER_ESP); return true;
	case IA32_SYSENTER_EIP:   *val = vmcs_readnat(GUEST_SYSENTER_EIP); return true;
	case IA32_DEBUGCTL:       *val = vmcs_read64(GUEST_IA32_DEBUGCTL); return true;
	case IA32_TIME_STAMP_COUNTER: *val = rdtsc(); return true;
	case IA32_MISC_ENABLE:
		*val = MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
		return true;
	case IA32_BIOS_SIGN_ID: case IA32_PLATFORM_ID:
		*val = 0;
		return true;
	case IA32_FEATURE_CONTROL:
		*val = FEATURE_CONTROL_LOCK;
		return true;
	}
	(void)v;
	return false;
}

bool guest_msr_write(struct arch_vcpu *v, uint32_t msr, uint64_t val)
{
	int s = syscall_index(msr);

	if (s >= 0) {
		/* What the CPU would refuse with #GP must not reach WRMSR here: a
		 * #GP in the hypervisor is fatal to every VM. */
		if ((msr == IA32_LSTAR || msr == IA32_CSTAR) && !canonical(val))
			return false;
		if (msr == IA32_FMASK && (val >> 32)) /* bits 63:32 reserved */
			return false;
		wrmsr(msr, val);
		v->syscall[s] = val;
		return true;
	}
	switch (msr) {
	case IA32_FS_BASE: case IA32_GS_BASE: case IA32_KERNEL_GS_BASE:
		if (!canonical(val))
			return false;
		if (msr == IA32_FS_BASE)
			vmcs_writenat(GUEST_FS_BASE, val);
		else if (msr == IA32_GS_BASE)
			vmcs_writenat(GUEST_GS_BASE, val);
		else
			wrmsr(IA32_KERNEL_GS_BASE, val), v->kernel_gs_base = val;
		return true;
	case IA32_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, (uint32_t)val);
		return true;
	case IA32_SYSENTER_ESP: case IA32_SYSENTER_EIP:
		if (!canonical(val))
			return false;
		vmcs_writenat(msr == IA32_SYSENTER_ESP ? GUEST_SYSENTER_ESP : GUEST_SYSENTER_EIP, val);
		return true;
	case IA32_DEBUGCTL:
		/* No branch tracing or LBRs are virtualized: only 0 is accepted. */
		if (val)
			return false;
		vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
		return true;
	case IA32_MISC_ENABLE: case IA32_BIOS_SIGN_ID: case IA32_BIOS_UPDT_TRIG:
		return true; /* ignored */
	}
	return false;
}
