/*
 * mptable.c - the MP configuration tables an SMP guest reads to find its
 * CPUs (Intel MultiProcessor Specification 1.4, chapter 4).
 *
 * Why the MP table and not ACPI's MADT: our Linux VMs boot with acpi=off
 * (no ACPI tables, no AML, no power-management interpreter to feed), and
 * Linux then finds its CPUs by scanning for the MP floating pointer, as
 * Firecracker's guests did for years.  The tables are written once, into
 * the VM's last KiB of base memory (MPTABLE_GPA, reserved in its e820 map):
 *
 *   MPTABLE_GPA       floating pointer "_MP_" -> the configuration table
 *   MPTABLE_GPA + 16  "PCMP" header, then: a processor entry per vCPU
 *                     (APIC ID = vCPU index, vCPU 0 the boot processor),
 *                     the ISA bus, ExtINT on the BSP's LINT0, NMI on
 *                     every LINT1
 *
 * No IO-APIC is listed: legacy interrupts keep the 8259 path (virtual
 * wire mode, through the boot processor's LINT0, as a PC after reset),
 * with which the guest's interrupts and our device models stay as they
 * are; guests are told `noapic`, which also keeps Linux in x2APIC mode
 * (devices/lapic.c).  Both structures carry the checksum the spec asks
 * for (the bytes sum to 0 mod 256).
 */
#include <string.h>

#include "mp_spec.h"
#include "mptable.h"

_Static_assert(MPF_LENGTH + MPC_HEADER_LENGTH + MPTABLE_MAX_CPUS * MPC_PROCESSOR_LENGTH +
	       3 * MPC_ENTRY_LENGTH <= MPTABLE_MAX, "the largest table fits its KiB");

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* The byte that makes p[0..n) sum to 0. */
static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return (uint8_t)-s;
}

static uint8_t *lint(uint8_t *e, uint8_t type, uint8_t dest_apic, uint8_t lintin)
{
	memset(e, 0, MPC_ENTRY_LENGTH);
	e[0] = MPC_LINTSRC;
	e[1] = type;
	/* flags 0: polarity and trigger conform to the bus; source bus 0, IRQ 0 */
	e[6] = dest_apic;
	e[7] = lintin;
	return e + MPC_ENTRY_LENGTH;
}

size_t mptable_build(uint8_t *buf, uint32_t gpa, unsigned ncpus, uint32_t cpu_signature,
		     uint32_t features)
{
	uint8_t *mpf = buf, *mpc = buf + MPF_LENGTH, *e = mpc + MPC_HEADER_LENGTH;
	unsigned i, entries = 0;
	size_t len;

	if (!ncpus || ncpus > MPTABLE_MAX_CPUS)
		return 0;
	memset(buf, 0, MPTABLE_MAX);
	for (i = 0; i < ncpus; i++, entries++) {
		e[0] = MPC_PROCESSOR;
		e[1] = (uint8_t)i;                      /* local APIC ID */
		e[2] = 0x14;                            /* its version: integrated */
		e[3] = MPC_CPU_ENABLED | (i == 0 ? MPC_CPU_BOOTPROCESSOR : 0);
		put32(e + 4, cpu_signature);
		put32(e + 8, features);
		e += MPC_PROCESSOR_LENGTH;
	}
	e[0] = MPC_BUS;
	e[1] = 0;
	memcpy(e + 2, MPC_BUS_ISA, 6);
	e += MPC_ENTRY_LENGTH, entries++;
	e = lint(e, MP_EXTINT, 0, 0), entries++;
	e = lint(e, MP_NMI, MP_APIC_ALL, 1), entries++;
	len = (size_t)(e - mpc);

	memcpy(mpc + MPC_OFF_SIGNATURE, MPC_SIGNATURE, 4);
	put16(mpc + MPC_OFF_LENGTH, (uint16_t)len);
	mpc[MPC_OFF_SPEC_REV] = MP_SPEC_REV_1_4;
	memcpy(mpc + MPC_OFF_OEM_ID, "DEDUPVSR", 8);
	memcpy(mpc + MPC_OFF_PRODUCT_ID, "VIRTUAL PC  ", 12);
	put16(mpc + MPC_OFF_ENTRY_COUNT, (uint16_t)entries);
	put32(mpc + MPC_OFF_LAPIC_ADDR, 0xFEE00000u);
	mpc[MPC_OFF_CHECKSUM] = checksum(mpc, len);

	memcpy(mpf + MPF_OFF_SIGNATURE, MPF_SIGNATURE, 4);
	put32(mpf + MPF_OFF_PHYSPTR, gpa + MPF_LENGTH);
	mpf[MPF_OFF_LENGTH] = 1;
	mpf[MPF_OFF_SPEC_REV] = MP_SPEC_REV_1_4;
	/* feature bytes 0: a table is present, virtual wire mode */
	mpf[MPF_OFF_CHECKSUM] = checksum(mpf, MPF_LENGTH);
	return MPF_LENGTH + len;
}
