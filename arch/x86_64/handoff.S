/*
 * handoff.S - the loader's last step: enter the hypervisor.
 *
 * void handoff(uint64_t pml4, uint64_t entry, struct boot_info *bi)
 *   rdi = physical address of the new PML4, rsi = entry (virtual),
 *   rdx = boot_info (physical; identity-mapped by the new tables).
 * Runs after ExitBootServices from identity-mapped loader code, which the
 * new tables also map identically, so the instruction after the CR3 load
 * is still there.  The hypervisor's entry sets its own stack first thing.
 */
	.text
	.globl handoff
handoff:
	cli
	mov	%rdi, %cr3
	mov	%rdx, %rdi
	xor	%ebp, %ebp
	jmp	*%rsi
	.section .note.GNU-stack, "", @progbits
