/*
 * vmx_entry.S - the one way into a guest and back.
 *
 * int vmx_enter(struct guest_regs *regs, int launched)
 *   Loads the guest's general registers from *regs and runs the current
 *   VMCS (VMLAUNCH when launched == 0, else VMRESUME).  Returns 0 after a
 *   VM exit, with the guest's registers saved back into *regs, or 1 if the
 *   VM entry itself failed (VMfail: see the VMCS VM_INSTRUCTION_ERROR).
 *
 * The host's callee-saved registers and regs are pushed, and HOST_RSP is
 * set to that stack, so the exit path (HOST_RIP = vmx_exit) finds regs at
 * 0(%rsp).  RSP, RIP and RFLAGS of the guest live in the VMCS; its FPU/SSE
 * state is saved and restored by the caller (vcpu.c).
 */
#include "asm-offsets.h"
#include "vmcs_fields.h"

	.text
	.globl vmx_enter
vmx_enter:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdi			/* regs, found at 0(%rsp) after the exit */
	mov	$HOST_RSP, %rax
	vmwrite	%rsp, %rax
	jbe	2f			/* vmwrite failed (CF or ZF) */
	test	%esi, %esi		/* flags survive the movs below */
	mov	GR_rax(%rdi), %rax
	mov	GR_rbx(%rdi), %rbx
	mov	GR_rcx(%rdi), %rcx
	mov	GR_rdx(%rdi), %rdx
	mov	GR_rsi(%rdi), %rsi
	mov	GR_rbp(%rdi), %rbp
	mov	GR_r8(%rdi), %r8
	mov	GR_r9(%rdi), %r9
	mov	GR_r10(%rdi), %r10
	mov	GR_r11(%rdi), %r11
	mov	GR_r12(%rdi), %r12
	mov	GR_r13(%rdi), %r13
	mov	GR_r14(%rdi), %r14
	mov	GR_r15(%rdi), %r15
	mov	GR_rdi(%rdi), %rdi
	jnz	1f
	vmlaunch
	jmp	2f
1:	vmresume
2:	/* VM entry failed: nothing of the guest ran */
	mov	$1, %eax
	jmp	3f

	.globl vmx_exit
vmx_exit:
	push	%rdi			/* the guest's rdi */
	mov	8(%rsp), %rdi		/* regs */
	mov	%rax, GR_rax(%rdi)
	mov	%rbx, GR_rbx(%rdi)
	mov	%rcx, GR_rcx(%rdi)
	mov	%rdx, GR_rdx(%rdi)
	mov	%rsi, GR_rsi(%rdi)
	mov	%rbp, GR_rbp(%rdi)
	mov	%r8, GR_r8(%rdi)
	mov	%r9, GR_r9(%rdi)
	mov	%r10, GR_r10(%rdi)
	mov	%r11, GR_r11(%rdi)
	mov	%r12, GR_r12(%rdi)
	mov	%r13, GR_r13(%rdi)
	mov	%r14, GR_r14(%rdi)
	mov	%r15, GR_r15(%rdi)
	pop	%rax
	mov	%rax, GR_rdi(%rdi)
	xor	%eax, %eax
3:	/* both ways out: regs, then the host's callee-saved registers */
	pop	%rdi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret

	.section .note.GNU-stack, "", @progbits
