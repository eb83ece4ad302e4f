/* acpi.h - the few ACPI tables dedupvisor reads (see acpi.c). */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H
#include <stddef.h>
#include <stdint.h>

struct acpi_info {
	uint16_t pm1a_cnt;  /* FADT PM1a_CNT_BLK I/O port, 0 if none */
	uint16_t s5_slp_typ;/* SLP_TYPa of \_S5, 0 if not found */
	unsigned ncpus;     /* enabled local APICs in the MADT, 0 if none */
	uint8_t apic_id[64];
};

/* Reads RSDP -> XSDT/RSDT -> FADT (+ DSDT's \_S5) and MADT.  Tables are
 * reached by physical address through to_ptr.  Returns 0, or -1 with *why. */
int acpi_parse(uint64_t rsdp, void *(*to_ptr)(uint64_t phys), struct acpi_info *out,
	       const char **why);

/* Finds SLP_TYPa in an AML "_S5_" package; -1 if absent.  Exposed for tests. */
int acpi_find_s5(const uint8_t *aml, size_t len);
#endif
