/*
 * pit8254.c - the PC's 8254 programmable interval timer: three 16-bit
 * down-counters clocked at 1.193182 MHz.  Channel 0's OUT is IRQ0 (the
 * guest's clockevent when it has no local APIC), channel 2's is gated and
 * read back through port 0x61 (Linux calibrates the TSC with it).
 *
 * Nothing here ticks.  The caller passes the time, `now`, in PIT input
 * clocks, and each channel remembers when its count started running
 * (`start`, plus `frozen` ticks counted before its gate last went low).
 * From the ticks counted, d, the counter value and OUT follow by
 * arithmetic, and so do OUT's rising edges: mode 0 rises once at d = N,
 * mode 4 strobes low at d = N and rises at N + 1, modes 2 and 3 rise at
 * every d = kN.  pit_irq0_edges counts channel 0's rising edges between
 * two calls with two divisions, whatever the gap, and pit_next_irq0 gives
 * the next one for the caller's timer.  Edges that happened before the
 * guest reprogrammed channel 0 are banked first, so none is lost.
 *
 * Modelling decisions:
 *  - A count takes effect at the write that completes it (the chip loads
 *    it on the next clock: one tick, 838 ns, is ignored).  A new count in
 *    modes 2 and 3 restarts the period at once rather than at the end of
 *    the current one (Linux writes the control word first anyway).
 *  - After a control word a channel is stopped until its count is written:
 *    no edges.  Writing the LSB of an LSB-then-MSB count stops mode 0.
 *  - Channels 0 and 1 have GATE tied high; channel 2's is port 0x61 bit 0.
 *    GATE low holds the count in modes 0, 2, 3, 4 (and forces OUT high in
 *    2 and 3); a rising GATE resumes modes 0 and 4, restarts 2 and 3, and
 *    triggers modes 1 and 5, which only ever count after a trigger.
 *  - Mode 3's counter decrements by two (odd counts approximate); BCD
 *    counts work.  pit_init leaves every channel unprogrammed (mode 0, no
 *    count): as at power-on, before any BIOS.
 *  - Port 0x61 bit 4 toggles every 18 ticks (~15 us), as the refresh
 *    clock did; bits 6-7 (parity, I/O check) read 0.
 */
#include "i8254.h"
#include "pit8254.h"

static int gate_holds(const struct pit_channel *c)
{
	return !c->gate && c->mode != PIT_MODE_ONESHOT && c->mode != PIT_MODE_HW_STROBE;
}

/* Ticks the current count has run. */
static uint64_t counted(const struct pit_channel *c, uint64_t now)
{
	if (!c->counting)
		return 0;
	if (gate_holds(c))
		return c->frozen;
	return c->frozen + (now > c->start ? now - c->start : 0);
}

static int periodic(const struct pit_channel *c)
{
	return c->mode == PIT_MODE_RATE_GEN || c->mode == PIT_MODE_SQUARE_WAVE;
}

/* The counter element's value, as the 16 bits a read returns. */
static uint16_t counter_value(const struct pit_channel *c, uint64_t now)
{
	uint32_t modulus = c->bcd ? 10000 : 65536;
	uint64_t d = counted(c, now);
	uint32_t v;

	if (!c->has_count)
		return 0;
	if (!c->counting)
		v = c->count;
	else if (c->mode == PIT_MODE_RATE_GEN)
		v = c->count - (uint32_t)(d % c->count);
	else if (c->mode == PIT_MODE_SQUARE_WAVE)
		v = c->count - (uint32_t)((2 * d) % c->count);
	else
		v = (c->count + modulus - (uint32_t)(d % modulus)) % modulus;
	v %= modulus;
	if (c->bcd)
		v = (v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
	return (uint16_t)v;
}

static int channel_out(const struct pit_channel *c, uint64_t now)
{
	uint64_t d = counted(c, now);

	switch (c->mode) {
	case PIT_MODE_INT_ON_TC:
		return c->counting && d >= c->count;
	case PIT_MODE_ONESHOT:
		return !c->counting || d >= c->count;
	case PIT_MODE_RATE_GEN:
		return !c->counting || gate_holds(c) || d % c->count != c->count - 1;
	case PIT_MODE_SQUARE_WAVE:
		return !c->counting || gate_holds(c) || d % c->count < (c->count + 1) / 2;
	default: /* modes 4, 5: strobe low for one tick at terminal count */
		return !c->counting || d != c->count;
	}
}

int pit_out(const struct pit8254 *p, unsigned channel, uint64_t now)
{
	return channel < 3 ? channel_out(&p->ch[channel], now) : 0;
}

/* The tick its count would have started had it never been held: the
 * rising edges are at fixed offsets from it. */
static uint64_t run_base(const struct pit_channel *c)
{
	return c->start - c->frozen;
}

/* The one rising edge of a one-shot mode, as an offset from run_base. */
static uint64_t oneshot_edge(const struct pit_channel *c)
{
	return c->mode == PIT_MODE_INT_ON_TC || c->mode == PIT_MODE_ONESHOT ?
		c->count : (uint64_t)c->count + 1;
}

/* Rising edges of OUT in (from, to], for a channel whose gate is high. */
static uint64_t edges_between(const struct pit_channel *c, uint64_t from, uint64_t to)
{
	uint64_t base = run_base(c);

	if (!c->counting || gate_holds(c) || to <= from)
		return 0;
	if (periodic(c)) {
		uint64_t n_to = to > base ? (to - base) / c->count : 0;
		uint64_t n_from = from > base ? (from - base) / c->count : 0;

		return n_to - n_from;
	}
	return from < base + oneshot_edge(c) && base + oneshot_edge(c) <= to;
}

/* Bank channel 0's edges up to now (before a change to it). */
static void irq0_accrue(struct pit8254 *p, uint64_t now)
{
	if (now > p->irq0_mark) {
		p->irq0_edges += edges_between(&p->ch[0], p->irq0_mark, now);
		p->irq0_mark = now;
	}
}

unsigned pit_irq0_edges(struct pit8254 *p, uint64_t now)
{
	uint64_t n;

	irq0_accrue(p, now);
	n = p->irq0_edges;
	p->irq0_edges = 0;
	return n > (unsigned)-1 ? (unsigned)-1 : (unsigned)n;
}

uint64_t pit_next_irq0(const struct pit8254 *p, uint64_t now)
{
	const struct pit_channel *c = &p->ch[0];
	uint64_t base = run_base(c), edge;

	if (!c->counting || gate_holds(c))
		return UINT64_MAX;
	if (periodic(c)) {
		if (now < base)
			return base + c->count;
		return base + ((now - base) / c->count + 1) * c->count;
	}
	edge = base + oneshot_edge(c);
	return edge > now ? edge : UINT64_MAX;
}

void pit_init(struct pit8254 *p, uint64_t now)
{
	*p = (struct pit8254){ 0 };
	for (int i = 0; i < 3; i++) {
		p->ch[i].rw = PIT_RW_LSB_MSB;
		p->ch[i].gate = i < 2;
		p->ch[i].null_count = 1;
	}
	p->irq0_mark = now;
}

static void control_word(struct pit_channel *c, uint8_t val)
{
	uint8_t m = (val & PIT_CW_M_MASK) >> PIT_CW_M_SHIFT;

	c->mode_bits = m;
	c->mode = m > 5 ? m - 4 : m;
	c->rw = (val & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT;
	c->bcd = val & PIT_CW_BCD;
	c->has_count = 0;
	c->counting = 0;
	c->null_count = 1;
	c->write_msb = 0;
	c->read_msb = 0;
	c->latched = 0;
	c->status_latched = 0;
	c->frozen = 0;
}

static void latch_count(struct pit_channel *c, uint64_t now)
{
	if (c->latched)
		return;         /* a second latch before the read is ignored */
	c->latch = counter_value(c, now);
	c->latched = c->rw == PIT_RW_LSB_MSB ? 2 : 1;
}

static void latch_status(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)((channel_out(c, now) ? PIT_STATUS_OUTPUT : 0) |
		(c->null_count ? PIT_STATUS_NULL_COUNT : 0) | c->rw << PIT_CW_RW_SHIFT |
		c->mode_bits << PIT_CW_M_SHIFT | c->bcd);
	c->status_latched = 1;
}

static void load_count(struct pit_channel *c, uint64_t now, uint16_t raw)
{
	uint32_t n = raw;

	if (c->bcd)
		n = (raw >> 12) * 1000 + (raw >> 8 & 15) * 100 + (raw >> 4 & 15) * 10 + (raw & 15);
	c->count = n ? n : (c->bcd ? 10000 : 65536);
	c->has_count = 1;
	if (c->mode == PIT_MODE_ONESHOT || c->mode == PIT_MODE_HW_STROBE)
		return;         /* waits for (or keeps running until) a trigger */
	c->null_count = 0;
	c->counting = 1;
	c->frozen = 0;
	c->start = now;
}

static void write_counter(struct pit_channel *c, uint64_t now, uint8_t val)
{
	switch (c->rw) {
	case PIT_RW_LSB:
		load_count(c, now, val);
		break;
	case PIT_RW_MSB:
		load_count(c, now, (uint16_t)(val << 8));
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = val;
			c->write_msb = 1;
			if (c->mode == PIT_MODE_INT_ON_TC)
				c->counting = 0;
		} else {
			c->write_msb = 0;
			load_count(c, now, (uint16_t)(c->write_lsb | val << 8));
		}
	}
}

static uint8_t read_counter(struct pit_channel *c, uint64_t now)
{
	uint16_t v;
	int msb;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->latched) {
		v = c->latch;
		msb = c->rw == PIT_RW_MSB || (c->rw == PIT_RW_LSB_MSB && c->latched == 1);
		c->latched--;
	} else {
		v = counter_value(c, now);
		msb = c->rw == PIT_RW_MSB || (c->rw == PIT_RW_LSB_MSB && c->read_msb);
		if (c->rw == PIT_RW_LSB_MSB)
			c->read_msb ^= 1;
	}
	return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
}

static void set_gate(struct pit_channel *c, uint64_t now, int gate)
{
	if (!gate == !c->gate)
		return;
	if (!gate) {
		c->frozen = counted(c, now);
		c->start = now;
		c->gate = 0;
		return;
	}
	c->gate = 1;
	switch (c->mode) {
	case PIT_MODE_INT_ON_TC:
	case PIT_MODE_SW_STROBE:
		c->start = now;         /* resume: frozen ticks kept */
		break;
	case PIT_MODE_ONESHOT:
	case PIT_MODE_HW_STROBE:
		if (!c->has_count)
			break;
		c->null_count = 0;
		c->counting = 1;        /* trigger */
		/* fall through */
	default:                        /* modes 2, 3: reload */
		c->frozen = 0;
		c->start = now;
	}
}

void pit_io_write(struct pit8254 *p, uint64_t now, uint16_t port, uint8_t val)
{
	if (port == PIT_PORT_B) {
		p->port_b = val & PIT_B_WRITABLE;
		set_gate(&p->ch[2], now, val & PIT_B_GATE2);
		return;
	}
	if (port < PIT_CH0 || port > PIT_MODE)
		return;
	irq0_accrue(p, now);
	if (port != PIT_MODE) {
		write_counter(&p->ch[port - PIT_CH0], now, val);
	} else if ((val & PIT_CW_SC_MASK) == PIT_CW_SC_READBACK) {
		for (unsigned i = 0; i < 3; i++) {
			if (!(val & PIT_RB_CNT(i)))
				continue;
			if (!(val & PIT_RB_COUNT))
				latch_count(&p->ch[i], now);
			if (!(val & PIT_RB_STATUS))
				latch_status(&p->ch[i], now);
		}
	} else {
		struct pit_channel *c = &p->ch[val >> PIT_CW_SC_SHIFT];

		if (((val & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT) == PIT_RW_LATCH)
			latch_count(c, now);
		else
			control_word(c, val);
	}
}

uint8_t pit_io_read(struct pit8254 *p, uint64_t now, uint16_t port)
{
	if (port == PIT_PORT_B)
		return (uint8_t)(p->port_b |
			((now / PIT_REFRESH_TICKS) & 1 ? PIT_B_REFRESH : 0) |
			(channel_out(&p->ch[2], now) ? PIT_B_OUT2 : 0));
	if (port < PIT_CH0 || port >= PIT_MODE)
		return 0xFF;    /* the control word register cannot be read */
	return read_counter(&p->ch[port - PIT_CH0], now);
}
