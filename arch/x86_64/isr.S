/*
 * isr.S - exception entry stubs.
 *
 * One stub per vector 0-31 pushes a zero error code where the CPU does not
 * push one, then the vector, and jumps to the common path, which saves the
 * general registers in the order of struct trap_frame (trap.h) and calls
 * trap_handler(frame).  An exception in the hypervisor is fatal (the
 * handler prints and powers off, never returning); an NMI is not (it
 * counts it and returns), so the common path restores the registers and
 * IRETs, which also ends the NMI's blocking of further NMIs.
 */
	.text
.macro STUB vec, has_err
	.globl isr_\vec
isr_\vec:
	.if \has_err == 0
	push	$0
	.endif
	push	$\vec
	jmp	isr_common
.endm

STUB 0,0;  STUB 1,0;  STUB 2,0;  STUB 3,0;  STUB 4,0;  STUB 5,0;  STUB 6,0;  STUB 7,0
STUB 8,1;  STUB 9,0;  STUB 10,1; STUB 11,1; STUB 12,1; STUB 13,1; STUB 14,1; STUB 15,0
STUB 16,0; STUB 17,1; STUB 18,0; STUB 19,0; STUB 20,0; STUB 21,1; STUB 22,0; STUB 23,0
STUB 24,0; STUB 25,0; STUB 26,0; STUB 27,0; STUB 28,0; STUB 29,1; STUB 30,1; STUB 31,0

isr_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	mov	%rsp, %rbx		/* callee-saved: the frame, to come back to */
	and	$-16, %rsp
	call	trap_handler
	mov	%rbx, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* the vector and the error code */
	iretq

	.section .rodata
	.globl isr_table
	.balign 8
isr_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr_\v
	.endr

	.section .note.GNU-stack, "", @progbits
