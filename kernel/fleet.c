/*
 * fleet.c - the VMs as a fleet: started at boot, or late.
 *
 * fleet_start_vms() builds every configured VM (memtest images and Linux
 * kernels) except those with start=late.  Those wait, listed as "waiting
 * to join"; the next one joins with fleet_join_next(): after a
 * measurement point has measured the fleet without it (control/points.c,
 * so that the point after says what the newcomer cost: Agarwal's thesis,
 * chapter 6), on the operator's `start NAME` (fleet_start_named), or when
 * every other vCPU has finished and no point came (fleet_when_idle, which
 * kmain hands to the scheduler).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "fleet.h"
#include "linux_vm.h"
#include "sched.h"
#include "sharing.h"
#include "vm.h"

static const struct config *fcfg;
static const struct boot_info *boot;

/* Why each kernel= VM was refused at boot, or "". */
static char refusal[CONFIG_MAX_VMS][sizeof(((struct vm *)0)->why)];

void fleet_check_kernels(const struct config *cfg, const struct boot_info *bi)
{
	unsigned i;

	fcfg = cfg;
	boot = bi;
	for (i = 0; i < cfg->nvms; i++)
		if (cfg->vm[i].kernel[0] &&
		    linux_vm_check(&cfg->vm[i], bi, refusal[i], sizeof(refusal[i])))
			printf("vm %s: refused: %s\n", cfg->vm[i].name, refusal[i]);
}

/* A VM that will not run: its name and why, for the reports. */
static void stillborn(struct vm *vm, const struct vm_config *c, const char *why)
{
	memset(vm, 0, sizeof(*vm));
	strncpy(vm->name, c->name, sizeof(vm->name) - 1);
	strncpy(vm->why, why, sizeof(vm->why) - 1);
	vm->stopped = true;
}

int fleet_start_vm(unsigned i)
{
	const struct vm_config *c = &fcfg->vm[i];
	struct vm *vm = &vms[i];
	unsigned f, j;

	if (c->kernel[0]) {
		if (refusal[i][0]) { /* said at boot (fleet_check_kernels) */
			stillborn(vm, c, refusal[i]);
			return -1;
		}
		if (linux_vm_create(i, c, boot))
			return -1;
		/* vCPU 0 runs; an SMP VM's others wait for their STARTUP IPI
		 * (linux_smp.c). */
		for (j = 0; j < vm->nvcpus; j++) {
			vm->vcpu[j].vm = vm;
			vm->vcpu[j].index = j;
			vm->vcpu[j].state = j ? VCPU_WAIT_SIPI : VCPU_RUNNABLE;
		}
		printf("vm %s: started, %lu MiB, %u vCPU%s, Linux, cmdline \"%s\"\n", vm->name,
		       c->ram >> 20, vm->nvcpus, vm->nvcpus > 1 ? "s" : "", c->cmdline);
		goto started;
	}
	for (f = 1; f < boot->file_count && strcmp(boot->files[f].name, c->image); f++)
		;
	if (f == boot->file_count) {
		memset(vm, 0, sizeof(*vm));
		strncpy(vm->name, c->name, sizeof(vm->name) - 1);
		vm_stop(vm, "image %s was not loaded", c->image);
		return -1;
	}
	if (vm_create(i, c, phys_to_virt(boot->files[f].phys), boot->files[f].size))
		return -1;
	/* Its vCPUs are set up by the CPUs that will run them (sched.c). */
	for (j = 0; j < vm->nvcpus; j++) {
		vm->vcpu[j].vm = vm;
		vm->vcpu[j].index = j;
		vm->vcpu[j].state = VCPU_RUNNABLE;
	}
	printf("vm %s: started, %lu MiB, %u vCPUs, image %s (%lu bytes) at 0x%lx\n", vm->name,
	       c->ram >> 20, vm->nvcpus, c->image, boot->files[f].size, c->entry);
started:
	return 0;
}

void fleet_start_vms(void)
{
	unsigned i;

	nvms = fcfg->nvms;
	for (i = 0; i < fcfg->nvms; i++) {
		if (fcfg->vm[i].start_late) {
			struct vm *vm = &vms[i];
			memset(vm, 0, sizeof(*vm));
			vm->id = i;
			strncpy(vm->name, fcfg->vm[i].name, sizeof(vm->name) - 1);
			vm->pending = true;
			printf("vm %s: waiting to join at the next measurement point (start=late)\n",
			       vm->name);
			continue;
		}
		fleet_start_vm(i);
	}
}

/* Starts pending VM i now (it joins the running fleet). */
static void join(unsigned i)
{
	vms[i].pending = false;
	if (fleet_start_vm(i) == 0)
		sched_place_vm(&vms[i]);
}

struct vm *fleet_join_next(void)
{
	unsigned i;
	for (i = 0; i < nvms; i++)
		if (vms[i].pending) {
			join(i);
			return &vms[i];
		}
	return NULL;
}

bool fleet_when_idle(void)
{
	return fleet_join_next() != NULL;
}

int fleet_start_named(const char *name)
{
	struct vm *vm = vm_by_name(name);
	if (!vm || !vm->pending)
		return -1;
	join(vm->id);
	return 0;
}

bool fleet_pending(void)
{
	unsigned i;
	for (i = 0; i < nvms; i++)
		if (vms[i].pending)
			return true;
	return false;
}
