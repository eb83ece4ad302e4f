/*
 * test_uart_tx.c - the console's transmit queue (arch/x86_64/uart_tx.c)
 * against a 16550A whose line takes real time (tests/fake/timed_uart.c),
 * at 115200 baud: 86.8 us a byte, each register access 1 us of the CPU's
 * time, as an I/O port access costs on hardware.
 *
 * What it shows (issue 23, finding 3): a pump never waits - one LSR read
 * per call, and at most 16 bytes when THRE says the FIFO is empty, so the
 * FIFO never overruns; pumped often enough it keeps the line busy; the
 * queue keeps the order, says what it dropped when it overflowed, and only
 * the flush at power-off waits.  Beside it, the way uart.c wrote before
 * (wait for THRE, then one byte), measured on the same model: the CPU
 * time a 256-byte drain of guests' lines cost the boot CPU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "timed_uart.h"
#include "uart_16550.h"
#include "uart_tx.h"

#define BAUD 115200
#define ACCESS_NS 1000

static struct timed_uart u;
static struct uart_tx *t;

static uint8_t port_in(void *ctx, unsigned reg) { return timed_uart_in(ctx, reg); }
static void port_out(void *ctx, unsigned reg, uint8_t v) { timed_uart_out(ctx, reg, v); }
static uint64_t port_now(void *ctx) { return ((struct timed_uart *)ctx)->now_ns; }
static const struct uart_port port = { port_in, port_out, port_now, &u };

static int setup(void **state)
{
	(void)state;
	timed_uart_init(&u, BAUD, ACCESS_NS);
	t = calloc(1, sizeof(*t));
	t->port = &port;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	timed_uart_fini(&u);
	free(t);
	return 0;
}

static void text(char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
}

/* 5,000 bytes pumped every 500 us of other work: every call reads LSR once
 * and costs the CPU a few accesses, never more than 17 (one LSR read, 16
 * bytes); nothing overruns; everything leaves, in order, as fast as the
 * line goes. */
static void test_pump_never_waits(void **state)
{
	static char buf[5000];
	uint64_t t0, spent = 0;
	(void)state;
	text(buf, sizeof(buf));
	assert_int_equal(uart_tx_queue(t, buf, sizeof(buf)), sizeof(buf));
	t0 = u.now_ns;
	while (u.line_n < sizeof(buf) && u.now_ns - t0 < 2000000000ull) {
		uint64_t before = u.access_ns_total;
		unsigned n = uart_tx_pump(t);
		assert_true(n <= UART_FIFO_SIZE);
		assert_true(u.access_ns_total - before <= (1 + n) * ACCESS_NS);
		spent += u.access_ns_total - before;
		timed_uart_advance(&u, 500000);
	}
	assert_int_equal(u.line_n, sizeof(buf));
	assert_memory_equal(u.line, buf, sizeof(buf));
	assert_int_equal(u.overruns, 0);
	assert_int_equal(t->lsr_reads, t->pumps);
	/* The line's own time, and a little more: after each load of the FIFO
	 * the line idles from its last byte to the next pump (under 10%). */
	assert_true(u.now_ns - t0 < sizeof(buf) * u.byte_ns * 11 / 10 + 1000000);
	/* The CPU's share: about one access a byte, against 87 us of waiting
	 * a byte before. */
	assert_true(spent < sizeof(buf) * 2 * ACCESS_NS);
	printf("  uart_tx: 5000 bytes in %llu ms of line time, %llu us of CPU time in %llu pumps\n",
	       (unsigned long long)((u.now_ns - t0) / 1000000), (unsigned long long)(spent / 1000),
	       (unsigned long long)t->pumps);
}

/* How much of the line's rate the queue gets depends on how soon a pump
 * follows THRE: the FIFO empties 15 byte times after a load and the line
 * 1 later.  Pumped every 8 byte times (694 us, what uart.c's pumps aim
 * at), it never idles; every 500 us, it idles up to 1.3 byte times after
 * each load of 16. */
static unsigned bytes_in_a_second(uint64_t pump_ns)
{
	static char buf[11520];
	uint64_t t0;
	text(buf, sizeof(buf));
	uart_tx_queue(t, buf, sizeof(buf));
	t0 = u.now_ns;
	while (u.now_ns - t0 < 1000000000ull) {
		uart_tx_pump(t);
		timed_uart_advance(&u, pump_ns - (u.now_ns - t0) % pump_ns);
	}
	return (unsigned)u.line_n;
}

static void test_line_kept_busy(void **state)
{
	unsigned n;
	(void)state;
	n = bytes_in_a_second(10 * u.byte_ns * 8 / 10); /* 8 byte times */
	printf("  uart_tx: pumped every 8 byte times, %u bytes in a second (11520 the line's)\n", n);
	assert_true(n >= 11520 * 99 / 100);
	assert_int_equal(u.overruns, 0);
}

static void test_line_at_500us(void **state)
{
	unsigned n;
	(void)state;
	n = bytes_in_a_second(500000);
	printf("  uart_tx: pumped every 500 us, %u bytes in a second\n", n);
	assert_true(n >= 11520 * 90 / 100);
	assert_int_equal(u.overruns, 0);
}

/* The queue full: a write that does not fit is dropped whole (no line is
 * cut) and counted, and the count is said in the output, in its place,
 * once there is room; the order is kept. */
static void test_overflow_is_said(void **state)
{
	static char big[UART_TX_QUEUE - 4];
	char note[96], *at;
	(void)state;
	text(big, sizeof(big));
	assert_int_equal(uart_tx_queue(t, big, sizeof(big)), sizeof(big));
	assert_int_equal(uart_tx_queue(t, "a line\n", 7), 0);  /* 4 bytes free: dropped whole */
	assert_int_equal(t->dropped, 7);
	assert_int_equal(uart_tx_queue(t, "ab", 2), 0);         /* it would fit, but not before the note */
	assert_int_equal(t->dropped, 9);
	uart_tx_flush(t, 10000000000ull);
	assert_int_equal(uart_tx_queue(t, "after\n", 6), 6);
	uart_tx_flush(t, 10000000000ull);
	snprintf(note, sizeof(note), "[console: 9 bytes dropped: the queue of %u KiB was full]",
		 UART_TX_QUEUE >> 10);
	assert_int_equal(u.line_n, sizeof(big) + 2 + strlen(note) + 2 + 6);
	assert_memory_equal(u.line, big, sizeof(big));
	at = u.line + sizeof(big) + 2;
	assert_memory_equal(at, note, strlen(note));
	assert_memory_equal(at + strlen(note) + 2, "after\n", 6);
	assert_int_equal(u.overruns, 0);
	assert_int_equal(t->dropped_total, 9);
}

/* The flush sends everything and waits for the last byte to leave; a UART
 * that never empties holds it no longer than its bound. */
static void test_flush_bounded(void **state)
{
	uint64_t t0;
	(void)state;
	uart_tx_queue(t, "power: off (all VMs finished)\n", 30);
	uart_tx_flush(t, 100000000ull);
	assert_int_equal(u.line_n, 30);
	assert_false(u.tsr_busy);
	u.byte_ns = 1000000000000ull; /* a line that never moves */
	uart_tx_queue(t, "stuck", 5);
	t0 = u.now_ns;
	uart_tx_flush(t, 50000000ull);
	assert_true(u.now_ns - t0 <= 50000000ull + 2 * ACCESS_NS);
}

/* For comparison, uart.c before: wait for THRE (spinning on LSR), then
 * write one byte.  A 256-byte drain of guests' lines cost the boot CPU
 * its whole duration, ~22 ms at 115200 baud (issue 23, finding 3). */
static void old_putc(char c)
{
	unsigned spins = 0;
	while (!(timed_uart_in(&u, UART_LSR) & UART_LSR_THRE) && ++spins < 100000)
		;
	timed_uart_out(&u, UART_THR, (uint8_t)c);
}

static void test_the_old_way_waited(void **state)
{
	char buf[256];
	uint64_t t0 = u.now_ns;
	(void)state;
	text(buf, sizeof(buf));
	for (unsigned i = 0; i < sizeof(buf); i++)
		old_putc(buf[i]);
	/* The CPU was busy the whole time the line took, less one FIFO. */
	assert_true(u.now_ns - t0 >= (sizeof(buf) - 17) * u.byte_ns);
	printf("  before: a 256-byte drain kept the CPU %llu us (%llu LSR reads)\n",
	       (unsigned long long)((u.now_ns - t0) / 1000), (unsigned long long)u.lsr_reads);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pump_never_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_kept_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_at_500us, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_is_said, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_old_way_waited, setup, teardown),
	};
	return cmocka_run_group_tests_name("uart_tx", tests, NULL, NULL);
}
