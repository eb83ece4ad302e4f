/*
 * uart.c - the console's hardware: COM1 (16550) and Bochs's port 0xE9.
 *
 * The Bochs UART drops characters written while the transmitter is busy,
 * so every byte waits for LSR.THRE first (bounded, so a missing UART cannot
 * hang us).  Port 0xE9 is Bochs's and QEMU's debug console; it reads back
 * 0xE9 when present, and only then do we mirror to it.
 */
#include "cpu.h"
#include "uart.h"

#define COM1 0x3F8
#define LSR_THRE 0x20

static int have_e9;

void uart_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
	have_e9 = inb(0xE9) == 0xE9;
}

int uart_getc(void)
{
	if (!(inb(COM1 + 5) & 0x01)) /* LSR.DR: a byte waits */
		return -1;
	return inb(COM1);
}

void uart_putc(char c)
{
	unsigned spins = 0;
	while (!(inb(COM1 + 5) & LSR_THRE) && ++spins < 100000)
		cpu_relax();
	outb(COM1, (uint8_t)c);
	if (have_e9)
		outb(0xE9, (uint8_t)c);
}
