/*
 * linux_smp.h - what an SMP Linux VM has beyond a one-vCPU one: a local
 * APIC per vCPU, the ACPI MADT, IPIs, the start of its other CPUs
 * (linux_smp.c).
 */
#ifndef KERNEL_LINUX_SMP_H
#define KERNEL_LINUX_SMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "upcall.h"

struct vm;
struct vcpu;

/* A VM line with vcpus > 1 the VM could not boot: 0, or -1 with why. */
int linux_smp_check(const struct vm_config *c, char *why, size_t n);

/* Makes vm (built, its RAM registered) an SMP VM: a local APIC per vCPU,
 * its application processors waiting for their STARTUP IPI, the ACPI
 * tables in its memory.  0, or -1 with the VM stopped and why. */
int linux_smp_setup(struct vm *vm);
/* Whether the VM gets the local APIC platform: more than one vCPU, or one
 * whose command line reads ACPI (no acpi=off) and sets up no IO-APIC
 * (noapic). */
bool linux_apic_wanted(const struct vm_config *c);

/* The kind's msr and io_done (vm.h: struct vm_kind). */
enum core_action linux_smp_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val);
void linux_smp_io_done(struct vcpu *v);

/* The summary's line: IPIs by vector, INIT and STARTUP, NMIs dropped. */
void linux_smp_report(const struct vm *vm);

#endif
