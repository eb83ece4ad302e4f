/*
 * test_portbus.c - a VM's port space: the bus (devices/portbus.c) and the
 * boards on it (devices/vplatform.c): what a guest reads and writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "uart_16550.h"
#include "vplatform.h"

/* A device of 4 bytes of registers, to watch the bus route. */
struct regs { uint8_t r[4]; uint16_t base; unsigned reads, writes; uint64_t when; };

static uint8_t regs_in(void *dev, uint64_t now, uint16_t port)
{
	struct regs *d = dev;
	d->reads++;
	d->when = now;
	return d->r[port - d->base];
}

static void regs_out(void *dev, uint64_t now, uint16_t port, uint8_t val)
{
	struct regs *d = dev;
	d->writes++;
	d->when = now;
	d->r[port - d->base] = val;
}

static void test_bus(void **state)
{
	struct portbus b;
	struct regs a = { { 1, 2, 3, 4 }, 0x100, 0, 0, 0 }, c = { { 0 }, 0x104, 0, 0, 0 };
	struct port_range ra = { 0x100, 0x103, regs_in, regs_out, &a };
	struct port_range rc = { 0x104, 0x107, regs_in, regs_out, &c };
	struct port_range overlap = { 0x103, 0x104, regs_in, regs_out, &c };
	struct port_range empty = { 0x200, 0x1FF, regs_in, regs_out, &c };
	uint32_t v;
	unsigned i;
	(void)state;

	portbus_init(&b);
	assert_int_equal(portbus_add(&b, &ra), 0);
	assert_int_equal(portbus_add(&b, &rc), 0);
	assert_int_equal(portbus_add(&b, &overlap), -1);
	assert_int_equal(portbus_add(&b, &ra), -1);
	assert_int_equal(portbus_add(&b, &empty), -1);
	portbus_io(&b, 7, 0x101, 1, true, &v);
	assert_int_equal(v, 2);
	assert_int_equal(a.when, 7);
	/* Wide accesses are bytes, little-endian, across devices and the void. */
	portbus_io(&b, 8, 0x102, 4, true, &v);
	assert_int_equal(v, 0x00000403u);
	portbus_io(&b, 9, 0x0FF, 2, true, &v);
	assert_int_equal(v, 0x01FF);
	v = 0xAABBCCDD;
	portbus_io(&b, 10, 0x103, 2, false, &v);
	assert_int_equal(a.r[3], 0xDD);
	assert_int_equal(c.r[0], 0xCC);
	portbus_io(&b, 11, 0x300, 4, true, &v);
	assert_int_equal(v, 0xFFFFFFFFu);
	v = 0x12;
	portbus_io(&b, 12, 0x300, 1, false, &v); /* nobody's: ignored */
	assert_int_equal(a.writes + c.writes, 2);
	/* Full. */
	for (i = 2; i < PORTBUS_MAX; i++) {
		struct port_range r = { (uint16_t)(0x400 + i * 8), (uint16_t)(0x400 + i * 8), regs_in,
					regs_out, &a };
		assert_int_equal(portbus_add(&b, &r), 0);
	}
	assert_int_equal(portbus_add(&b, &empty), -1);
}

/* The image VM's board: COM1 is the 16550A model, the rest an empty bus. */
static void test_image_board(void **state)
{
	static struct vplatform p;
	uint32_t v;
	int tx;
	(void)state;

	vplat_init_image(&p);
	assert_int_equal(p.bus.n, 1);
	vplat_port_io(&p, 0, COM1_BASE + UART_LSR, 1, true, &v, &tx);
	assert_int_equal(v, UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(tx, -1);
	vplat_port_io(&p, 0, COM1_BASE + UART_RBR, 1, true, &v, &tx); /* nothing received */
	assert_int_equal(v, 0);
	v = 'x';
	vplat_port_io(&p, 0, COM1_BASE + UART_THR, 1, false, &v, &tx);
	assert_int_equal(tx, 'x');
	vplat_port_io(&p, 0, 0x60, 1, true, &v, &tx);
	assert_int_equal(v, 0xFF);
	vplat_port_io(&p, 0, 0x20, 1, true, &v, &tx); /* no PIC on this board */
	assert_int_equal(v, 0xFF);
	vplat_port_io(&p, 0, 0xCFC, 2, true, &v, &tx);
	assert_int_equal(v, 0xFFFF);
	vplat_port_io(&p, 0, 0xCFC, 4, true, &v, &tx);
	assert_int_equal(v, 0xFFFFFFFFu);
}

/* The PC board: every device's ranges were taken (none overlaps another). */
static void test_pc_board(void **state)
{
	static struct vplatform p;
	uint32_t v;
	int tx;
	(void)state;

	vplat_init(&p, 0, 1000000, 0);
	assert_int_equal(p.bus.n, 8);
	vplat_port_io(&p, 0, COM1_BASE + UART_LSR, 1, true, &v, &tx);
	assert_int_equal(v, UART_LSR_THRE | UART_LSR_TEMT);
	vplat_port_io(&p, 0, 0xCF8, 4, true, &v, &tx); /* no PCI */
	assert_int_equal(v, 0xFFFFFFFFu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bus),
		cmocka_unit_test(test_image_board),
		cmocka_unit_test(test_pc_board),
	};
	return cmocka_run_group_tests_name("portbus", tests, NULL, NULL);
}
