/*
 * mp_spec.h - the Intel MultiProcessor Specification's tables (version
 * 1.4, chapter 4 "MP Configuration Table"), named as the specification
 * names them: the floating pointer structure (4.1) and the configuration
 * table's header (4.2) and base entries (4.3).  Used by devices/mptable.c,
 * which writes them for an SMP Linux guest.
 */
#ifndef MP_SPEC_H
#define MP_SPEC_H

/* The MP floating pointer structure: 16 bytes, on a 16-byte boundary. */
#define MPF_SIGNATURE        "_MP_"
#define MPF_LENGTH           16
#define MPF_OFF_SIGNATURE    0
#define MPF_OFF_PHYSPTR      4    /* the configuration table's address */
#define MPF_OFF_LENGTH       8    /* in 16-byte units: 1 */
#define MPF_OFF_SPEC_REV     9
#define MPF_OFF_CHECKSUM     10   /* all 16 bytes sum to 0 */
#define MPF_OFF_FEATURE1     11   /* 0: a configuration table is present */
#define MPF_OFF_FEATURE2     12   /* bit 7 IMCRP: PIC mode; 0: virtual wire mode */
#define MP_SPEC_REV_1_4      4

/* The configuration table header: 44 bytes. */
#define MPC_SIGNATURE        "PCMP"
#define MPC_HEADER_LENGTH    44
#define MPC_OFF_SIGNATURE    0
#define MPC_OFF_LENGTH       4    /* the base table's, header included */
#define MPC_OFF_SPEC_REV     6
#define MPC_OFF_CHECKSUM     7    /* the base table sums to 0 */
#define MPC_OFF_OEM_ID       8    /* 8 bytes, blank-padded */
#define MPC_OFF_PRODUCT_ID   16   /* 12 bytes, blank-padded */
#define MPC_OFF_OEM_PTR      28
#define MPC_OFF_OEM_SIZE     32
#define MPC_OFF_ENTRY_COUNT  34
#define MPC_OFF_LAPIC_ADDR   36   /* the local APICs' MMIO base */
#define MPC_OFF_EXT_LENGTH   40
#define MPC_OFF_EXT_CHECKSUM 42

/* Base table entries: the first byte is the type. */
#define MPC_PROCESSOR        0    /* 20 bytes */
#define MPC_BUS              1    /* 8 bytes */
#define MPC_IOAPIC           2    /* 8 bytes */
#define MPC_IOINTSRC         3    /* 8 bytes */
#define MPC_LINTSRC          4    /* 8 bytes */
#define MPC_PROCESSOR_LENGTH 20
#define MPC_ENTRY_LENGTH     8    /* every other base entry */

/* Processor entry: type, local APIC ID, its version, CPU flags, CPU
 * signature (CPUID.1:EAX's stepping, model, family), feature flags
 * (CPUID.1:EDX), 8 reserved bytes. */
#define MPC_CPU_ENABLED      0x01
#define MPC_CPU_BOOTPROCESSOR 0x02

/* Bus entry: type, bus ID, a 6-byte blank-padded type string. */
#define MPC_BUS_ISA          "ISA   "

/* Local interrupt assignment entry: type, interrupt type, flags (16 bits:
 * polarity and trigger; 0 conforms to the bus), source bus ID and IRQ,
 * destination local APIC ID (0xFF: all), destination LINTIN#. */
#define MP_INT               0
#define MP_NMI               1
#define MP_SMI               2
#define MP_EXTINT            3
#define MP_APIC_ALL          0xFF

#endif
