/*
 * timed_uart.h - a 16550A transmitter whose line takes real time, for the
 * host tests (issue 23, finding 3: emulators' UARTs are instant or nearly,
 * which hid a CPU busy-waiting on the real one).
 *
 * Bytes leave at the programmed rate, 10 bits each (8N1): 86.8 us at
 * 115200 baud.  The transmit FIFO holds 16 and the transmitter shift
 * register one more; LSR.THRE is set when the FIFO is empty and LSR.TEMT
 * when the shift register is too, as on a 16550A with FIFOs on.  A byte
 * written to a full FIFO is lost and counted (the chip overruns; Bochs
 * does the same).  Time is the model's: the test advances it, and each
 * register access costs access_ns of it, as an I/O port access does.
 */
#ifndef TIMED_UART_H
#define TIMED_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMED_UART_LINE_MAX (1u << 20)

struct timed_uart {
	uint64_t now_ns;
	uint64_t byte_ns;        /* 10 bits at the baud rate */
	uint64_t access_ns;      /* what a register access costs the CPU */
	uint8_t fifo[16];
	unsigned fifo_n;
	bool tsr_busy;
	uint64_t tsr_done_ns;    /* when the byte being shifted out has left */
	uint8_t tsr;
	char *line;              /* what has left, in order */
	size_t line_n;
	uint64_t overruns, lsr_reads, thr_writes, access_ns_total;
};

void timed_uart_init(struct timed_uart *u, unsigned baud, uint64_t access_ns);
void timed_uart_fini(struct timed_uart *u);
/* Moves the clock on by ns, bytes leaving the line meanwhile. */
void timed_uart_advance(struct timed_uart *u, uint64_t ns);
/* Register access (reg: UART_LSR, UART_THR). */
uint8_t timed_uart_in(struct timed_uart *u, unsigned reg);
void timed_uart_out(struct timed_uart *u, unsigned reg, uint8_t v);

#endif
