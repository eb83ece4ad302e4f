/*
 * uart16550.h - a 16550A UART as a plain C model: registers at offsets
 * 0-7 from its base, a 16-byte receive FIFO, instantaneous transmission
 * (devices/uart16550.c says how it works).
 */
#ifndef DEVICES_UART16550_H
#define DEVICES_UART16550_H

#include <stdint.h>

#include "uart_16550.h"

struct uart16550 {
	uint8_t rx[UART_FIFO_SIZE];     /* the receive FIFO, a ring */
	uint8_t rx_head, rx_count;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;            /* FIFO enable and trigger bits as written */
	uint8_t lsr_errors;     /* OE, PE, FE, BI: cleared by reading LSR */
	uint8_t msr;            /* pins (7-4) and deltas (3-0, cleared by reading) */
	uint8_t thre_pending;   /* the THRE interrupt's source latch */
	uint8_t tx_busy;        /* the caller's line is busy: THR reads as full */
};

void uart_init(struct uart16550 *u);
/* Returns 1 and sets *tx when the write transmits a byte (THR write, not in
 * loopback); 0 otherwise. */
int uart_io_write(struct uart16550 *u, unsigned reg, uint8_t val, uint8_t *tx);
uint8_t uart_io_read(struct uart16550 *u, unsigned reg);
/* Input from the console; returns 0 if the FIFO is full (byte dropped,
 * overrun set). */
int uart_rx_push(struct uart16550 *u, uint8_t byte);
/* How many bytes uart_rx_push would take now without an overrun (1 when
 * the FIFOs are off: the 16450-mode holding register). */
unsigned uart_rx_room(const struct uart16550 *u);
/* The IRQ line as a PC sees it: INTR gated by MCR OUT2. */
int uart_irq_level(const struct uart16550 *u);

/* The caller's side of the line is busy (or free again): while busy, LSR
 * shows THR full and no THRE interrupt is raised; freeing it raises one. */
void uart_set_tx_busy(struct uart16550 *u, int busy);

#endif
