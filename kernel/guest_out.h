/*
 * guest_out.h - what guests write to their consoles, bounded (guest_out.c).
 */
#ifndef KERNEL_GUEST_OUT_H
#define KERNEL_GUEST_OUT_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

#define GUEST_OUT_BYTES 2048 /* per VM: complete lines waiting for the UART */
#define GUEST_OUT_LINE  160  /* a longer line is cut, the rest starts the next */
#define GUEST_OUT_BUDGET 256 /* bytes one drain sends, all VMs together */

struct guest_out {
	char ring[GUEST_OUT_BYTES];  /* formatted lines "[name] text\n" */
	uint32_t head, tail;         /* free-running: bytes written, bytes sent */
	uint64_t dropped;            /* bytes of lines that did not fit, not yet said */
	uint64_t dropped_total;
	char line[GUEST_OUT_LINE];   /* the line being written */
	unsigned linelen;
};

/* One byte from the guest of VM `name` (its serial port or the console
 * hypercall); a complete line goes into the VM's ring, or is dropped and
 * counted when the ring is full.  Under the hypervisor lock; never waits. */
void guest_out_byte(struct guest_out *o, const char *name, char c);

/* A complete line of the hypervisor's about the VM ("vm name: ...\n",
 * formatted by the caller), into the VM's ring after what the guest wrote
 * so far, or dropped and counted like the guest's when the ring is full.
 * Under the hypervisor lock; never waits. */
void guest_out_line(struct guest_out *o, const char *line, uint32_t n);

/* Bytes free in the VM's ring: below GUEST_OUT_ROOM_MIN a guest's UART
 * reads as busy (vplatform), so that a complete line always fits. */
#define GUEST_OUT_ROOM_MIN (GUEST_OUT_LINE + 40)
unsigned guest_out_room(const struct guest_out *o);
/* Whether vm's UART must read as busy now: its ring of lines has less than
 * GUEST_OUT_ROOM_MIN free, or it is the focus and its output not yet shown
 * would soon overrun its console's ring (vm_console.h). */
bool guest_out_busy(const struct vm *vm);

/* The console's focus: NULL, every VM's lines (the default); a VM (the
 * operator attached to it, control/console.c), that VM's own bytes alone,
 * raw, from now on, and the hypervisor's messages held (console_out.h).
 * Ending a focus sends what it had not shown yet, releases the messages and
 * returns the bytes of other VMs' lines that were not shown meanwhile
 * (each VM's own ring, vm_console.h, still has its last bytes).  A VM that
 * stops ends its focus (vm_stop).  Under the lock. */
uint64_t guest_out_focus(struct vm *vm);
struct vm *guest_out_focused(void);

/* Sends up to budget bytes of complete lines, taking the VMs in turn, and
 * a "(N bytes dropped)" line for each VM that lost some, into the
 * console's queue (no more than leaves it ARCH_CONSOLE_OWN free); with a
 * focus, its raw bytes instead, the other lines dropped.  With the
 * hypervisor lock held; never waits.  Returns the bytes sent. */
unsigned guest_out_drain(unsigned budget);

/* Sends one VM's waiting lines and its unfinished line now, with the lock
 * held, into the console's queue (no wait): a Linux VM's last words (a
 * panic, "System halted") come before the line that says it stopped. */
void guest_out_flush_vm(struct guest_out *o, const char *name);

/* Sends everything that waits (at the end, when no guest runs). */
void guest_out_flush(void);

#endif
