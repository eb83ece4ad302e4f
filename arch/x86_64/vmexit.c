/*
 * vmexit.c - what a VM exit means, one handler per basic exit reason.
 *
 * The table below is indexed by basic exit reason, beside the reasons'
 * names and the counting of exits; a reason without a handler stops the VM
 * with a register dump (the others keep running).  Handlers that complete
 * an instruction advance RIP by its length; those that fault the guest
 * inject the exception instead.  What an exit means to the VM - a
 * hypercall, a port, a write to shared memory, a halt, a stop - is the
 * core's to decide: handlers decode the exit and make the upcall
 * (kernel/include/upcall.h).  The EPT-violation path is hot: nothing here
 * prints on it.
 */
#include <stdio.h>

#include "arch.h"
#include "cpu.h"
#include "exit_decode.h"
#include "guest_msr.h"
#include "msr.h"
#include "upcall.h"
#include "vcpu.h"
#include "vectors.h"
#include "vmcs_fields.h"
#include "vmexit.h"
#include "vmx.h"
#include "vmx_exit_reasons.h"

_Static_assert(EXIT_REASON_MAX + 1 == ARCH_EXIT_REASONS, "arch.h counts every basic exit reason");

static uint64_t exit_totals[ARCH_EXIT_REASONS]; /* all vCPUs, since boot */

static const char *const reason_names[ARCH_EXIT_REASONS] = {
	[EXIT_REASON_EXCEPTION_NMI] = "exception-nmi", [EXIT_REASON_INIT_SIGNAL] = "init",
	[EXIT_REASON_RDPMC] = "rdpmc", [EXIT_REASON_MCE_DURING_VMENTRY] = "mce-during-entry",
	[EXIT_REASON_NOTIFY] = "notify",
	[EXIT_REASON_EXTERNAL_INTERRUPT] = "external-interrupt",
	[EXIT_REASON_TRIPLE_FAULT] = "triple-fault", [EXIT_REASON_CPUID] = "cpuid",
	[EXIT_REASON_HLT] = "hlt", [EXIT_REASON_VMCALL] = "vmcall",
	[EXIT_REASON_INTERRUPT_WINDOW] = "interrupt-window",
	[EXIT_REASON_VMXON] = "vmxon", [EXIT_REASON_IO_INSTRUCTION] = "io",
	[EXIT_REASON_MSR_READ] = "rdmsr", [EXIT_REASON_MSR_WRITE] = "wrmsr",
	[EXIT_REASON_EPT_VIOLATION] = "ept-violation", [EXIT_REASON_EPT_MISCONFIG] = "ept-misconfig",
	[EXIT_REASON_PREEMPTION_TIMER] = "preemption-timer", [EXIT_REASON_CR_ACCESS] = "cr-access",
	[EXIT_REASON_MWAIT_INSTRUCTION] = "mwait", [EXIT_REASON_MONITOR_INSTRUCTION] = "monitor",
	[EXIT_REASON_WBINVD] = "wbinvd",
};

static enum arch_exit_action to_arch(enum core_action a)
{
	return a == CORE_RESUME ? ARCH_RESUME : ARCH_YIELD;
}

/* Completes the exiting instruction: RIP past it, and the STI or MOV SS
 * shadow it sat in ends with it, as on hardware (Linux idles with STI;
 * HLT: an interrupt injected at the wake-up must not be held back). */
static void skip_instruction(void)
{
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	vmcs_writenat(GUEST_RIP, vmcs_readnat(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/* Injects a hardware exception.  In real mode (an unrestricted guest with
 * CR0.PE clear) no exception pushes an error code, and VM entry checks it. */
void vmexit_inject(unsigned vector, bool has_code, uint32_t code)
{
	if (!(vmcs_readnat(GUEST_CR0) & CR0_PE))
		has_code = false;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID |
		     (has_code ? INTR_INFO_DELIVER_CODE : 0));
	if (has_code)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, code);
}

void arch_vcpu_dump(const struct arch_vcpu *v)
{
	const struct guest_regs *r = &v->regs;
	printf("  vm %s vcpu %u: RIP %08lx RSP %08lx RFLAGS %lx CR0 %lx qual %lx GPA %lx\n",
	       v->vm_name, v->index, vmcs_readnat(GUEST_RIP), vmcs_readnat(GUEST_RSP),
	       vmcs_readnat(GUEST_RFLAGS), vmcs_readnat(GUEST_CR0), vmcs_readnat(EXIT_QUALIFICATION),
	       vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	printf("  EAX %08lx EBX %08lx ECX %08lx EDX %08lx ESI %08lx EDI %08lx EBP %08lx\n",
	       r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp);
}

static enum arch_exit_action exit_external_interrupt(struct arch_vcpu *v)
{
	(void)v; /* acknowledged on exit and EOI'd in arch_vcpu_enter */
	return ARCH_RESUME;
}

static enum arch_exit_action exit_triple_fault(struct arch_vcpu *v)
{
	arch_vcpu_dump(v);
	core_vm_stop(v, "triple fault");
	return ARCH_YIELD;
}

static enum arch_exit_action exit_cpuid(struct arch_vcpu *v)
{
	struct guest_regs *r = &v->regs;
	uint32_t leaf = (uint32_t)r->rax, out[4];

	cpuid(leaf, (uint32_t)r->rcx, out);
	cpuid_adjust(leaf, (uint32_t)r->rcx, out, v->index, v->nvcpus, arch_time_hz());
	if (v->lapic)
		cpuid_offer_lapic(leaf, out);
	r->rax = out[0], r->rbx = out[1], r->rcx = out[2], r->rdx = out[3];
	skip_instruction();
	return ARCH_RESUME;
}

/* HLT: the core blocks the vCPU until its next interrupt is due; with
 * interrupts disabled nothing can wake it. */
static enum arch_exit_action exit_hlt(struct arch_vcpu *v)
{
	skip_instruction();
	return to_arch(core_vcpu_halt(v, (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) != 0));
}

/* The guest can take an interrupt now (arch_vcpu_irq_ready asked for this
 * exit): stop asking, and let the core's run loop inject. */
static enum arch_exit_action exit_interrupt_window(struct arch_vcpu *v)
{
	(void)v;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL,
		     vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) & ~CPU_INTR_WINDOW_EXITING);
	return ARCH_RESUME;
}

/* Hypercall ABI (docs/hypercalls.md): number in EAX, arguments in EBX,
 * ECX, EDX, ESI; the result back in EAX. */
static enum arch_exit_action exit_vmcall(struct arch_vcpu *v)
{
	struct guest_regs *r = &v->regs;
	const uint32_t args[4] = { (uint32_t)r->rbx, (uint32_t)r->rcx, (uint32_t)r->rdx,
				   (uint32_t)r->rsi };
	enum core_action next;
	int32_t ret = core_hypercall(v, (uint32_t)r->rax, args, &next);

	if (next == CORE_UNDEFINED) {
		vmexit_inject(EXC_UD, false, 0);
		return ARCH_RESUME;
	}
	skip_instruction();
	r->rax = (uint32_t)ret;
	return to_arch(next);
}

/* MWAIT behaves as HLT; MONITOR arms nothing.  Neither is offered by
 * CPUID. */
static enum arch_exit_action exit_mwait(struct arch_vcpu *v)
{
	skip_instruction();
	return to_arch(core_vcpu_halt(v, (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) != 0));
}

static enum arch_exit_action exit_monitor(struct arch_vcpu *v)
{
	(void)v;
	skip_instruction();
	return ARCH_RESUME;
}

/* WBINVD: guest memory is write-back and coherent, and no device of ours
 * does DMA to it, so there is nothing to write back: a no-op, not a flush
 * of every cache in the machine on a guest's say-so. */
static enum arch_exit_action exit_wbinvd(struct arch_vcpu *v)
{
	(void)v;
	skip_instruction();
	return ARCH_RESUME;
}

/* The guest's general register n in the order of the exit qualifications
 * (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15); RSP lives in the VMCS. */
static uint64_t gpr_read(const struct arch_vcpu *v, unsigned n)
{
	const struct guest_regs *r = &v->regs;
	const uint64_t in_regs[16] = { r->rax, r->rcx, r->rdx, r->rbx, 0, r->rbp, r->rsi, r->rdi,
				       r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	return n == 4 ? vmcs_readnat(GUEST_RSP) : in_regs[n & 15];
}

static void gpr_write(struct arch_vcpu *v, unsigned n, uint64_t val)
{
	struct guest_regs *r = &v->regs;
	uint64_t *const in_regs[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, NULL, &r->rbp, &r->rsi,
					&r->rdi, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
					&r->r14, &r->r15 };
	if ((n & 15) == 4)
		vmcs_writenat(GUEST_RSP, val);
	else
		*in_regs[n & 15] = val;
}

/* MOV to CR0 that would change a bit VMX fixes (NE): what the guest wrote
 * is its read shadow, the real CR0 keeps the fixed bits, and what the CPU
 * would do on the write is done here: turning paging on with EFER.LME
 * activates IA-32e mode (EFER.LMA and the "IA-32e mode guest" entry
 * control), turning it off leaves it.  PAE paging outside long mode would
 * need the PDPTEs loaded into the VMCS: not supported (no guest of ours
 * uses it; Linux goes from paging off straight to long mode): the VM is
 * stopped.  Returns CR0_DONE (complete the instruction), CR0_FAULT (#GP
 * injected, RIP unchanged) or CR0_STOPPED. */
enum cr0_result { CR0_DONE, CR0_FAULT, CR0_STOPPED };
static enum cr0_result cr0_write(struct arch_vcpu *v, uint64_t val)
{
	uint64_t old = vmcs_readnat(GUEST_CR0), efer = vmcs_read64(GUEST_IA32_EFER);
	uint32_t entry = vmcs_read32(VM_ENTRY_CONTROLS);

	if (cr0_write_faults(val)) { /* as the processor would: NW without CD too */
		vmexit_inject(EXC_GP, true, 0);
		return CR0_FAULT;
	}
	if ((val & CR0_PG) && !(old & CR0_PG)) {
		if (efer & EFER_LME) {
			if (!(vmcs_readnat(GUEST_CR4) & CR4_PAE)) {
				vmexit_inject(EXC_GP, true, 0);
				return CR0_FAULT;
			}
			vmcs_write64(GUEST_IA32_EFER, efer | EFER_LMA);
			vmcs_write32(VM_ENTRY_CONTROLS, entry | ENTRY_IA32E_MODE_GUEST);
		} else if (vmcs_readnat(GUEST_CR4) & CR4_PAE) {
			arch_vcpu_dump(v);
			core_vm_stop(v, "PAE paging outside long mode is not supported");
			return CR0_STOPPED;
		}
	} else if (!(val & CR0_PG) && (old & CR0_PG)) {
		if (vmcs_read32(GUEST_CS_AR_BYTES) & SEG_AR_L) { /* in 64-bit mode: #GP */
			vmexit_inject(EXC_GP, true, 0);
			return CR0_FAULT;
		}
		vmcs_write64(GUEST_IA32_EFER, efer & ~EFER_LMA);
		vmcs_write32(VM_ENTRY_CONTROLS, entry & ~ENTRY_IA32E_MODE_GUEST);
	}
	/* A MOV to CR0 that changes PG or PE flushes the TLB, globals too. */
	if ((val ^ old) & (CR0_PG | CR0_PE))
		invvpid_single(vmcs_read16(VIRTUAL_PROCESSOR_ID));
	vmcs_writenat(GUEST_CR0, vmx_cr0_real(val));
	vmcs_writenat(CR0_READ_SHADOW, val);
	return CR0_DONE;
}

/* MOV to/from CR8 (64-bit guests): the task priority is virtual, kept per
 * vCPU, so a guest cannot mask the host's interrupts (our shootdown IPIs)
 * by raising the CPU's.  MOV to CR4 exits only when it would set a bit we
 * own (exit_decode.c's cr4_host_owned: VMXE, OSXSAVE, PKE, PCE): none is
 * offered, so that is a #GP. */
static enum arch_exit_action exit_cr_access(struct arch_vcpu *v)
{
	struct cr_access a = cr_decode(vmcs_readnat(EXIT_QUALIFICATION));

	if (a.cr == 8 && a.type == CR_MOV_FROM) {
		gpr_write(v, a.gpr, v->tpr);
	} else if (a.cr == 8 && a.type == CR_MOV_TO) {
		uint64_t val = gpr_read(v, a.gpr);
		if (val > 0xF) { /* bits 63:4 are reserved */
			vmexit_inject(EXC_GP, true, 0);
			return ARCH_RESUME;
		}
		v->tpr = (uint8_t)val;
	} else if (a.cr == 0 && a.type == CR_MOV_TO) {
		enum cr0_result r = cr0_write(v, gpr_read(v, a.gpr));
		if (r != CR0_DONE)
			return r == CR0_FAULT ? ARCH_RESUME : ARCH_YIELD;
	} else if (a.cr == 4 && a.type == CR_MOV_TO) {
		vmexit_inject(EXC_GP, true, 0);
		return ARCH_RESUME;
	} else {
		arch_vcpu_dump(v);
		core_vm_stop(v, "unexpected control-register access (CR%u, type %u)", a.cr, a.type);
		return ARCH_YIELD;
	}
	skip_instruction();
	return ARCH_RESUME;
}

static enum arch_exit_action exit_vmx_instruction(struct arch_vcpu *v)
{
	(void)v;
	vmexit_inject(EXC_UD, false, 0); /* VMX is not offered to guests */
	return ARCH_RESUME;
}

static enum arch_exit_action exit_io(struct arch_vcpu *v)
{
	struct io_access a = io_decode(vmcs_readnat(EXIT_QUALIFICATION));
	uint32_t value = (uint32_t)v->regs.rax;
	enum core_action next;

	if (a.string) {
		arch_vcpu_dump(v);
		core_vm_stop(v, "string I/O (INS/OUTS) on port 0x%x is not supported", a.port);
		return ARCH_YIELD;
	}
	next = core_port_io(v, (uint16_t)a.port, a.size, a.in, &value);
	if (a.in)
		v->regs.rax = io_merge_in(v->regs.rax, a.size, value);
	skip_instruction();
	return to_arch(next);
}

/* An MSR guest_msr.c does not know: the core's devices may (a Linux VM's
 * local APIC); if not, #GP as for an MSR the CPU does not have. */
static enum arch_exit_action msr_to_core(struct arch_vcpu *v, bool write, uint64_t *val)
{
	enum core_action a = core_msr(v, (uint32_t)v->regs.rcx, write, val);

	if (a == CORE_UNDEFINED) {
		vmexit_inject(EXC_GP, true, 0);
		return ARCH_RESUME;
	}
	if (!write) {
		v->regs.rax = (uint32_t)*val;
		v->regs.rdx = *val >> 32;
	}
	skip_instruction();
	return to_arch(a);
}

/* MSRs: guest_msr.c says which and where they live; EFER's write is here. */
static enum arch_exit_action exit_rdmsr(struct arch_vcpu *v)
{
	uint64_t val;
	if (guest_msr_read(v, (uint32_t)v->regs.rcx, &val)) {
		v->regs.rax = (uint32_t)val;
		v->regs.rdx = val >> 32;
		skip_instruction();
	} else {
		return msr_to_core(v, false, &val);
	}
	return ARCH_RESUME;
}

static enum arch_exit_action exit_wrmsr(struct arch_vcpu *v)
{
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	if ((uint32_t)v->regs.rcx == IA32_EFER && !(val & ~EFER_GUEST_WRITABLE)) {
		/* LMA is the processor's to set (CR0.PG with LME): WRMSR leaves
		 * it as it is, so EFER stays consistent with the "IA-32e mode
		 * guest" entry control; LME cannot change while paging is on. */
		uint64_t old = vmcs_read64(GUEST_IA32_EFER);
		val = (val & ~EFER_LMA) | (old & EFER_LMA);
		if (((val ^ old) & EFER_LME) && (vmcs_readnat(GUEST_CR0) & CR0_PG)) {
			vmexit_inject(EXC_GP, true, 0);
			return ARCH_RESUME;
		}
		vmcs_write64(GUEST_IA32_EFER, val);
		skip_instruction();
	} else if ((uint32_t)v->regs.rcx != IA32_EFER &&
		   guest_msr_write(v, (uint32_t)v->regs.rcx, val)) {
		skip_instruction();
	} else if ((uint32_t)v->regs.rcx != IA32_EFER) {
		return msr_to_core(v, true, &val);
	} else {
		vmexit_inject(EXC_GP, true, 0);
	}
	return ARCH_RESUME;
}

/* A guest-physical access the EPT refused: the core decides (a write to
 * RAM mapped read-only is dedup's COW break). */
static enum arch_exit_action exit_ept_violation(struct arch_vcpu *v)
{
	uint64_t q = vmcs_readnat(EXIT_QUALIFICATION);
	unsigned access = (q & EPT_QUAL_READ ? UPCALL_ACCESS_READ : 0) |
			  (q & EPT_QUAL_WRITE ? UPCALL_ACCESS_WRITE : 0) |
			  (q & EPT_QUAL_FETCH ? UPCALL_ACCESS_EXEC : 0);

	return to_arch(core_guest_mem_fault(v, vmcs_read64(GUEST_PHYSICAL_ADDRESS), access));
}

static enum arch_exit_action exit_ept_misconfig(struct arch_vcpu *v)
{
	arch_vcpu_dump(v);
	core_vm_stop(v, "EPT misconfiguration at guest-physical 0x%lx",
		     vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	return ARCH_YIELD;
}

/* The timer fires at the end of the slice or at the core's deadline (the
 * vCPU's next virtual timer interrupt), whichever is first. */
static enum arch_exit_action exit_preemption_timer(struct arch_vcpu *v)
{
	return rdtsc() < v->slice_end ? ARCH_RESUME : ARCH_YIELD;
}

typedef enum arch_exit_action (*exit_handler)(struct arch_vcpu *);

static const exit_handler handlers[ARCH_EXIT_REASONS] = {
	[EXIT_REASON_EXCEPTION_NMI]      = exit_exception_nmi,   /* vmexit_event.c, all five */
	[EXIT_REASON_INIT_SIGNAL]        = exit_init_signal,
	[EXIT_REASON_RDPMC]              = exit_rdpmc,
	[EXIT_REASON_NOTIFY]             = exit_notify,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = exit_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]       = exit_triple_fault,
	[EXIT_REASON_CPUID]              = exit_cpuid,
	[EXIT_REASON_CR_ACCESS]          = exit_cr_access,
	[EXIT_REASON_MWAIT_INSTRUCTION]  = exit_mwait,
	[EXIT_REASON_MONITOR_INSTRUCTION] = exit_monitor,
	[EXIT_REASON_WBINVD]             = exit_wbinvd,
	[EXIT_REASON_HLT]                = exit_hlt,
	[EXIT_REASON_INTERRUPT_WINDOW]   = exit_interrupt_window,
	[EXIT_REASON_VMCALL]             = exit_vmcall,
	[EXIT_REASON_VMCLEAR]            = exit_vmx_instruction,
	[EXIT_REASON_VMLAUNCH]           = exit_vmx_instruction,
	[EXIT_REASON_VMPTRLD]            = exit_vmx_instruction,
	[EXIT_REASON_VMPTRST]            = exit_vmx_instruction,
	[EXIT_REASON_VMREAD]             = exit_vmx_instruction,
	[EXIT_REASON_VMRESUME]           = exit_vmx_instruction,
	[EXIT_REASON_VMWRITE]            = exit_vmx_instruction,
	[EXIT_REASON_VMXOFF]             = exit_vmx_instruction,
	[EXIT_REASON_VMXON]              = exit_vmx_instruction,
	[EXIT_REASON_INVEPT]             = exit_vmx_instruction,
	[EXIT_REASON_INVVPID]            = exit_vmx_instruction,
	[EXIT_REASON_IO_INSTRUCTION]     = exit_io,
	[EXIT_REASON_MSR_READ]           = exit_rdmsr,
	[EXIT_REASON_MSR_WRITE]          = exit_wrmsr,
	[EXIT_REASON_EPT_VIOLATION]      = exit_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]      = exit_ept_misconfig,
	[EXIT_REASON_PREEMPTION_TIMER]   = exit_preemption_timer,
};

/* An exit in the middle of delivering an event through the guest's IDT (an
 * EPT violation on its stack while an interrupt or exception is pushed, a
 * COW break most often) loses the event unless it is delivered again at
 * the next entry (SDM 3C 28.2.4, 27.6.1.1).  Handlers that inject their
 * own exception overwrite it: the guest then sees that one instead, as if
 * the second fault had come first. */
static void reinject_vectoring(void)
{
	uint32_t info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	uint32_t type = info & INTR_TYPE_MASK;

	if (!(info & INTR_INFO_VALID))
		return;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info & ~(1u << 12)); /* bit 12 is reserved here */
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION ||
	    type == INTR_TYPE_SW_EXCEPTION)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

enum arch_exit_action arch_vcpu_handle_exit(struct arch_vcpu *v, int enter_rc)
{
	uint32_t reason;
	exit_handler h;

	if (enter_rc) {
		core_vm_stop(v, "VM entry failed: VM-instruction error %u",
			     vmcs_read32(VM_INSTRUCTION_ERROR));
		return ARCH_YIELD;
	}
	reason = vmcs_read32(VM_EXIT_REASON);
	if (reason == (EXIT_REASON_FAILED_ENTRY | EXIT_REASON_MCE_DURING_VMENTRY)) {
		v->exits[EXIT_REASON_MCE_DURING_VMENTRY]++;
		exit_totals[EXIT_REASON_MCE_DURING_VMENTRY]++;
		return exit_mce_during_entry(v);
	}
	if (reason & EXIT_REASON_FAILED_ENTRY) {
		core_vm_stop(v, "VM entry failed: exit reason %u, qualification 0x%lx",
			     reason & EXIT_REASON_BASIC_MASK, vmcs_readnat(EXIT_QUALIFICATION));
		return ARCH_YIELD;
	}
	reason &= EXIT_REASON_BASIC_MASK;
	reinject_vectoring();
	h = reason < ARCH_EXIT_REASONS ? handlers[reason] : NULL;
	if (reason < ARCH_EXIT_REASONS) {
		v->exits[reason]++;
		exit_totals[reason]++;
	}
	if (!h) {
		arch_vcpu_dump(v);
		core_vm_stop(v, "unhandled VM exit, reason %u", reason);
		return ARCH_YIELD;
	}
	return h(v);
}

uint64_t arch_vcpu_exits(const struct arch_vcpu *v)
{
	uint64_t n = 0;
	unsigned r;
	for (r = 0; r < ARCH_EXIT_REASONS; r++)
		n += v->exits[r];
	return n;
}

void arch_exits_report(const char *prefix)
{
	uint64_t total = 0;
	unsigned r;

	printf("%s", prefix);
	for (r = 0; r < ARCH_EXIT_REASONS; r++)
		if (exit_totals[r]) {
			total += exit_totals[r];
			if (reason_names[r])
				printf(" %s %lu", reason_names[r], exit_totals[r]);
			else
				printf(" reason-%u %lu", r, exit_totals[r]);
		}
	printf("; total %lu\n", total);
}
