/*
 * lapic.h - a vCPU's local APIC in x2APIC mode, as a plain C model: its
 * registers reached as MSRs, its interrupt priorities, its timer, the IPIs
 * it sends (devices/lapic.c says how it works).
 */
#ifndef DEVICES_LAPIC_H
#define DEVICES_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic_regs.h"

/* LVT entries, in the order of their registers from APIC_LVT_TIMER. */
enum lapic_lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

struct lapic {
	uint32_t id;            /* x2APIC ID */
	bool bsp;
	bool hw_enabled;        /* IA32_APIC_BASE.EN (and EXTD: x2APIC mode) */
	uint32_t tpr, svr, esr, esr_pending;
	uint32_t lvt[LVT_COUNT];
	uint32_t irr[8], isr[8], tmr[8]; /* 256 vectors each, 32 a word */
	uint64_t icr;
	/* The timer counts TSC ticks / divide: it runs at the TSC's rate, the
	 * crystal clock CPUID leaf 0x15 reports (exit_decode.c). */
	uint32_t timer_initial, dcr;
	uint64_t timer_start;   /* TSC when the current count was timer_initial */
	bool timer_armed;       /* a count runs (one-shot not yet expired, or periodic) */
	uint64_t timer_fired;   /* expiries delivered (or masked) so far */
};

/* An interrupt the APIC sends (an ICR write, the self-IPI register): the
 * caller routes it to the destination vCPUs' APICs. */
struct lapic_ipi {
	uint32_t dest;          /* x2APIC ID, a logical cluster|mask, or X2APIC_BROADCAST */
	uint32_t icr_low;       /* vector, delivery mode, destination mode, shorthand */
};

/* Power-on state (SDM 11.4.7.1) with x2APIC mode already on, as a BIOS
 * leaves it; the BSP's also in virtual-wire mode (LINT0 ExtINT, LINT1
 * NMI, software-enabled), as Linux expects to find the boot CPU's. */
void lapic_init(struct lapic *a, uint32_t id, bool bsp);
/* INIT: the APs' state before their start-up IPI (the ID stays). */
void lapic_reset(struct lapic *a);

/* IA32_APIC_BASE.  A write may only keep x2APIC mode or disable the APIC
 * (xAPIC's MMIO is not modelled): 0, or -1 (#GP). */
uint64_t lapic_base_read(const struct lapic *a);
int lapic_base_write(struct lapic *a, uint64_t val);

/* RDMSR/WRMSR of an x2APIC register (X2APIC_MSR_BASE..X2APIC_MSR_LAST) at
 * TSC now.  0, or -1 for what the SDM answers with #GP: a register that
 * does not exist, a read of a write-only one, a write to a read-only one,
 * reserved bits set, the APIC disabled.  A write that sends an interrupt
 * fills *ipi and returns 1. */
int lapic_read(struct lapic *a, uint64_t now, uint32_t msr, uint64_t *val);
int lapic_write(struct lapic *a, uint64_t now, uint32_t msr, uint64_t val, struct lapic_ipi *ipi);

/* Whether an interrupt sent to dest (logical: a cluster and mask) reaches
 * this APIC. */
bool lapic_match(const struct lapic *a, uint32_t dest, bool logical);
/* A fixed interrupt arrives (an IPI, its own timer): requested in IRR;
 * level: its TMR bit too.  Returns false when dropped (vectors 0-15 are
 * illegal; a software-disabled APIC takes none). */
bool lapic_deliver(struct lapic *a, uint8_t vector, bool level);

/* Brings the timer up to now: an expiry requests its vector (unless the
 * LVT masks it).  Then: the highest requested vector whose priority class
 * beats the processor priority, or -1; and the CPU's acknowledgment of
 * it when injected (IRR to ISR). */
void lapic_update(struct lapic *a, uint64_t now);
int lapic_pending(const struct lapic *a);
void lapic_ack(struct lapic *a, uint8_t vector);
/* PPR: the task priority or the class in service, the higher. */
uint32_t lapic_ppr(const struct lapic *a);

/* The TSC at which the timer next expires, or 0 for none. */
uint64_t lapic_next_event(const struct lapic *a, uint64_t now);
/* Whether the 8259's INTR reaches this CPU: LINT0 unmasked in ExtINT
 * mode, or the APIC hardware-disabled (the pin then goes to the CPU). */
bool lapic_extint_open(const struct lapic *a);

#endif
