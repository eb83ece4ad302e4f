/*
 * vplatform.c - the boards a VM sees: the PC of a Linux VM, as small as
 * Linux needs (docs/platform.md lists each device and why), and the image
 * VM's, a 16550A at COM1 alone.
 *
 * The devices are the plain-C models of devices/: two 8259A PICs, the 8254
 * PIT (with port 0x61), a 16550A UART at COM1 (IRQ 4) and the MC146818 RTC
 * with its CMOS RAM.  This file wires them into a VM: it registers their
 * port ranges on the VM's port bus (portbus.c), turns the PIT's channel-0
 * edges and the UART's line into PIC inputs, and keeps their clock.  Both
 * boards have the same UART model: one COM1 for every VM (an image VM's
 * guests print by hypercall, but a port they touch answers as a 16550A).  Guest time is the TSC (guests read it
 * unchanged): the PIT's 1,193,182 Hz is derived from it with the rate
 * measured at boot, so the guest's TSC, PIT and RTC agree.  A port no
 * device claims reads as all ones and ignores writes, as an empty ISA bus
 * does (PCI configuration included: no PCI devices); the keyboard
 * controller is absent except for its reset command (0xFE to port 0x64),
 * which Linux uses to reboot.  Wide accesses are split into bytes, as the
 * ISA bus does.
 */
#include "i8042.h"
#include "i8254.h"
#include "i8259.h"
#include "mc146818.h"
#include "uart_16550.h"
#include "vplatform.h"

#define COM1_IRQ       4

/* a * b / c for a time a, without overflowing 64 bits (b, c < 2^34). */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	return a / c * b + a % c * b / c;
}

/* Time since power-on as the devices count it.  A TSC read on another CPU
 * may lag the one read at power-on a little: that is time 0, not 2^64. */
static uint64_t pit_time(const struct vplatform *p, uint64_t now)
{
	return now <= p->tsc0 ? 0 : muldiv(now - p->tsc0, PIT_HZ, p->tsc_hz);
}

static uint64_t wall_time(const struct vplatform *p, uint64_t now)
{
	return p->unix0 + (now <= p->tsc0 ? 0 : (now - p->tsc0) / p->tsc_hz);
}

/* Each device's byte-wide port access, as the bus calls it (dev: the board). */
static uint8_t pic_port_in(void *dev, uint64_t now, uint16_t port)
{
	(void)now;
	return pic_io_read(&((struct vplatform *)dev)->pic, port);
}

static void pic_port_out(void *dev, uint64_t now, uint16_t port, uint8_t val)
{
	(void)now;
	pic_io_write(&((struct vplatform *)dev)->pic, port, val);
}

static uint8_t pit_port_in(void *dev, uint64_t now, uint16_t port)
{
	struct vplatform *p = dev;
	return pit_io_read(&p->pit, pit_time(p, now), port);
}

static void pit_port_out(void *dev, uint64_t now, uint16_t port, uint8_t val)
{
	struct vplatform *p = dev;
	pit_io_write(&p->pit, pit_time(p, now), port, val);
}

static uint8_t rtc_port_in(void *dev, uint64_t now, uint16_t port)
{
	struct vplatform *p = dev;
	return rtc_io_read(&p->rtc, wall_time(p, now), port);
}

static void rtc_port_out(void *dev, uint64_t now, uint16_t port, uint8_t val)
{
	struct vplatform *p = dev;
	rtc_io_write(&p->rtc, wall_time(p, now), port, val);
}

static uint8_t uart_port_in(void *dev, uint64_t now, uint16_t port)
{
	(void)now;
	return uart_io_read(&((struct vplatform *)dev)->uart, port - COM1_BASE);
}

static void uart_port_out(void *dev, uint64_t now, uint16_t port, uint8_t val)
{
	struct vplatform *p = dev;
	uint8_t c;
	(void)now;
	if (uart_io_write(&p->uart, port - COM1_BASE, val, &c))
		p->tx = c;
}

/* The keyboard controller: its reset command alone; the rest reads all ones. */
static uint8_t kbc_port_in(void *dev, uint64_t now, uint16_t port)
{
	(void)dev, (void)now, (void)port;
	return 0xFF;
}

static void kbc_port_out(void *dev, uint64_t now, uint16_t port, uint8_t val)
{
	(void)now, (void)port;
	if (val == I8042_CMD_PULSE_RESET)
		((struct vplatform *)dev)->reset = true;
}

static void board(struct vplatform *p, const struct port_range *r, unsigned n)
{
	unsigned i;
	portbus_init(&p->bus);
	for (i = 0; i < n; i++) {
		struct port_range x = r[i];
		x.dev = p;
		(void)portbus_add(&p->bus, &x); /* the tables below do not overlap (test_vplatform) */
	}
}

static const struct port_range com1 = { COM1_BASE, COM1_BASE + UART_PORTS - 1, uart_port_in, uart_port_out, 0 };

void vplat_init(struct vplatform *p, uint64_t now, uint64_t tsc_hz, uint64_t unix0)
{
	const struct port_range pc[] = {
		{ PIC_MASTER_CMD, PIC_MASTER_IMR, pic_port_in, pic_port_out, 0 },
		{ PIC_SLAVE_CMD, PIC_SLAVE_IMR, pic_port_in, pic_port_out, 0 },
		{ PIC_ELCR1, PIC_ELCR2, pic_port_in, pic_port_out, 0 },
		{ PIT_CH0, PIT_MODE, pit_port_in, pit_port_out, 0 },
		{ PIT_PORT_B, PIT_PORT_B, pit_port_in, pit_port_out, 0 },
		{ I8042_CMD, I8042_CMD, kbc_port_in, kbc_port_out, 0 },
		{ RTC_PORT_INDEX, RTC_PORT_DATA, rtc_port_in, rtc_port_out, 0 },
		com1,
	};

	p->tsc0 = now;
	p->tsc_hz = tsc_hz ? tsc_hz : 1;
	p->unix0 = unix0;
	p->irqs = p->timer_edges = 0;
	p->reset = false;
	pic_init(&p->pic);
	pit_init(&p->pit, 0);
	uart_init(&p->uart);
	rtc_init(&p->rtc);
	board(p, pc, sizeof(pc) / sizeof(pc[0]));
}

void vplat_init_image(struct vplatform *p)
{
	vplat_init(p, 0, 1, 0); /* the devices in their power-on state ... */
	board(p, &com1, 1);     /* ... but COM1 alone on the bus */
}

void vplat_port_io(struct vplatform *p, uint64_t now, uint16_t port, unsigned size, bool in,
		   uint32_t *value, int *tx)
{
	p->tx = -1;
	portbus_io(&p->bus, now, port, size, in, value);
	*tx = p->tx;
}

void vplat_update(struct vplatform *p, uint64_t now)
{
	unsigned edges = pit_irq0_edges(&p->pit, pit_time(p, now));

	if (edges) { /* an edge-triggered input: one interrupt however many edges */
		pic_set_irq(&p->pic, 0, 1);
		pic_set_irq(&p->pic, 0, 0);
		p->timer_edges += edges;
	}
	pic_set_irq(&p->pic, COM1_IRQ, uart_irq_level(&p->uart));
}

bool vplat_irq_pending(const struct vplatform *p)
{
	return pic_pending(&p->pic) != 0;
}

uint8_t vplat_irq_ack(struct vplatform *p)
{
	p->irqs++;
	return (uint8_t)pic_ack(&p->pic);
}

uint64_t vplat_next_event(const struct vplatform *p, uint64_t now)
{
	uint64_t t = pit_next_irq0(&p->pit, pit_time(p, now));
	if (t == UINT64_MAX)
		return 0;
	return p->tsc0 + muldiv(t, p->tsc_hz, PIT_HZ) + 1; /* +1: at or just after the edge */
}
