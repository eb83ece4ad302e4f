/* uart.h - COM1 console output (see uart.c; arch.h has putc and getc). */
#ifndef ARCH_UART_H
#define ARCH_UART_H
void console_uart_init(void);
#endif
