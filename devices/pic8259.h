/*
 * pic8259.h - the PC's two cascaded 8259A interrupt controllers and the
 * ELCR, as a plain C model (devices/pic8259.c says how it works).
 */
#ifndef DEVICES_PIC8259_H
#define DEVICES_PIC8259_H

#include <stdint.h>

/* One 8259A.  Bit n of each 8-bit register is input IRn. */
struct pic8259_chip {
	uint8_t irr;            /* interrupt request register */
	uint8_t isr;            /* in-service register */
	uint8_t imr;            /* interrupt mask register (OCW1) */
	uint8_t lines;          /* the inputs' current levels */
	uint8_t elcr;           /* 1 = level-triggered (ELCR) */
	uint8_t elcr_mask;      /* which inputs the ELCR may make level-triggered */
	uint8_t vector_base;    /* ICW2 & 0xF8 */
	uint8_t icw3;
	uint8_t lowest;         /* the lowest-priority level (rotation); 7 at reset */
	uint8_t init_state;     /* 0: ready; 2, 3, 4: ICW2, ICW3, ICW4 expected */
	uint8_t icw4_needed, single;
	uint8_t auto_eoi, rotate_on_aeoi, sfnm;
	uint8_t read_isr;       /* OCW3 RR/RIS: an A0 = 0 read returns ISR, else IRR */
	uint8_t poll;           /* OCW3 P: the next A0 = 0 read is a poll */
	uint8_t special_mask;   /* OCW3 SMM */
};

struct pic8259 {
	struct pic8259_chip master, slave;
};

void pic_init(struct pic8259 *p);
void pic_set_irq(struct pic8259 *p, unsigned irq, int level);
void pic_io_write(struct pic8259 *p, uint16_t port, uint8_t val);
uint8_t pic_io_read(struct pic8259 *p, uint16_t port);
int pic_pending(const struct pic8259 *p);
int pic_ack(struct pic8259 *p);

#endif
