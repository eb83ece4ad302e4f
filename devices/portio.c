/*
 * portio.c - a VM's I/O port space, as small as our guests need.
 *
 * COM1 (0x3F8) takes output a byte at a time (vm_serial_out gathers lines)
 * and reads as an always-ready 16550 with nothing received; every other
 * port ignores writes and reads as all ones, as an empty ISA bus does.
 * The architecture turns IN/OUT exits into core_port_io() (upcall.c); what
 * a port reads is decided here, in plain C, and tested on the host.
 */
#include "portio.h"
#include "uart_16550.h"

#define COM1 COM1_BASE

uint32_t io_in_value(unsigned port, unsigned size)
{
	if (port == COM1 + UART_LSR)
		return UART_LSR_THRE | UART_LSR_TEMT;
	if (port >= COM1 && port < COM1 + UART_PORTS)
		return 0;
	return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFFu;
}
