/*
 * mptable.h - the MultiProcessor Specification's tables that tell an SMP
 * guest its CPUs (mptable.c).
 */
#ifndef DEVICES_MPTABLE_H
#define DEVICES_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

/* Where the tables go: the last KiB of base memory, one of the three
 * places Linux's default_find_smp_config scans (and which the e820 map,
 * devices/linux_boot.c, reserves as the EBDA). */
#define MPTABLE_GPA    0x9FC00u
#define MPTABLE_MAX    0x400u
/* The processors it can list within MPTABLE_MAX. */
#define MPTABLE_MAX_CPUS 32u

/* Writes the floating pointer at gpa and the configuration table after it
 * into buf (at least MPTABLE_MAX bytes): ncpus processors with local APIC
 * IDs 0..ncpus-1 (0 the boot processor), an ISA bus, the 8259's ExtINT on
 * the boot processor's LINT0 and NMI on every LINT1, virtual wire mode,
 * no IO-APIC.  cpu_signature and features: CPUID.1's EAX and EDX.
 * Returns the bytes written, or 0 when ncpus is 0 or above
 * MPTABLE_MAX_CPUS. */
size_t mptable_build(uint8_t *buf, uint32_t gpa, unsigned ncpus, uint32_t cpu_signature,
		     uint32_t features);

#endif
