/*
 * entry.S - the hypervisor's first instructions, and segment reloads.
 *
 * _start is entered from the loader (boot/handoff.S) with RDI = boot_info,
 * interrupts off, on the loader's page tables.  It moves to the boot stack
 * in .bss and calls the core's kmain(boot_info) (declared in
 * kernel/include/upcall.h), which never returns.
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	lea	boot_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	kmain
1:	cli
	hlt
	jmp	1b

/* void gdt_reload_segments(uint16_t cs, uint16_t ds): after lgdt, reload
 * CS with a far return and the data segments with ds.  FS and GS get the
 * null selector (which keeps the GS base written afterwards). */
	.text
	.globl gdt_reload_segments
gdt_reload_segments:
	mov	%si, %ds
	mov	%si, %es
	mov	%si, %ss
	xor	%eax, %eax
	mov	%ax, %fs
	mov	%ax, %gs
	pop	%rax		/* return address */
	push	%rdi		/* new CS */
	push	%rax
	lretq

/* void arch_debug_break(void): Bochs's magic breakpoint.  With
 * "magic_break: enabled=1" in its config, xchg %bx,%bx stops the emulator
 * in its debugger, which runs the next commands of its script (the memory
 * dump of scripts/memdump.sh: control/memdump.c); anywhere else it changes
 * nothing. */
	.globl arch_debug_break
arch_debug_break:
	xchg	%bx, %bx
	ret

	.bss
	.balign 16
	.globl boot_stack_top
boot_stack:
	.skip	65536
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
