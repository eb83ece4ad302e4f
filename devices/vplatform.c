/*
 * vplatform.c - the PC a Linux VM sees, as small as Linux needs
 * (docs/platform.md lists each device and why).
 *
 * The devices are the plain-C models of devices/: two 8259A PICs, the 8254
 * PIT (with port 0x61), a 16550A UART at COM1 (IRQ 4) and the MC146818 RTC
 * with its CMOS RAM.  This file wires them into a VM: it routes I/O ports
 * to them, turns the PIT's channel-0 edges and the UART's line into PIC
 * inputs, and keeps their clock.  Guest time is the TSC (guests read it
 * unchanged): the PIT's 1,193,182 Hz is derived from it with the rate
 * measured at boot, so the guest's TSC, PIT and RTC agree.  A port no
 * device claims reads as all ones and ignores writes, as an empty ISA bus
 * does (PCI configuration included: no PCI devices); the keyboard
 * controller is absent except for its reset command (0xFE to port 0x64),
 * which Linux uses to reboot.  Wide accesses are split into bytes, as the
 * ISA bus does.
 */
#include "i8254.h"
#include "vplatform.h"

#define PORT_KBC_CMD   0x64
#define KBC_CMD_RESET  0xFE
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

void vplat_init(struct vplatform *p, uint64_t now, uint64_t tsc_hz, uint64_t unix0)
{
	p->tsc0 = now;
	p->tsc_hz = tsc_hz ? tsc_hz : 1;
	p->unix0 = unix0;
	p->irqs = p->timer_edges = 0;
	p->reset = false;
	pic_init(&p->pic);
	pit_init(&p->pit, 0);
	uart_init(&p->uart);
	rtc_init(&p->rtc);
}

static uint8_t byte_in(struct vplatform *p, uint64_t now, uint16_t port)
{
	switch (port) {
	case 0x20: case 0x21: case 0xA0: case 0xA1: case 0x4D0: case 0x4D1:
		return pic_io_read(&p->pic, port);
	case PIT_CH0: case PIT_CH1: case PIT_CH2: case PIT_MODE: case PIT_PORT_B:
		return pit_io_read(&p->pit, pit_time(p, now), port);
	case 0x70: case 0x71:
		return rtc_io_read(&p->rtc, wall_time(p, now), port);
	}
	if (port >= 0x3F8 && port < 0x400)
		return uart_io_read(&p->uart, port - 0x3F8u);
	return 0xFF;
}

static void byte_out(struct vplatform *p, uint64_t now, uint16_t port, uint8_t val, int *tx)
{
	uint8_t c;

	switch (port) {
	case 0x20: case 0x21: case 0xA0: case 0xA1: case 0x4D0: case 0x4D1:
		pic_io_write(&p->pic, port, val);
		return;
	case PIT_CH0: case PIT_CH1: case PIT_CH2: case PIT_MODE: case PIT_PORT_B:
		pit_io_write(&p->pit, pit_time(p, now), port, val);
		return;
	case 0x70: case 0x71:
		rtc_io_write(&p->rtc, wall_time(p, now), port, val);
		return;
	case PORT_KBC_CMD:
		if (val == KBC_CMD_RESET)
			p->reset = true;
		return;
	}
	if (port >= 0x3F8 && port < 0x400 && uart_io_write(&p->uart, port - 0x3F8u, val, &c))
		*tx = c;
}

void vplat_port_io(struct vplatform *p, uint64_t now, uint16_t port, unsigned size, bool in,
		   uint32_t *value, int *tx)
{
	unsigned i;

	*tx = -1;
	if (in)
		*value = 0;
	for (i = 0; i < size; i++) {
		if (in)
			*value |= (uint32_t)byte_in(p, now, (uint16_t)(port + i)) << (8 * i);
		else
			byte_out(p, now, (uint16_t)(port + i), (uint8_t)(*value >> (8 * i)), tx);
	}
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
