/*
 * net.h - the hypervisor's network: its NIC, lwIP and the API server
 * (net.c).
 */
#ifndef KERNEL_NET_H
#define KERNEL_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* With net.ip configured: the NIC, lwIP's interface with the config's
 * address, and the API's HTTP server, each step said on the console.
 * 0, or -1 (no net.ip, no NIC, or lwIP refused: the hypervisor goes on
 * without the API).  Call once, before the other CPUs start. */
int net_start(const struct config *cfg);
/* net_start succeeded. */
bool net_up(void);
/* Received frames into lwIP, lwIP's timers, the server's callbacks; on the
 * boot CPU under the core's lock, between scheduling rounds. */
void net_poll(void);
/* Prints what the stack cost the boot CPU over elapsed TSC ticks, and the
 * API server's counters (nothing when the network is not up). */
void net_report(uint64_t elapsed);
/* Serves the API for ever (a machine without VT-x: no VMs to schedule). */
void net_serve(void) __attribute__((noreturn));

#endif
