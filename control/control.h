/*
 * control.h - the operator's side of the hypervisor, as kmain sees it
 * (control.c).
 *
 * control/ is a client of the core: the console and its commands,
 * measurement points, memory dumps, the network and the API.  The core
 * never calls into it; kmain, which puts the system together, starts it
 * and hands control_between_rounds() to the scheduler as its hook (as it
 * hands ap_work to arch_start_cpus).  Nothing here is needed for VMs to
 * run and be deduplicated.
 */
#ifndef CONTROL_CONTROL_H
#define CONTROL_CONTROL_H
#include <stdint.h>
#include "config.h"
/* Keeps cfg; brings the network and the API up when the config asks for
 * it (net.ip).  Once, before the other CPUs start. */
void control_start(const struct config *cfg);
/* Without VT-x: serves the API for ever if the network is up; returns
 * (to power off) if not. */
void control_without_vms(void);
/* The scheduler's hook, between the boot CPU's rounds (sched_run), with
 * hv_lock held: the console's input, the network, measurement points. */
void control_between_rounds(void);
/* The scheduler's other hook: the NIC has received frames; called on the
 * boot CPU between two exits of a vCPU's slice (sched_run), as
 * control_between_rounds is: the network alone. */
void control_nic_ready(void);
/* After the run: what the network cost, and the console's `stats`. */
void control_report(uint64_t run_ticks);
/* The API (and the console) a while longer after the VMs finished
 * (api.linger_s), so that a person or a script can read the final figures;
 * returns at once without a network. */
void control_linger(void);
#endif
