/*
 * sched.c - round-robin of vCPUs on this CPU.
 *
 * Each runnable vCPU gets a slice bounded by its VMX-preemption timer (so
 * a guest that never exits cannot keep the CPU), then the next.  A vCPU
 * leaves the queue when it halts or its VM stops.  Application processors
 * are not started yet: every vCPU runs on the boot CPU.
 */
#include <stdio.h>

#include "sched.h"
#include "vm.h"
#include "../arch/x86_64/vcpu.h"

void sched_run(void)
{
	for (;;) {
		bool ran = false;
		unsigned i, j;
		for (i = 0; i < nvms; i++)
			for (j = 0; j < vms[i].nvcpus; j++)
				if (vms[i].vcpu[j].state == VCPU_RUNNABLE) {
					vcpu_run_slice(&vms[i].vcpu[j]);
					ran = true;
				}
		if (!ran)
			return;
	}
}

static const char *const reason_names[EXIT_REASON_MAX + 1] = {
	[EXIT_REASON_EXTERNAL_INTERRUPT] = "external-interrupt",
	[EXIT_REASON_TRIPLE_FAULT] = "triple-fault", [EXIT_REASON_CPUID] = "cpuid",
	[EXIT_REASON_HLT] = "hlt", [EXIT_REASON_VMCALL] = "vmcall",
	[EXIT_REASON_VMXON] = "vmxon", [EXIT_REASON_IO_INSTRUCTION] = "io",
	[EXIT_REASON_MSR_READ] = "rdmsr", [EXIT_REASON_MSR_WRITE] = "wrmsr",
	[EXIT_REASON_EPT_VIOLATION] = "ept-violation", [EXIT_REASON_EPT_MISCONFIG] = "ept-misconfig",
	[EXIT_REASON_PREEMPTION_TIMER] = "preemption-timer",
};

void sched_report(void)
{
	uint64_t total = 0;
	unsigned i, r;

	for (i = 0; i < nvms; i++) {
		const struct vm *vm = &vms[i];
		uint64_t n = 0;
		for (r = 0; r <= EXIT_REASON_MAX; r++)
			n += vm->exits[r];
		printf("summary: vm %s: %s; rounds %lu, errors %lu; %lu exits, %lu pages backed\n",
		       vm->name, vm->stopped ? vm->why : "halted", vm->rounds, vm->errors, n,
		       vm->pages_backed);
	}
	printf("summary: exits by reason:");
	for (r = 0; r <= EXIT_REASON_MAX; r++)
		if (exit_totals[r]) {
			total += exit_totals[r];
			if (reason_names[r])
				printf(" %s %lu", reason_names[r], exit_totals[r]);
			else
				printf(" reason-%u %lu", r, exit_totals[r]);
		}
	printf("; total %lu\n", total);
}
