/* test_pic8259.c - the cascaded 8259A pair as Linux programs and uses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "i8259.h"
#include "pic8259.h"

/* arch/x86/kernel/i8259.c: init_8259A(0), with vectors 0x20 / 0x28. */
static void linux_init(struct pic8259 *p, uint8_t icw4)
{
	pic_io_write(p, 0x21, 0xFF);
	pic_io_write(p, 0xA1, 0xFF);
	pic_io_write(p, 0x20, 0x11);
	pic_io_write(p, 0x21, 0x20);
	pic_io_write(p, 0x21, 0x04);
	pic_io_write(p, 0x21, icw4);
	pic_io_write(p, 0xA0, 0x11);
	pic_io_write(p, 0xA1, 0x28);
	pic_io_write(p, 0xA1, 0x02);
	pic_io_write(p, 0xA1, 0x01);
	pic_io_write(p, 0x21, 0xFF);    /* restore masks: all masked */
	pic_io_write(p, 0xA1, 0xFF);
}

static void pulse(struct pic8259 *p, unsigned irq)
{
	pic_set_irq(p, irq, 1);
	pic_set_irq(p, irq, 0);
}

static uint8_t read_isr(struct pic8259 *p, uint16_t port)
{
	uint8_t v;

	pic_io_write(p, port, 0x0B);
	v = pic_io_read(p, port);
	pic_io_write(p, port, 0x0A);
	return v;
}

static void test_reset_state(void **state)
{
	struct pic8259 p;

	(void)state;
	pic_init(&p);
	assert_int_equal(pic_io_read(&p, 0x21), 0xFF);
	assert_int_equal(pic_io_read(&p, 0xA1), 0xFF);
	pulse(&p, 0);
	assert_false(pic_pending(&p));          /* masked at power-on */
	/* Linux's probe: the mask reads back what was written. */
	pic_io_write(&p, 0x21, 0x5A);
	assert_int_equal(pic_io_read(&p, 0x21), 0x5A);
	/* ICW1 clears IMR (and forgets edges). */
	pic_io_write(&p, 0x20, 0x11);
	assert_int_equal(pic_io_read(&p, 0x21), 0);
	pic_io_write(&p, 0x21, 0x20);
	pic_io_write(&p, 0x21, 0x04);
	pic_io_write(&p, 0x21, 0x01);
	assert_int_equal(pic_io_read(&p, 0x21), 0);
	assert_false(pic_pending(&p));
	assert_int_equal(pic_io_read(&p, 0x4D0), 0);
}

static void test_linux_init_and_deliver(void **state)
{
	struct pic8259 p;

	(void)state;
	pic_init(&p);
	linux_init(&p, 0x01);
	pic_io_write(&p, 0x21, 0xFE);           /* unmask IRQ0 */
	assert_false(pic_pending(&p));
	pulse(&p, 0);
	assert_true(pic_pending(&p));
	assert_int_equal(pic_io_read(&p, 0x20), 0x01);  /* IRR */
	assert_int_equal(pic_ack(&p), 0x20);
	assert_false(pic_pending(&p));
	assert_int_equal(pic_io_read(&p, 0x20), 0x00);  /* IRR cleared */
	assert_int_equal(read_isr(&p, 0x20), 0x01);
	/* A second edge while in service waits for the EOI. */
	pulse(&p, 0);
	assert_false(pic_pending(&p));
	pic_io_write(&p, 0x20, 0x20);           /* non-specific EOI */
	assert_int_equal(read_isr(&p, 0x20), 0);
	assert_true(pic_pending(&p));
	assert_int_equal(pic_ack(&p), 0x20);
	pic_io_write(&p, 0x20, 0x60);           /* specific EOI, IR0 */
	assert_int_equal(read_isr(&p, 0x20), 0);
	/* A line held high gives one edge only. */
	pic_set_irq(&p, 0, 1);
	assert_int_equal(pic_ack(&p), 0x20);
	pic_io_write(&p, 0x20, 0x20);
	pic_set_irq(&p, 0, 1);
	assert_false(pic_pending(&p));
}

static void test_priority_and_nesting(void **state)
{
	struct pic8259 p;

	(void)state;
	pic_init(&p);
	linux_init(&p, 0x01);
	pic_io_write(&p, 0x21, 0x00);
	pulse(&p, 4);
	pulse(&p, 1);
	assert_int_equal(pic_io_read(&p, 0x20), 0x12);
	assert_int_equal(pic_ack(&p), 0x21);    /* IR1 beats IR4 */
	assert_false(pic_pending(&p));          /* IR4 is lower than IR1 in service */
	pulse(&p, 0);
	assert_true(pic_pending(&p));           /* IR0 nests above IR1 */
	assert_int_equal(pic_ack(&p), 0x20);
	assert_int_equal(read_isr(&p, 0x20), 0x03);
	pic_io_write(&p, 0x20, 0x20);           /* ends IR0, the highest */
	assert_int_equal(read_isr(&p, 0x20), 0x02);
	assert_false(pic_pending(&p));
	pic_io_write(&p, 0x20, 0x20);
	assert_int_equal(pic_ack(&p), 0x24);
	pic_io_write(&p, 0x20, 0x64);
	assert_int_equal(read_isr(&p, 0x20), 0);
	assert_false(pic_pending(&p));
}

static void test_masking(void **state)
{
	struct pic8259 p;

	(void)state;
	pic_init(&p);
	linux_init(&p, 0x01);
	pic_io_write(&p, 0x21, 0xF7);           /* only IR3 */
	pulse(&p, 1);
	assert_false(pic_pending(&p));
	assert_int_equal(pic_io_read(&p, 0x20), 0x02);  /* still requested */
	pulse(&p, 3);
	assert_int_equal(pic_ack(&p), 0x23);
	pic_io_write(&p, 0x20, 0x20);
	pic_io_write(&p, 0x21, 0xF5);           /* unmask IR1: delivered now */
	assert_int_equal(pic_ack(&p), 0x21);
	pic_io_write(&p, 0x20, 0x20);
	assert_false(pic_pending(&p));
}

static void test_slave_cascade(void **state)
{
	struct pic8259 p;

	(void)state;
	pic_init(&p);
	linux_init(&p, 0x01);
	pic_io_write(&p, 0x21, 0xFB);           /* cascade only */
	pic_io_write(&p, 0xA1, 0xEF);           /* IRQ12 */
	pulse(&p, 12);
	assert_true(pic_pending(&p));
	assert_int_equal(pic_io_read(&p, 0x20), 0x04);
	assert_int_equal(pic_ack(&p), 0x2C);
	assert_int_equal(read_isr(&p, 0x20), 0x04);
	assert_int_equal(read_isr(&p, 0xA0), 0x10);
	pulse(&p, 12);
	assert_false(pic_pending(&p));
	/* Linux: mask_and_ack_8259A -> specific EOI to the slave, then IR2. */
	pic_io_write(&p, 0xA0, 0x64);
	assert_false(pic_pending(&p));          /* master still has IR2 in service */
	pic_io_write(&p, 0x20, 0x62);
	assert_true(pic_pending(&p));
	assert_int_equal(pic_ack(&p), 0x2C);
	pic_io_write(&p, 0xA0, 0x20);
	pic_io_write(&p, 0x20, 0x20);
	assert_int_equal(read_isr(&p, 0x20), 0);
	assert_int_equal(read_isr(&p, 0xA0), 0);
	assert_false(pic_pending(&p));
	/* Master IR1 outranks the whole slave; slave IR8 its IR12. */
	pic_io_write(&p, 0x21, 0xF9);
	pic_io_write(&p, 0xA1, 0xEE);
	pulse(&p, 12);
	pulse(&p, 8);
	pulse(&p, 1);
	assert_int_equal(pic_ack(&p), 0x21);
	pic_io_write(&p, 0x20, 0x20);
	assert_int_equal(pic_ack(&p), 0x28);
	pic_io_write(&p, 0xA0, 0x20);
	pic_io_write(&p, 0x20, 0x20);
	assert_int_equal(pic_ack(&p), 0x2C);
	pic_io_write(&p, 0xA0, 0x20);
	pic_io_write(&p, 0x20, 0x20);
	assert_false(pic_pending(&p));
}

static void test_spurious(void **state)
{
	struct pic8259 p;

	(void)state;
	pic_init(&p);
	linux_init(&p, 0x01);
	pic_io_write(&p, 0x21, 0x00);
	pulse(&p, 3);
	assert_true(pic_pending(&p));
	pic_io_write(&p, 0x21, 0x08);           /* masked between INTR and INTA */
	assert_int_equal(pic_ack(&p), 0x27);    /* spurious IRQ7 ... */
	assert_int_equal(read_isr(&p, 0x20), 0); /* ... with no ISR bit */
	/* Level-triggered IRQ10 dropping before INTA: spurious IRQ15. */
	pic_io_write(&p, 0x21, 0xFB);
	pic_io_write(&p, 0xA1, 0x00);
	pic_io_write(&p, 0x4D1, 0x04);
	assert_int_equal(pic_io_read(&p, 0x4D1), 0x04);
	pic_set_irq(&p, 10, 1);
	assert_true(pic_pending(&p));
	pic_set_irq(&p, 10, 0);
	assert_false(pic_pending(&p));
	/* The cascade follows the slave at once, so an IRQ10 that dropped
	 * leaves nothing for an INTA: the master answers spurious IRQ7. */
	assert_int_equal(pic_ack(&p), 0x27);
	pic_set_irq(&p, 10, 1);
	assert_int_equal(pic_ack(&p), 0x2A);
	assert_int_equal(pic_io_read(&p, 0xA0), 0x04);  /* level: IRR stays */
	pic_io_write(&p, 0xA0, 0x20);
	pic_io_write(&p, 0x20, 0x20);
	assert_true(pic_pending(&p));           /* still asserted: again */
	pic_set_irq(&p, 10, 0);
	assert_false(pic_pending(&p));
	/* ELCR cannot make IRQ0-2, 8, 13 level-triggered. */
	pic_io_write(&p, 0x4D0, 0xFF);
	pic_io_write(&p, 0x4D1, 0xFF);
	assert_int_equal(pic_io_read(&p, 0x4D0), 0xF8);
	assert_int_equal(pic_io_read(&p, 0x4D1), 0xDE);
}

static void test_poll_aeoi_rotate(void **state)
{
	struct pic8259 p;

	(void)state;
	pic_init(&p);
	linux_init(&p, 0x03);                   /* master in auto-EOI */
	pic_io_write(&p, 0x21, 0x00);
	pulse(&p, 5);
	assert_int_equal(pic_ack(&p), 0x25);
	assert_int_equal(read_isr(&p, 0x20), 0); /* AEOI: never in service */
	/* Poll: the read acknowledges. */
	pulse(&p, 6);
	pic_io_write(&p, 0x20, 0x0C);
	assert_int_equal(pic_io_read(&p, 0x20), 0x86);
	assert_false(pic_pending(&p));
	pic_io_write(&p, 0x20, 0x0C);
	assert_int_equal(pic_io_read(&p, 0x20), 0x00);
	/* Rotation: after a rotate-on-specific-EOI of IR3, IR4 is highest. */
	linux_init(&p, 0x01);
	pic_io_write(&p, 0x21, 0x00);
	pulse(&p, 3);
	assert_int_equal(pic_ack(&p), 0x23);
	pic_io_write(&p, 0x20, 0xE3);
	pulse(&p, 1);
	pulse(&p, 4);
	assert_int_equal(pic_ack(&p), 0x24);
	pic_io_write(&p, 0x20, 0x20);
	assert_int_equal(pic_ack(&p), 0x21);
	pic_io_write(&p, 0x20, 0x20);
	/* Set priority: IR7 lowest again -> IR0 highest. */
	pic_io_write(&p, 0x20, 0xC7);
	pulse(&p, 5);
	pulse(&p, 2);                           /* IR2 is the cascade: ignored */
	pulse(&p, 0);
	assert_int_equal(pic_ack(&p), 0x20);
	pic_io_write(&p, 0x20, 0x20);
	assert_int_equal(pic_ack(&p), 0x25);
	pic_io_write(&p, 0x20, 0x20);
	assert_false(pic_pending(&p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_linux_init_and_deliver),
		cmocka_unit_test(test_priority_and_nesting),
		cmocka_unit_test(test_masking),
		cmocka_unit_test(test_slave_cascade),
		cmocka_unit_test(test_spurious),
		cmocka_unit_test(test_poll_aeoi_rotate),
	};
	return cmocka_run_group_tests_name("pic8259", tests, NULL, NULL);
}
