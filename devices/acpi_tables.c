/*
 * acpi_tables.c - the ACPI tables an SMP guest reads to find its CPUs:
 * an RSDP, an XSDT (and the RSDT, for readers of ACPI 1.0), and a MADT.
 *
 * Why ACPI's MADT, not the MultiProcessor Specification's table: the
 * vCPUs' local APICs start in x2APIC mode (devices/lapic.c), and Linux
 * (6.1) picks its x2APIC driver only from the MADT (acpi_parse_madt's OEM
 * check) before it first reads its APIC ID.  Given an MP table instead it
 * reads the ID through xAPIC's MMIO page, which x2APIC mode leaves
 * unmapped, and faults (register_lapic_address -> read_apic_id, seen
 * under Bochs); firmware that enables x2APIC always gives a MADT.
 *
 * Nothing else: no FADT, so no DSDT, no SCI, no PM timer.  Linux finds
 * the RSDP by scanning 0xE0000-0xFFFFF (there being no EFI and no
 * acpi_rsdp in its boot information), takes the CPUs from the MADT, and
 * later disables its ACPI interpreter for want of a DSDT ("ACPI: Unable
 * to load the System Description Tables"), which changes nothing here:
 * the power-off is the halt it does without ACPI.  The MADT lists no
 * IO-APIC: legacy interrupts keep the 8259 path, through vCPU 0's LINT0
 * (PCAT_COMPAT; guests are told noapic).  Every table carries its
 * checksum; the RSDP both of its own.
 *
 *   gpa         RSDP (36 bytes, revision 2) -> RSDT and XSDT
 *   gpa + 48    XSDT: one 64-bit entry -> MADT
 *   gpa + 96    RSDT: one 32-bit entry -> MADT
 *   gpa + 144   MADT: a Local APIC entry per vCPU, one Local APIC NMI
 */
#include <string.h>

#include "acpi_spec.h"
#include "acpi_tables.h"

#define XSDT_OFF 48u
#define RSDT_OFF 96u
#define MADT_OFF 144u

_Static_assert(XSDT_OFF >= RSDP_LENGTH && RSDT_OFF >= XSDT_OFF + SDT_HEADER_LENGTH + 8 &&
	       MADT_OFF >= RSDT_OFF + SDT_HEADER_LENGTH + 4, "the tables do not overlap");
_Static_assert(MADT_OFF + MADT_HEADER_LENGTH + ACPI_TABLES_MAX_CPUS * MADT_LOCAL_APIC_LENGTH +
	       MADT_LOCAL_APIC_NMI_LENGTH <= ACPI_TABLES_MAX, "the largest MADT fits");

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* The byte that makes p[0..n) sum to 0 once stored in it (0 while summed). */
static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return (uint8_t)-s;
}

/* A table's header; its checksum once the body is written (seal). */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t + SDT_OFF_SIGNATURE, sig, 4);
	put32(t + SDT_OFF_LENGTH, len);
	t[SDT_OFF_REVISION] = rev;
	memcpy(t + SDT_OFF_OEMID, "DEDUPV", 6);
	memcpy(t + SDT_OFF_OEM_TABLE_ID, "VIRTUAPC", 8);
	put32(t + SDT_OFF_OEM_REVISION, 1);
	memcpy(t + SDT_OFF_CREATOR_ID, "DDPV", 4);
	put32(t + SDT_OFF_CREATOR_REV, 1);
}

static void seal(uint8_t *t, uint32_t len)
{
	t[SDT_OFF_CHECKSUM] = 0;
	t[SDT_OFF_CHECKSUM] = checksum(t, len);
}

size_t acpi_tables_build(uint8_t *buf, uint32_t gpa, unsigned ncpus)
{
	uint8_t *rsdp = buf, *xsdt = buf + XSDT_OFF, *rsdt = buf + RSDT_OFF, *madt = buf + MADT_OFF;
	uint32_t madt_len = MADT_HEADER_LENGTH + ncpus * MADT_LOCAL_APIC_LENGTH +
			    MADT_LOCAL_APIC_NMI_LENGTH;
	uint8_t *e;
	unsigned i;

	if (!ncpus || ncpus > ACPI_TABLES_MAX_CPUS)
		return 0;
	memset(buf, 0, ACPI_TABLES_MAX);

	header(madt, MADT_SIGNATURE, madt_len, MADT_REVISION);
	put32(madt + MADT_OFF_LAPIC_ADDRESS, 0xFEE00000u);
	put32(madt + MADT_OFF_FLAGS, MADT_PCAT_COMPAT);
	e = madt + MADT_HEADER_LENGTH;
	for (i = 0; i < ncpus; i++, e += MADT_LOCAL_APIC_LENGTH) {
		e[0] = MADT_TYPE_LOCAL_APIC;
		e[1] = MADT_LOCAL_APIC_LENGTH;
		e[2] = (uint8_t)i;        /* ACPI processor UID */
		e[3] = (uint8_t)i;        /* APIC ID: the vCPU's index */
		put32(e + 4, MADT_LAPIC_ENABLED);
	}
	e[0] = MADT_TYPE_LOCAL_APIC_NMI;
	e[1] = MADT_LOCAL_APIC_NMI_LENGTH;
	e[2] = MADT_UID_ALL;
	put16(e + 3, 0);                  /* polarity, trigger: as the bus says */
	e[5] = 1;                         /* LINT1 */
	seal(madt, madt_len);

	header(xsdt, "XSDT", SDT_HEADER_LENGTH + 8, 1);
	put64(xsdt + SDT_HEADER_LENGTH, gpa + MADT_OFF);
	seal(xsdt, SDT_HEADER_LENGTH + 8);
	header(rsdt, "RSDT", SDT_HEADER_LENGTH + 4, 1);
	put32(rsdt + SDT_HEADER_LENGTH, gpa + MADT_OFF);
	seal(rsdt, SDT_HEADER_LENGTH + 4);

	memcpy(rsdp, RSDP_SIGNATURE, 8);
	memcpy(rsdp + RSDP_OFF_OEMID, "DEDUPV", 6);
	rsdp[RSDP_OFF_REVISION] = 2;
	put32(rsdp + RSDP_OFF_RSDT_ADDRESS, gpa + RSDT_OFF);
	put32(rsdp + RSDP_OFF_LENGTH, RSDP_LENGTH);
	put64(rsdp + RSDP_OFF_XSDT_ADDRESS, gpa + XSDT_OFF);
	rsdp[RSDP_OFF_CHECKSUM] = checksum(rsdp, 20);
	rsdp[RSDP_OFF_EXT_CHECKSUM] = checksum(rsdp, RSDP_LENGTH);
	return MADT_OFF + madt_len;
}
