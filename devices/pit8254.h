/*
 * pit8254.h - the PC's 8254 programmable interval timer (ports 0x40-0x43)
 * and the timer bits of port 0x61, as a plain C model driven by the
 * caller's clock (devices/pit8254.c says how it works).
 */
#ifndef DEVICES_PIT8254_H
#define DEVICES_PIT8254_H

#include <stdint.h>

struct pit_channel {
	uint8_t mode;           /* 0-5 */
	uint8_t mode_bits;      /* M2-M0 as written, for the status byte */
	uint8_t rw;             /* PIT_RW_LSB, _MSB or _LSB_MSB */
	uint8_t bcd;
	uint8_t gate;           /* channels 0 and 1: always 1 */
	uint8_t has_count;      /* a count was written since the control word */
	uint8_t counting;       /* the count is running (modes 1, 5: triggered) */
	uint8_t null_count;
	uint8_t write_msb;      /* LSB_MSB: the next write is the MSB */
	uint8_t write_lsb;      /* ... and the LSB already written */
	uint8_t read_msb;       /* LSB_MSB: the next live read is the MSB */
	uint8_t latched;        /* bytes of the latched count still to read */
	uint8_t status_latched, status;
	uint16_t latch;
	uint32_t count;         /* 1-65536 (binary) or 1-10000 (BCD) */
	uint64_t start;         /* tick the count last (re)started running */
	uint64_t frozen;        /* ticks counted before that (gate low periods) */
};

struct pit8254 {
	struct pit_channel ch[3];
	uint8_t port_b;         /* port 0x61's writable bits */
	uint64_t irq0_mark;     /* OUT0 edges up to this tick are in irq0_edges */
	uint64_t irq0_edges;    /* ... and not yet returned by pit_irq0_edges */
};

void pit_init(struct pit8254 *p, uint64_t now);
void pit_io_write(struct pit8254 *p, uint64_t now, uint16_t port, uint8_t val);
uint8_t pit_io_read(struct pit8254 *p, uint64_t now, uint16_t port);
unsigned pit_irq0_edges(struct pit8254 *p, uint64_t now);
uint64_t pit_next_irq0(const struct pit8254 *p, uint64_t now);
/* OUT of a channel (0-2) at now: 0 or 1. */
int pit_out(const struct pit8254 *p, unsigned channel, uint64_t now);

#endif
