/*
 * ioapic.c - one redirection entry of the I/O APIC (Intel 82093AA
 * datasheet, 3.2; the IOAPIC of the PIIX3/PIIX4 chipsets that QEMU's and
 * Bochs's i440FX machines model).
 *
 * The hypervisor takes one device interrupt: its NIC's PCI INTx line,
 * which the firmware routed to an ISA IRQ (the PIIX's PIRQ registers) and
 * wrote into the function's Interrupt Line register.  On these chipsets
 * ISA IRQ n is I/O APIC input n for n >= 1 (only IRQ 0 is overridden, to
 * pin 2).  The I/O APIC is looked for at its architectural address,
 * 0xFEC00000, which both emulators use and which OVMF under Bochs
 * describes in no MADT; its version register must answer, else nothing is
 * routed and the NIC stays polled.  A machine that moves the I/O APIC, or
 * routes PCI interrupts through an ACPI _PRT that differs from the
 * Interrupt Line, needs the MADT and _PRT read first: not done here.
 *
 * Registers: IOREGSEL selects, IOWIN reads and writes the selected one;
 * entry n is IOREDTBL(n) (low: vector, delivery and trigger modes, mask)
 * and IOREDTBL(n) + 1 (high: destination in bits 24-31).  Their names and
 * bits are the datasheet's, in i82093aa.h.
 */
#include <stdio.h>

#include "cpu.h"
#include "i82093aa.h"
#include "ioapic.h"
#include "paging.h"

static volatile uint32_t *regs;

static uint32_t ioapic_read(uint32_t reg)
{
	regs[IOREGSEL / 4] = reg;
	return regs[IOWIN / 4];
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	regs[IOREGSEL / 4] = reg;
	regs[IOWIN / 4] = v;
}

int ioapic_route_level(unsigned gsi, uint8_t vector, uint32_t apic_id)
{
	uint32_t ver;
	unsigned max;

	if (!regs)
		regs = paging_map_uncached(IOAPIC_DEFAULT_BASE, IOAPIC_WINDOW_SIZE);
	if (!regs) {
		printf("ioapic: 0x%llx is not mapped\n", IOAPIC_DEFAULT_BASE);
		return -1;
	}
	ver = ioapic_read(IOAPICVER);
	max = (ver >> IOAPICVER_MRE_SHIFT) & IOAPICVER_MRE_MASK;
	if (ver == 0xFFFFFFFFu || max == 0) {
		printf("ioapic: none answers at 0x%llx (version register 0x%x)\n", IOAPIC_DEFAULT_BASE, ver);
		return -1;
	}
	if (gsi > max || apic_id > 0xFF) {
		printf("ioapic: cannot route pin %u (%u pins) to APIC ID %u\n", gsi, max + 1, apic_id);
		return -1;
	}
	/* Masked while the halves change, then unmasked: never half a route. */
	ioapic_write(IOREDTBL(gsi), IOREDTBL_MASK);
	ioapic_write(IOREDTBL(gsi) + 1, apic_id << IOREDTBL_DEST_SHIFT);
	ioapic_write(IOREDTBL(gsi), vector | IOREDTBL_TRIGGER_LEVEL);
	return 0;
}

void ioapic_mask(unsigned gsi)
{
	if (regs)
		ioapic_write(IOREDTBL(gsi), ioapic_read(IOREDTBL(gsi)) | IOREDTBL_MASK);
}
