/*
 * console.c - the operator's commands, typed on COM1 while VMs run.
 *
 * console_poll() is called between scheduling rounds (control.c): it
 * gathers received bytes into a line and runs it with console_run()
 * (commands in console_cmd.h).  `set` changes a knob through the sharing
 * code (sharing_knob_set: what the API's POST /api/knobs does too), and
 * `knobs` shows them as GET /api/knobs does; `stats` and `vms` print the
 * current state.
 *
 * `attach NAME` hands the console to a Linux VM's serial port, as `virsh
 * console` does: from the byte after the command's line, every byte read
 * goes to the VM (vm_console_type: its input queue, then its UART's
 * receive FIFO), and the console shows that VM's own output alone
 * (guest_out_focus: raw, the other VMs' lines and the hypervisor's
 * messages kept back meanwhile).  Ctrl-] (CONSOLE_DETACH_KEY) comes back,
 * and so does a VM that stops.  Bytes typed while the VM's input queue is
 * full are lost, as on a serial line nobody reads; the typist is told
 * once per attach.
 */
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "console.h"
#include "console_cmd.h"
#include "fleet.h"
#include "guest_out.h"
#include "points.h"
#include "sharing.h"
#include "vm.h"

static struct vm *attached; /* the VM whose console this is, or NULL */
static uint64_t lost;       /* bytes typed into its full input queue */

static void print_stats(void)
{
	struct dedup_stats s;
	unsigned i;

	sharing_summary("stats");
	dedup_get_stats(engine, &s);
	/* Hypervisor code has no floating point (built without SSE): fixed point. */
	uint64_t per100 = s.pages_tracked ? s.metadata_bytes * 100 / s.pages_tracked : 0;
	printf("  pages_tracked %lu pages_scanned %lu pages_hashed %lu pages_unshared %lu "
	       "hash_collisions %lu cow_enomem %lu metadata %lu bytes (%lu.%02lu per page) "
	       "general_profit %ld bytes\n", s.pages_tracked, s.pages_scanned, s.pages_hashed,
	       s.pages_unshared, s.hash_collisions, s.cow_enomem, s.metadata_bytes,
	       per100 / 100, per100 % 100, s.general_profit);
	sharing_governor_report();
	for (i = 0; i < nvms; i++) {
		struct dedup_vm_stats v;
		if (!vms[i].in_engine || dedup_get_vm_stats(engine, i, &v))
			continue;
		printf("  vm %-12s domain %u pages %lu merged %lu zero %lu self-sharing %lu\n",
		       vms[i].name, v.domain, v.pages, v.merged, v.zero, v.self_sharing);
	}
}

static void print_vms(void)
{
	unsigned i;
	for (i = 0; i < nvms; i++) {
		const struct vm *vm = &vms[i];
		if (vm->pending) {
			printf("  vm %-12s waiting to join (start=late)\n", vm->name);
			continue;
		}
		/* A same-behaviour domain says so; a normal one, the default, as before. */
		printf("  vm %-12s %s, %lu MiB, domain %u%s, %lu exits, round %lu, errors %lu\n", vm->name,
		       vm->stopped ? vm->why : vm->vcpu[0].state == VCPU_HALTED ? "halted" :
		       vm->vcpu[0].state == VCPU_WAITING ? "waiting for memory" : "running",
		       vm->npages >> 8, vm->cfg ? vm->cfg->domain : 0,
		       vm->cfg && vm->cfg->mode == CONFIG_MODE_SAME ? " (same-behaviour)" : "",
		       vm_exit_count(vm), vm->rounds, vm->errors);
	}
}

/* One line a knob: value, range, and whether it is in force (the API's
 * GET /api/knobs says the same, in JSON). */
static void print_knobs(void)
{
	const struct knob_values *k = sharing_knobs();
	unsigned i;

	for (i = 0; i < KNOB_COUNT; i++)
		printf("  knob %-18s %u (%u..%u)%s\n", knob_table[i].name, k->v[i], knob_table[i].min,
		       knob_table[i].max, knob_in_force(k, i) ? "" : " not in force");
}

static void attach(const char *name)
{
	struct vm *vm = vm_by_name(name);

	if (!vm || vm->pending || vm->stopped) {
		printf("console: no running VM %s\n", name);
		return;
	}
	if (!vm->kind->reads_console) {
		printf("console: vm %s runs a test image: it reads no serial console (its lines are "
		       "shown as they come)\n", vm->name);
		return;
	}
	printf("console: attached to %s: what is typed goes to it, only its output is shown; "
	       "Ctrl-] detaches\n", vm->name);
	guest_out_focus(vm);
	attached = vm;
	lost = 0;
}

/* Back to the hypervisor's console: the VM's last bytes and the messages
 * held meanwhile first, then this. */
static void detach(const char *why)
{
	uint64_t unseen = guest_out_focus(NULL);

	printf("console: detached from %s%s\n", attached->name, why);
	if (unseen)
		printf("console: %lu bytes of other VMs' lines were not shown meanwhile (GET "
		       "/api/vms/NAME/console keeps each VM's last %u bytes)\n", unseen,
		       VMCON_OUT_BYTES);
	attached = NULL;
}

void console_run(const char *line)
{
	struct cmd c = console_parse(line);

	switch (c.kind) {
	case CMD_NONE:
		break;
	case CMD_ERROR:
		printf("console: %s\n", c.error);
		break;
	case CMD_HELP:
		printf("console: stats | vms | knobs | measure | start VM | stop VM | attach VM | "
		       "set KNOB VALUE\n");
		break;
	case CMD_MEASURE:
		points_measure("console");
		break;
	case CMD_START:
		if (fleet_start_named(c.name))
			printf("console: no VM %s waits to start (start=late)\n", c.name);
		break;
	case CMD_STOP: {
		struct vm *vm = vm_by_name(c.name);
		if (!vm || vm->pending || vm->stopped)
			printf("console: no running VM %s\n", c.name);
		else
			vm_stop(vm, "stopped from the console");
		break;
	}
	case CMD_ATTACH:
		attach(c.name);
		break;
	case CMD_STATS:
		print_stats();
		break;
	case CMD_VMS:
		print_vms();
		break;
	case CMD_KNOBS:
		print_knobs();
		break;
	case CMD_SET:
		if (sharing_knob_set(c.knob, c.value))
			printf("console: %s: %u is out of range\n", knob_table[c.knob].name, c.value);
		else
			printf("console: set %s %u\n", knob_table[c.knob].name, c.value);
		break;
	}
}

/* A byte typed while attached: to the VM, or Ctrl-] to come back. */
static void attached_byte(uint8_t ch)
{
	if (ch == CONSOLE_DETACH_KEY) {
		detach("");
		return;
	}
	if (vm_console_type(attached, &ch, 1) == 1)
		return;
	if (!lost++) /* once an attach (shown at the detach, as all messages then) */
		printf("console: vm %s reads no more input for now (its queue of %u bytes is "
		       "full): typed bytes are lost\n", attached->name, VMCON_IN_BYTES);
}

void console_poll(void)
{
	static char line[128];
	static unsigned n;
	static bool after_attach; /* the attach line's CR: an LF after it is its own */
	int ch;

	while ((ch = arch_console_getc()) >= 0) {
		if (attached && guest_out_focused() != attached)
			detach(" (it stopped)"); /* vm_stop ended the focus */
		if (after_attach) {
			after_attach = false;
			if (ch == '\n')
				continue;
		}
		if (attached) {
			attached_byte((uint8_t)ch);
		} else if (ch == '\r' || ch == '\n') {
			line[n] = 0;
			if (n)
				console_run(line);
			n = 0;
			after_attach = attached != NULL;
		} else if (n < sizeof(line) - 1) {
			line[n++] = (char)ch;
		}
	}
	if (attached && guest_out_focused() != attached)
		detach(" (it stopped)");
}
