/*
 * uart_tx.h - the console's transmit queue: bytes wait here, never a CPU
 * (uart_tx.c).  Plain C: the UART's registers are reached through struct
 * uart_port, the hypervisor's (uart.c) port I/O, the host tests' a 16550A
 * model whose line takes real time (tests/fake/timed_uart.c).
 */
#ifndef ARCH_UART_TX_H
#define ARCH_UART_TX_H

#include <stddef.h>
#include <stdint.h>

/* 64 KiB: 5.7 s of a 115200-baud line.  The hypervisor's own lines
 * always have the last UART_TX_OWN of it: guests' lines are taken only
 * while more is free (guest_out.c asks arch_console_room). */
#define UART_TX_QUEUE 65536u
#define UART_TX_OWN   16384u

struct uart_port {
	uint8_t (*in)(void *ctx, unsigned reg);     /* reg: UART_LSR ... */
	void (*out)(void *ctx, unsigned reg, uint8_t v);
	uint64_t (*now)(void *ctx);                 /* a clock, for uart_tx_flush's bound */
	void *ctx;
};

struct uart_tx {
	char q[UART_TX_QUEUE];
	volatile uint32_t head, tail;  /* free-running: bytes queued, bytes written to the UART */
	volatile uint32_t pumping;     /* a CPU is pumping (the others do not wait for it) */
	uint64_t dropped;              /* bytes that found the queue full, not yet said */
	uint64_t dropped_total;
	uint64_t lsr_reads, pumps;     /* what pumping cost: LSR reads, and calls */
	const struct uart_port *port;
};

/* Queues n bytes; one writer at a time (the caller's lock).  If they do
 * not all fit, none is queued: they are dropped, counted, and said in the
 * queue ("[console: N bytes dropped ...]") as soon as there is room.
 * Never waits.  Returns the bytes queued (n or 0). */
size_t uart_tx_queue(struct uart_tx *t, const char *s, size_t n);

/* Bytes free in the queue. */
size_t uart_tx_room(const struct uart_tx *t);

/* Moves queued bytes into the UART: one read of LSR, and when THRE says
 * its transmit FIFO is empty, up to 16 bytes (a 16550A's FIFO).  Never
 * waits; any CPU, any time; one at a time (another CPU pumping: 0).
 * Returns the bytes written. */
unsigned uart_tx_pump(struct uart_tx *t);

/* Sends everything queued, waiting for THRE between loads, for at most
 * max_ticks of port->now (a UART that never empties cannot hang it): only
 * where waiting is right, at power-off and in a panic.  Then waits for
 * TEMT, so that the last byte has left when the machine goes off. */
void uart_tx_flush(struct uart_tx *t, uint64_t max_ticks);

#endif
