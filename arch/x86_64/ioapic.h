/*
 * ioapic.h - the host's I/O APIC, for the one device interrupt the
 * hypervisor takes (its NIC's: e1000.c).
 */
#ifndef ARCH_IOAPIC_H
#define ARCH_IOAPIC_H

#include <stdint.h>

/* Routes input pin gsi to vector on the CPU with APIC ID apic_id (fixed,
 * physical destination), level-triggered, active high, unmasked.  0, or
 * -1 with the reason printed (no I/O APIC answers, no such pin, an ID an
 * I/O APIC cannot name). */
int ioapic_route_level(unsigned gsi, uint8_t vector, uint32_t apic_id)
	__attribute__((warn_unused_result));
/* Masks input pin gsi (routed before by ioapic_route_level). */
void ioapic_mask(unsigned gsi);

#endif
