/*
 * uart16550.c - a 16550A UART, the guest's COM port: enough of the chip
 * for Linux's 8250 driver to probe it as a 16550A and drive it by
 * interrupts.
 *
 * The line is infinitely fast.  A byte written to THR leaves at once (the
 * caller gets it back from uart_io_write), so THR and the transmitter are
 * empty and LSR shows THRE|TEMT - unless the caller says the line is busy
 * (uart_set_tx_busy: where the bytes go is full).  Then THR reads as full,
 * no THRE interrupt is raised, and one comes when the line frees up, as
 * on a chip whose transmitter has finished: a driver that waits for THRE
 * loses nothing.  Bytes from the console go
 * into a 16-byte receive FIFO (one holding register when the FIFOs are
 * off); a byte that finds it full is lost and sets LSR.OE.  In loopback
 * mode (MCR.LOOP) a THR byte goes into the receive FIFO instead, and MSR's
 * pins echo MCR: RTS to CTS, DTR to DSR, OUT1 to RI, OUT2 to DCD.
 * Otherwise the pins say a cable is there: CTS, DSR and DCD (MSR 0xB0).
 *
 * IIR is computed from state on every read, highest priority first: line
 * status errors, received data (at the FIFO trigger level; below it, data
 * present reads as a character timeout at once), THR empty, modem status
 * deltas.  The THR empty source is a latch, as on the chip, because it is
 * the one a read of IIR clears: it is set when a write to IER turns ETBEI
 * on and after each THR write (THR is empty again at once), and cleared by
 * a read of IIR that reports it.  Linux's startup test (enable ETBEI, read
 * IIR, disable, enable, read again) thus sees THRE both times, as on a
 * real 16550.  The others clear with their cause: reading LSR, draining
 * RBR, reading MSR.
 *
 * The IRQ line is INTR gated by MCR.OUT2, as the PC's buffer does; in
 * loopback mode OUT2's pin is forced inactive, so the line stays low.
 * Baud rate, word length, parity and breaks have no effect: LCR and the
 * divisor latch are stored for the guest to read back.
 */
#include "uart16550.h"

static unsigned rx_capacity(const struct uart16550 *u)
{
	return u->fcr & UART_FCR_FIFO_EN ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart16550 *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };

	return level[(u->fcr & UART_FCR_TRIGGER_MASK) >> 6];
}

/* The modem status pins as the chip sees them (MSR bits 7-4). */
static uint8_t msr_pins(const struct uart16550 *u)
{
	uint8_t m = u->mcr, pins = 0;

	if (!(m & UART_MCR_LOOP))
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	if (m & UART_MCR_RTS)
		pins |= UART_MSR_CTS;
	if (m & UART_MCR_DTR)
		pins |= UART_MSR_DSR;
	if (m & UART_MCR_OUT1)
		pins |= UART_MSR_RI;
	if (m & UART_MCR_OUT2)
		pins |= UART_MSR_DCD;
	return pins;
}

/* New pin levels: record the deltas (RI: only its trailing edge). */
static void update_msr(struct uart16550 *u)
{
	uint8_t old = u->msr & 0xF0, now = msr_pins(u), changed = old ^ now;
	uint8_t delta = u->msr & UART_MSR_DELTAS;

	if (changed & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		delta |= UART_MSR_TERI;
	u->msr = now | delta;
}

/* The interrupt the chip reports now: IIR bits 3-0. */
static uint8_t iir_id(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_ELSI) && u->lsr_errors)
		return UART_IIR_RLS;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count) {
		if (!(u->fcr & UART_FCR_FIFO_EN) || u->rx_count >= rx_trigger(u))
			return UART_IIR_RDA;
		return UART_IIR_CTI;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thre_pending && !u->tx_busy)
		return UART_IIR_THRE;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & UART_MSR_DELTAS))
		return UART_IIR_MODEM;
	return UART_IIR_NO_INT;
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

void uart_init(struct uart16550 *u)
{
	*u = (struct uart16550){ 0 };
	u->dll = 0x0C;          /* 9600 baud; the chip's reset leaves it undefined */
	update_msr(u);
	u->msr &= (uint8_t)~UART_MSR_DELTAS;
}

unsigned uart_rx_room(const struct uart16550 *u)
{
	return rx_capacity(u) - u->rx_count;
}

int uart_rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr_errors |= UART_LSR_OE;
		return 0;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	return 1;
}

static uint8_t rx_pop(struct uart16550 *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (uint8_t)((u->rx_head + 1) % UART_FIFO_SIZE);
	u->rx_count--;
	return byte;
}

static void write_fcr(struct uart16550 *u, uint8_t val)
{
	if ((val ^ u->fcr) & UART_FCR_FIFO_EN)
		rx_clear(u);    /* turning the FIFOs on or off empties them */
	if (!(val & UART_FCR_FIFO_EN)) {
		u->fcr = 0;     /* the other bits need FIFO_EN to be written */
		return;
	}
	if (val & UART_FCR_RX_RESET)
		rx_clear(u);
	/* TX_RESET: the transmit FIFO is always empty here. */
	u->fcr = val & (UART_FCR_FIFO_EN | UART_FCR_DMA_MODE | UART_FCR_TRIGGER_MASK);
}

int uart_io_write(struct uart16550 *u, unsigned reg, uint8_t val, uint8_t *tx)
{
	int dlab = (u->lcr & UART_LCR_DLAB) != 0;

	switch (reg) {
	case UART_THR:
		if (dlab) {
			u->dll = val;
			break;
		}
		u->thre_pending = 1;    /* written and already sent: empty again (or
					 * once the line is no longer busy) */
		if (u->mcr & UART_MCR_LOOP) {
			uart_rx_push(u, val);
			break;
		}
		*tx = val;
		return 1;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		if ((val & ~u->ier) & UART_IER_ETBEI)
			u->thre_pending = 1;
		u->ier = val & UART_IER_MASK;
		break;
	case UART_FCR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & UART_MCR_MASK;
		update_msr(u);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:                /* LSR, MSR: factory test writes, ignored */
		break;
	}
	return 0;
}

uint8_t uart_io_read(struct uart16550 *u, unsigned reg)
{
	int dlab = (u->lcr & UART_LCR_DLAB) != 0;
	uint8_t val;

	switch (reg) {
	case UART_RBR:
		return dlab ? u->dll : rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		val = iir_id(u);
		if (val == UART_IIR_THRE)
			u->thre_pending = 0;
		return (uint8_t)(val | (u->fcr & UART_FCR_FIFO_EN ? UART_IIR_FIFOS : 0));
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		val = (uint8_t)((u->tx_busy ? 0 : UART_LSR_THRE | UART_LSR_TEMT) | u->lsr_errors |
			(u->rx_count ? UART_LSR_DR : 0));
		u->lsr_errors = 0;
		return val;
	case UART_MSR:
		val = u->msr;
		u->msr &= (uint8_t)~UART_MSR_DELTAS;
		return val;
	case UART_SCR:
		return u->scr;
	default:
		return 0xFF;
	}
}

int uart_irq_level(const struct uart16550 *u)
{
	return iir_id(u) != UART_IIR_NO_INT &&
		(u->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;
}

void uart_set_tx_busy(struct uart16550 *u, int busy)
{
	if (u->tx_busy && !busy)
		u->thre_pending = 1; /* the transmitter emptied: THRE again */
	u->tx_busy = busy != 0;
}
