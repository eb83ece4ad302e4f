/*
 * vcpu.c - VMX operation on this CPU and the life of a vCPU's VMCS.
 *
 * vmx_cpu_on(): CR0/CR4 to the values VMX requires (IA32_VMX_CR*_FIXED*),
 * VMXON with the revision from IA32_VMX_BASIC (never hard-coded).
 * arch_vcpu_setup(): every control through vmx_adjust_controls(), the host
 * state of this CPU, and the guest state: 32-bit protected mode with flat
 * segments and paging off (allowed by "unrestricted guest"), EPT and a VPID.
 * arch_vcpu_load(): VMPTRLD if another VMCS is current, and a fresh slice
 * of the VMX-preemption timer.
 * arch_vcpu_enter(): called without the core's lock.  The guest's FPU/SSE
 * state is restored just before VM entry and saved right after the exit,
 * so the hypervisor (and newlib) may use those registers freely in
 * between; an external interrupt that caused the exit (acknowledged on
 * exit) gets its EOI right here, on every path, before the core decides
 * whether to handle the exit at all (vmexit.c handles it).  A vCPU is set
 * up on, and stays on, the CPU that runs it (no VMCS migration).
 */
#include <stdio.h>
#include <string.h>

#include "apic.h"
#include "arch.h"
#include "cpu.h"
#include "cpuid_bits.h"
#include "e1000.h"
#include "exit_decode.h"
#include "guest_abi.h"
#include "guest_msr.h"
#include "msr.h"
#include "percpu.h"
#include "spec_ctrl.h"
#include "trap.h"
#include "uart.h"
#include "upcall.h"
#include "vcpu.h"
#include "vmcs_fields.h"
#include "vmx.h"
#include "vmx_controls.h"
#include "vectors.h"
#include "vmx_exit_reasons.h"

unsigned vmx_errors;

static uint64_t msr_bitmap; /* all ones: every RDMSR/WRMSR exits */
static struct spec_plan spec; /* what is flushed between VMs (spec_ctrl.c) */

/* What this CPU says about its exposure to leaks between guests. */
static struct spec_caps spec_caps_here(void)
{
	struct spec_caps c = { false, 0, 0, 0 };
	uint32_t r[4];

	cpuid(0, 0, r);
	c.intel = r[1] == 0x756E6547 && r[3] == 0x49656E69 && r[2] == 0x6C65746E; /* GenuineIntel */
	if (r[0] >= CPUID_LEAF_EXT_FEATURES) {
		cpuid(CPUID_LEAF_EXT_FEATURES, 0, r);
		c.cpuid7_ebx = r[1];
		c.cpuid7_edx = r[3];
	}
	if (c.cpuid7_edx & CPUID_7_EDX_ARCH_CAPABILITIES)
		c.arch_caps = rdmsr(IA32_ARCH_CAPABILITIES);
	return c;
}
static uint32_t preemption_ticks, preemption_rate;
/* The timer is set before every entry from the TSC (what is left of the
 * slice, or less: the core's deadline), so whether the CPU offers "save
 * VMX-preemption timer value" does not matter (it is asked for, optional). */

/* A zeroed frame of the core's, or 0. */
static uint64_t zeroed_frame(void)
{
	uint64_t f;
	return core_frame_alloc(UPCALL_FRAME_DATA, &f) ? 0 : f;
}

/* The VMCS revision identifier (IA32_VMX_BASIC[30:0]). */
static uint32_t vmcs_revision(void)
{
	return (uint32_t)(rdmsr(IA32_VMX_BASIC) & VMX_BASIC_REVISION_MASK);
}

int arch_virt_cpu_on(void)
{
	return vmx_cpu_on();
}

int vmx_cpu_on(void)
{
	uint64_t basic = rdmsr(IA32_VMX_BASIC), region = zeroed_frame();
	uint64_t cr0 = read_cr0(), cr4 = read_cr4() | CR4_VMXE;

	if (!region)
		return printf("vmx: no memory for the VMXON region\n"), -1;
	*(uint32_t *)phys_to_virt(region) = vmcs_revision();
	cr0 = (cr0 | rdmsr(IA32_VMX_CR0_FIXED0)) & rdmsr(IA32_VMX_CR0_FIXED1);
	cr4 = (cr4 | rdmsr(IA32_VMX_CR4_FIXED0)) & rdmsr(IA32_VMX_CR4_FIXED1);
	write_cr0(cr0);
	write_cr4(cr4);
	if (vmxon(region))
		return printf("vmx: VMXON failed\n"), -1;
	invept(INVEPT_ALL_CONTEXT, 0);
	if (!msr_bitmap) {
		msr_bitmap = zeroed_frame();
		if (!msr_bitmap)
			return printf("vmx: no memory for the MSR bitmap\n"), -1;
		memset(phys_to_virt(msr_bitmap), 0xFF, 4096);
	}
	/* Time slice: ~2^20 TSC ticks, whatever the timer's rate (MISC[4:0]). */
	preemption_rate = rdmsr(IA32_VMX_MISC) & VMX_MISC_PREEMPTION_RATE_MASK;
	preemption_ticks = (1u << 20) >> preemption_rate;
	printf("vmx: VMXON done (VMCS revision 0x%lx, preemption timer slice %u)\n",
	       basic & VMX_BASIC_REVISION_MASK, preemption_ticks);
	if (this_cpu()->index == 0) {
		struct spec_caps caps = spec_caps_here();
		spec = spec_plan(&caps);
		printf("vmx: between VMs on a CPU: IBPB %s; L1D flush %s; VERW %s\n", spec.ibpb_why,
		       spec.l1d_why, spec.verw_why);
	}
	if (this_cpu()->index == 0)
		printf("vmx: notify VM exit %s; #DB and #AC intercepted (XSA-156)\n",
		       rdmsr(IA32_VMX_PROCBASED_CTLS2) >> 32 & SEC_NOTIFY_VM_EXITING
		       ? "offered: used, window 0"
		       : "not offered by this CPU (IA32_VMX_PROCBASED_CTLS2 bit 31)");
	return 0;
}

uint64_t vmx_cr0_host_owned(void)
{
	uint64_t fixed0 = rdmsr(IA32_VMX_CR0_FIXED0), fixed1 = rdmsr(IA32_VMX_CR0_FIXED1);
	return ((fixed0 & ~(CR0_PE | CR0_PG)) | ~fixed1) & 0xFFFFFFFFull;
}

uint64_t vmx_cr0_real(uint64_t val)
{
	uint64_t fixed0 = rdmsr(IA32_VMX_CR0_FIXED0), fixed1 = rdmsr(IA32_VMX_CR0_FIXED1);
	return (val | (fixed0 & ~(CR0_PE | CR0_PG))) & fixed1;
}

/* An application processor as INIT and a STARTUP IPI leave it (SDM 3A
 * 9.1.1, 10.4.4.1): real mode, CS = vector << 8 (base vector << 12), IP 0,
 * the other segments at 0 with 64 KiB limits, CR0 = ET (NE is VMX's: the
 * guest reads its shadow), interrupts off.  Unrestricted guest runs it. */
static void real_mode_at_sipi(struct arch_vcpu *v, uint8_t vector)
{
	vmcs_writenat(GUEST_CR0, vmx_cr0_real(CR0_ET));
	vmcs_writenat(CR0_READ_SHADOW, CR0_ET);
	vmcs_write16(GUEST_CS_SELECTOR, (uint16_t)(vector << 8));
	vmcs_writenat(GUEST_CS_BASE, (uint64_t)vector << 12);
	vmcs_write32(GUEST_CS_LIMIT, 0xFFFF);
	vmcs_write32(GUEST_CS_AR_BYTES, 0x9B);   /* 16-bit code, execute/read, accessed */
#define REAL_DATA(seg) do { \
	vmcs_write16(GUEST_##seg##_SELECTOR, 0); vmcs_writenat(GUEST_##seg##_BASE, 0); \
	vmcs_write32(GUEST_##seg##_LIMIT, 0xFFFF); vmcs_write32(GUEST_##seg##_AR_BYTES, 0x93); } while (0)
	REAL_DATA(SS); REAL_DATA(DS); REAL_DATA(ES); REAL_DATA(FS); REAL_DATA(GS);
#undef REAL_DATA
	vmcs_write32(GUEST_TR_LIMIT, 0xFFFF);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xFFFF);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xFFFF);
	vmcs_writenat(GUEST_RSP, 0);
	vmcs_writenat(GUEST_RIP, 0);
	memset(&v->regs, 0, sizeof(v->regs));
}

struct want { const char *name; uint32_t bits; uint32_t msr, true_msr; uint32_t field; uint32_t optional; };

int arch_vcpu_setup(struct arch_vcpu *v, const struct arch_vcpu_config *c)
{
	uint64_t entry = c->entry;
	bool true_ctls = rdmsr(IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS;
	const struct want w[] = {
		{ "pin-based", PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER,
		  IA32_VMX_PINBASED_CTLS, IA32_VMX_TRUE_PINBASED_CTLS, PIN_BASED_VM_EXEC_CONTROL, 0 },
		/* MWAIT and MONITOR exit (a guest in a deep C-state would stop
		 * the preemption timer), and so do MOV to/from CR8 (the guest's
		 * task priority is virtual: it must not mask the host's IPIs). */
		/* RDPMC exits too: no performance counters are offered, and at
		 * CPL 0 it would read the host's (vmexit_event.c: #GP). */
		{ "processor-based", CPU_HLT_EXITING | CPU_MWAIT_EXITING | CPU_CR8_LOAD_EXITING |
		  CPU_CR8_STORE_EXITING | CPU_UNCOND_IO_EXITING | CPU_USE_MSR_BITMAPS |
		  CPU_MONITOR_EXITING | CPU_RDPMC_EXITING | CPU_SECONDARY_CONTROLS,
		  IA32_VMX_PROCBASED_CTLS, IA32_VMX_TRUE_PROCBASED_CTLS, CPU_BASED_VM_EXEC_CONTROL, 0 },
		/* WBINVD exits: a guest must not flush every cache of the machine.
		 * Notify VM exits where offered (vmexit_event.c). */
		{ "secondary", SEC_ENABLE_EPT | SEC_ENABLE_VPID | SEC_WBINVD_EXITING |
		  SEC_UNRESTRICTED_GUEST | SEC_NOTIFY_VM_EXITING,
		  IA32_VMX_PROCBASED_CTLS2, IA32_VMX_PROCBASED_CTLS2, SECONDARY_VM_EXEC_CONTROL,
		  SEC_NOTIFY_VM_EXITING },
		/* Debug controls saved and loaded: the guest's DR7 and DEBUGCTL
		 * outlive its exits (without, its breakpoints were gone after the
		 * first exit, and DR7 was the host's). */
		{ "VM-exit", EXIT_HOST_ADDR_SPACE_SIZE | EXIT_ACK_INTR_ON_EXIT | EXIT_SAVE_IA32_EFER |
		  EXIT_LOAD_IA32_EFER | EXIT_SAVE_PREEMPTION_TIMER | EXIT_SAVE_DEBUG_CONTROLS,
		  IA32_VMX_EXIT_CTLS, IA32_VMX_TRUE_EXIT_CTLS, VM_EXIT_CONTROLS,
		  EXIT_SAVE_PREEMPTION_TIMER },
		{ "VM-entry", ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_DEBUG_CONTROLS, IA32_VMX_ENTRY_CTLS,
		  IA32_VMX_TRUE_ENTRY_CTLS, VM_ENTRY_CONTROLS, 0 },
	};
	struct desc_ptr gdtr, idtr;
	unsigned i;

	v->vm_name = c->vm_name;
	v->ept_cpus = c->ept_cpus;
	v->index = c->index;
	v->nvcpus = c->nvcpus;
	v->lapic = c->lapic;
	v->vmcs = zeroed_frame();
	if (!v->vmcs)
		return printf("vm %s: no memory for a VMCS\n", v->vm_name), -1;
	*(uint32_t *)phys_to_virt(v->vmcs) = vmcs_revision();
	if (vmclear(v->vmcs) || vmptrld(v->vmcs))
		return printf("vm %s: VMCLEAR/VMPTRLD failed\n", v->vm_name), -1;
	this_cpu()->current_vmcs = v->vmcs;
	vmx_errors = 0;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		uint32_t missing, val = vmx_adjust_controls(w[i].bits, rdmsr(true_ctls ? w[i].true_msr : w[i].msr),
							   &missing);
		if (missing & ~w[i].optional)
			return printf("vm %s: %s controls 0x%x not supported\n", v->vm_name, w[i].name,
				      missing), -1;
		vmx_write(w[i].field, val);
		if (w[i].field == SECONDARY_VM_EXEC_CONTROL && (val & SEC_NOTIFY_VM_EXITING))
			vmcs_write32(NOTIFY_WINDOW, 0); /* the processor adds its threshold */
	}
	/* #DB and #AC exit, so that no guest can loop in their delivery with
	 * its CPU out of reach; #MC, so that the host's machine checks are the
	 * host's (vmexit_event.c). */
	vmcs_write32(EXCEPTION_BITMAP, (1u << EXC_DB) | (1u << EXC_AC) | (1u << EXC_MC));
	vmcs_write64(MSR_BITMAP, msr_bitmap);
	vmcs_write64(EPT_POINTER, c->eptp);
	vmcs_write16(VIRTUAL_PROCESSOR_ID, c->vpid);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write64(VMCS_LINK_POINTER, ~0ull);
	/* The guest sees CR4.VMXE clear; the real bit stays set (VMX requires
	 * it).  OSXSAVE, PKE and PCE are the host's too (exit_decode.c's
	 * cr4_host_owned says why): setting one exits and #GPs. */
	/* CR0: the bits VMX fixes (NE; PE and PG are free for an unrestricted
	 * guest) are the host's, so a guest that clears NE - Linux's PVH and
	 * 32-bit entries write CR0 = PG|PE - gets a CR-access exit, not a #GP
	 * (vmexit.c emulates the write); it reads back what it wrote. */
	vmcs_writenat(CR0_GUEST_HOST_MASK, vmx_cr0_host_owned());
	vmcs_writenat(CR4_GUEST_HOST_MASK, cr4_host_owned());
	vmcs_writenat(CR4_READ_SHADOW, 0);

	/* Host state: this CPU as it is now; exits land in vmx_exit. */
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("sidt %0" : "=m"(idtr));
	vmcs_writenat(HOST_CR0, read_cr0());
	vmcs_writenat(HOST_CR3, read_cr3());
	vmcs_writenat(HOST_CR4, read_cr4());
	vmcs_write16(HOST_CS_SELECTOR, SEL_KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, SEL_KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, SEL_KERNEL_DS);
	vmcs_write16(HOST_ES_SELECTOR, SEL_KERNEL_DS);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, SEL_TSS);
	vmcs_writenat(HOST_FS_BASE, rdmsr(IA32_FS_BASE));
	vmcs_writenat(HOST_GS_BASE, rdmsr(IA32_GS_BASE));
	vmcs_writenat(HOST_TR_BASE, trap_tss_base());
	vmcs_writenat(HOST_GDTR_BASE, gdtr.base);
	vmcs_writenat(HOST_IDTR_BASE, idtr.base);
	vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_writenat(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_EFER, rdmsr(IA32_EFER));
	vmcs_writenat(HOST_RIP, (uint64_t)(uintptr_t)vmx_exit);

	/* Guest state: flat 32-bit protected mode, paging off. */
	vmcs_writenat(GUEST_CR0, 0x31);        /* PE | ET | NE */
	vmcs_writenat(CR0_READ_SHADOW, 0x31);
	vmcs_writenat(GUEST_CR3, 0);
	vmcs_writenat(GUEST_CR4, CR4_VMXE);
	vmcs_write64(GUEST_IA32_EFER, 0);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_writenat(GUEST_DR7, 0x400); /* loaded at each entry, saved at each exit */
	vmcs_write16(GUEST_CS_SELECTOR, 0x08);
	vmcs_writenat(GUEST_CS_BASE, 0);
	vmcs_write32(GUEST_CS_LIMIT, 0xFFFFFFFF);
	vmcs_write32(GUEST_CS_AR_BYTES, 0xC09B); /* 32-bit code, execute/read, accessed */
#define FLAT_DATA(seg) do { \
	vmcs_write16(GUEST_##seg##_SELECTOR, 0x10); vmcs_writenat(GUEST_##seg##_BASE, 0); \
	vmcs_write32(GUEST_##seg##_LIMIT, 0xFFFFFFFF); vmcs_write32(GUEST_##seg##_AR_BYTES, 0xC093); } while (0)
	FLAT_DATA(SS); FLAT_DATA(DS); FLAT_DATA(ES); FLAT_DATA(FS); FLAT_DATA(GS);
#undef FLAT_DATA
	vmcs_write16(GUEST_LDTR_SELECTOR, 0);
	vmcs_writenat(GUEST_LDTR_BASE, 0);
	vmcs_write32(GUEST_LDTR_LIMIT, 0);
	vmcs_write32(GUEST_LDTR_AR_BYTES, 0x10000); /* unusable */
	vmcs_write16(GUEST_TR_SELECTOR, 0);
	vmcs_writenat(GUEST_TR_BASE, 0);
	vmcs_write32(GUEST_TR_LIMIT, 0x67);
	vmcs_write32(GUEST_TR_AR_BYTES, 0x8B);      /* busy 32-bit TSS */
	vmcs_writenat(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0);
	vmcs_writenat(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0);          /* any guest exception: triple fault */
	vmcs_writenat(GUEST_RSP, c->rsp);
	vmcs_writenat(GUEST_RIP, entry);
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rbx = c->rbx;
	v->regs.rsi = c->rsi;
	vmcs_writenat(GUEST_RFLAGS, 0x2);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writenat(GUEST_SYSENTER_ESP, 0);
	vmcs_writenat(GUEST_SYSENTER_EIP, 0);
	if (c->sipi)
		real_mode_at_sipi(v, c->sipi_vector);

	memset(v->dr, 0, sizeof(v->dr));
	v->dr6 = DR6_INIT;
	v->cr2 = 0;
	v->kernel_gs_base = 0;
	memset(v->syscall, 0, sizeof(v->syscall));
	v->tpr = 0;
	v->deadline = 0;
	memset(v->fpu, 0, sizeof(v->fpu));
	*(uint16_t *)&v->fpu[0] = 0x37F;   /* FCW after FNINIT */
	*(uint32_t *)&v->fpu[24] = 0x1F80; /* MXCSR at reset */
	if (vmx_errors)
		return printf("vm %s: %u VMWRITEs failed\n", v->vm_name, vmx_errors), -1;
	return 0;
}

/* The guest state that VM entry and exit do not switch lives in the CPU
 * while its vCPU owns it: the debug registers DR0-DR3 and DR6 (a guest may
 * move to and from them without an exit), CR2 (a page fault in the guest
 * writes it, and the guest's handler reads it, without an exit: SDM 3C
 * 27.3, CR2 is not in the guest-state area), IA32_KERNEL_GS_BASE (SWAPGS
 * reads and writes it without an exit) and SYSCALL's MSRs (guest_msr.c).
 * The hypervisor itself uses none of them, so they are switched only when
 * another vCPU runs on this CPU, and one guest never sees another's
 * values.  CR2 was not, until a fleet of five Linux VMs on two CPUs showed
 * why it must be: a guest stopped between a page fault and its handler's
 * read of CR2 resumed with the address of another VM's fault, and Linux
 * sent SIGSEGV to the process that had faulted (tests/system/cases/
 * bochs-cpustate checks every register of this list). */
static void own_cpu_state(struct percpu *me, struct arch_vcpu *v)
{
	struct arch_vcpu *old = me->state_owner;

	if (old == v)
		return;
	if (old) {
		old->dr[0] = read_dr0(), old->dr[1] = read_dr1();
		old->dr[2] = read_dr2(), old->dr[3] = read_dr3();
		old->dr6 = read_dr6();
		old->cr2 = read_cr2();
		guest_msr_save(old);
	}
	write_dr0(v->dr[0]), write_dr1(v->dr[1]), write_dr2(v->dr[2]), write_dr3(v->dr[3]);
	write_dr6(v->dr6);
	write_cr2(v->cr2);
	guest_msr_load(v);
	me->state_owner = v;
}

int arch_vcpu_load(struct arch_vcpu *v)
{
	struct percpu *me = this_cpu();

	if (me->current_vmcs != v->vmcs) {
		if (vmptrld(v->vmcs))
			return -1;
		me->current_vmcs = v->vmcs;
	}
	own_cpu_state(me, v);
	smp_vcpu_loaded(v->ept_cpus); /* before its first entry: shootdowns ask us from now */
	if (spec.ibpb && me->last_vm != v->ept_cpus) /* another VM: its branch predictions go */
		wrmsr(IA32_PRED_CMD, PRED_CMD_IBPB);
	me->last_vm = v->ept_cpus;
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, preemption_ticks);
	v->slice_end = rdtsc() + ((uint64_t)preemption_ticks << preemption_rate);
	return 0;
}

bool arch_vcpu_irq_ready(struct arch_vcpu *v)
{
	(void)v;
	if ((vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) &&
	    !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) &&
	    !(vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID))
		return true;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL,
		     vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) | CPU_INTR_WINDOW_EXITING);
	return false;
}

void arch_vcpu_inject_irq(struct arch_vcpu *v, uint8_t vector)
{
	(void)v;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, vector | INTR_TYPE_EXT_INTR | INTR_INFO_VALID);
}

/*
 * Does an external interrupt make a guest whose RFLAGS.IF is 0 exit?  It
 * must (SDM Vol. 3C, "Changes to Event Blocking", 25.3 in the 2023
 * edition: with "external-interrupt exiting" set, RFLAGS.IF does not block
 * external interrupts), and the shootdown IPI (smp.c) relies on it to get
 * a CPU out of its guest.  Bochs 2.7 does not (issue 13, finding 2).  Its
 * VM entry loads the guest's state, masks and unmasks events to match
 * (cpu/vmx.cc:2155: handleCpuContextChange() calls
 * handleInterruptMaskChange(), cpu/flag_ctrl_pro.cc:116) and only then
 * marks the CPU as in the guest (in_vmx_guest = 1, cpu/vmx.cc:3111, after
 * the guest-state load at 3054).  With the guest's IF = 0 that check
 * takes the host's branch (the guest's, which would leave interrupts
 * unmasked, is at flag_ctrl_pro.cc:138) and masks
 * BX_EVENT_PENDING_LAPIC_INTR (flag_ctrl_pro.cc:157), and nothing unmasks
 * it while the guest runs unless the guest itself changes IF (setEFlags(),
 * flag_ctrl_pro.cc:49; STI, CLI, POPF, IRET).  Our memtest guests never
 * do: no IPI ever made one exit, and one sent to it waited for its next
 * exit of another kind, at worst its whole slice (2^20 ticks).  Bochs's
 * master branch (2025) still has that order.
 *
 * So an entry of a guest with IF = 0 is a probe until one decides: a
 * shootdown IPI to ourselves is pending in the local APIC (its IRR bit
 * set) while we enter, with nothing to come before it (no event injected,
 * no blocking by STI or MOV SS, the timer not due within a quantum).  An
 * exit for that interrupt before the guest's first instruction (RIP and
 * IF as they were) shows the rule holds, and nothing changes.  An exit
 * for something the guest did (an instruction, an EPT violation) shows
 * that interrupts do not make such guests exit: from then on every CPU
 * runs guests that enter with IF = 0 in quanta of KICK_QUANTUM_TICKS,
 * and answers shootdowns between them (a preemption-timer exit before the
 * slice's end resumes the guest, vmexit.c, and the core answers requests
 * around every entry).  Any other exit (an NMI, INIT, SMI or the timer
 * may come first; an interrupt once the guest has set IF) decides
 * nothing.  A guest that enters with IF = 1, or clears it while it runs,
 * exits for interrupts under Bochs too.
 *
 * The IPI stays the mechanism either way; a quantum only bounds how long
 * a kick that did not work keeps an answer waiting.  No translation is
 * used stale meanwhile: the requester waits for every answer (smp.c).
 */
#define KICK_QUANTUM_TICKS 65536u /* 1/16 of a slice */
enum kick { KICK_UNKNOWN, KICK_EXITS, KICK_QUANTUM };
static volatile int kick = KICK_UNKNOWN;

const char *arch_shootdown_kick(void)
{
	switch (__atomic_load_n(&kick, __ATOMIC_RELAXED)) {
	case KICK_EXITS:
		return "guests with IF=0 exit for it";
	case KICK_QUANTUM:
		_Static_assert(KICK_QUANTUM_TICKS == 65536u, "the text below");
		return "guests with IF=0 did not exit for it: they run in quanta of 65536 ticks";
	default:
		return "no guest with IF=0 probed";
	}
}

/* Sets up the probe for this entry, if it can be one: the IPI pending. */
static bool kick_probe_arm(uint64_t now, uint64_t end)
{
	uint64_t t0;

	if ((vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) ||
	    (vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) || end < now + KICK_QUANTUM_TICKS)
		return false;
	apic_send_ipi(0, SHOOTDOWN_VECTOR | APIC_ICR_DM_FIXED | APIC_ICR_LEVEL_ASSERT | APIC_ICR_SELF);
	for (t0 = rdtsc(); !apic_irr_pending(SHOOTDOWN_VECTOR); cpu_relax())
		if (rdtsc() - t0 > KICK_QUANTUM_TICKS)
			return false; /* not requested yet: no probe (it may exit the guest later) */
	return true;
}

/* What the probe's exit shows (rip: the guest's at entry). */
static void kick_probe_judge(uint32_t reason, uint64_t rip)
{
	if (reason & EXIT_REASON_FAILED_ENTRY)
		return;
	switch (reason & EXIT_REASON_BASIC_MASK) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		/* Before the guest's first instruction, as it should; not one
		 * that came once the guest set IF (the guest has moved on then,
		 * or IF is 1): undecided.  And unless a CPU has already seen
		 * one that did not exit. */
		if (vmcs_readnat(GUEST_RIP) == rip && !(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF))
			__atomic_compare_exchange_n(&kick, &(int){ KICK_UNKNOWN }, KICK_EXITS, false,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		return;
	case EXIT_REASON_EXCEPTION_NMI:
	case EXIT_REASON_INIT_SIGNAL:
	case EXIT_REASON_SIPI:
	case EXIT_REASON_IO_SMI:
	case EXIT_REASON_OTHER_SMI:
	case EXIT_REASON_PREEMPTION_TIMER:
		return; /* may come first: undecided */
	default:
		__atomic_store_n(&kick, KICK_QUANTUM, __ATOMIC_RELAXED);
	}
}

int arch_vcpu_enter(struct arch_vcpu *v)
{
	int failed;
	bool probe = false;
	uint64_t rip = 0;

	/* The timer runs to the end of the slice or to the core's deadline,
	 * whichever comes first; 0 exits at once.  A guest with IF = 0 is a
	 * probe or, where interrupts do not make it exit, runs a quantum at
	 * most (see above); not on a single CPU, which no shootdown asks,
	 * unless the NIC's interrupt comes to it (e1000.c: the API's answers
	 * wait for an exit there). */
	uint64_t now = rdtsc(), end = v->slice_end;
	if (v->deadline && v->deadline < end)
		end = v->deadline;
	if (!(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) && (smp_cpus_up() > 1 || e1000_irq_here())) {
		int k = __atomic_load_n(&kick, __ATOMIC_RELAXED);
		if (k == KICK_UNKNOWN && (probe = kick_probe_arm(now, end))) {
			rip = vmcs_readnat(GUEST_RIP);
			now = rdtsc(); /* after the wait for the IRR */
		} else if (k == KICK_QUANTUM && end > now + KICK_QUANTUM_TICKS)
			end = now + KICK_QUANTUM_TICKS;
	}
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE,
		     now >= end ? 0 : (uint32_t)((end - now) >> preemption_rate));
	fxrstor(v->fpu);
	/* The last host work before the entry: what the hypervisor touched
	 * (other VMs' pages too) leaves L1D and the CPU's buffers (spec_ctrl.c;
	 * in C right before the entry stub, as KVM did until 2024). */
	if (spec.l1d_flush)
		wrmsr(IA32_FLUSH_CMD, FLUSH_CMD_L1D);
	else if (spec.verw)
		verw(SEL_KERNEL_DS);
	failed = vmx_enter(&v->regs, v->launched);
	fxsave(v->fpu);
	ldmxcsr(MXCSR_DEFAULT); /* the guest's MXCSR could unmask SSE exceptions for us */
	if (failed)
		return -1;
	v->launched = 1;
	if (probe)
		kick_probe_judge(vmcs_read32(VM_EXIT_REASON), rip);
	uart_pump_maybe(); /* the console moves while guests run */
	/* Acknowledged on exit: end it now, whatever the core does next (the
	 * NIC's level-triggered line lowered first: e1000.c). */
	if ((vmcs_read32(VM_EXIT_REASON) & EXIT_REASON_BASIC_MASK) == EXIT_REASON_EXTERNAL_INTERRUPT) {
		if ((vmcs_read32(VM_EXIT_INTR_INFO) & INTR_INFO_VECTOR_MASK) == NIC_VECTOR)
			e1000_irq_ack();
		apic_eoi();
	}
	return 0;
}
