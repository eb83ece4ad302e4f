/*
 * apic.c - the local APIC, in whichever mode the firmware left it.
 *
 * xAPIC: registers are MMIO at the base from IA32_APIC_BASE; x2APIC: they
 * are MSRs (the ID is then the full 32-bit x2APIC ID, the ICR one 64-bit
 * register with the destination in its high half, and there is no
 * delivery-status bit to wait on).  The mode and base are read once,
 * because reading IA32_APIC_BASE per IPI is slow under Bochs (it logs each
 * read) and every CPU has the same.
 */
#include "apic.h"
#include "arch.h"
#include "cpu.h"

static uint64_t lapic_base;
static int lapic_x2;

void apic_init(void)
{
	uint64_t v = rdmsr(IA32_APIC_BASE);
	lapic_base = v & APIC_BASE_ADDR_MASK;
	lapic_x2 = (v & APIC_BASE_EXTD) != 0;
}

static volatile uint32_t *mmio(uint32_t reg)
{
	return (volatile uint32_t *)phys_to_virt(lapic_base + reg);
}

uint32_t apic_id(void)
{
	if (lapic_x2)
		return (uint32_t)rdmsr(X2APIC_MSR_BASE + APIC_ID / 16);
	return *mmio(APIC_ID) >> 24;
}

void apic_send_ipi(uint32_t dest, uint32_t icr_low)
{
	if (lapic_x2) {
		wrmsr(X2APIC_MSR_BASE + APIC_ICR_LOW / 16, ((uint64_t)dest << 32) | icr_low);
		return;
	}
	*mmio(APIC_ICR_HIGH) = dest << 24;
	*mmio(APIC_ICR_LOW) = icr_low;
	while (*mmio(APIC_ICR_LOW) & APIC_ICR_DELIVERY_PENDING)
		cpu_relax();
}

void apic_eoi(void)
{
	if (lapic_x2)
		wrmsr(X2APIC_MSR_BASE + APIC_EOI / 16, 0);
	else
		*mmio(APIC_EOI) = 0;
}

bool apic_irr_pending(uint8_t vector)
{
	uint32_t reg = APIC_IRR + (vector / 32u) * 0x10, bit = 1u << (vector % 32u);
	if (lapic_x2)
		return (rdmsr(X2APIC_MSR_BASE + reg / 16) & bit) != 0;
	return (*mmio(reg) & bit) != 0;
}
