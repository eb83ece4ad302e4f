/* guest_regs.h - a vCPU's general registers while the host runs.  RSP and
 * RIP live in the VMCS.  vmx_entry.S reaches these fields through offsets
 * generated from this struct (asm-offsets.c). */
#ifndef ARCH_GUEST_REGS_H
#define ARCH_GUEST_REGS_H
#include <stdint.h>
struct guest_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};
#endif
