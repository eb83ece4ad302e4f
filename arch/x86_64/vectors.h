/*
 * vectors.h - interrupt and exception vectors (SDM Vol. 3A, 6.3.1,
 * Table 6-1 "Protected-Mode Exceptions and Interrupts"), and the
 * vectors of our own.
 */
#ifndef ARCH_VECTORS_H
#define ARCH_VECTORS_H

#define EXC_DE   0   /* divide error */
#define EXC_DB   1   /* debug */
#define EXC_NMI  2
#define EXC_BP   3   /* breakpoint */
#define EXC_UD   6   /* invalid opcode */
#define EXC_DF   8   /* double fault */
#define EXC_GP  13   /* general protection */
#define EXC_PF  14   /* page fault */
#define EXC_AC  17   /* alignment check */
#define EXC_MC  18   /* machine check */
#define EXC_COUNT 32 /* architecture-defined vectors */

/* Our IPI that asks a CPU to invalidate its EPT translations (smp.c). */
#define SHOOTDOWN_VECTOR 0xF0
/* The NIC's interrupt, on the boot CPU (e1000.c): below the shootdown's
 * priority class, so it never holds that one back. */
#define NIC_VECTOR       0xE0

#endif
