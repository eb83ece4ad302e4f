/*
 * apic.h - the local APIC: its registers (SDM Vol. 3A, chapter 11 "Advanced
 * Programmable Interrupt Controller (APIC)", Table 11-1 and, for x2APIC,
 * Table 11-6), and the few things dedupvisor asks of it (apic.c).
 *
 * Everything about the APIC lives in apic.c: its base, xAPIC or x2APIC
 * mode, its ID, IPIs and EOI.  In xAPIC mode a register is MMIO at
 * base + offset; in x2APIC mode it is MSR 0x800 + offset / 16.
 */
#ifndef ARCH_APIC_H
#define ARCH_APIC_H

#include <stdbool.h>
#include <stdint.h>

#define IA32_APIC_BASE          0x1B
#define   APIC_BASE_EXTD          (1ull << 10)  /* x2APIC mode enabled */
#define   APIC_BASE_ADDR_MASK     (~0xFFFull)
#define X2APIC_MSR_BASE         0x800

/* Register offsets (xAPIC MMIO). */
#define APIC_ID                 0x020
#define APIC_EOI                0x0B0
#define APIC_IRR                0x200  /* 8 registers, 0x10 apart: vectors 32*i..32*i+31 */
#define APIC_ICR_LOW            0x300
#define APIC_ICR_HIGH           0x310

/* ICR fields. */
#define APIC_ICR_DM_FIXED       (0u << 8)
#define APIC_ICR_DM_INIT        (5u << 8)
#define APIC_ICR_DM_STARTUP     (6u << 8)
#define APIC_ICR_DELIVERY_PENDING (1u << 12)  /* xAPIC only */
#define APIC_ICR_LEVEL_ASSERT   (1u << 14)
#define APIC_ICR_TRIGGER_LEVEL  (1u << 15)
#define APIC_ICR_SELF           (1u << 18)
#define APIC_ICR_ALL_BUT_SELF   (3u << 18)

/* Reads the base and mode once (every CPU has the same). */
void apic_init(void);
/* This CPU's APIC ID. */
uint32_t apic_id(void);
/* Sends an IPI: icr_low to the CPU with APIC ID dest (ignored with a
 * destination shorthand in icr_low). */
void apic_send_ipi(uint32_t dest, uint32_t icr_low);
/* Signals the end of the interrupt being serviced. */
void apic_eoi(void);
/* Whether vector is requested (its IRR bit): sent, not yet taken. */
bool apic_irr_pending(uint8_t vector);

#endif
