/*
 * guest_out.c - guests' console output: bounded per VM, queued for the
 * UART without waiting for it, never stalling the other VMs.
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
 *
 * The focus (`attach NAME` on the console, control/console.c): the
 * console shows one VM's bytes alone, raw and unformatted (a shell's
 * prompt has no newline), as `virsh console` does.  They are read from
 * the VM's console ring (vm_console.c) from the offset shown so far, into
 * the console's queue as lines are; every VM's lines
 * are then dropped (the focus's were shown raw; the others' are counted,
 * and kept in their own rings), and the hypervisor's messages wait
 * (console_out.c).  The focused VM's UART reads as busy when its bytes
 * not yet shown would soon overrun its ring, so a guest that writes faster
 * than the UART sends is slowed down, never cut.
 */
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "console_out.h"
#include "guest_out.h"
#include "lock.h"
#include "vm.h"
#include "vm_console.h"

static struct vm *focus;  /* attached: the VM whose bytes alone are shown */
static uint64_t shown;    /* the offset in its output stream shown so far */
static uint64_t unseen;   /* bytes of other VMs' lines dropped meanwhile */
static char last_shown;   /* its last byte shown: a detach starts a new line */

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

bool guest_out_busy(const struct vm *vm)
{
	if (guest_out_room(&vm->out) < GUEST_OUT_ROOM_MIN)
		return true;
	return vm == focus && vm->con.out_total - shown > VMCON_OUT_BYTES - GUEST_OUT_ROOM_MIN;
}

/* With a focus: every VM's complete lines dropped, the others' counted. */
static void drop_lines(void)
{
	unsigned i;
	for (i = 0; i < nvms; i++) {
		struct guest_out *o = &vms[i].out;
		if (&vms[i] != focus)
			unseen += used(o);
		o->tail = o->head;
	}
}

/* Up to budget bytes of the focus's output not shown yet, into buf. */
static unsigned take_focus(char *buf, unsigned budget)
{
	uint64_t from = shown;
	size_t n = vmcon_out_read(&focus->con, &from, buf, budget);

	shown = from + n;
	if (n)
		last_shown = buf[n - 1];
	return (unsigned)n;
}

uint64_t guest_out_focus(struct vm *vm)
{
	uint64_t was_unseen = unseen;
	char buf[256];
	unsigned n, i;

	if (vm == focus)
		return 0;
	if (focus) { /* its last bytes, then what the hypervisor said meanwhile */
		while ((n = take_focus(buf, sizeof(buf))))
			console_write_raw(buf, n);
		if (last_shown != '\n')
			console_write("\n", 1);
		drop_lines();
		was_unseen = unseen;
		focus = NULL;
		console_release();
	}
	unseen = 0;
	if (vm) {
		/* Lines written before the attach go out first (a bounded
		 * effort: the guests keep writing). */
		for (i = 0; i < 8 && guest_out_drain(GUEST_OUT_BUDGET * 2); i++)
			;
		focus = vm;
		shown = vm->con.out_total;
		last_shown = '\n';
		console_hold();
	}
	return was_unseen;
}

struct vm *guest_out_focused(void)
{
	return focus;
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
	if (focus) {
		drop_lines();
		n = take_focus(buf, budget);
		if (n)
			console_write_raw(buf, n); /* into the queue: no wait */
		return n;
	}
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
