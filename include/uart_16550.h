/*
 * uart_16550.h - the 16550 UART's registers, named as in the NS16550A /
 * TI PC16550D datasheet, and the PC's COM1 address.  Used by the console
 * driver (arch/x86_64/uart.c) and by the guest's virtual COM1
 * (kernel/portio.c).
 */
#ifndef UART_16550_H
#define UART_16550_H

#define COM1_BASE  0x3F8
#define UART_PORTS 8      /* registers at base + 0..7 */

#define UART_RBR 0        /* receiver buffer (read, DLAB = 0) */
#define UART_THR 0        /* transmitter holding (write, DLAB = 0) */
#define UART_DLL 0        /* divisor latch low (DLAB = 1) */
#define UART_IER 1        /* interrupt enable (DLAB = 0) */
#define UART_DLM 1        /* divisor latch high (DLAB = 1) */
#define UART_FCR 2        /* FIFO control (write) */
#define UART_LCR 3        /* line control */
#define UART_MCR 4        /* modem control */
#define UART_LSR 5        /* line status */

#define UART_FCR_ENABLE_CLEAR 0xC7 /* FIFOs on and cleared, 14-byte trigger */
#define UART_LCR_8N1   0x03
#define UART_LCR_DLAB  0x80
#define UART_MCR_DTR_RTS 0x03
#define UART_LSR_DR    0x01        /* data ready */
#define UART_LSR_THRE  0x20        /* transmitter holding register empty */
#define UART_LSR_TEMT  0x40        /* transmitter empty */

#define UART_DIVISOR_115200 1      /* 1.8432 MHz / 16 / 115200 */

#endif
