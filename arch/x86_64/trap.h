/*
 * trap.h - descriptor tables and the exception frame.
 */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <stdint.h>

#define SEL_KERNEL_CS 0x08
#define SEL_KERNEL_DS 0x10
#define SEL_TSS       0x18

/* Saved by isr.S, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Loads CPU cpu's GDT (code, data, TSS), TSS and the IDT, and points its
 * GS base at its struct percpu. */
void trap_init(unsigned cpu);

/* An exception in the hypervisor: prints and powers off.  An NMI (the
 * host's, or one handed over by vmexit_event.c): counted, and returns. */
void trap_handler(struct trap_frame *f);

/* The address of this CPU's TSS (for the VMCS host state). */
uint64_t trap_tss_base(void);

#endif
