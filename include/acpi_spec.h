/*
 * acpi_spec.h - the ACPI tables an SMP guest is given, named as the ACPI
 * Specification (6.5) names them: the Root System Description Pointer
 * (5.2.5.3), the common table header (5.2.6), the RSDT and XSDT (5.2.7,
 * 5.2.8) and the Multiple APIC Description Table (5.2.12) with the entries
 * used.  Used by devices/acpi_tables.c.
 */
#ifndef ACPI_SPEC_H
#define ACPI_SPEC_H

/* RSDP: 36 bytes (revision 2), on a 16-byte boundary where the OS looks:
 * the first KiB of the EBDA, or 0xE0000-0xFFFFF (5.2.5.1). */
#define RSDP_SIGNATURE        "RSD PTR "
#define RSDP_LENGTH           36
#define RSDP_OFF_CHECKSUM     8     /* the first 20 bytes sum to 0 */
#define RSDP_OFF_OEMID        9
#define RSDP_OFF_REVISION     15    /* 2: ACPI 2.0 and later, an XSDT */
#define RSDP_OFF_RSDT_ADDRESS 16
#define RSDP_OFF_LENGTH       20
#define RSDP_OFF_XSDT_ADDRESS 24
#define RSDP_OFF_EXT_CHECKSUM 32    /* all 36 bytes sum to 0 */
#define RSDP_SCAN_FIRST       0xE0000u
#define RSDP_SCAN_LAST        0xFFFFFu

/* The header every system description table begins with: 36 bytes. */
#define SDT_HEADER_LENGTH     36
#define SDT_OFF_SIGNATURE     0
#define SDT_OFF_LENGTH        4
#define SDT_OFF_REVISION      8
#define SDT_OFF_CHECKSUM      9     /* the whole table sums to 0 */
#define SDT_OFF_OEMID         10    /* 6 bytes */
#define SDT_OFF_OEM_TABLE_ID  16    /* 8 bytes */
#define SDT_OFF_OEM_REVISION  24
#define SDT_OFF_CREATOR_ID    28
#define SDT_OFF_CREATOR_REV   32

/* MADT ("APIC"): after the header, the local interrupt controller address
 * and the flags, then its interrupt controller structures. */
#define MADT_SIGNATURE        "APIC"
#define MADT_REVISION         5
#define MADT_OFF_LAPIC_ADDRESS 36
#define MADT_OFF_FLAGS        40
#define MADT_HEADER_LENGTH    44
#define   MADT_PCAT_COMPAT      1u  /* a dual 8259 is present too */
#define MADT_TYPE_LOCAL_APIC  0     /* 8 bytes: UID, APIC ID, flags (4) */
#define MADT_LOCAL_APIC_LENGTH 8
#define   MADT_LAPIC_ENABLED    1u
#define MADT_TYPE_LOCAL_APIC_NMI 4  /* 6 bytes: UID (0xFF: all), flags (2), LINT# */
#define MADT_LOCAL_APIC_NMI_LENGTH 6
#define MADT_UID_ALL          0xFF

#endif
