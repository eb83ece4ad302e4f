/*
 * vmexit.c - what a VM exit means, one handler per basic exit reason.
 *
 * The table below is indexed by basic exit reason; a reason without a
 * handler stops the VM with a register dump (the others keep running).
 * Handlers that complete an instruction advance RIP by its length; those
 * that fault the guest inject the exception instead.  The EPT-violation
 * handler is a hot path: it prints only when it stops the VM.
 */
#include <stdio.h>

#include "cpu.h"
#include "exit_decode.h"
#include "msr.h"
#include "vmcs_fields.h"
#include "vmexit.h"
#include "vmx.h"
#include "../../kernel/hypercall.h"
#include "../../kernel/sharing.h"

#define LAPIC_EOI 0xFEE000B0ull

static void skip_instruction(void)
{
	vmcs_writenat(GUEST_RIP, vmcs_readnat(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

static void inject(unsigned vector, bool has_code, uint32_t code)
{
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID |
		     (has_code ? INTR_INFO_DELIVER_CODE : 0));
	if (has_code)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, code);
}

static void dump(struct vcpu *v)
{
	const struct guest_regs *r = &v->regs;
	printf("  vm %s vcpu %u: RIP %08lx RSP %08lx RFLAGS %lx CR0 %lx qual %lx GPA %lx\n",
	       v->vm->name, v->index, vmcs_readnat(GUEST_RIP), vmcs_readnat(GUEST_RSP),
	       vmcs_readnat(GUEST_RFLAGS), vmcs_readnat(GUEST_CR0), vmcs_readnat(EXIT_QUALIFICATION),
	       vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	printf("  EAX %08lx EBX %08lx ECX %08lx EDX %08lx ESI %08lx EDI %08lx EBP %08lx\n",
	       r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp);
}

static enum exit_action exit_external_interrupt(struct vcpu *v)
{
	(void)v; /* acknowledged on exit; nothing of ours is pending on it */
	*(volatile uint32_t *)(uintptr_t)LAPIC_EOI = 0;
	return EXIT_RESUME;
}

static enum exit_action exit_triple_fault(struct vcpu *v)
{
	dump(v);
	vm_stop(v->vm, "triple fault");
	return EXIT_YIELD;
}

static enum exit_action exit_cpuid(struct vcpu *v)
{
	struct guest_regs *r = &v->regs;
	uint32_t leaf = (uint32_t)r->rax, out[4];

	cpuid(leaf, (uint32_t)r->rcx, out);
	cpuid_adjust(leaf, out, v->index, v->vm->nvcpus);
	r->rax = out[0], r->rbx = out[1], r->rcx = out[2], r->rdx = out[3];
	skip_instruction();
	return EXIT_RESUME;
}

static enum exit_action exit_hlt(struct vcpu *v)
{
	/* No virtual interrupts yet: a halted vCPU has nothing to wake it. */
	skip_instruction();
	v->state = VCPU_HALTED;
	return EXIT_YIELD;
}

static enum exit_action exit_vmcall(struct vcpu *v)
{
	skip_instruction();
	hypercall(v);
	return v->state == VCPU_RUNNABLE ? EXIT_RESUME : EXIT_YIELD;
}

static enum exit_action exit_vmx_instruction(struct vcpu *v)
{
	(void)v;
	inject(6, false, 0); /* #UD: VMX is not offered to guests */
	return EXIT_RESUME;
}

/* I/O: a 16550 at COM1 per VM for output; other ports read as all ones. */
static enum exit_action exit_io(struct vcpu *v)
{
	struct io_access a = io_decode(vmcs_readnat(EXIT_QUALIFICATION));

	if (a.string) {
		dump(v);
		vm_stop(v->vm, "string I/O (INS/OUTS) on port 0x%x is not supported", a.port);
		return EXIT_YIELD;
	}
	if (a.in) {
		v->regs.rax = io_merge_in(v->regs.rax, a.size, io_in_value(a.port, a.size));
	} else if (a.port == 0x3F8) {
		vm_serial_out(v->vm, (char)v->regs.rax);
	}
	skip_instruction();
	return EXIT_RESUME;
}

static enum exit_action exit_rdmsr(struct vcpu *v)
{
	if ((uint32_t)v->regs.rcx == IA32_EFER) {
		uint64_t e = vmcs_read64(GUEST_IA32_EFER);
		v->regs.rax = (uint32_t)e;
		v->regs.rdx = e >> 32;
		skip_instruction();
	} else {
		inject(13, true, 0); /* unknown MSR: #GP */
	}
	return EXIT_RESUME;
}

static enum exit_action exit_wrmsr(struct vcpu *v)
{
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	if ((uint32_t)v->regs.rcx == IA32_EFER && !(val & ~0xD01ull)) { /* SCE, LME, LMA, NXE */
		vmcs_write64(GUEST_IA32_EFER, val);
		skip_instruction();
	} else {
		inject(13, true, 0);
	}
	return EXIT_RESUME;
}

/* The COW entry into dedup/: a write to RAM mapped read-only (a shared or
 * zero frame).  Hot path: no printing but the first out-of-memory warning,
 * no allocation but the one frame the COW break takes. */
static enum exit_action exit_ept_violation(struct vcpu *v)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS), q = vmcs_readnat(EXIT_QUALIFICATION);
	struct vm *vm = v->vm;
	struct ept_leaf leaf;
	int r;

	vm->ept_violations++;
	if (gpa < vm->npages * 4096 && (q & 2)) {
		r = sharing_write_fault(vm, gpa >> 12);
		if (r == 0)
			return EXIT_RESUME;
		if (r == DEDUP_ENOMEM) {
			/* No frame now: the vCPU waits and retries the write later. */
			if (!vm->warned_oom)
				printf("vm %s: out of memory: waiting for free frames\n", vm->name);
			vm->warned_oom = true;
			v->state = VCPU_WAITING;
			return EXIT_YIELD;
		}
		vm_stop(vm, "COW break at 0x%lx failed (%d)", gpa, r);
		return EXIT_YIELD;
	}
	dump(v);
	if (ept_lookup(&vm->ept, gpa, &leaf) == 0)
		vm_stop(vm, "write to read-only guest memory at 0x%lx", gpa);
	else if (gpa >= vm->npages * 4096)
		vm_stop(vm, "%s guest-physical 0x%lx, outside its %lu MiB of RAM",
			q & 2 ? "wrote" : q & 4 ? "fetched" : "read", gpa, vm->npages >> 8);
	else
		vm_stop(vm, "EPT violation at unmapped RAM 0x%lx (qualification 0x%lx)", gpa, q);
	return EXIT_YIELD;
}

static enum exit_action exit_ept_misconfig(struct vcpu *v)
{
	dump(v);
	vm_stop(v->vm, "EPT misconfiguration at guest-physical 0x%lx",
		vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	return EXIT_YIELD;
}

static enum exit_action exit_preemption_timer(struct vcpu *v)
{
	(void)v;
	return EXIT_YIELD; /* the time slice is over */
}

typedef enum exit_action (*exit_handler)(struct vcpu *);

static const exit_handler handlers[EXIT_REASON_MAX + 1] = {
	[EXIT_REASON_EXTERNAL_INTERRUPT] = exit_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]       = exit_triple_fault,
	[EXIT_REASON_CPUID]              = exit_cpuid,
	[EXIT_REASON_HLT]                = exit_hlt,
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

enum exit_action vmexit_dispatch(struct vcpu *v, unsigned reason)
{
	exit_handler h = reason <= EXIT_REASON_MAX ? handlers[reason] : NULL;
	if (!h) {
		dump(v);
		vm_stop(v->vm, "unhandled VM exit, reason %u", reason);
		return EXIT_YIELD;
	}
	return h(v);
}
