/*
 * asm-offsets.c - structure offsets for assembly, generated, never by hand.
 *
 * Compiled to assembly only (-S); each DEFINE leaves a "->NAME value" line
 * that the Makefile turns into build/generated/asm-offsets.h.
 */
#include <stddef.h>

#include "arch.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" :: "i"(val))
#define REG(r) DEFINE(GR_##r, offsetof(struct guest_regs, r))

void asm_offsets(void);
void asm_offsets(void)
{
	REG(rax); REG(rbx); REG(rcx); REG(rdx); REG(rsi); REG(rdi); REG(rbp);
	REG(r8); REG(r9); REG(r10); REG(r11); REG(r12); REG(r13); REG(r14); REG(r15);
}
