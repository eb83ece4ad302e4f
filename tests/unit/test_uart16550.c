/* test_uart16550.c - the 16550A as Linux's 8250 driver probes and drives it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "uart16550.h"

static void wr(struct uart16550 *u, unsigned reg, uint8_t val)
{
	uint8_t tx = 0;

	uart_io_write(u, reg, val, &tx);
}

static void test_reset_state(void **state)
{
	struct uart16550 u;

	(void)state;
	uart_init(&u);
	assert_int_equal(uart_io_read(&u, UART_IER), 0);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0x01);
	assert_int_equal(uart_io_read(&u, UART_LCR), 0);
	assert_int_equal(uart_io_read(&u, UART_MCR), 0);
	assert_int_equal(uart_io_read(&u, UART_LSR), 0x60);
	assert_int_equal(uart_io_read(&u, UART_MSR), 0xB0);
	assert_int_equal(uart_irq_level(&u), 0);
}

/* drivers/tty/serial/8250/8250_port.c: autoconfig(), autoconfig_16550a(). */
static void test_linux_probe(void **state)
{
	struct uart16550 u;
	uint8_t save_mcr, iersave;

	(void)state;
	uart_init(&u);
	/* Existence: IER keeps exactly its low 4 bits. */
	wr(&u, UART_IER, 0);
	assert_int_equal(uart_io_read(&u, UART_IER) & 0x0F, 0);
	wr(&u, UART_IER, 0x0F);
	assert_int_equal(uart_io_read(&u, UART_IER) & 0x0F, 0x0F);
	wr(&u, UART_IER, 0);
	/* Scratch register. */
	wr(&u, UART_SCR, 0xA5);
	assert_int_equal(uart_io_read(&u, UART_SCR), 0xA5);
	wr(&u, UART_SCR, 0x5A);
	assert_int_equal(uart_io_read(&u, UART_SCR), 0x5A);
	/* Loopback: MCR LOOP | OUT2 | RTS -> MSR upper nibble 0x90. */
	save_mcr = uart_io_read(&u, UART_MCR);
	wr(&u, UART_MCR, UART_MCR_LOOP | 0x0A);
	assert_int_equal(uart_io_read(&u, UART_MSR) & 0xF0, 0x90);
	wr(&u, UART_MCR, save_mcr);
	/* EFR probe (a FCR write of 0 here), then FIFO detection. */
	wr(&u, UART_LCR, 0xBF);
	wr(&u, 2, 0);
	wr(&u, UART_LCR, 0);
	wr(&u, UART_FCR, UART_FCR_FIFO_EN);
	assert_int_equal(uart_io_read(&u, UART_IIR) >> 6, 3);   /* 16550A */
	/* No EFR behind LCR 0x80 or 0xBF: reg 2 must not read 0. */
	wr(&u, UART_LCR, 0x80);
	assert_int_not_equal(uart_io_read(&u, 2), 0);
	wr(&u, UART_LCR, 0xBF);
	assert_int_not_equal(uart_io_read(&u, 2), 0);
	assert_int_equal(uart_io_read(&u, UART_LCR), 0xBF);
	wr(&u, UART_LCR, 0);
	/* Not an NS SuperIO: IIR bit 4 is 0.  Not a 16750: bit 5 stays 0. */
	assert_int_equal(uart_io_read(&u, UART_IIR) & 0x10, 0);
	wr(&u, UART_FCR, UART_FCR_FIFO_EN | 0x20);
	assert_int_equal(uart_io_read(&u, UART_IIR) >> 5, 6);
	wr(&u, UART_FCR, UART_FCR_FIFO_EN);
	/* Not an XScale: IER bit 6 (UUE) does not stick. */
	iersave = uart_io_read(&u, UART_IER);
	wr(&u, UART_IER, iersave | 0x40);
	assert_int_equal(uart_io_read(&u, UART_IER) & 0x40, 0);
	wr(&u, UART_IER, iersave);
	/* Divisor latch behind DLAB, IER untouched. */
	wr(&u, UART_IER, 0x05);
	wr(&u, UART_LCR, UART_LCR_DLAB | 0x03);
	wr(&u, UART_DLL, 0x01);
	wr(&u, UART_DLM, 0x00);
	assert_int_equal(uart_io_read(&u, UART_DLL), 0x01);
	assert_int_equal(uart_io_read(&u, UART_DLM), 0x00);
	wr(&u, UART_LCR, 0x03);
	assert_int_equal(uart_io_read(&u, UART_IER), 0x05);
}

static void test_thre_interrupt(void **state)
{
	struct uart16550 u;
	uint8_t iir1, iir, lsr, tx = 0;

	(void)state;
	uart_init(&u);
	wr(&u, UART_FCR, 0x07);
	wr(&u, UART_LCR, 0x03);
	wr(&u, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	/* serial8250_do_startup's THRE re-assert test. */
	wr(&u, UART_IER, UART_IER_ETBEI);
	assert_int_equal(uart_irq_level(&u), 1);
	iir1 = uart_io_read(&u, UART_IIR);
	wr(&u, UART_IER, 0);
	wr(&u, UART_IER, UART_IER_ETBEI);
	iir = uart_io_read(&u, UART_IIR);
	wr(&u, UART_IER, 0);
	assert_int_equal(iir1, 0xC2);
	assert_int_equal(iir, 0xC2);
	/* The TXEN test: LSR TEMT and an interrupt pending. */
	wr(&u, UART_IER, UART_IER_ETBEI);
	lsr = uart_io_read(&u, UART_LSR);
	iir = uart_io_read(&u, UART_IIR);
	wr(&u, UART_IER, 0);
	assert_true(lsr & UART_LSR_TEMT);
	assert_int_equal(iir & UART_IIR_NO_INT, 0);
	/* Reading IIR cleared it; a THR write sends and re-arms it. */
	wr(&u, UART_IER, UART_IER_ETBEI);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xC2);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xC1);
	assert_int_equal(uart_irq_level(&u), 0);
	assert_int_equal(uart_io_write(&u, UART_THR, 'A', &tx), 1);
	assert_int_equal(tx, 'A');
	assert_int_equal(uart_io_read(&u, UART_LSR) & 0x60, 0x60);
	assert_int_equal(uart_irq_level(&u), 1);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xC2);
	/* Writing IER with ETBEI already on does not re-arm. */
	wr(&u, UART_IER, UART_IER_ETBEI | UART_IER_ERBFI);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xC1);
	/* DLAB writes to offset 0 set DLL, they send nothing. */
	wr(&u, UART_LCR, 0x83);
	assert_int_equal(uart_io_write(&u, UART_THR, 'B', &tx), 0);
	wr(&u, UART_LCR, 0x03);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xC1);
}

static void test_rx_fifo(void **state)
{
	struct uart16550 u;

	(void)state;
	uart_init(&u);
	wr(&u, UART_FCR, UART_FCR_ENABLE_CLEAR);        /* 14-byte trigger */
	wr(&u, UART_IER, UART_IER_ERBFI | UART_IER_ELSI | UART_IER_ETBEI);
	assert_int_equal(uart_rx_room(&u), 16);
	for (int i = 0; i < 3; i++)
		assert_int_equal(uart_rx_push(&u, (uint8_t)('a' + i)), 1);
	assert_int_equal(uart_io_read(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xCC);    /* below trigger: timeout */
	for (int i = 3; i < 14; i++)
		uart_rx_push(&u, (uint8_t)('a' + i));
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xC4);    /* at trigger */
	uart_rx_push(&u, 'o');
	uart_rx_push(&u, 'p');
	assert_int_equal(uart_rx_room(&u), 0);
	assert_int_equal(uart_rx_push(&u, 'q'), 0);            /* dropped */
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xC6);    /* line status first */
	assert_int_equal(uart_io_read(&u, UART_LSR) & (UART_LSR_OE | UART_LSR_DR), 0x03);
	assert_int_equal(uart_io_read(&u, UART_LSR) & UART_LSR_OE, 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(uart_io_read(&u, UART_RBR), 'a' + i);
	assert_int_equal(uart_io_read(&u, UART_LSR) & UART_LSR_DR, 0);
	/* THRE was pending under the others all along. */
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xC2);
	/* Trigger level 4; RX reset empties the FIFO. */
	wr(&u, UART_FCR, UART_FCR_FIFO_EN | UART_FCR_TRIGGER_4);
	for (int i = 0; i < 4; i++)
		uart_rx_push(&u, 'x');
	assert_int_equal(uart_io_read(&u, UART_IIR), 0xC4);
	wr(&u, UART_FCR, UART_FCR_FIFO_EN | UART_FCR_RX_RESET);
	assert_int_equal(uart_io_read(&u, UART_LSR) & UART_LSR_DR, 0);
	/* FIFOs off: one holding register, IIR without 0xC0. */
	wr(&u, UART_FCR, 0);
	assert_int_equal(uart_rx_room(&u), 1);
	assert_int_equal(uart_rx_push(&u, '1'), 1);
	assert_int_equal(uart_rx_push(&u, '2'), 0);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0x06);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0x06);    /* until LSR is read */
	assert_int_equal(uart_io_read(&u, UART_LSR) & UART_LSR_OE, UART_LSR_OE);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0x04);
	assert_int_equal(uart_io_read(&u, UART_RBR), '1');
}

static void test_irq_gating_and_loopback(void **state)
{
	struct uart16550 u;
	uint8_t tx = 0;

	(void)state;
	uart_init(&u);
	wr(&u, UART_IER, UART_IER_ERBFI);
	uart_rx_push(&u, 'z');
	assert_int_equal(uart_irq_level(&u), 0);        /* OUT2 off */
	wr(&u, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(uart_irq_level(&u), 1);
	uart_io_read(&u, UART_RBR);
	assert_int_equal(uart_irq_level(&u), 0);
	/* Loopback: THR to the receiver, not out; MSR echoes MCR. */
	wr(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_DTR);
	assert_int_equal(uart_io_write(&u, UART_THR, 0x55, &tx), 0);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0x04);
	assert_int_equal(uart_irq_level(&u), 0);        /* OUT2's pin forced off */
	assert_int_equal(uart_io_read(&u, UART_RBR), 0x55);
	/* Deltas: the pins went from 0xB0 to DSR|DCD = 0xA0: CTS changed. */
	assert_int_equal(uart_io_read(&u, UART_MSR), 0xA0 | UART_MSR_DCTS);
	assert_int_equal(uart_io_read(&u, UART_MSR), 0xA0);
	wr(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1 | UART_MCR_RTS);
	assert_int_equal(uart_io_read(&u, UART_MSR),
			 0x50 | UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	wr(&u, UART_MCR, UART_MCR_LOOP);
	assert_int_equal(uart_io_read(&u, UART_MSR), UART_MSR_DCTS | UART_MSR_TERI);
	/* Modem status interrupt, lowest priority. */
	wr(&u, UART_IER, UART_IER_EDSSI);
	wr(&u, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0x00);
	assert_int_equal(uart_irq_level(&u), 1);
	uart_io_read(&u, UART_MSR);
	assert_int_equal(uart_io_read(&u, UART_IIR), 0x01);
	assert_int_equal(uart_io_read(&u, UART_MSR), 0xB0);
}

/* A busy line (the hypervisor's buffer for the guest's output is full):
 * THR reads as full, no THRE interrupt, and one when the line frees up. */
static void test_tx_busy(void **state)
{
	struct uart16550 u;
	uint8_t tx = 0;
	(void)state;
	uart_init(&u);
	uart_io_write(&u, UART_MCR, UART_MCR_OUT2, &tx);
	uart_io_write(&u, UART_IER, UART_IER_ETBEI, &tx);
	assert_int_equal(uart_irq_level(&u), 1);
	assert_int_equal(uart_io_write(&u, UART_THR, 'a', &tx), 1);
	assert_int_equal(tx, 'a');
	uart_set_tx_busy(&u, 1);
	assert_int_equal(uart_io_read(&u, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), 0);
	assert_int_equal(uart_irq_level(&u), 0);
	assert_int_equal(uart_io_read(&u, UART_IIR) & 0x0F, UART_IIR_NO_INT);
	uart_set_tx_busy(&u, 0);
	assert_int_equal(uart_io_read(&u, UART_LSR) & UART_LSR_THRE, UART_LSR_THRE);
	assert_int_equal(uart_irq_level(&u), 1);
	assert_int_equal(uart_io_read(&u, UART_IIR) & 0x0F, UART_IIR_THRE);
	assert_int_equal(uart_irq_level(&u), 0); /* cleared by the read */
	uart_set_tx_busy(&u, 0);                  /* not busy before: no new interrupt */
	assert_int_equal(uart_irq_level(&u), 0);
}

/* What the hypervisor types (a queue longer than the FIFO, moved in as far
 * as it has room before each guest entry: kernel/linux_vm.c) read by
 * Linux's 8250 driver as it does it: on the interrupt, IIR, then LSR and
 * RBR while LSR.DR (serial8250_handle_irq, serial8250_rx_chars).  Every
 * byte arrives once, in order, with no overrun; the line drops when the
 * FIFO is empty and rises again with the next bytes. */
static void test_rx_as_linux_reads(void **state)
{
	static const char typed[] = "cat /proc/cpuinfo\recho hello-$((6*7))\r"
				    "a line longer than the sixteen-byte receive FIFO\r";
	char got[sizeof(typed)];
	unsigned next = 0, n = 0, interrupts = 0;
	struct uart16550 u;

	(void)state;
	uart_init(&u);
	/* serial8250_do_startup: FIFOs on (8-byte trigger), 8N1, OUT2, RX and
	 * line status interrupts. */
	wr(&u, UART_FCR, UART_FCR_FIFO_EN | UART_FCR_RX_RESET | UART_FCR_TX_RESET | UART_FCR_TRIGGER_8);
	wr(&u, UART_LCR, 0x03);
	wr(&u, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	wr(&u, UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
	while (n < sizeof(typed) - 1) {
		uint8_t iir, lsr;
		/* The hypervisor, before an entry: the queue into the FIFO. */
		while (uart_rx_room(&u) && next < sizeof(typed) - 1)
			assert_int_equal(uart_rx_push(&u, (uint8_t)typed[next++]), 1);
		assert_int_equal(uart_irq_level(&u), 1);
		interrupts++;
		/* The guest's interrupt handler. */
		iir = uart_io_read(&u, UART_IIR);
		assert_true((iir & 0x0F) == UART_IIR_RDA || (iir & 0x0F) == UART_IIR_CTI);
		lsr = uart_io_read(&u, UART_LSR);
		while (lsr & UART_LSR_DR) {
			assert_int_equal(lsr & UART_LSR_OE, 0);
			got[n++] = (char)uart_io_read(&u, UART_RBR);
			lsr = uart_io_read(&u, UART_LSR);
		}
		assert_int_equal(uart_irq_level(&u), 0);
		assert_int_equal(uart_io_read(&u, UART_IIR) & 0x0F, UART_IIR_NO_INT);
	}
	assert_memory_equal(got, typed, sizeof(typed) - 1);
	assert_int_equal(interrupts, (sizeof(typed) - 1 + UART_FIFO_SIZE - 1) / UART_FIFO_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_linux_probe),
		cmocka_unit_test(test_thre_interrupt),
		cmocka_unit_test(test_rx_fifo),
		cmocka_unit_test(test_irq_gating_and_loopback),
		cmocka_unit_test(test_tx_busy),
		cmocka_unit_test(test_rx_as_linux_reads),
	};
	return cmocka_run_group_tests_name("uart16550", tests, NULL, NULL);
}
