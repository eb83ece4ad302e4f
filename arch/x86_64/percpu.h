/*
 * percpu.h - what each CPU keeps for itself, and the lock they share.
 *
 * Each CPU's struct percpu is reached through its GS base (set once at
 * bring-up; restored by every VM exit from the VMCS host state), so
 * this_cpu() is one instruction.  INVEPT requests to other CPUs are
 * answered without the core's lock (smp.c, shootdown.c keep them), so
 * holding it never blocks a shootdown.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"

#define MAX_CPUS ARCH_MAX_CPUS

struct percpu {
	struct percpu *self;      /* at %gs:0 */
	unsigned index;           /* 0 = the boot CPU */
	uint32_t apic_id;
	uint64_t current_vmcs;
	struct arch_vcpu *state_owner; /* whose DRs and KERNEL_GS_BASE are loaded */
	const struct arch_ept_cpus *last_vm; /* the VM of the vCPU loaded last (IBPB) */
	bool online;
};

extern struct percpu percpus[MAX_CPUS];

/* How many CPUs are online (smp.c): 1 until the others have come. */
unsigned smp_cpus_up(void);

/* This CPU has made current a vCPU of the VM that t tracks (smp.c;
 * arch_vcpu_load, under the core's lock). */
void smp_vcpu_loaded(struct arch_ept_cpus *t);

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

#endif
