/*
 * lapic.c - a vCPU's local APIC, x2APIC mode only: what an SMP Linux guest
 * needs of it to start its other CPUs, send them IPIs, and keep time on
 * each (SDM Vol. 3A, chapter 11).
 *
 * Why x2APIC and nothing else: its registers are MSRs, so every access
 * arrives as a RDMSR/WRMSR exit with the register's number and the value
 * in EDX:EAX - no MMIO page, no instruction to decode.  The model starts
 * in x2APIC mode, as a BIOS that enabled it leaves the CPU; Linux then
 * keeps it ("x2apic: enabled by BIOS, switching to x2apic ops") as long as
 * it does not set up an IO-APIC (`noapic`: the 8259 keeps the legacy
 * interrupts).  A write that would go back to xAPIC is refused (#GP): its
 * MMIO is not modelled.
 *
 * Interrupts.  IRR, ISR and TMR are 256-bit maps.  A fixed interrupt sets
 * its IRR bit (lapic_deliver).  The one to inject is the highest requested
 * vector whose class (vector >> 4) is above the processor priority's, PPR
 * being the task priority or the class in service, whichever is higher
 * (11.8.3.1); injecting it moves it to ISR (lapic_ack, the CPU's INTA),
 * and an EOI write retires the highest one in service.  The 8259's ExtINT
 * through LINT0 bypasses all of this, as on the chip: it has no vector
 * here, the PIC gives it, and no EOI is owed to the APIC.
 *
 * The timer (11.5.4) counts down from the initial count at the TSC's rate
 * divided by the divide configuration: CPUID leaf 0x15 reports the TSC as
 * the crystal clock (arch/x86_64/exit_decode.c), and Linux takes the APIC
 * timer to run at the crystal's rate, so no calibration is needed and
 * none can disagree.  The count is not stored as it runs: the current
 * count is computed from the TSC at which it was loaded.  One-shot fires
 * once; periodic fires every initial-count periods (several missed
 * periods make one interrupt, as one IRR bit can only hold one).  TSC
 * deadline is not offered (CPUID), so that mode never fires.
 *
 * IPIs.  A write to the ICR (64 bits: destination in the high half) or to
 * SELF IPI returns the interrupt to send; the caller, who knows the other
 * vCPUs, routes it with lapic_match (physical: the x2APIC ID; logical:
 * the cluster in bits 31:16 and a member mask in 15:0, the LDR being
 * derived from the ID as 11.12.10.2 says) and lapic_deliver, or starts a
 * CPU for INIT and STARTUP.  Delivery is instantaneous: there is no
 * delivery-status bit in x2APIC mode.
 *
 * Errors (ESR): illegal vectors sent or received are recorded, and an
 * ESR write latches them for reading, as 11.5.3 describes.
 */
#include <string.h>

#include "lapic.h"

#define MAX_LVT (LVT_COUNT - 1) /* the version register's "max LVT entry" */

/* The x2APIC MSR of a register offset. */
#define MSR(off) (X2APIC_MSR_BASE + (off) / 16)

static void set(uint32_t *map, unsigned v) { map[v / 32] |= 1u << (v % 32); }
static void clear(uint32_t *map, unsigned v) { map[v / 32] &= ~(1u << (v % 32)); }

/* The highest vector set in map, or -1. */
static int highest(const uint32_t *map)
{
	int w, b;
	for (w = 7; w >= 0; w--)
		for (b = 31; map[w] && b >= 0; b--)
			if ((map[w] >> b) & 1)
				return w * 32 + b;
	return -1;
}

static bool sw_enabled(const struct lapic *a)
{
	return (a->svr & APIC_SVR_ENABLE) != 0;
}

/* The LDR in x2APIC mode: cluster ID (x2APIC ID >> 4) in bits 31:16, one
 * bit for its position in the cluster (ID & 15). */
static uint32_t ldr(const struct lapic *a)
{
	return (a->id >> 4) << 16 | 1u << (a->id & 15);
}

static unsigned divisor(const struct lapic *a)
{
	/* Divide configuration bits 3,1:0 -> 2, 4, 8, 16, 32, 64, 128, 1. */
	unsigned code = (a->dcr & 3) | ((a->dcr >> 1) & 4);
	return code == 7 ? 1 : 2u << code;
}

static uint32_t timer_mode(const struct lapic *a)
{
	return a->lvt[LVT_TIMER] & APIC_LVT_TIMER_MODE_MASK;
}

/* The timer's period in TSC ticks. */
static uint64_t period(const struct lapic *a)
{
	return (uint64_t)a->timer_initial * divisor(a);
}

static void reset_registers(struct lapic *a)
{
	unsigned i;

	a->tpr = 0;
	a->svr = 0xFF;
	a->esr = a->esr_pending = 0;
	for (i = 0; i < LVT_COUNT; i++)
		a->lvt[i] = APIC_LVT_MASKED;
	memset(a->irr, 0, sizeof(a->irr));
	memset(a->isr, 0, sizeof(a->isr));
	memset(a->tmr, 0, sizeof(a->tmr));
	a->icr = 0;
	a->timer_initial = a->dcr = 0;
	a->timer_start = 0;
	a->timer_armed = false;
}

void lapic_init(struct lapic *a, uint32_t id, bool bsp)
{
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->bsp = bsp;
	a->hw_enabled = true;
	reset_registers(a);
	if (bsp) { /* virtual-wire mode, as the firmware hands the boot CPU over */
		a->svr = APIC_SVR_ENABLE | 0xFF;
		a->lvt[LVT_LINT0] = APIC_LVT_DM_EXTINT;
		a->lvt[LVT_LINT1] = APIC_LVT_DM_NMI;
	}
}

void lapic_reset(struct lapic *a)
{
	reset_registers(a);
}

uint64_t lapic_base_read(const struct lapic *a)
{
	return APIC_BASE_DEFAULT | (a->bsp ? APIC_BASE_BSP : 0) |
	       (a->hw_enabled ? APIC_BASE_EN | APIC_BASE_EXTD : 0);
}

int lapic_base_write(struct lapic *a, uint64_t val)
{
	const uint64_t mode = APIC_BASE_EN | APIC_BASE_EXTD;
	uint64_t en = val & mode;

	/* The base address and BSP flag stay what they are (writing another
	 * base would mean MMIO); reserved bits #GP. */
	if ((val & ~mode) != (lapic_base_read(a) & ~mode))
		return -1;
	if (en == mode) {
		if (!a->hw_enabled) /* disabled -> x2APIC is invalid (11.12.5) */
			return -1;
		return 0;
	}
	if (en == 0) { /* disabled: the state is reset, the ID kept */
		a->hw_enabled = false;
		reset_registers(a);
		return 0;
	}
	return -1; /* to xAPIC mode (MMIO), or EXTD without EN */
}

uint32_t lapic_ppr(const struct lapic *a)
{
	int isrv = highest(a->isr);
	uint32_t cls = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;

	return (a->tpr & 0xF0) >= cls ? a->tpr & 0xFF : cls;
}

int lapic_pending(const struct lapic *a)
{
	int v = highest(a->irr);

	if (v < 0 || !a->hw_enabled)
		return -1;
	return ((uint32_t)v & 0xF0) > (lapic_ppr(a) & 0xF0) ? v : -1;
}

void lapic_ack(struct lapic *a, uint8_t vector)
{
	clear(a->irr, vector);
	set(a->isr, vector);
}

static void eoi(struct lapic *a)
{
	int v = highest(a->isr);
	if (v < 0)
		return;
	clear(a->isr, (unsigned)v);
	clear(a->tmr, (unsigned)v); /* a level interrupt's EOI: no IO-APIC to tell */
}

bool lapic_deliver(struct lapic *a, uint8_t vector, bool level)
{
	if (!a->hw_enabled || !sw_enabled(a))
		return false;
	if (vector < 16) {
		a->esr_pending |= APIC_ESR_RECV_ILLEGAL;
		return false;
	}
	set(a->irr, vector);
	if (level)
		set(a->tmr, vector);
	else
		clear(a->tmr, vector);
	return true;
}

bool lapic_match(const struct lapic *a, uint32_t dest, bool logical)
{
	uint32_t l;

	if (!a->hw_enabled)
		return false;
	if (dest == X2APIC_BROADCAST)
		return true;
	if (!logical)
		return dest == a->id;
	l = ldr(a);
	return (dest >> 16) == (l >> 16) && (dest & l & 0xFFFF);
}

/* Counts timer expiries up to now into IRR. */
void lapic_update(struct lapic *a, uint64_t now)
{
	uint64_t p = period(a), due;

	if (!a->timer_armed || !p || timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE)
		return;
	due = a->timer_start + p;
	if (now < due)
		return;
	a->timer_fired++;
	if (!(a->lvt[LVT_TIMER] & APIC_LVT_MASKED))
		lapic_deliver(a, (uint8_t)(a->lvt[LVT_TIMER] & APIC_LVT_VECTOR_MASK), false);
	if (timer_mode(a) == APIC_LVT_TIMER_PERIODIC)
		a->timer_start += (now - a->timer_start) / p * p; /* missed periods: one interrupt */
	else
		a->timer_armed = false;
}

uint64_t lapic_next_event(const struct lapic *a, uint64_t now)
{
	uint64_t p = period(a), due;

	if (!a->timer_armed || !p || timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE ||
	    (a->lvt[LVT_TIMER] & APIC_LVT_MASKED))
		return 0;
	due = a->timer_start + p;
	return due > now ? due : now;
}

static uint32_t current_count(const struct lapic *a, uint64_t now)
{
	uint64_t p = period(a), gone;

	if (!a->timer_armed || !p || now < a->timer_start)
		return a->timer_armed ? a->timer_initial : 0;
	gone = now - a->timer_start;
	if (timer_mode(a) == APIC_LVT_TIMER_PERIODIC)
		gone %= p;
	else if (gone >= p)
		return 0;
	return a->timer_initial - (uint32_t)(gone / divisor(a));
}

bool lapic_extint_open(const struct lapic *a)
{
	uint32_t l = a->lvt[LVT_LINT0];

	if (!a->hw_enabled)
		return true;
	return sw_enabled(a) && !(l & APIC_LVT_MASKED) && (l & APIC_LVT_DM_MASK) == APIC_LVT_DM_EXTINT;
}

int lapic_read(struct lapic *a, uint64_t now, uint32_t msr, uint64_t *val)
{
	uint32_t off;

	if (!a->hw_enabled || msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST)
		return -1;
	off = (msr - X2APIC_MSR_BASE) * 16;
	if (off >= APIC_ISR && off < APIC_ISR + 0x80) {
		*val = a->isr[(off - APIC_ISR) / 16];
		return 0;
	}
	if (off >= APIC_TMR && off < APIC_TMR + 0x80) {
		*val = a->tmr[(off - APIC_TMR) / 16];
		return 0;
	}
	if (off >= APIC_IRR && off < APIC_IRR + 0x80) {
		*val = a->irr[(off - APIC_IRR) / 16];
		return 0;
	}
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR) {
		*val = a->lvt[(off - APIC_LVT_TIMER) / 16];
		return 0;
	}
	switch (off) {
	case APIC_ID:        *val = a->id; return 0;
	case APIC_VERSION:
		*val = APIC_VERSION_INTEGRATED | MAX_LVT << APIC_VERSION_MAXLVT_SHIFT;
		return 0;
	case APIC_TPR:       *val = a->tpr; return 0;
	case APIC_PPR:       *val = lapic_ppr(a); return 0;
	case APIC_LDR:       *val = ldr(a); return 0;
	case APIC_SVR:       *val = a->svr; return 0;
	case APIC_ESR:       *val = a->esr; return 0;
	case APIC_ICR_LOW:   *val = a->icr; return 0;
	case APIC_TIMER_ICR: *val = a->timer_initial; return 0;
	case APIC_TIMER_CCR: *val = current_count(a, now); return 0;
	case APIC_TIMER_DCR: *val = a->dcr; return 0;
	default:             return -1; /* EOI, SELF IPI: write-only; the rest: none */
	}
}

/* What each writable LVT entry keeps (the rest is reserved, or read-only:
 * delivery status, remote IRR). */
static uint32_t lvt_writable(enum lapic_lvt i)
{
	switch (i) {
	case LVT_TIMER:
		return APIC_LVT_VECTOR_MASK | APIC_LVT_MASKED | APIC_LVT_TIMER_MODE_MASK;
	case LVT_LINT0: case LVT_LINT1:
		return APIC_LVT_VECTOR_MASK | APIC_LVT_DM_MASK | APIC_LVT_POLARITY_LOW |
		       APIC_LVT_LEVEL | APIC_LVT_MASKED;
	case LVT_ERROR:
		return APIC_LVT_VECTOR_MASK | APIC_LVT_MASKED;
	default:
		return APIC_LVT_VECTOR_MASK | APIC_LVT_DM_MASK | APIC_LVT_MASKED;
	}
}

int lapic_write(struct lapic *a, uint64_t now, uint32_t msr, uint64_t val, struct lapic_ipi *ipi)
{
	uint32_t off, v = (uint32_t)val;

	if (!a->hw_enabled || msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST)
		return -1;
	off = (msr - X2APIC_MSR_BASE) * 16;
	/* Only the ICR is 64 bits wide; the others' high halves are reserved. */
	if (off != APIC_ICR_LOW && (val >> 32))
		return -1;
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR) {
		enum lapic_lvt i = (enum lapic_lvt)((off - APIC_LVT_TIMER) / 16);
		/* Delivery status and remote IRR are read-only, not reserved:
		 * a write of them is ignored, as a CPU does (Linux's
		 * disconnect_bsp_APIC writes both into LINT0 at power-off). */
		v &= ~(APIC_LVT_DELIVERY_PENDING | APIC_LVT_REMOTE_IRR);
		if ((v & ~lvt_writable(i)) ||
		    (i == LVT_TIMER && (v & APIC_LVT_TIMER_MODE_MASK) == APIC_LVT_TIMER_MODE_MASK))
			return -1; /* reserved bits, or the reserved timer mode 11b */
		lapic_update(a, now); /* an expiry before the change counts under the old entry */
		if (!sw_enabled(a))
			v |= APIC_LVT_MASKED; /* masked while software-disabled (11.4.7.2) */
		a->lvt[i] = (a->lvt[i] & APIC_LVT_REMOTE_IRR) | v;
		return 0;
	}
	switch (off) {
	case APIC_TPR:
		if (v & ~0xFFu)
			return -1;
		a->tpr = v;
		return 0;
	case APIC_EOI:
		if (v) /* x2APIC: a non-zero EOI is a #GP */
			return -1;
		eoi(a);
		return 0;
	case APIC_SVR:
		if (v & ~(APIC_SVR_VECTOR_MASK | APIC_SVR_ENABLE | APIC_SVR_FOCUS_DISABLE))
			return -1;
		a->svr = v;
		if (!sw_enabled(a)) {
			unsigned i;
			for (i = 0; i < LVT_COUNT; i++)
				a->lvt[i] |= APIC_LVT_MASKED;
		}
		return 0;
	case APIC_ESR:
		if (v) /* "must be written with 0" */
			return -1;
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		return 0;
	case APIC_ICR_LOW:
		if (val & 0x000FFFFFull & ~(uint64_t)(APIC_ICR_VECTOR_MASK | APIC_ICR_DM_MASK |
						      APIC_ICR_DEST_LOGICAL | APIC_ICR_LEVEL_ASSERT |
						      APIC_ICR_TRIGGER_LEVEL | APIC_ICR_SHORTHAND_MASK))
			return -1;
		if (val & 0xFFF00000ull) /* bits 31:20 reserved */
			return -1;
		a->icr = val;
		ipi->dest = (uint32_t)(val >> 32);
		ipi->icr_low = v;
		if ((v & APIC_ICR_DM_MASK) == APIC_ICR_DM_FIXED && (v & APIC_ICR_VECTOR_MASK) < 16)
			a->esr_pending |= APIC_ESR_SEND_ILLEGAL; /* still "sent": the receivers drop it */
		return 1;
	case APIC_TIMER_ICR:
		a->timer_initial = v;
		a->timer_start = now;
		a->timer_armed = v != 0;
		return 0;
	case APIC_TIMER_DCR:
		if (v & ~APIC_TDCR_MASK)
			return -1;
		if (a->timer_armed && now >= a->timer_start) {
			/* The count goes on from where it is, at the new rate. */
			uint32_t left = current_count(a, now);
			lapic_update(a, now);
			a->dcr = v;
			if (a->timer_armed && left) {
				a->timer_start = now - (uint64_t)(a->timer_initial - left) * divisor(a);
				if (a->timer_start > now) /* cannot happen; keeps the arithmetic honest */
					a->timer_start = now;
			}
			return 0;
		}
		a->dcr = v;
		return 0;
	case APIC_SELF_IPI:
		if (v & ~0xFFu)
			return -1;
		ipi->dest = a->id;
		ipi->icr_low = APIC_ICR_SELF | APIC_ICR_DM_FIXED | v;
		return 1;
	default:
		return -1; /* read-only (ID, version, PPR, LDR, ISR/TMR/IRR, CCR) or none */
	}
}
