/*
 * vmexit_event.c - exits for events: the exceptions the hypervisor
 * intercepts, the host's NMIs and machine checks, INIT, RDPMC and notify
 * VM exits.
 *
 * Why #DB and #AC are intercepted (issue 23, finding 1; Xen XSA-156,
 * CVE-2015-5307 and CVE-2015-8104).  A guest can make event delivery loop:
 * with CR0.AM and RFLAGS.AC set at CPL 3, a misaligned stack and the #AC
 * handler at CPL 3 too, delivering #AC pushes on the misaligned stack and
 * raises #AC again; with a data breakpoint (DR7) on the #DB handler's
 * stack, each delivery of #DB hits it, and the debug trap comes before the
 * handler's first instruction, ahead of every interrupt, NMI and the
 * VMX-preemption timer.  Neither reaches an instruction boundary where the
 * CPU would take the IPI or the timer, so nothing made that CPU exit: the
 * next shootdown waited for it for ever with the hypervisor lock held, and
 * every CPU stopped.  (Bochs 2.7 crashes on the #AC loop - its exception()
 * and interrupt() recurse until its own stack overflows - and loops for
 * ever on the #DB one, as hardware does.)  With both in the exception
 * bitmap each delivery exits: the exception goes back to the guest as it
 * came (event_decode, exit_decode.c), the slice ends when its time is up,
 * and shootdowns are answered around every entry.  The guest loops alone,
 * one exit per turn, as under KVM, which intercepts both for this reason.
 *
 * Reflecting.  #DB does not write DR6 when it exits (SDM 3C 28.1): DR6 is
 * written here as the processor would have (dr6_after_db), DR7.GD cleared
 * as delivering #DB does, and a single step left pending where VM entry
 * requires it (RFLAGS.TF with STI or MOV-SS blocking: pending debug
 * exceptions' BS, as KVM does).  #AC is a fault: RF is set in the RFLAGS
 * the guest's handler will see pushed (as KVM does).  INT1 (ICEBP) exits on
 * the instruction: its #DB is injected as the privileged software
 * exception it is, with its length.  An event whose delivery raised the
 * exception (IDT-vectoring information, re-injected by vmexit.c) is
 * replaced by it: both are benign, and the processor delivers the second
 * of two benign events (SDM 3A 6.15, Table 6-5); one lost that way the
 * guest made itself.  The VM's debug registers are switched as the VMCS
 * does DR7 and DEBUGCTL ("save/load debug controls", vcpu.c) and vcpu.c
 * does DR0-DR3 and DR6: a guest's breakpoints outlive every exit.
 *
 * Notify VM exit (SDM 3C 26.2, "notify VM exiting", where
 * IA32_VMX_PROCBASED_CTLS2 offers it; Bochs 2.7 does not) exits when the
 * guest goes NOTIFY_WINDOW cycles, plus a threshold of the processor's own,
 * without an event window: the loops above, and any other such loop no
 * intercept covers.  The window is 0, as Xen's and QEMU's defaults: the
 * processor's threshold keeps an honest instruction from tripping it.  If
 * the exit says the guest's context is lost, the VM is stopped.
 *
 * The host's own events.  An NMI that arrives while a guest runs exits
 * (NMI exiting) and leaves NMIs blocked until an IRET: INT 2 runs the
 * host's NMI handler (trap.c counts it), whose IRET unblocks them, and the
 * guest resumes.  A machine check while a guest runs exits (#MC is
 * intercepted, so a guest never sees the host's); mce_decide says from the
 * machine-check MSRs whether the guest resumes, its VM stops or, with the
 * processor's context corrupt, the machine does; the banks are cleared
 * after.  Before, each of these stopped the guest as an "unhandled exit"
 * (issue 23, finding 7).  INIT exits only because smp.c kicked a CPU that
 * did not answer a shootdown: the guest resumes.  RDPMC exits and gets
 * #GP: no performance counters are offered, and at CPL 0 it would read the
 * host's (CR4.PCE covers CPL 3: exit_decode.c's cr4_host_owned).
 */
#include <stdio.h>

#include "arch.h"
#include "cpu.h"
#include "exit_decode.h"
#include "msr.h"
#include "percpu.h"
#include "upcall.h"
#include "vcpu.h"
#include "vectors.h"
#include "vmcs_fields.h"
#include "vmexit.h"
#include "vmx.h"
#include "vmx_exit_reasons.h"

#define MCE_BANKS_MAX 32

volatile uint64_t host_nmis;

/* The guest resumes, or its slice is over: an exit per turn of a loop is
 * the scheduler's chance, which the preemption timer alone never got. */
static enum arch_exit_action slice_goes_on(const struct arch_vcpu *v)
{
	return rdtsc() < v->slice_end ? ARCH_RESUME : ARCH_YIELD;
}

static void reflect(const struct event_exit *e)
{
	uint64_t rflags = vmcs_readnat(GUEST_RFLAGS);

	if (e->vector == EXC_DB && !e->length) {
		uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
		write_dr6(dr6_after_db(read_dr6(), vmcs_readnat(EXIT_QUALIFICATION)));
		vmcs_writenat(GUEST_DR7, vmcs_readnat(GUEST_DR7) & ~DR7_GD);
		if ((rflags & RFLAGS_TF) && (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)))
			vmcs_writenat(GUEST_PENDING_DBG_EXCEPTIONS,
				      vmcs_readnat(GUEST_PENDING_DBG_EXCEPTIONS) | PENDING_DBG_BS);
	}
	if (e->vector == EXC_AC)
		vmcs_writenat(GUEST_RFLAGS, rflags | RFLAGS_RF);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, e->inject);
	if (e->has_code)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, e->code);
	if (e->length)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

/* The machine-check MSRs read, reported, cleared; what mce_decide says. */
static enum arch_exit_action machine_check(struct arch_vcpu *v, const char *how)
{
	uint64_t mcg = rdmsr(IA32_MCG_STATUS), st[MCE_BANKS_MAX];
	unsigned n = (unsigned)(rdmsr(IA32_MCG_CAP) & MCG_CAP_COUNT_MASK), i;
	enum mce_action a;

	if (n > MCE_BANKS_MAX)
		n = MCE_BANKS_MAX;
	for (i = 0; i < n; i++)
		st[i] = rdmsr(IA32_MC0_STATUS + 4 * i);
	a = mce_decide(mcg, st, n);
	printf("vmx: machine check on CPU %u while vm %s vcpu %u ran (%s): MCG_STATUS 0x%lx",
	       this_cpu()->index, v->vm_name, v->index, how, mcg);
	for (i = 0; i < n; i++)
		if (st[i] & MCI_STATUS_VAL) {
			printf(", bank %u 0x%lx", i, st[i]);
			wrmsr(IA32_MC0_STATUS + 4 * i, 0);
		}
	printf(": %s\n", a == MCE_RESUME ? "corrected, the guest resumes" :
	       a == MCE_STOP_VM ? "uncorrected, or it cannot restart: its VM stops" :
	       "processor context corrupt");
	wrmsr(IA32_MCG_STATUS, 0); /* MCIP clear: the next one is not a shutdown */
	if (a == MCE_FATAL)
		arch_power_off("machine check with the processor context corrupt");
	if (a == MCE_STOP_VM) {
		arch_vcpu_dump(v);
		core_vm_stop(v, "a machine check hit it (uncorrected, or it could not restart)");
		return ARCH_YIELD;
	}
	return slice_goes_on(v);
}

enum arch_exit_action exit_exception_nmi(struct arch_vcpu *v)
{
	uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);
	struct event_exit e = event_decode(info, vmcs_read32(VM_EXIT_INTR_ERROR_CODE));

	switch (e.action) {
	case EV_REFLECT:
		reflect(&e);
		return slice_goes_on(v);
	case EV_HOST_NMI:
		__asm__ volatile("int $2" ::: "memory"); /* the host's handler; its IRET unblocks NMIs */
		return ARCH_RESUME;
	case EV_HOST_MC:
		return machine_check(v, "an #MC exit");
	case EV_UNEXPECTED:
		break;
	}
	arch_vcpu_dump(v);
	core_vm_stop(v, "unexpected exception or NMI exit (interruption information 0x%x)", info);
	return ARCH_YIELD;
}

enum arch_exit_action exit_init_signal(struct arch_vcpu *v)
{
	return slice_goes_on(v); /* smp.c's kick: the exit was the point */
}

enum arch_exit_action exit_rdpmc(struct arch_vcpu *v)
{
	(void)v;
	vmexit_inject(EXC_GP, true, 0);
	return ARCH_RESUME;
}

enum arch_exit_action exit_notify(struct arch_vcpu *v)
{
	if (vmcs_readnat(EXIT_QUALIFICATION) & NOTIFY_VM_CONTEXT_INVALID) {
		arch_vcpu_dump(v);
		core_vm_stop(v, "notify VM exit: no event window for the notify window, and its "
			     "context was lost");
		return ARCH_YIELD;
	}
	return slice_goes_on(v);
}

enum arch_exit_action exit_mce_during_entry(struct arch_vcpu *v)
{
	return machine_check(v, "during VM entry");
}
