/*
 * console_out.h - the hypervisor's own output to the console UART
 * (libc_glue.c: newlib's write() and the guests' lines end here).
 */
#ifndef KERNEL_CONSOLE_OUT_H
#define KERNEL_CONSOLE_OUT_H
#include <stddef.h>
/* Queues n bytes for the console UART ('\n' as "\r\n"), one writer at a
 * time; any CPU, with or without the hypervisor lock; never waits. */
void console_write(const char *s, size_t n);
#endif
