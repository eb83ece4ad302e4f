/*
 * console_cmd.h - the operator's commands on the console, parsed.
 *
 *   stats                 every engine counter, the self/inter split, per-VM rows
 *   vms                   each VM: state, RAM, domain, exits
 *   measure               a measurement point (control/points.c): pause every
 *                         vCPU, converge, per-VM figures and the exact
 *                         recount, the cost of VMs that joined, resume
 *   start VM              start a VM configured start=late now
 *   stop VM               stop a VM (its memory goes back; the others run on)
 *   attach VM             the VM's serial console on this one: what is typed
 *                         goes to it, only its output is shown; Ctrl-]
 *                         (0x1D, as virsh console) comes back
 *   knobs                 every knob: value, range, whether it is in force
 *   set KNOB VALUE        a knob of common/knobs.h's table (the config's and
 *                         the API's too: run, sleep_ms, merge_first_sight,
 *                         summary_scans, max_cpu_pct, scan_target_s - the
 *                         rate governor - and pages_to_scan - the fixed
 *                         rate), range-checked by the table
 *   help
 * Plain C (host-tested); control/console.c runs them.
 */
#ifndef KERNEL_CONSOLE_CMD_H
#define KERNEL_CONSOLE_CMD_H

#include <stdint.h>

/* The byte that ends an attach (Ctrl-], as virsh console and telnet). */
#define CONSOLE_DETACH_KEY 0x1D

enum cmd_kind { CMD_NONE, CMD_STATS, CMD_VMS, CMD_KNOBS, CMD_SET, CMD_HELP, CMD_MEASURE,
		CMD_START, CMD_STOP, CMD_ATTACH, CMD_ERROR };

struct cmd {
	enum cmd_kind kind;
	unsigned knob;     /* CMD_SET: an enum knob_id (knobs.h) */
	uint32_t value;
	const char *error; /* CMD_ERROR: what is wrong */
	char name[32];     /* CMD_START, CMD_STOP, CMD_ATTACH: the VM */
};

/* Parses one line (without its newline). */
struct cmd console_parse(const char *line);

#endif
