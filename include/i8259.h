/*
 * i8259.h - the Intel 8259A programmable interrupt controller: the PC's
 * ports and the command words, named as in the 8259A datasheet (ICW1-4,
 * OCW1-3).  Used by the guest's virtual PICs (devices/pic8259.c).
 */
#ifndef I8259_H
#define I8259_H

/* The PC/AT pair: the slave's INT drives the master's IR2. */
#define PIC_MASTER_CMD   0x20   /* A0 = 0: ICW1, OCW2, OCW3; reads IRR/ISR/poll */
#define PIC_MASTER_IMR   0x21   /* A0 = 1: ICW2-4, OCW1 (the mask) */
#define PIC_SLAVE_CMD    0xA0
#define PIC_SLAVE_IMR    0xA1
#define PIC_CASCADE_IR   2      /* the master's input the slave is wired to */
#define PIC_ELCR1        0x4D0  /* edge/level control, IRQ0-7 (PIIX/ICH) */
#define PIC_ELCR2        0x4D1  /* edge/level control, IRQ8-15 */

/* ICW1: written to A0 = 0 with D4 = 1; starts the initialization sequence. */
#define PIC_ICW1_IC4     0x01   /* ICW4 will follow */
#define PIC_ICW1_SNGL    0x02   /* single (no ICW3) rather than cascade mode */
#define PIC_ICW1_ADI     0x04   /* call address interval 4 (8080 mode only) */
#define PIC_ICW1_LTIM    0x08   /* level-triggered mode */
#define PIC_ICW1_INIT    0x10   /* D4: this is ICW1 */

/* ICW2: T7-T3 of the interrupt vector. */
#define PIC_ICW2_VECTOR_MASK 0xF8

/* ICW4 */
#define PIC_ICW4_UPM     0x01   /* 8086/8088 mode */
#define PIC_ICW4_AEOI    0x02   /* automatic end of interrupt */
#define PIC_ICW4_MS      0x04   /* buffered mode: master */
#define PIC_ICW4_BUF     0x08   /* buffered mode */
#define PIC_ICW4_SFNM    0x10   /* special fully nested mode */

/* OCW2: A0 = 0, D4 = D3 = 0.  R, SL, EOI in D7-D5; L2-L0 the level. */
#define PIC_OCW2_LEVEL_MASK 0x07
#define PIC_OCW2_CMD_MASK   0xE0
#define PIC_OCW2_EOI        0x20 /* non-specific EOI */
#define PIC_OCW2_SL         0x40
#define PIC_OCW2_R          0x80
#define PIC_OCW2_ROT_AEOI_CLR 0x00 /* rotate in automatic EOI mode (clear) */
#define PIC_OCW2_NSEOI      0x20 /* non-specific EOI */
#define PIC_OCW2_NOP        0x40
#define PIC_OCW2_SEOI       0x60 /* specific EOI: L2-L0 */
#define PIC_OCW2_ROT_AEOI_SET 0x80 /* rotate in automatic EOI mode (set) */
#define PIC_OCW2_ROT_NSEOI  0xA0 /* rotate on non-specific EOI */
#define PIC_OCW2_SET_PRIO   0xC0 /* set priority: L2-L0 becomes the lowest */
#define PIC_OCW2_ROT_SEOI   0xE0 /* rotate on specific EOI */

/* OCW3: A0 = 0, D4 = 0, D3 = 1. */
#define PIC_OCW3_RIS     0x01   /* with RR: read ISR (else IRR) */
#define PIC_OCW3_RR      0x02   /* read register command */
#define PIC_OCW3_P       0x04   /* poll command */
#define PIC_OCW3_SEL     0x08   /* D3: this is OCW3 */
#define PIC_OCW3_SMM     0x20   /* with ESMM: set special mask mode */
#define PIC_OCW3_ESMM    0x40   /* enable special mask mode change */

/* A poll read: I (bit 7) set when an interrupt was pending, W2-W0 its level. */
#define PIC_POLL_INT     0x80

#define PIC_SPURIOUS_IR  7      /* the level an INTA without a request reports */

#endif
