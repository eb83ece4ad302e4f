/*
 * pic8259.c - the PC's two cascaded 8259A programmable interrupt
 * controllers, for a guest that runs without local APIC and IOAPIC.
 *
 * Each chip has three 8-bit registers, bit n for input IRn: IRR (requests
 * seen), ISR (requests being serviced: delivered, not yet EOI'd) and IMR
 * (masked).  An input latches into IRR on a rising edge, or, when its ELCR
 * bit says level-triggered, IRR simply follows the line.  The priority
 * resolver picks the highest-priority request in IRR & ~IMR and raises INT
 * if that beats everything in ISR (fully nested mode; IR0 highest, unless
 * rotation moved the lowest level).  The slave's INT is wired to the
 * master's IR2, which follows it as a level; the master's INT is the
 * CPU's INTR line (pic_pending).
 *
 * pic_ack is the CPU's INTA cycle: the master moves its winner from IRR to
 * ISR (left out in auto-EOI mode) and, when that winner is IR2, the slave
 * does the same and supplies the vector.  An INTA with no request left
 * (masked or dropped after INTR was sampled) gets the spurious IR7 vector
 * of the chip that answers, with no ISR bit set, which is what Linux's
 * spurious-IRQ7/15 check expects.  EOIs are the guest's job, to the slave
 * and then to the master for IRQ8-15.
 *
 * Decisions a datasheet leaves open:
 *  - pic_init is the state after a BIOS has initialized both chips: vectors
 *    0x08 and 0x70, cascade on IR2, 8086 mode, normal EOI, and every input
 *    masked (IMR 0xFF), so nothing reaches the guest before it programs the
 *    PICs itself.  A guest's ICW1 then clears IMR, as the datasheet says.
 *  - An edge request stays in IRR until acknowledged even if the line
 *    drops (callers pulse lines: raise then lower); only a level-triggered
 *    request goes away with its line.  ICW1 forgets edge requests; the
 *    inputs then need a new rising edge.
 *  - ICW1's LTIM, ICW4's buffered modes and 8080 mode are accepted and
 *    ignored (the PC uses the ELCR, 8086 mode).  ICW3 is stored only.
 *  - pic_set_irq(2) is ignored: on a PC, IR2 is the cascade.
 */
#include "i8259.h"
#include "pic8259.h"

static void chip_reset(struct pic8259_chip *c)
{
	c->irr &= c->elcr & c->lines;   /* level requests still asserted stay */
	c->isr = 0;
	c->imr = 0;
	c->lowest = 7;
	c->read_isr = 0;
	c->poll = 0;
	c->special_mask = 0;
	c->auto_eoi = 0;
	c->rotate_on_aeoi = 0;
	c->sfnm = 0;
}

/* The priority (0 = highest) of the best request in mask, 8 if none. */
static unsigned best_priority(const struct pic8259_chip *c, uint8_t mask)
{
	for (unsigned pr = 0; pr < 8; pr++)
		if (mask & (1u << ((c->lowest + 1 + pr) & 7)))
			return pr;
	return 8;
}

/* The level that would be delivered now, or -1: the best unmasked request,
 * if its priority beats everything in service. */
static int chip_winner(const struct pic8259_chip *c, int is_master)
{
	unsigned pr = best_priority(c, c->irr & (uint8_t)~c->imr);
	uint8_t in_service = c->isr;

	if (pr == 8)
		return -1;
	if (c->special_mask)
		in_service &= (uint8_t)~c->imr;
	if (is_master && c->sfnm)
		in_service &= (uint8_t)~(1u << PIC_CASCADE_IR);
	if (pr >= best_priority(c, in_service))
		return -1;
	return (int)((c->lowest + 1 + pr) & 7);
}

static void chip_set_input(struct pic8259_chip *c, unsigned ir, int level)
{
	uint8_t bit = (uint8_t)(1u << ir);

	if (level) {
		if (c->elcr & bit || !(c->lines & bit))
			c->irr |= bit;
		c->lines |= bit;
	} else {
		if (c->elcr & bit)
			c->irr &= (uint8_t)~bit;
		c->lines &= (uint8_t)~bit;
	}
}

/* The slave's INT output onto the master's IR2.  IR2 follows it as a
 * level: the request is there exactly while the slave has a winner, so a
 * slave that still has one after an INTA (auto-EOI) is not lost. */
static void update_cascade(struct pic8259 *p)
{
	uint8_t bit = 1u << PIC_CASCADE_IR;

	if (chip_winner(&p->slave, 0) >= 0) {
		p->master.irr |= bit;
		p->master.lines |= bit;
	} else {
		p->master.irr &= (uint8_t)~bit;
		p->master.lines &= (uint8_t)~bit;
	}
}

/* INTA (or a poll read) for level ir: IRR to ISR. */
static void chip_ack(struct pic8259_chip *c, int ir)
{
	uint8_t bit = (uint8_t)(1u << ir);

	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->lowest = (uint8_t)ir;
	} else {
		c->isr |= bit;
	}
	if (!(c->elcr & bit))
		c->irr &= (uint8_t)~bit;   /* a level request stays while asserted */
}

void pic_init(struct pic8259 *p)
{
	static const uint8_t base[2] = { 0x08, 0x70 };
	static const uint8_t elcr_mask[2] = { 0xF8, 0xDE }; /* not IRQ0-2, 8, 13 */
	struct pic8259_chip *c[2] = { &p->master, &p->slave };

	for (int i = 0; i < 2; i++) {
		*c[i] = (struct pic8259_chip){ 0 };
		chip_reset(c[i]);
		c[i]->elcr_mask = elcr_mask[i];
		c[i]->vector_base = base[i];
		c[i]->icw3 = i == 0 ? 1u << PIC_CASCADE_IR : PIC_CASCADE_IR;
		c[i]->imr = 0xFF;
	}
}

void pic_set_irq(struct pic8259 *p, unsigned irq, int level)
{
	if (irq >= 16 || irq == PIC_CASCADE_IR)
		return;
	if (irq < 8) {
		chip_set_input(&p->master, irq, level);
	} else {
		chip_set_input(&p->slave, irq - 8, level);
		update_cascade(p);
	}
}

/* OCW2: the EOI and rotation commands. */
static void chip_ocw2(struct pic8259_chip *c, uint8_t val)
{
	unsigned ir = val & PIC_OCW2_LEVEL_MASK;
	unsigned pr;

	switch (val & PIC_OCW2_CMD_MASK) {
	case PIC_OCW2_ROT_AEOI_CLR:
	case PIC_OCW2_ROT_AEOI_SET:
		c->rotate_on_aeoi = (val & PIC_OCW2_R) != 0;
		break;
	case PIC_OCW2_NSEOI:
	case PIC_OCW2_ROT_NSEOI:
		/* The highest-priority level in service; in special mask mode
		 * a non-specific EOI cannot know it (the datasheet asks for a
		 * specific one), and this still picks the highest. */
		pr = best_priority(c, c->isr);
		if (pr == 8)
			break;
		ir = (c->lowest + 1 + pr) & 7;
		c->isr &= (uint8_t)~(1u << ir);
		if ((val & PIC_OCW2_CMD_MASK) == PIC_OCW2_ROT_NSEOI)
			c->lowest = (uint8_t)ir;
		break;
	case PIC_OCW2_SEOI:
	case PIC_OCW2_ROT_SEOI:
		c->isr &= (uint8_t)~(1u << ir);
		if (val & PIC_OCW2_R)
			c->lowest = (uint8_t)ir;
		break;
	case PIC_OCW2_SET_PRIO:
		c->lowest = (uint8_t)ir;
		break;
	default: /* no operation */
		break;
	}
}

static void chip_write(struct pic8259_chip *c, unsigned a0, uint8_t val)
{
	if (!a0 && (val & PIC_ICW1_INIT)) {             /* ICW1 */
		chip_reset(c);
		c->icw4_needed = (val & PIC_ICW1_IC4) != 0;
		c->single = (val & PIC_ICW1_SNGL) != 0;
		c->init_state = 2;
	} else if (!a0 && (val & PIC_OCW3_SEL)) {       /* OCW3 */
		if (val & PIC_OCW3_RR)
			c->read_isr = (val & PIC_OCW3_RIS) != 0;
		if (val & PIC_OCW3_ESMM)
			c->special_mask = (val & PIC_OCW3_SMM) != 0;
		c->poll = (val & PIC_OCW3_P) != 0;
	} else if (!a0) {                               /* OCW2 */
		chip_ocw2(c, val);
	} else if (c->init_state == 2) {                /* ICW2 */
		c->vector_base = val & PIC_ICW2_VECTOR_MASK;
		c->init_state = c->single ? (c->icw4_needed ? 4 : 0) : 3;
	} else if (c->init_state == 3) {                /* ICW3 */
		c->icw3 = val;
		c->init_state = c->icw4_needed ? 4 : 0;
	} else if (c->init_state == 4) {                /* ICW4 */
		c->auto_eoi = (val & PIC_ICW4_AEOI) != 0;
		c->sfnm = (val & PIC_ICW4_SFNM) != 0;
		c->init_state = 0;
	} else {                                        /* OCW1 */
		c->imr = val;
	}
}

/* A poll: the read that acknowledges like INTA, bit 7 set with the level,
 * or 0 when nothing is pending. */
static uint8_t chip_poll(struct pic8259 *p, struct pic8259_chip *c)
{
	int ir = chip_winner(c, c == &p->master);

	c->poll = 0;
	if (ir < 0)
		return 0;
	chip_ack(c, ir);
	return (uint8_t)(PIC_POLL_INT | ir);
}

void pic_io_write(struct pic8259 *p, uint16_t port, uint8_t val)
{
	switch (port) {
	case PIC_MASTER_CMD:
	case PIC_MASTER_IMR:
		chip_write(&p->master, port & 1, val);
		break;
	case PIC_SLAVE_CMD:
	case PIC_SLAVE_IMR:
		chip_write(&p->slave, port & 1, val);
		break;
	case PIC_ELCR1:
	case PIC_ELCR2: {
		struct pic8259_chip *c = port == PIC_ELCR1 ? &p->master : &p->slave;

		c->elcr = val & c->elcr_mask;
		/* Inputs now level-triggered: IRR follows the line. */
		c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->lines & c->elcr));
		break;
	}
	default:
		return;
	}
	update_cascade(p);
}

uint8_t pic_io_read(struct pic8259 *p, uint16_t port)
{
	struct pic8259_chip *c;
	uint8_t val;

	switch (port) {
	case PIC_MASTER_CMD:
	case PIC_MASTER_IMR:
		c = &p->master;
		break;
	case PIC_SLAVE_CMD:
	case PIC_SLAVE_IMR:
		c = &p->slave;
		break;
	case PIC_ELCR1:
		return p->master.elcr;
	case PIC_ELCR2:
		return p->slave.elcr;
	default:
		return 0xFF;
	}
	if (c->poll) {          /* a poll command answers the next read, either A0 */
		val = chip_poll(p, c);
		update_cascade(p);
		return val;
	}
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

int pic_pending(const struct pic8259 *p)
{
	return chip_winner(&p->master, 1) >= 0;
}

int pic_ack(struct pic8259 *p)
{
	int ir = chip_winner(&p->master, 1);
	int vector;

	if (ir < 0) {
		vector = p->master.vector_base + PIC_SPURIOUS_IR;
	} else {
		chip_ack(&p->master, ir);
		if (ir == PIC_CASCADE_IR) {
			int sir = chip_winner(&p->slave, 0);

			/* IR2 follows the slave, so it has a winner; were it
			 * gone, the slave would answer IRQ15, with no ISR bit. */
			if (sir < 0) {
				sir = PIC_SPURIOUS_IR;
			} else {
				chip_ack(&p->slave, sir);
			}
			vector = p->slave.vector_base + sir;
		} else {
			vector = p->master.vector_base + ir;
		}
	}
	update_cascade(p);
	return vector;
}
