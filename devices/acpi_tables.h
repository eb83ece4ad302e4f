/*
 * acpi_tables.h - the ACPI tables that tell an SMP guest its CPUs
 * (acpi_tables.c).
 */
#ifndef DEVICES_ACPI_TABLES_H
#define DEVICES_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* Where they go: the BIOS area the OS scans for the RSDP (0xE0000-
 * 0xFFFFF), reserved in the VM's e820 map (devices/linux_boot.c). */
#define ACPI_TABLES_GPA  0xF0000u
#define ACPI_TABLES_MAX  0x400u
/* The processors the MADT lists at most within ACPI_TABLES_MAX (APIC IDs
 * are one byte in its Local APIC entries). */
#define ACPI_TABLES_MAX_CPUS 64u

/* Writes at gpa (16-byte aligned) into buf (ACPI_TABLES_MAX bytes): the
 * RSDP, an XSDT and an RSDT that list one table, and the MADT: ncpus
 * local APICs with IDs 0..ncpus-1, all enabled, LINT1 as NMI on every
 * one, a dual 8259 present (PC-AT compatible), no IO-APIC.  Returns the
 * bytes written, or 0 when ncpus is 0 or above ACPI_TABLES_MAX_CPUS. */
size_t acpi_tables_build(uint8_t *buf, uint32_t gpa, unsigned ncpus);

#endif
