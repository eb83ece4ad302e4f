/* test_vplatform.c - a Linux VM's PC as the guest drives it (devices/vplatform.c):
 * ports to the right device, the PIT's edges to IRQ 0 through the PIC, the
 * UART's output and line, the keyboard controller's reset, the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vplatform.h"

#define HZ 50000000ull /* the TSC under Bochs */

static uint32_t in8(struct vplatform *p, uint64_t now, uint16_t port)
{
	uint32_t v = 0;
	int tx;
	vplat_port_io(p, now, port, 1, true, &v, &tx);
	assert_int_equal(tx, -1);
	return v;
}

static int out8(struct vplatform *p, uint64_t now, uint16_t port, uint8_t val)
{
	uint32_t v = val;
	int tx;
	vplat_port_io(p, now, port, 1, false, &v, &tx);
	return tx;
}

/* Linux's init_8259A(): ICW1-ICW4 on both chips, then unmask IRQ 0 and 2. */
static void linux_pic_init(struct vplatform *p)
{
	out8(p, 0, 0x21, 0xFF), out8(p, 0, 0xA1, 0xFF);
	out8(p, 0, 0x20, 0x11), out8(p, 0, 0x21, 0x20), out8(p, 0, 0x21, 0x04), out8(p, 0, 0x21, 0x01);
	out8(p, 0, 0xA0, 0x11), out8(p, 0, 0xA1, 0x28), out8(p, 0, 0xA1, 0x02), out8(p, 0, 0xA1, 0x01);
	out8(p, 0, 0x21, 0xFA), out8(p, 0, 0xA1, 0xFF);
}

static void test_timer_to_vector(void **state)
{
	static struct vplatform p;
	uint64_t t, next;
	(void)state;
	vplat_init(&p, 1000, HZ, 0);
	linux_pic_init(&p);
	assert_int_equal(vplat_next_event(&p, 1000), 0);   /* PIT not programmed */
	/* Linux's PIT clockevent: mode 2, 1193182 / 250 = 4773 */
	out8(&p, 1000, 0x43, 0x34), out8(&p, 1000, 0x40, 4773 & 0xFF), out8(&p, 1000, 0x40, 4773 >> 8);
	next = vplat_next_event(&p, 1000);
	/* 4773 PIT ticks = 4.0002 ms = 200,011 TSC ticks at 50 MHz */
	assert_true(next > 1000 + 199900 && next < 1000 + 200100);
	vplat_update(&p, next - 2000);
	assert_false(vplat_irq_pending(&p));
	vplat_update(&p, next);
	assert_true(vplat_irq_pending(&p));
	assert_int_equal(vplat_irq_ack(&p), 0x20);          /* IRQ 0 at ICW2's base */
	assert_false(vplat_irq_pending(&p));                 /* in service: none other */
	out8(&p, next, 0x20, 0x20);                          /* EOI */
	/* Ten periods later: the edges coalesce into one interrupt. */
	t = next + 10 * 200012; /* 10 periods of 200,011.4 ticks */
	vplat_update(&p, t);
	assert_true(vplat_irq_pending(&p));
	assert_int_equal(vplat_irq_ack(&p), 0x20);
	assert_int_equal(p.timer_edges, 11);
	assert_int_equal(p.irqs, 2);
	/* Masked (OCW1): nothing is raised. */
	out8(&p, t, 0x20, 0x20);
	out8(&p, t, 0x21, 0xFB);
	vplat_update(&p, t + 400000);
	assert_false(vplat_irq_pending(&p));
}

static void test_uart(void **state)
{
	static struct vplatform p;
	uint32_t v = 'A';
	int tx;
	(void)state;
	vplat_init(&p, 0, HZ, 0);
	linux_pic_init(&p);
	out8(&p, 0, 0x21, 0xEA);                             /* unmask IRQ 4 too */
	vplat_port_io(&p, 0, 0x3F8, 1, false, &v, &tx);
	assert_int_equal(tx, 'A');
	assert_int_equal(in8(&p, 0, 0x3FD) & 0x60, 0x60);    /* THRE, TEMT */
	/* 8250 interrupts: OUT2 and ETBEI raise IRQ 4 -> vector 0x24. */
	out8(&p, 0, 0x3FC, 0x08);
	out8(&p, 0, 0x3F9, 0x02);
	vplat_update(&p, 0);
	assert_true(vplat_irq_pending(&p));
	assert_int_equal(vplat_irq_ack(&p), 0x24);
	assert_int_equal(in8(&p, 0, 0x3FA) & 0x0F, 0x02);    /* IIR: THRE */
	vplat_update(&p, 0);
	out8(&p, 0, 0x20, 0x20);
	assert_false(vplat_irq_pending(&p));
	/* A 16-bit OUT is two byte writes, as on the ISA bus: SCR then MSR. */
	v = 0x5A;
	vplat_port_io(&p, 0, 0x3FF, 1, false, &v, &tx);
	assert_int_equal(in8(&p, 0, 0x3FF), 0x5A);
}

static void test_other_ports(void **state)
{
	static struct vplatform p;
	uint32_t v;
	int tx;
	(void)state;
	vplat_init(&p, 0, HZ, 1795955696); /* 2026-11-29 12:34:56 UTC */
	assert_int_equal(in8(&p, 0, 0x60), 0xFF);            /* no keyboard controller */
	assert_int_equal(in8(&p, 0, 0x2F8), 0xFF);           /* no COM2 */
	vplat_port_io(&p, 0, 0xCFC, 4, true, &v, &tx);       /* PCI: no device */
	assert_int_equal(v, 0xFFFFFFFFu);
	assert_false(p.reset);
	out8(&p, 0, 0x64, 0xFE);                             /* Linux's reboot */
	assert_true(p.reset);
	/* The RTC: BCD by default; two seconds of TSC later, two seconds on. */
	out8(&p, 0, 0x70, 0x00);
	assert_int_equal(in8(&p, 0, 0x71), 0x56);
	out8(&p, 0, 0x70, 0x00);
	assert_int_equal(in8(&p, 2 * HZ, 0x71), 0x58);
	out8(&p, 0, 0x70, 0x09);
	assert_int_equal(in8(&p, 0, 0x71), 0x26);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_to_vector),
		cmocka_unit_test(test_uart),
		cmocka_unit_test(test_other_ports),
	};
	return cmocka_run_group_tests_name("vplatform", tests, NULL, NULL);
}
