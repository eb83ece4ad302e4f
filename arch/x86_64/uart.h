/* uart.h - COM1, the console (see uart.c; arch.h has the rest). */
#ifndef ARCH_UART_H
#define ARCH_UART_H
void console_uart_init(void);
/* Moves queued output into the UART if it has room and enough time went
 * by since the last time (uart.c): after VM exits and in waits. */
void uart_pump_maybe(void);
#endif
