/*
 * i82093aa.h - the Intel 82093AA I/O APIC: its memory-mapped window, its
 * registers and the redirection-table entry's fields, named as in Intel's
 * "82093AA I/O Advanced Programmable Interrupt Controller (IOAPIC)"
 * datasheet (order no. 290566): 3.0 (the window), 3.1 (the registers,
 * table 3-1), 3.2 (IOAPICVER, IOREDTBL).  Only those the host's driver
 * (arch/x86_64/ioapic.c) uses; the guests get no I/O APIC model.
 *
 * Indirect access: write a register's index to IOREGSEL, then read or
 * write it through IOWIN (32 bits at a time).  Entry n of the redirection
 * table is two registers, IOREDTBL(n) (low dword: bits 0-31 of the entry)
 * and IOREDTBL(n) + 1 (high dword: bits 32-63).
 */
#ifndef ARCH_I82093AA_H
#define ARCH_I82093AA_H

/* The window: the default base (the PIIX3's APIC base register can move
 * it; not done here) and the registers' byte offsets from it. */
#define IOAPIC_DEFAULT_BASE   0xFEC00000ull
#define IOAPIC_WINDOW_SIZE    0x20    /* IOREGSEL to the end of IOWIN */
#define IOREGSEL              0x00    /* I/O Register Select (index) */
#define IOWIN                 0x10    /* I/O Window (data) */

/* Register indices, written to IOREGSEL. */
#define IOAPICVER             0x01    /* IOAPIC Version (read only) */
#define   IOAPICVER_MRE_SHIFT   16    /* bits 16-23: Maximum Redirection Entry */
#define   IOAPICVER_MRE_MASK    0xFFu
#define IOREDTBL(n)           (0x10 + 2 * (n)) /* Redirection Table entry n, low dword */

/* A redirection entry's fields (3.2.4), by dword. */
#define IOREDTBL_TRIGGER_LEVEL (1u << 15) /* Trigger Mode: 1 level, 0 edge */
#define IOREDTBL_MASK          (1u << 16) /* Interrupt Mask: 1 masked */
#define IOREDTBL_DEST_SHIFT    24         /* high dword: Destination Field (bits 56-63) */

#endif
