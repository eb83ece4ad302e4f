/*
 * sched.c - round-robin of vCPUs on this CPU.
 *
 * Each runnable vCPU gets a slice bounded by its VMX-preemption timer (so
 * a guest that never exits cannot keep the CPU), then the next; after each
 * round the dedup scanner gets a step (pages_to_scan pages).  A vCPU leaves
 * the queue when it halts or its VM stops.  A vCPU waiting for a frame is
 * retried every round; if only waiting vCPUs are left and a whole full scan
 * frees nothing, their VMs are stopped (out of memory) so that the others
 * can finish.  Application processors are not started yet: every vCPU runs
 * on the boot CPU.
 */
#include <stdio.h>

#include "console.h"
#include "frames.h"
#include "sched.h"
#include "sharing.h"
#include "vm.h"
#include "../arch/x86_64/vcpu.h"

extern struct frame_pool frames;

void sched_run(void)
{
	uint64_t stuck_since = ~0ull, last_scans = 0;
	bool scan;

	for (;;) {
		bool ran = false, waiting = false;
		struct dedup_stats st;
		unsigned i, j;
		for (i = 0; i < nvms; i++)
			for (j = 0; j < vms[i].nvcpus; j++) {
				struct vcpu *v = &vms[i].vcpu[j];
				if (v->state == VCPU_WAITING) {
					waiting = true;
					v->state = VCPU_RUNNABLE; /* retry its write */
				}
				if (v->state == VCPU_RUNNABLE) {
					vcpu_run_slice(v);
					if (v->state == VCPU_WAITING)
						waiting = true;
					else
						ran = true;
				}
			}
		console_poll();
		scan = console.scan;
		if (scan)
			sharing_scan_step();
		dedup_get_stats(engine, &st);
		if (scan && st.full_scans != last_scans && console.summary_scans &&
		    st.full_scans % console.summary_scans == 0)
			sharing_summary("running");
		last_scans = st.full_scans;
		if (ran) {
			stuck_since = ~0ull;
			continue;
		}
		if (!waiting)
			return;
		/* Only waiting vCPUs: wait while the scanner may still free frames. */
		if (stuck_since == ~0ull)
			stuck_since = st.full_scans;
		else if (!scan || st.full_scans > stuck_since + 1) {
			for (i = 0; i < nvms; i++)
				for (j = 0; j < vms[i].nvcpus; j++)
					if (vms[i].vcpu[j].state == VCPU_WAITING) {
						vm_stop(&vms[i], "out of memory: no frame freed in a full scan");
						break;
					}
			stuck_since = ~0ull;
		}
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
		printf("summary: vm %s: %s; rounds %lu, errors %lu; %lu exits, %lu EPT violations\n",
		       vm->name, vm->stopped ? vm->why : "halted", vm->rounds, vm->errors, n,
		       vm->ept_violations);
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
