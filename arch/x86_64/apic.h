/*
 * apic.h - the host's local APIC: the few things dedupvisor asks of it
 * (apic.c); its registers are include/apic_regs.h (the SDM's names, shared
 * with the guests' virtual APICs).
 *
 * Everything about the APIC lives in apic.c: its base, xAPIC or x2APIC
 * mode, its ID, IPIs and EOI.  In xAPIC mode a register is MMIO at
 * base + offset; in x2APIC mode it is MSR 0x800 + offset / 16.
 */
#ifndef ARCH_APIC_H
#define ARCH_APIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic_regs.h"

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
