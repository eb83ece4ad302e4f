/*
 * timed_uart.c - a 16550A transmitter whose line takes real time (see .h).
 */
#include <stdlib.h>
#include <string.h>

#include "timed_uart.h"
#include "uart_16550.h"

void timed_uart_init(struct timed_uart *u, unsigned baud, uint64_t access_ns)
{
	memset(u, 0, sizeof(*u));
	u->byte_ns = 10ull * 1000000000ull / baud;
	u->access_ns = access_ns;
	u->line = malloc(TIMED_UART_LINE_MAX);
}

void timed_uart_fini(struct timed_uart *u)
{
	free(u->line);
}

/* The shift register takes the FIFO's next byte when it is free. */
static void shift(struct timed_uart *u)
{
	while (u->tsr_busy && u->tsr_done_ns <= u->now_ns) {
		if (u->line_n < TIMED_UART_LINE_MAX)
			u->line[u->line_n++] = (char)u->tsr;
		u->tsr_busy = false;
		if (u->fifo_n) {
			u->tsr = u->fifo[0];
			memmove(u->fifo, u->fifo + 1, --u->fifo_n);
			u->tsr_busy = true;
			u->tsr_done_ns += u->byte_ns;
		}
	}
}

void timed_uart_advance(struct timed_uart *u, uint64_t ns)
{
	u->now_ns += ns;
	shift(u);
}

uint8_t timed_uart_in(struct timed_uart *u, unsigned reg)
{
	timed_uart_advance(u, u->access_ns);
	u->access_ns_total += u->access_ns;
	if (reg != UART_LSR)
		return 0;
	u->lsr_reads++;
	return (u->fifo_n == 0 ? UART_LSR_THRE : 0) | (u->fifo_n == 0 && !u->tsr_busy ? UART_LSR_TEMT : 0);
}

void timed_uart_out(struct timed_uart *u, unsigned reg, uint8_t v)
{
	timed_uart_advance(u, u->access_ns);
	u->access_ns_total += u->access_ns;
	if (reg != UART_THR)
		return;
	u->thr_writes++;
	if (!u->tsr_busy) {
		u->tsr = v;
		u->tsr_busy = true;
		u->tsr_done_ns = u->now_ns + u->byte_ns;
	} else if (u->fifo_n < sizeof(u->fifo)) {
		u->fifo[u->fifo_n++] = v;
	} else {
		u->overruns++;
	}
}
