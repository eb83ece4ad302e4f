/*
 * uart.c - the console's hardware: COM1 (16550) and Bochs's port 0xE9.
 *
 * The Bochs UART drops characters written while the transmitter is busy,
 * so every byte waits for LSR.THRE first (bounded, so a missing UART cannot
 * hang us).  Port 0xE9 is Bochs's and QEMU's debug console; it reads back
 * 0xE9 when present, and only then do we mirror to it.
 */
#include "arch.h"
#include "cpu.h"
#include "uart.h"
#include "uart_16550.h"

#define COM1 COM1_BASE
#define BOCHS_E9 0xE9 /* Bochs's and QEMU's debug console port */

static int have_e9;

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

void arch_console_putc(char c)
{
	unsigned spins = 0;
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE) && ++spins < 100000)
		cpu_relax();
	outb(COM1 + UART_THR, (uint8_t)c);
	if (have_e9)
		outb(BOCHS_E9, (uint8_t)c);
}
