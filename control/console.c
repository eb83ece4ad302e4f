/*
 * console.c - the operator's commands, typed on COM1 while VMs run.
 *
 * console_poll() is called between scheduling rounds: it gathers received
 * bytes into a line and runs it with console_run() (commands in
 * console_cmd.h).  `set` changes the engine's knobs at once; `stats` and
 * `vms` print the current state.
 */
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "console.h"
#include "console_cmd.h"
#include "fleet.h"
#include "sharing.h"
#include "vm.h"

struct console_state console = { true, 8, 25 };

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
		printf("  vm %-12s %s, %lu MiB, domain %u, %lu exits, round %lu, errors %lu\n", vm->name,
		       vm->stopped ? vm->why : vm->vcpu[0].state == VCPU_HALTED ? "halted" :
		       vm->vcpu[0].state == VCPU_WAITING ? "waiting for memory" : "running",
		       vm->npages >> 8, vm->cfg ? vm->cfg->domain : 0, vm_exit_count(vm), vm->rounds,
		       vm->errors);
	}
}

void console_run(const char *line)
{
	struct cmd c = console_parse(line);
	struct dedup_knobs *k = dedup_knobs(engine);

	switch (c.kind) {
	case CMD_NONE:
		break;
	case CMD_ERROR:
		printf("console: %s\n", c.error);
		break;
	case CMD_HELP:
		printf("console: stats | vms | measure | start VM | stop VM | set pages_to_scan|sleep_ms|"
		       "merge_first_sight|run|summary_scans|scan_target_s VALUE\n");
		break;
	case CMD_MEASURE:
		fleet_measure("console");
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
	case CMD_STATS:
		print_stats();
		break;
	case CMD_VMS:
		print_vms();
		break;
	case CMD_SET:
		switch (c.knob) {
		case KNOB_PAGES_TO_SCAN: k->pages_to_scan = c.value; sharing_govern(0); break;
		case KNOB_SCAN_TARGET_S: sharing_govern(c.value); break;
		case KNOB_SLEEP_MS: k->sleep_ms = c.value; break;
		case KNOB_MERGE_FIRST_SIGHT: k->merge_first_sight = c.value != 0; break;
		case KNOB_RUN: console.scan = c.value != 0; break;
		case KNOB_SUMMARY_SCANS: console.summary_scans = c.value; break;
		}
		printf("console: set\n");
		break;
	}
}

void console_poll(void)
{
	static char line[128];
	static unsigned n;
	int ch;

	while ((ch = arch_console_getc()) >= 0) {
		if (ch == '\r' || ch == '\n') {
			line[n] = 0;
			if (n)
				console_run(line);
			n = 0;
		} else if (n < sizeof(line) - 1) {
			line[n++] = (char)ch;
		}
	}
}
