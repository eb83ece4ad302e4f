/* vcpu.h - VMX on this CPU, a vCPU's VMCS, and running it (see vcpu.c). */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H
#include "../../kernel/vm.h"
/* VMXON on this CPU.  0, or -1 with the reason printed. */
int vmx_cpu_on(void);
/* Creates and fills vcpu's VMCS.  0, or -1 with the reason printed. */
int vcpu_setup(struct vcpu *v, uint64_t entry);
/* Runs v for one time slice (until its preemption timer fires, or it
 * halts or stops). */
void vcpu_run_slice(struct vcpu *v);
/* The total of exits since boot, by basic reason. */
extern uint64_t exit_totals[EXIT_REASON_MAX + 1];
#endif
