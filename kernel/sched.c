/*
 * sched.c - running vCPUs on the CPUs, and the scanner between them.
 *
 * Each vCPU belongs to one CPU for its life (VM i's vCPU j on online CPU
 * (i + j) mod n).  Each CPU runs rounds over its own vCPUs; a slice is
 * bounded by the architecture's timer (the VMX-preemption timer), so a
 * guest that never exits cannot keep the CPU.  All of this runs under
 * hv_lock, dropped only while a guest runs or the UART sends guests' lines
 * (guest_out.c, between the boot CPU's rounds).  The other CPUs come here
 * through ap_work(), which kmain hands to arch_start_cpus().  Between its
 * rounds the boot CPU runs the hook kmain handed to sched_run (the
 * operator's side: control/control.c, which this file does not know); the
 * scanner runs a step (what the rate governor
 * chose, or pages_to_scan pages) after each of the boot CPU's rounds, or, with
 * dedup.scanner = 1 and two CPUs or more, on the last CPU, which then runs
 * no vCPU: merges there happen while the guests run on the others.
 *
 * The network is the boot CPU's too, and a round there lasts a slice per
 * vCPU: answering only between rounds made each request wait for them (10
 * to 14 answers a second under Bochs, issue 24).  So after every exit of
 * the boot CPU's guests, a frame waiting in the NIC's ring (arch_nic_pending;
 * the NIC's interrupt makes the guest exit for it) runs kmain's second
 * hook, mid-slice, under the lock, the vCPU out of its guest as between
 * rounds; its time is not the vCPU's.  Those calls have a budget, a token
 * bucket: NIC_EARLY_PCT of the boot CPU's time, NIC_EARLY_BURST ticks at
 * once.  A request or a few come within the burst and are answered at
 * once; a flood gets the budget and, beyond it, the between-rounds polls
 * it always had.  Without the budget a flood took half the boot CPU and,
 * through the lock every exit of the other CPUs takes, as much of theirs:
 * bochs-apiflood's VMs verified 6 rounds in its flood against 18 in as
 * long quiet (16 against 14 before the early calls; with 25%, 10 against
 * 16 and 10 against 26; with 10%, 14 against 24).  10% costs a client
 * that asks without pause a fifth of its answers (scripts/apilatency.sh:
 * 98 requests a second with 25%, 80 to 83 with 10%), and a light load
 * nothing.
 *
 * A vCPU waiting for a frame is retried every round.  If every vCPU still
 * running is waiting, and a whole full scan frees nothing, the VM holding
 * the most frames of its own is stopped (out of memory), whichever it is:
 * not the small VMs that happened to ask last.
 */
#include <stdio.h>

#include "arch.h"
#include "guest_out.h"
#include "lock.h"
#include "sched.h"
#include "sharing.h"
#include "sharing_audit.h"
#include "upcall.h"
#include "vm.h"

static volatile unsigned aps_done;
static unsigned ncpus = 1; /* online, from arch_start_cpus() */
static volatile bool go; /* the VMs exist and are placed: APs may start */
static volatile bool finished; /* no vCPU anywhere is left running */
static unsigned scanner_cpu = ~0u; /* the scanner's own CPU, if any */
static unsigned online[ARCH_MAX_CPUS], nonline; /* CPUs that run vCPUs */
/* A measurement point (sched_pause): no vCPU may enter its guest, and
 * in_guest counts those between the decision to enter and the exit. */
static volatile bool paused;
static volatile unsigned in_guest;
/* CPUs that answer nothing (core_cpu_wedged): each may stay in_guest, and
 * never reaches the end, for good. */
static unsigned wedged_cpus;
static uint64_t nic_early_calls; /* nic_early's calls of the hook */

static bool active(const struct vcpu *v)
{
	return v->state == VCPU_RUNNABLE || v->state == VCPU_WAITING || v->state == VCPU_BLOCKED;
}

/* Places every vCPU on an online CPU (not on the scanner's own). */
void sched_place(bool own_scanner_cpu)
{
	unsigned i;
	for (i = 0; i < ARCH_MAX_CPUS; i++)
		if (arch_cpu_online(i))
			online[nonline++] = i;
	if (own_scanner_cpu && nonline >= 2) {
		scanner_cpu = online[--nonline];
		printf("dedup: scanner on CPU %u, vCPUs on the others\n", scanner_cpu);
	}
	for (i = 0; i < nvms; i++)
		sched_place_vm(&vms[i]);
	go = true;
}

void sched_place_vm(struct vm *vm)
{
	unsigned j;
	for (j = 0; j < vm->nvcpus; j++)
		vm->vcpu[j].cpu = online[(vm->id + j) % nonline];
}

static void (*nic_hook)(void); /* sched_run's nic_ready */

#define NIC_EARLY_PCT   10
#define NIC_EARLY_BURST (1ll << 18) /* TSC ticks: 5 ms at Bochs's 50 MHz, a few requests' worth */

/* The boot CPU, out of v's guest: the NIC's frames, if some wait and the
 * budget has credit left (see the top). */
static void nic_early(struct vcpu *v)
{
	static int64_t credit = NIC_EARLY_BURST;
	static uint64_t last;
	uint64_t t0, t1;

	if (!nic_hook || arch_cpu_index() != 0)
		return;
	t0 = arch_time_now();
	if (last)
		credit += (int64_t)((t0 - last) * NIC_EARLY_PCT / 100);
	if (credit > NIC_EARLY_BURST)
		credit = NIC_EARLY_BURST;
	last = t0;
	if (credit <= 0 || !arch_nic_pending())
		return;
	nic_hook();
	t1 = arch_time_now();
	credit -= (int64_t)(t1 - t0);
	last = t1;
	v->last_exit += t1 - t0; /* not the hypervisor's time for v */
	nic_early_calls++;
}

/* Runs v for one time slice: until the slice ends, or it halts, waits or
 * is stopped.  Called with hv_lock held, which it drops while the guest
 * runs.  Before each entry, invalidation requests are answered, then the
 * state is read again: a CPU stopping this VM sets it before its
 * shootdown and frees the VM's memory only after our answer, so a VM
 * stopped meanwhile is never entered, and an exit that comes back after
 * its VM was stopped is dropped (arch_vcpu_enter has acknowledged what
 * needed acknowledging). */
static void vcpu_run_slice(struct vcpu *v)
{
	if (arch_vcpu_load(&v->arch)) {
		vm_stop(v->vm, "vCPU %u could not be made current on CPU %u", v->index,
			arch_cpu_index());
		return;
	}
	v->last_exit = 0; /* time between slices is not the hypervisor's for it */
	while (v->state == VCPU_RUNNABLE) {
		uint64_t t0;
		int enter_rc;
		bool injected;

		if (paused || v->vm->pause_holds)
			return; /* a measurement point, or its VM paused: the slice ends here */
		injected = v->vm->kind->prepare && v->vm->kind->prepare(v);
		__atomic_add_fetch(&in_guest, 1, __ATOMIC_ACQ_REL); /* under the lock */
		__atomic_add_fetch(&v->vm->in_guest, 1, __ATOMIC_ACQ_REL);
		hv_unlock();
		arch_poll_requests();
		if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) != VCPU_RUNNABLE) {
			__atomic_sub_fetch(&v->vm->in_guest, 1, __ATOMIC_ACQ_REL);
			__atomic_sub_fetch(&in_guest, 1, __ATOMIC_ACQ_REL);
			hv_lock();
			return;
		}
		t0 = arch_time_now();
		if (v->last_exit) { /* the hypervisor's time since the last exit */
			v->host_ticks += t0 - v->last_exit;
			if (injected) {
				v->irq_trips++;
				v->irq_trip_ticks += t0 - v->last_exit;
			}
		}
		enter_rc = arch_vcpu_enter(&v->arch);
		v->last_exit = arch_time_now();
		v->guest_ticks += v->last_exit - t0;
		arch_poll_requests();
		__atomic_sub_fetch(&v->vm->in_guest, 1, __ATOMIC_ACQ_REL);
		__atomic_sub_fetch(&in_guest, 1, __ATOMIC_ACQ_REL);
		hv_lock();
		if (v->state != VCPU_RUNNABLE)
			return; /* its VM was stopped from another CPU while it ran */
		if (arch_vcpu_handle_exit(&v->arch, enter_rc) == ARCH_YIELD) {
			v->host_ticks += arch_time_now() - v->last_exit;
			nic_early(v);
			return;
		}
		nic_early(v);
	}
}

/* One round over this CPU's vCPUs.  *ran: one of them did work. */
static void run_round(unsigned cpu, bool *ran)
{
	unsigned i, j;
	for (i = 0; i < nvms; i++)
		for (j = 0; j < vms[i].nvcpus; j++) {
			struct vcpu *v = &vms[i].vcpu[j];
			if (v->cpu != cpu || !active(v) || paused || vms[i].pause_holds)
				continue;
			if (v->state == VCPU_WAITING)
				v->state = VCPU_RUNNABLE; /* retry its write */
			if (v->state == VCPU_BLOCKED) {
				if (arch_time_now() < v->wake)
					continue; /* halted until its next interrupt */
				v->state = VCPU_RUNNABLE;
			}
			if (!v->set_up) {
				const struct arch_vcpu_config c = {
					.vm_name = vms[i].name, .index = j, .nvcpus = vms[i].nvcpus,
					.eptp = ept_eptp(&vms[i].ept), .vpid = vms[i].vpid,
					.ept_cpus = &vms[i].ept_cpus,
					.entry = vms[i].entry,
					.rsp = !vms[i].kind->stack_below_entry ? 0
						: vms[i].entry - (uint64_t)GUEST_STACK_PER_VCPU * j,
					.rbx = vms[i].entry_rbx, .rsi = vms[i].entry_rsi,
					.lapic = vms[i].lapic,
					.sipi = v->sipi_started, .sipi_vector = v->sipi_vector,
				};
				if (arch_vcpu_setup(&v->arch, &c)) {
					vm_stop(&vms[i], "vCPU %u could not be set up", j);
					continue;
				}
				v->set_up = true;
				printf("vm %s vcpu %u: on CPU %u (APIC id %u)%s\n", vms[i].name, j, cpu,
				       arch_cpu_hw_id(cpu), v->sipi_started ? ", started by a STARTUP IPI" : "");
			}
			vcpu_run_slice(v);
			if (v->state == VCPU_WAITING) {
				v->starved = true;
			} else {
				v->starved = false;
				*ran = true;
			}
		}
}

/* 1: some vCPU is active and every active one is starved; 0: none is
 * starved or some runs; -1: nothing is active any more. */
static int all_starved(void)
{
	unsigned i, j, act = 0, starved = 0;
	for (i = 0; i < nvms; i++)
		for (j = 0; j < vms[i].nvcpus; j++) {
			const struct vcpu *v = &vms[i].vcpu[j];
			if (!active(v))
				continue;
			act++;
			starved += v->starved;
		}
	return act == 0 ? -1 : act == starved;
}

/* One scanner step and, every summary_scans full scans, a summary.  busy:
 * vCPUs of this CPU have work.  At the fixed rate the scanner then takes at
 * most max_cpu_pct of the CPU (a step that took t waits t * (100 - pct) /
 * pct before the next); while they idle, halted or done, it takes the rest.
 * Governed, the next step waits for the governor's pause (which holds the
 * cap too) busy or not - converged memory needs no faster scan - unless
 * every vCPU waits for frames, which only the scanner can free. */
static uint64_t scan_ticks; /* TSC ticks in scanner steps, all CPUs */
static uint64_t scan_longest; /* the longest step, under the lock all along */

static void scan_step(bool busy)
{
	static uint64_t last_scans, next_step;
	const struct knob_values *k = sharing_knobs();
	struct dedup_stats st;
	uint64_t t0, t1, pause, pct = k->v[KNOB_MAX_CPU_PCT], every = k->v[KNOB_SUMMARY_SCANS];

	if (!k->v[KNOB_RUN])
		return;
	t0 = arch_time_now();
	if (t0 < next_step && (busy || (sharing_governor() && all_starved() <= 0)))
		return;
	pause = sharing_scan_step();
	t1 = arch_time_now();
	scan_ticks += t1 - t0;
	if (t1 - t0 > scan_longest)
		scan_longest = t1 - t0;
	next_step = t1 + (sharing_governor() ? pause : (t1 - t0) * (100 - pct) / pct);
	dedup_get_stats(engine, &st);
	if (st.full_scans != last_scans && every && st.full_scans % every == 0)
		sharing_summary("running");
	last_scans = st.full_scans;
}

/* Lets other CPUs take the lock for a moment. */
void sched_breathe(void)
{
	unsigned k;
	hv_unlock();
	for (k = 0; k < 1000; k++) {
		arch_poll_requests();
		arch_cpu_relax();
	}
	hv_lock();
}

/* Under the lock, so a CPU that has not yet decided to enter a guest sees
 * paused, and one that has is counted in in_guest until its exit (at the
 * latest when its slice's timer fires). */
void sched_pause(void)
{
	paused = true;
	while (__atomic_load_n(&in_guest, __ATOMIC_ACQUIRE) > wedged_cpus)
		sched_breathe();
}

void sched_resume(void)
{
	paused = false;
}

void sched_pause_vm(struct vm *vm)
{
	vm->pause_holds++;
	while (__atomic_load_n(&vm->in_guest, __ATOMIC_ACQUIRE) && !vm->memory_held)
		sched_breathe();
}

void sched_resume_vm(struct vm *vm)
{
	if (vm->pause_holds)
		vm->pause_holds--;
}

void ap_work(unsigned cpu)
{
	while (!go) {
		arch_poll_requests();
		arch_cpu_relax();
	}
	hv_lock();
	if (cpu == scanner_cpu) {
		while (!finished) {
			scan_step(false); /* its own CPU */
			sched_breathe();
		}
	}
	/* Until the end: a VM that joins late (fleet.c) may be placed here
	 * after this CPU's first VMs are done. */
	while (!finished) {
		bool ran = false;
		run_round(cpu, &ran);
		if (!ran)
			sched_breathe();
	}
	aps_done++;
	hv_unlock();
	for (;;) {
		arch_poll_requests();
		arch_cpu_relax();
	}
}

bool sched_idle(void)
{
	return all_starved() < 0;
}

bool sched_all_waiting(void)
{
	return all_starved() > 0;
}

void sched_run(void (*between_rounds)(void), bool (*when_idle)(void), void (*nic_ready)(void))
{
	uint64_t stuck_since = ~0ull;
	int st_all;

	nic_hook = nic_ready;

	hv_lock_window(true);
	for (;;) {
		bool ran = false;
		struct dedup_stats st;

		run_round(0, &ran);
		between_rounds();
		guest_out_drain(GUEST_OUT_BUDGET); /* guests' lines, the lock dropped */
		if (scanner_cpu == ~0u)
			scan_step(ran);
		dedup_get_stats(engine, &st);
		st_all = all_starved();
		if (st_all < 0 && when_idle()) {
			/* The others are done and the hook let no waiting VM join
			 * (it measures the fleet first when it can): one joins now. */
			continue;
		}
		if (st_all < 0)
			break;
		if (st_all == 0) {
			stuck_since = ~0ull;
		} else if (stuck_since == ~0ull) {
			stuck_since = st.full_scans;
		} else if (!sharing_knobs()->v[KNOB_RUN] || st.full_scans > stuck_since + 1) {
			/* Out of frames: stop the VM that holds the most frames of
			 * its own - running, waiting or halted - and only that one;
			 * the waiters then get its frames.  (Each VM is within its
			 * budget, which the COW break enforces: frames run out only
			 * when the budgets together overcommit the machine.) */
			uint64_t held, waiting = 0;
			struct vm *big = sharing_biggest_holder(&held);
			unsigned i, j;
			for (i = 0; i < nvms; i++)
				for (j = 0; j < vms[i].nvcpus; j++)
					waiting += vms[i].vcpu[j].state == VCPU_WAITING;
			sharing_oom_report(waiting);
			if (big)
				vm_stop(big, "out of memory: no frame freed in a full scan; it holds the "
					"most frames of its own (%lu KiB)", held * 4);
			stuck_since = ~0ull;
		}
		if (!ran)
			sched_breathe();
	}
	/* Every vCPU is done; wait for the APs to notice. */
	hv_lock_window(false);
	finished = true;
	while (aps_done + 1 + wedged_cpus < ncpus)
		sched_breathe();
	guest_out_flush();
}

void sched_set_cpus(unsigned n)
{
	ncpus = n;
}

/* A CPU answers nothing (smp.c gave up on it): it may stay in its guest,
 * and never reach the end, for good.  The waits for every CPU - a pause,
 * the end - no longer count on it; its VM is stopped with its memory kept
 * (vm_stop leaves a memory_held VM in the engine: no engine call here, as
 * the engine is in the middle of the invalidation that gave up). */
void core_cpu_wedged(unsigned cpu, struct arch_vcpu *running)
{
	static uint32_t seen;
	struct vm *vm;

	if (!(seen & (1u << cpu)))
		wedged_cpus++;
	seen |= 1u << cpu;
	if (!running)
		return;
	vm = vcpu_of(running)->vm;
	vm->memory_held = true;
	vm_stop(vm, "its vCPU %u on CPU %u answers nothing (wedged): its memory is kept, never "
		"freed or shared", vcpu_of(running)->index, cpu);
}

void sched_report(void)
{
	unsigned i;

	for (i = 0; i < nvms; i++) {
		const struct vm *vm = &vms[i];
		if (vm->pending) {
			printf("summary: vm %s: never started (start=late, and no point came)\n",
			       vm->name);
			continue;
		}
		printf("summary: vm %s: %s; rounds %lu, errors %lu; %lu exits, %lu EPT violations\n",
		       vm->name, vm->stopped ? vm->why : "halted", vm->rounds, vm->errors,
		       vm_exit_count(vm), vm->ept_violations);
		if (vm->kind && vm->kind->report)
			vm->kind->report(vm);
	}
	arch_exits_report("summary: exits by reason:");
	if (nic_hook)
		printf("summary: the network answered mid-slice %lu times (frames waiting after an "
		       "exit of the boot CPU's guests)\n", nic_early_calls);
	{
		struct dedup_stats st;
		dedup_get_stats(engine, &st);
		/* Under Bochs a TSC tick is an emulated instruction. */
		printf("summary: scanner: %lu TSC ticks for %lu pages scanned (%lu hashed): %lu ticks per "
		       "scanned page, %lu per hashed page\n", scan_ticks, st.pages_scanned,
		       st.pages_hashed, st.pages_scanned ? scan_ticks / st.pages_scanned : 0,
		       st.pages_hashed ? scan_ticks / st.pages_hashed : 0);
	}
	printf("summary: %u CPUs; INVEPT shootdown IPIs %lu, the longest wait for answers %lu TSC "
	       "ticks; %lu waits over %u; %s\n", ncpus, arch_shootdowns_sent(),
	       arch_shootdown_worst_wait(), arch_shootdowns_slow(), ARCH_SHOOTDOWN_SLOW_TICKS,
	       arch_shootdown_kick());
	printf("summary: invalidations: %lu IPIs waited for, %lu requests posted without one (to "
	       "CPUs that had left the VM), %lu CPUs not asked (flushed since), %lu given up on\n",
	       arch_shootdowns_sent(), arch_shootdowns_posted(), arch_shootdowns_skipped(),
	       sharing_invalidations_failed());
	sharing_cow_report("summary: COW faults by CPU, and the IPIs they sent:");
	sharing_audit_summary();
	{
		struct hv_lock_stats ls;
		hv_lock_stats(&ls);
		printf("summary: hv_lock: held %lu times, %lu TSC ticks in all; the longest hold %lu "
		       "TSC ticks (taken at %p, released at %p); while the VMs ran, %lu TSC ticks "
		       "(taken at %p, released at %p); the longest scanner step %lu TSC ticks\n",
		       ls.holds, ls.ticks, ls.longest, ls.longest_from, ls.longest_to,
		       ls.running_longest, ls.running_from, ls.running_to, scan_longest);
	}
	sharing_longest_step_report();
}
