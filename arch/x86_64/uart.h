/* uart.h - COM1 console output (see uart.c). */
#ifndef ARCH_UART_H
#define ARCH_UART_H
void uart_init(void);
void uart_putc(char c);
/* A received byte, or -1 if none waits (never blocks). */
int uart_getc(void);
#endif
