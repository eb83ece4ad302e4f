/*
 * vm_console.h - a VM's serial console as the operator reaches it: what
 * is typed to it, waiting for its UART, and the last bytes it wrote
 * (vm_console.c says how).
 */
#ifndef KERNEL_VM_CONSOLE_H
#define KERNEL_VM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/* Typed bytes waiting for the guest's receive FIFO: a POST of the API's
 * largest body (1 KiB, HTTP_MAX_BODY) and a line typed meanwhile. */
#define VMCON_IN_BYTES  2048u
/* The output kept: the last few screens of a shell (GET .../console). */
#define VMCON_OUT_BYTES 4096u

struct vm_console {
	uint8_t in[VMCON_IN_BYTES];
	uint32_t in_head, in_tail;  /* free-running: bytes typed, bytes taken */
	uint64_t in_dropped;        /* typed bytes that found the queue full */
	uint8_t out[VMCON_OUT_BYTES];
	uint64_t out_total;         /* bytes the guest wrote, ever */
};

void vmcon_init(struct vm_console *c);

/* Typing: up to n bytes of s join the input queue; returns how many (the
 * rest, which found it full, is counted in in_dropped). */
unsigned vmcon_type(struct vm_console *c, const void *s, unsigned n);
/* Bytes the input queue takes now. */
unsigned vmcon_in_room(const struct vm_console *c);
/* The next typed byte for the guest's UART, or -1 when none waits. */
int vmcon_in_take(struct vm_console *c);

/* One byte the guest wrote to its console. */
void vmcon_out(struct vm_console *c, uint8_t byte);
/* The oldest byte still kept, as an offset in the stream (0 until the
 * ring wraps). */
uint64_t vmcon_out_oldest(const struct vm_console *c);
/* Copies the kept output from stream offset *from (moved up to the oldest
 * kept byte when older: the difference was lost) into dst, at most cap
 * bytes; returns how many.  *from is left where the copy began. */
size_t vmcon_out_read(const struct vm_console *c, uint64_t *from, void *dst, size_t cap);

#endif
