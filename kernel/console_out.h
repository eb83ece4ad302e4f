/*
 * console_out.h - the hypervisor's own output to the console UART
 * (console_out.c: newlib's write() and the guests' lines end here).
 *
 * Everything goes into the console's queue (arch_console_write), which
 * the UART empties at its pace while every CPU goes on: no caller waits.
 */
#ifndef KERNEL_CONSOLE_OUT_H
#define KERNEL_CONSOLE_OUT_H
#include <stddef.h>
#include <stdint.h>
/* Queues n bytes for the console UART ('\n' as "\r\n"), one writer at a
 * time; any CPU, with or without the hypervisor lock; never waits. */
void console_write(const char *s, size_t n);
/* The same, byte for byte: a guest's own bytes, its "\r\n" included (the
 * attached VM's output, guest_out.c). */
void console_write_raw(const char *s, size_t n);
/* The hypervisor's messages (newlib's write(): every printf): queued as
 * console_write does, except while the console is held. */
void console_print(const char *s, size_t n);

/* While a VM's console is attached (guest_out_focus), the hypervisor's
 * messages wait, up to CONSOLE_HOLD_BYTES, and the rest is counted; the
 * release sends them and says how many bytes did not fit.  Under
 * hv_lock. */
#define CONSOLE_HOLD_BYTES 4096u
void console_hold(void);
void console_release(void);
/* The machine is about to stop (a fatal exception, the power-off): what
 * is held goes out at once, without waiting for the UART's lock (its
 * holder may be the CPU that died), and nothing more is held. */
void console_dying(void);
#endif
