/* fleet.h - the VMs as a fleet: starting them, at boot or late (see fleet.c). */
#ifndef KERNEL_FLEET_H
#define KERNEL_FLEET_H
#include <stdbool.h>
#include "boot_info.h"
#include "config.h"
struct vm;
/* Checks each Linux VM's files before anything starts; a VM refused here
 * is named, with why, and never built.  Keeps cfg and bi for later starts. */
void fleet_check_kernels(const struct config *cfg, const struct boot_info *bi);
/* Builds every VM but those with start=late (they wait to join). */
void fleet_start_vms(void);
/* Builds VM i from its config line.  0, or -1 with the reason printed. */
int fleet_start_vm(unsigned i);
/* Starts the waiting VM of that name now.  0, or -1 if none waits. */
int fleet_start_named(const char *name);
/* Some VM still waits to join. */
bool fleet_pending(void);
/* Starts the first waiting VM now and places its vCPUs; the VM, or NULL
 * when none waits.  With hv_lock held, on the boot CPU. */
struct vm *fleet_join_next(void);
/* The scheduler's when_idle (kmain hands it): a waiting VM joins; false
 * when none waits. */
bool fleet_when_idle(void);
#endif
