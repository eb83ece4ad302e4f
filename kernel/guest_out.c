/*
 * guest_out.c - guests' console output: bounded per VM, sent without the
 * hypervisor lock, never stalling the other VMs.
 *
 * A guest's bytes (port 0x3F8 or the console hypercall) are gathered into
 * lines; each complete line, formatted "[name] text", goes into that VM's
 * ring of GUEST_OUT_BYTES, or, when the ring is full, is dropped and
 * counted.  Writing never waits for the UART, so an exit that writes is as
 * short as any other.  The boot CPU drains the rings between its rounds
 * (sched.c): it copies whole lines, the VMs in turn, up to GUEST_OUT_BUDGET
 * bytes and no more than the console's queue has free above the
 * hypervisor's own ARCH_CONSOLE_OWN, and "[name] (N bytes dropped)" once a
 * VM that lost some has sent what it kept, into the console's queue, which
 * the UART empties at its pace while every CPU goes on (arch.h).  So a
 * guest that floods its console gets its share of GUEST_OUT_BUDGET per
 * round and loses the rest, and never the hypervisor's room; before, each
 * of its newlines was a printf to the UART made with the lock held, and
 * one hypercall of 4,096 newlines stalled every VM for seconds (issue 13,
 * finding 1), and then each drain waited for the UART (issue 23, 3).
 */
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "console_out.h"
#include "guest_out.h"
#include "lock.h"
#include "vm.h"

static uint32_t used(const struct guest_out *o) { return o->head - o->tail; }

static void put(struct guest_out *o, const char *s, uint32_t n)
{
	uint32_t i;
	for (i = 0; i < n; i++)
		o->ring[(o->head + i) % GUEST_OUT_BYTES] = s[i];
	o->head += n;
}

static void end_line(struct guest_out *o, const char *name)
{
	char buf[GUEST_OUT_LINE + CONFIG_NAME_MAX + 8];
	int n;

	o->line[o->linelen] = 0;
	n = snprintf(buf, sizeof(buf), "[%s] %s\n", name, o->line);
	o->linelen = 0;
	if (n < 0)
		return;
	if ((uint32_t)n > sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (used(o) + (uint32_t)n > GUEST_OUT_BYTES) {
		o->dropped += (uint32_t)n;
		o->dropped_total += (uint32_t)n;
		return;
	}
	put(o, buf, (uint32_t)n);
}

void guest_out_line(struct guest_out *o, const char *line, uint32_t n)
{
	if (used(o) + n > GUEST_OUT_BYTES) {
		o->dropped += n;
		o->dropped_total += n;
		return;
	}
	put(o, line, n);
}

void guest_out_byte(struct guest_out *o, const char *name, char c)
{
	if (c == '\r')
		return;
	if (c == '\n') {
		end_line(o, name);
		return;
	}
	/* A full line is sent as it is; this byte starts the next one. */
	if (o->linelen == sizeof(o->line) - 1)
		end_line(o, name);
	o->line[o->linelen++] = (c >= 0x20 && c < 0x7f) ? c : '?';
}

/* Whole lines of o, at most room bytes, into dst; returns the bytes taken. */
static uint32_t take_lines(struct guest_out *o, char *dst, uint32_t room)
{
	uint32_t n = 0, last = 0;

	while (n < used(o) && n < room) {
		char c = o->ring[(o->tail + n) % GUEST_OUT_BYTES];
		dst[n++] = c;
		if (c == '\n')
			last = n;
	}
	o->tail += last;
	return last;
}

unsigned guest_out_room(const struct guest_out *o)
{
	return GUEST_OUT_BYTES - (o->head - o->tail);
}

unsigned guest_out_drain(unsigned budget)
{
	static char buf[GUEST_OUT_BUDGET * 2 + 64 * VM_MAX];
	static unsigned next; /* the VM that goes first: each gets its turn */
	unsigned i, n = 0;

	size_t room = arch_console_room();

	if (budget > GUEST_OUT_BUDGET * 2)
		budget = GUEST_OUT_BUDGET * 2;
	if (room < ARCH_CONSOLE_OWN + budget)
		budget = room > ARCH_CONSOLE_OWN ? (unsigned)(room - ARCH_CONSOLE_OWN) : 0;
	for (i = 0; i < nvms && n < budget; i++) {
		struct vm *vm = &vms[(next + i) % nvms];
		struct guest_out *o = &vm->out;
		n += take_lines(o, buf + n, budget - n);
		/* What was dropped came after what the ring kept: say so then. */
		if (o->dropped && !used(o)) {
			int k = snprintf(buf + n, sizeof(buf) - n, "[%s] (%lu bytes dropped)\n", vm->name,
					 o->dropped);
			if (k > 0 && (unsigned)k < sizeof(buf) - n) {
				n += (unsigned)k;
				o->dropped = 0;
			}
		}
	}
	if (nvms)
		next = (next + 1) % nvms;
	if (n)
		console_write(buf, n); /* into the queue: no wait */
	return n;
}

void guest_out_flush_vm(struct guest_out *o, const char *name)
{
	char buf[GUEST_OUT_BYTES];
	uint32_t n;

	if (o->linelen)
		end_line(o, name);
	n = take_lines(o, buf, sizeof(buf));
	if (n)
		console_write(buf, n); /* into the console's queue: no wait */
}

void guest_out_flush(void)
{
	for (;;) {
		if (guest_out_drain(GUEST_OUT_BUDGET * 2))
			continue;
		if (arch_console_room() == ARCH_CONSOLE_QUEUE)
			return; /* nothing was taken with the queue empty: all sent */
		/* The end: no guest runs, waiting for the UART is right, but not
		 * with the lock held (the summary's longest hold would be it). */
		hv_unlock();
		arch_console_flush();
		hv_lock();
	}
}
