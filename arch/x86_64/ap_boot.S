/*
 * ap_boot.S - an application processor's way from reset to ap_main().
 *
 * smp.c copies [ap_boot_start, ap_boot_end) to a free page below 1 MiB and
 * points the SIPI at it.  The AP starts here in real mode with CS = page/16;
 * nothing here knows the page in advance: EBX = page base is computed from
 * CS, and the absolute addresses the code needs (GDT base, far-jump
 * targets, CR3, the stacks, ap_main) are slots below that smp.c patches.
 *
 *   real mode --lgdt, CR0.PE--> 32-bit --PAE, CR3, EFER.LME, CR0.PG--> 64-bit
 *   --lock xadd ap_count--> its index i --> RSP = ap_stacks + (i+1)*16 KiB
 *   --> ap_main(i + 1)
 * An AP whose number i + 1 reaches ap_max (the hypervisor's CPU limit)
 * halts right after taking its index, before it touches a stack or any
 * per-CPU data: real machines have more CPUs than we have tables for.
 */
#define SLOT(x) ((x) - ap_boot_start)
#define AP_STACK_SIZE 16384

	.section .rodata
	.globl ap_boot_start, ap_boot_end
	.globl ap_gdt_ptr, ap_far32, ap_far64, ap_cr3, ap_count, ap_max, ap_stacks, ap_entry, ap_gdt
	.globl ap_pm32, ap_lm64
	.code16
ap_boot_start:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	movzwl	%ax, %ebx
	shl	$4, %ebx			/* EBX = this page's physical address */
	lgdtl	SLOT(ap_gdt_ptr)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	*SLOT(ap_far32)

	.code32
ap_pm32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr4, %eax
	or	$0x20, %eax			/* PAE */
	mov	%eax, %cr4
	mov	SLOT(ap_cr3)(%ebx), %eax
	mov	%eax, %cr3
	mov	$0xC0000080, %ecx		/* IA32_EFER */
	rdmsr
	or	$0x100, %eax			/* LME */
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax		/* PG | PE */
	mov	%eax, %cr0
	ljmp	*SLOT(ap_far64)(%ebx)

	.code64
ap_lm64:
	mov	%ebx, %ebx			/* zero-extend the page base */
	mov	$1, %eax
	lock xadd %eax, SLOT(ap_count)(%rbx)	/* EAX = this AP's index */
	lea	1(%rax), %edi			/* ap_main(cpu = index + 1) */
	cmp	SLOT(ap_max)(%rbx), %edi
	jae	1f				/* beyond the limit: park, touching nothing */
	mov	%edi, %eax
	imul	$AP_STACK_SIZE, %rax
	add	SLOT(ap_stacks)(%rbx), %rax
	mov	%rax, %rsp
	xor	%ebp, %ebp
	mov	SLOT(ap_entry)(%rbx), %rax
	call	*%rax
1:	cli
	hlt
	jmp	1b

	.balign 8
ap_gdt:
	.quad	0
	.quad	0x00CF9A000000FFFF		/* 0x08: 32-bit code */
	.quad	0x00CF92000000FFFF		/* 0x10: data */
	.quad	0x00AF9A000000FFFF		/* 0x18: 64-bit code */
ap_gdt_ptr:
	.word	4 * 8 - 1
	.long	0				/* patched: page + SLOT(ap_gdt) */
	.balign 4
ap_far32:
	.long	0				/* patched: page + SLOT(ap_pm32) */
	.word	0x08
	.balign 4
ap_far64:
	.long	0				/* patched: page + SLOT(ap_lm64) */
	.word	0x18
	.balign 4
ap_cr3:
	.long	0				/* patched: the hypervisor's PML4 (< 4 GiB) */
ap_count:
	.long	0
ap_max:
	.long	0				/* patched: the CPU limit (ARCH_MAX_CPUS) */
	.balign 8
ap_stacks:
	.quad	0				/* patched: the AP stacks' base */
ap_entry:
	.quad	0				/* patched: ap_main */
ap_boot_end:

	.section .note.GNU-stack, "", @progbits
