/*
 * uart.c - the console's hardware: COM1 (16550A) and Bochs's port 0xE9.
 *
 * Output goes through the transmit queue of uart_tx.c: a write copies into
 * it, and pumps move it into the UART's 16-byte FIFO when LSR.THRE says
 * the FIFO is empty - after every write, after every VM exit and from
 * every CPU's waits (arch_poll_requests), each at most once per
 * UART_PUMP_BYTE_TIMES byte times of the line (8: the FIFO empties 15
 * byte times after a load, so the next pump finds it empty before the
 * line idles; test_uart_tx measures it).  No CPU waits for the UART but
 * at power-off and in a panic (arch_console_flush).  Before, each byte
 * waited for THRE with its CPU spinning (issue 23, finding 3).
 *
 * Port 0xE9 is Bochs's and QEMU's debug console; it reads back 0xE9 when
 * present, and only then are the bytes written to COM1 mirrored there.
 */
#include <stddef.h>

#include "arch.h"
#include "cpu.h"
#include "uart.h"
#include "uart_16550.h"
#include "uart_tx.h"

#define COM1 COM1_BASE
#define BOCHS_E9 0xE9 /* Bochs's and QEMU's debug console port */
#define UART_BYTES_PER_S (115200 / 10)
#define UART_PUMP_BYTE_TIMES 8
#define UART_FLUSH_SECONDS 10 /* the whole queue takes 5.7 s */

_Static_assert(ARCH_CONSOLE_QUEUE == UART_TX_QUEUE && ARCH_CONSOLE_OWN == UART_TX_OWN,
	       "arch.h says the queue's sizes");

static int have_e9;
static uint64_t pump_ticks, last_pump;

static uint8_t port_in(void *ctx, unsigned reg)
{
	(void)ctx;
	return inb((uint16_t)(COM1 + reg));
}

static void port_out(void *ctx, unsigned reg, uint8_t v)
{
	(void)ctx;
	outb((uint16_t)(COM1 + reg), v);
	if (reg == UART_THR && have_e9)
		outb(BOCHS_E9, v);
}

static uint64_t port_now(void *ctx)
{
	(void)ctx;
	return rdtsc();
}

static const struct uart_port com1 = { port_in, port_out, port_now, NULL };
static struct uart_tx tx = { .port = &com1 };

void console_uart_init(void)
{
	outb(COM1 + UART_IER, 0x00); /* no interrupts */
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	outb(COM1 + UART_DLL, UART_DIVISOR_115200);
	outb(COM1 + UART_DLM, 0x00);
	outb(COM1 + UART_LCR, UART_LCR_8N1);
	outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
	outb(COM1 + UART_MCR, UART_MCR_DTR_RTS);
	have_e9 = inb(BOCHS_E9) == BOCHS_E9;
}

int arch_console_getc(void)
{
	if (!(inb(COM1 + UART_LSR) & UART_LSR_DR))
		return -1;
	return inb(COM1 + UART_RBR);
}

void arch_console_write(const char *s, size_t n)
{
	uart_tx_queue(&tx, s, n);
	uart_tx_pump(&tx);
}

size_t arch_console_room(void)
{
	return uart_tx_room(&tx);
}

/* A pump if something waits and the last one was UART_PUMP_BYTE_TIMES
 * ago: two memory reads otherwise.  Any CPU; the TSC rate is known once
 * the boot CPU has measured it (until then, every call pumps). */
void uart_pump_maybe(void)
{
	uint64_t now;

	if (tx.head == tx.tail)
		return;
	now = rdtsc();
	if (now - last_pump < pump_ticks)
		return;
	last_pump = now;
	if (!pump_ticks && arch_time_hz())
		pump_ticks = arch_time_hz() * UART_PUMP_BYTE_TIMES / UART_BYTES_PER_S;
	uart_tx_pump(&tx);
}

void arch_console_flush(void)
{
	uint64_t hz = arch_time_hz();
	uart_tx_flush(&tx, (hz ? hz : 3000000000ull) * UART_FLUSH_SECONDS);
}
