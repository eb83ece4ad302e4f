/*
 * uart_tx.c - the console's transmit queue: bytes wait here, never a CPU.
 *
 * Before, every byte of console output waited for the UART's transmitter
 * (LSR.THRE) with the writer's CPU spinning: ~87 us a byte at 115200
 * baud, ~22 ms for each 256-byte drain of guests' lines on the boot CPU,
 * whose own vCPUs then got ~1.6% of it (issue 23, finding 3); emulators'
 * UARTs are instant or nearly, which hid it.  Now a write only copies into
 * this queue, and the queue reaches the UART by uart_tx_pump: it reads LSR
 * once and, if THRE says the transmit FIFO is empty, writes up to 16 bytes
 * (a 16550A's FIFO holds 16; Bochs's too, and it drops a byte written to a
 * full one), then returns.  Pumps come with every write, after the boot
 * CPU's VM exits and from every CPU's waits (uart.c), each a few register
 * accesses; one CPU pumps at a time and the others go on (a try, never a
 * wait).  So the line is kept busy while anything waits, at no CPU's cost.
 *
 * Readable when it overflows: the queue holds 64 KiB; a write that does
 * not fit is dropped whole (no line is cut) and counted, and the count is
 * said in-line ("[console: N bytes dropped ...]") when room comes back.
 * Guests' lines never fill the last UART_TX_OWN bytes (guest_out.c takes
 * only what fits above them), which keeps 16 KiB for the hypervisor's own.
 * Only power-off and a panic wait for the UART (uart_tx_flush), bounded.
 *
 * head is written by the one writer (the caller's lock), tail by the one
 * pumper (the pumping flag): a ring with one producer and one consumer at
 * a time, ordered by acquire and release.
 */
#include <stdio.h>
#include <string.h>

#include "uart_16550.h"
#include "uart_tx.h"

static uint32_t used(const struct uart_tx *t)
{
	return __atomic_load_n(&t->head, __ATOMIC_ACQUIRE) - __atomic_load_n(&t->tail, __ATOMIC_ACQUIRE);
}

size_t uart_tx_room(const struct uart_tx *t)
{
	return UART_TX_QUEUE - used(t);
}

static size_t put(struct uart_tx *t, const char *s, size_t n)
{
	uint32_t head = t->head;
	size_t room = uart_tx_room(t), i;

	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		t->q[(head + i) % UART_TX_QUEUE] = s[i];
	__atomic_store_n(&t->head, head + (uint32_t)n, __ATOMIC_RELEASE);
	return n;
}

size_t uart_tx_queue(struct uart_tx *t, const char *s, size_t n)
{
	size_t done;

	if (t->dropped) {
		char note[96];
		int k = snprintf(note, sizeof(note), "\r\n[console: %llu bytes dropped: the queue of %u "
				 "KiB was full]\r\n", (unsigned long long)t->dropped, UART_TX_QUEUE >> 10);
		if (k > 0 && (size_t)k <= uart_tx_room(t)) {
			put(t, note, (size_t)k);
			t->dropped = 0;
		}
	}
	/* Whole or not at all (a write is a line or a few: none is cut), and
	 * after a drop, nothing before its note. */
	done = !t->dropped && n <= uart_tx_room(t) ? put(t, s, n) : 0;
	t->dropped += n - done;
	t->dropped_total += n - done;
	return done;
}

unsigned uart_tx_pump(struct uart_tx *t)
{
	const struct uart_port *p = t->port;
	unsigned n = 0;
	uint32_t tail;

	if (__atomic_exchange_n(&t->pumping, 1, __ATOMIC_ACQUIRE))
		return 0;
	tail = t->tail;
	if (t->head != tail) {
		t->pumps++;
		t->lsr_reads++;
		if (p->in(p->ctx, UART_LSR) & UART_LSR_THRE) {
			uint32_t avail = __atomic_load_n(&t->head, __ATOMIC_ACQUIRE) - tail;
			while (n < UART_FIFO_SIZE && n < avail) {
				p->out(p->ctx, UART_THR, (uint8_t)t->q[(tail + n) % UART_TX_QUEUE]);
				n++;
			}
			__atomic_store_n(&t->tail, tail + n, __ATOMIC_RELEASE);
		}
	}
	__atomic_store_n(&t->pumping, 0, __ATOMIC_RELEASE);
	return n;
}

void uart_tx_flush(struct uart_tx *t, uint64_t max_ticks)
{
	const struct uart_port *p = t->port;
	uint64_t end = p->now(p->ctx) + max_ticks;

	while (used(t) && p->now(p->ctx) < end)
		uart_tx_pump(t);
	while (!(p->in(p->ctx, UART_LSR) & UART_LSR_TEMT) && p->now(p->ctx) < end)
		;
}
