/*
 * control.c - the operator's side, started by kmain and run between the
 * scheduler's rounds (control.h says what control/ is).
 *
 * Between two rounds of the boot CPU's vCPUs: the console's typed lines
 * (console.c), the network and its API (net.c; also between two exits of
 * a slice when frames wait: control_nic_ready), the periodic measurement
 * point (points.c), and the point taken when every running VM has
 * finished while another waits to join: the fleet is measured without it,
 * then it joins (the cost of each added VM).  Were none of this here, the
 * waiting VM would still join (sched.c): the core never depends on it.
 */
#include <stdio.h>

#include "arch.h"
#include "console.h"
#include "control.h"
#include "fleet.h"
#include "net.h"
#include "points.h"
#include "sched.h"

static const struct config *ccfg;

void control_start(const struct config *cfg)
{
	ccfg = cfg;
	points_init(cfg);
	net_start(cfg);
}

void control_without_vms(void)
{
	if (!net_up())
		return;
	printf("dedupvisor: no VMs: serving the API only (the engine's counters read 0)\n");
	net_serve();
}

void control_between_rounds(void)
{
	console_poll();
	net_poll();
	points_tick();
	if (sched_idle() && fleet_pending() && !points_busy())
		points_measure("the running VMs finished; a waiting one joins");
}

void control_nic_ready(void)
{
	net_poll();
}

void control_report(uint64_t run_ticks)
{
	points_finish();
	points_report();
	net_report(run_ticks);
	console_run("stats");
}

void control_linger(void)
{
	uint64_t end;

	if (!net_up() || !ccfg->api_linger_s)
		return;
	printf("net: all VMs finished; the API serves %u s more (api.linger_s), then power-off\n",
	       ccfg->api_linger_s);
	end = arch_time_now() + (uint64_t)ccfg->api_linger_s * arch_time_hz();
	while (arch_time_now() < end) {
		console_poll();
		net_poll();
		arch_poll_requests();
		arch_cpu_relax();
	}
}
