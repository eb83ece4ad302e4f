/*
 * vm_console.c - a VM's serial console as the operator reaches it: an
 * input queue in front of its UART, and the last VMCON_OUT_BYTES bytes it
 * wrote.
 *
 * Input.  What the operator types (the hypervisor console's `attach`, the
 * API's POST /api/vms/NAME/console: control/) joins the VM's input queue,
 * a ring of VMCON_IN_BYTES.  The guest's 16550A (devices/uart16550.c) has
 * a receive FIFO of 16 bytes; before each entry of the VM's vCPU the queue
 * is moved into it as far as it has room (linux_vm.c), so a guest that
 * reads slowly loses nothing the queue holds.  A byte typed into a full
 * queue is dropped and counted, as on a serial line whose receiver is not
 * read: the typist's side never waits for a guest.
 *
 * Output.  Every byte the guest writes to its console (the UART's THR, or
 * an image's console hypercall) lands in a ring of VMCON_OUT_BYTES, raw
 * (carriage returns, escapes and all), with the count of bytes ever
 * written.  A reader names the stream offset it wants from; what the ring
 * no longer holds is lost, and the reader sees by how much (attach's view
 * in guest_out.c, GET /api/vms/NAME/console).  This is apart from the
 * hypervisor console's lines (guest_out.c), which are formatted, bounded
 * and may be dropped for another VM's turn: the ring keeps the guest's own
 * bytes, whatever the console showed.
 *
 * Plain C over the struct, no lock: the core calls it under hv_lock.
 */
#include <string.h>

#include "vm_console.h"

void vmcon_init(struct vm_console *c)
{
	memset(c, 0, sizeof(*c));
}

unsigned vmcon_in_room(const struct vm_console *c)
{
	return VMCON_IN_BYTES - (c->in_head - c->in_tail);
}

unsigned vmcon_type(struct vm_console *c, const void *s, unsigned n)
{
	const uint8_t *b = s;
	unsigned room = vmcon_in_room(c), i;

	if (n > room) {
		c->in_dropped += n - room;
		n = room;
	}
	for (i = 0; i < n; i++)
		c->in[(c->in_head + i) % VMCON_IN_BYTES] = b[i];
	c->in_head += n;
	return n;
}

int vmcon_in_take(struct vm_console *c)
{
	if (c->in_head == c->in_tail)
		return -1;
	return c->in[c->in_tail++ % VMCON_IN_BYTES];
}

void vmcon_out(struct vm_console *c, uint8_t byte)
{
	c->out[c->out_total++ % VMCON_OUT_BYTES] = byte;
}

uint64_t vmcon_out_oldest(const struct vm_console *c)
{
	return c->out_total > VMCON_OUT_BYTES ? c->out_total - VMCON_OUT_BYTES : 0;
}

size_t vmcon_out_read(const struct vm_console *c, uint64_t *from, void *dst, size_t cap)
{
	uint64_t oldest = vmcon_out_oldest(c), at;
	uint8_t *d = dst;
	size_t n = 0;

	if (*from < oldest)
		*from = oldest;
	for (at = *from; at < c->out_total && n < cap; at++)
		d[n++] = c->out[at % VMCON_OUT_BYTES];
	return n;
}
