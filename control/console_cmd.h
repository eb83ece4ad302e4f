/*
 * console_cmd.h - the operator's commands on the console, parsed.
 *
 *   stats                 every engine counter, the self/inter split, per-VM rows
 *   vms                   each VM: state, RAM, domain, exits
 *   measure               a measurement point (kernel/fleet.c): pause every
 *                         vCPU, converge, per-VM figures and the exact
 *                         recount, the cost of VMs that joined, resume
 *   start VM              start a VM configured start=late now
 *   stop VM               stop a VM (its memory goes back; the others run on)
 *   set KNOB VALUE        pages_to_scan, sleep_ms, merge_first_sight, run,
 *                         summary_scans (a one-line summary every N full scans),
 *                         scan_target_s (seconds a full scan should take: the
 *                         rate governor; pages_to_scan switches to a fixed rate)
 *   help
 * Plain C (host-tested); control/console.c runs them.
 */
#ifndef KERNEL_CONSOLE_CMD_H
#define KERNEL_CONSOLE_CMD_H

#include <stdint.h>

enum cmd_kind { CMD_NONE, CMD_STATS, CMD_VMS, CMD_SET, CMD_HELP, CMD_MEASURE, CMD_START, CMD_STOP,
		CMD_ERROR };
enum knob { KNOB_PAGES_TO_SCAN, KNOB_SLEEP_MS, KNOB_MERGE_FIRST_SIGHT, KNOB_RUN, KNOB_SUMMARY_SCANS,
	    KNOB_SCAN_TARGET_S };

struct cmd {
	enum cmd_kind kind;
	enum knob knob;
	uint32_t value;
	const char *error; /* CMD_ERROR: what is wrong */
	char name[32];     /* CMD_START, CMD_STOP: the VM */
};

/* Parses one line (without its newline). */
struct cmd console_parse(const char *line);

#endif
