/*
 * smp.c - application processors, the hypervisor lock, INVEPT shootdowns.
 *
 * Start-up: the trampoline (ap_boot.S) is copied to a usable page below
 * 1 MiB and patched; INIT, then two STARTUP IPIs go to all CPUs but this
 * one (the ACPI MADT, when the firmware provides one, only tells how many
 * to wait for: OVMF under Bochs provides none).  Each AP loads its own
 * GDT/TSS, turns on VMX and checks in (under a bring-up lock of its own:
 * the core's lock is not ours to take), then calls the core's AP entry,
 * which kmain passed to arch_start_cpus(); CPUs beyond the configured
 * count just stay idle.
 *
 * Shootdown (shootdown.c says how): the CPU that changes a VM's EPT holds
 * the core's lock and asks only the CPUs that may hold the VM's
 * translations - by IPI those that have one of its vCPUs loaded, waiting
 * for their answer, by a request without IPI or wait those that have left
 * it.  A target answers without taking the lock: right after a VM exit,
 * while spinning for the lock, while idle, and just before VM entry - and
 * an IPI that arrives too late for that last check stays pending, which
 * (external-interrupt exiting) makes the guest exit before its first
 * instruction.  So no CPU runs a guest on a translation older than the
 * request, and the holder of the lock never waits on it.  Where the IPI
 * does not make a guest with RFLAGS.IF = 0 exit (Bochs 2.7), such guests
 * run in quanta and the answer comes at the end of one (vcpu.c).  A CPU
 * that does not answer is sent INIT after SHOOTDOWN_KICK (no guest can keep
 * that from exiting), and given up on, wedged, after SHOOTDOWN_WEDGE: both
 * said on the console with the CPU and the vCPU it runs, and the core told
 * (core_cpu_wedged) so that it stops that VM and keeps its memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apic.h"
#include "arch.h"
#include "cpu.h"
#include "percpu.h"
#include "upcall.h"
#include "setup.h"
#include "shootdown.h"
#include "uart.h"
#include "vcpu.h"
#include "vectors.h"
#include "vmx.h"
#include "vmx_gate.h"

#define AP_STACK_SIZE  16384

extern char ap_boot_start[], ap_boot_end[], ap_gdt_ptr[], ap_far32[], ap_far64[], ap_cr3[],
	ap_count[], ap_max[], ap_stacks[], ap_entry[], ap_gdt[], ap_pm32[], ap_lm64[];

static volatile unsigned cpus_up = 1;
static unsigned cpus_wanted;
static void (*ap_entry_fn)(unsigned cpu);

/* Serializes the APs' check-in (their messages and frame allocations);
 * the boot CPU only waits meanwhile.  Once it stops waiting it closes the
 * check-in: an AP that comes later would print and take frames while the
 * core does, so it halts instead, touching nothing shared. */
static volatile uint32_t bringup_lock;
static bool bringup_closed;

static void bringup_acquire(void)
{
	while (__atomic_exchange_n(&bringup_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void bringup_release(void)
{
	__atomic_store_n(&bringup_lock, 0, __ATOMIC_RELEASE);
}

static void delay(uint64_t tsc_ticks)
{
	uint64_t end = rdtsc() + tsc_ticks;
	while (rdtsc() < end)
		cpu_relax();
}

/* ---- shootdown ---- */

static struct sd_cpu sd_cpus[MAX_CPUS];

static void hw_invept_single(uint64_t eptp) { invept(INVEPT_SINGLE_CONTEXT, eptp); }
static void hw_invept_all(void) { invept(INVEPT_ALL_CONTEXT, 0); }

static void hw_ipi(unsigned cpu)
{
	apic_send_ipi(percpus[cpu].apic_id, SHOOTDOWN_VECTOR | APIC_ICR_DM_FIXED | APIC_ICR_LEVEL_ASSERT);
}

/* INIT: in VMX non-root operation a VM exit (SDM 3C 26.2), ahead of the
 * debug traps and event deliveries that can keep an IPI out; in VMX root
 * operation it is held until the next VM entry, which then exits at once
 * (vmexit.c resumes the guest).  Bochs 2.7 drops an INIT sent to a CPU in
 * VMX root operation, and never clears one that made a guest exit (its
 * cpu/vmx.cc unmasks BX_EVENT_INIT at every entry and nothing clears it),
 * so there every later entry on that CPU exits at once: a kick there ends
 * that CPU's guests' progress, which only a CPU that answered nothing for
 * SHOOTDOWN_KICK risks. */
static void hw_kick(unsigned cpu)
{
	apic_send_ipi(percpus[cpu].apic_id, APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT);
}

static void hw_report(enum sd_event e, unsigned cpu, uint64_t waited)
{
	struct arch_vcpu *v = percpus[cpu].state_owner;
	const char *vm = v ? v->vm_name : "(none)";
	unsigned idx = v ? v->index : 0;

	switch (e) {
	case SD_KICKED:
		printf("smp: CPU %u (APIC id %u) has not answered an EPT invalidation in %lu TSC ticks "
		       "(vm %s vcpu %u is loaded there): sent INIT, which makes any guest exit\n", cpu,
		       percpus[cpu].apic_id, waited, vm, idx);
		break;
	case SD_WEDGED:
		printf("smp: CPU %u (APIC id %u) answered neither the IPI nor INIT in %lu TSC ticks: "
		       "marked wedged, not waited for; vm %s vcpu %u may still run there, so nothing "
		       "its old translations reach is freed or shared\n", cpu, percpus[cpu].apic_id,
		       waited, vm, idx);
		core_cpu_wedged(cpu, v);
		break;
	case SD_REVIVED:
		printf("smp: CPU %u (APIC id %u), wedged, has answered since: waited for again\n", cpu,
		       percpus[cpu].apic_id);
		break;
	}
}

static uint64_t hw_now(void) { return rdtsc(); }
static void hw_relax(void) { cpu_relax(); }

static struct sd_hw machine = {
	sd_cpus, MAX_CPUS, hw_invept_single, hw_invept_all, hw_ipi, hw_kick, hw_report, hw_now,
	hw_relax, 0, 0, ARCH_SHOOTDOWN_SLOW_TICKS,
};

/* The bounds of a wait for an answer: a CPU answers within a slice at
 * worst (the preemption timer makes any guest exit; under Bochs a guest
 * with IF = 0 within a quantum, vcpu.c), so SHOOTDOWN_KICK is 100 ms and
 * at least 8 slices (2^23 ticks), far above any honest wait, and
 * SHOOTDOWN_WEDGE 1 s and at least 16 slices.  Linux warns of a CPU that
 * has not answered a cross-call for 5 s (csd_lock_timeout) but waits on;
 * here the waiting CPU holds the lock every CPU needs, so it gives up. */
#define SHOOTDOWN_KICK_MIN_TICKS  (1ull << 23)
#define SHOOTDOWN_WEDGE_MIN_TICKS (1ull << 24)
static void shootdown_bounds(void)
{
	uint64_t hz = arch_time_hz();
	machine.kick_ticks = hz / 10 > SHOOTDOWN_KICK_MIN_TICKS ? hz / 10 : SHOOTDOWN_KICK_MIN_TICKS;
	machine.wedge_ticks = hz > SHOOTDOWN_WEDGE_MIN_TICKS ? hz : SHOOTDOWN_WEDGE_MIN_TICKS;
}

void arch_poll_requests(void)
{
	sd_poll(&machine, this_cpu()->index);
	uart_pump_maybe(); /* every CPU that waits keeps the console moving */
}

void smp_vcpu_loaded(struct arch_ept_cpus *t)
{
	sd_load(&machine, this_cpu()->index, t);
}

int arch_ept_invalidate(uint64_t eptp, struct arch_ept_cpus *t)
{
	return sd_invalidate(&machine, this_cpu()->index, eptp, t);
}

uint64_t arch_shootdown_worst_wait(void)
{
	uint64_t w = 0;
	unsigned c;
	for (c = 0; c < MAX_CPUS; c++)
		if (sd_cpus[c].worst_wait > w)
			w = sd_cpus[c].worst_wait;
	return w;
}

unsigned smp_cpus_up(void)
{
	return cpus_up;
}

#define SUM_OVER_CPUS(field) do { \
	uint64_t n = 0; \
	unsigned c; \
	for (c = 0; c < MAX_CPUS; c++) \
		n += sd_cpus[c].field; \
	return n; } while (0)

uint64_t arch_shootdowns_slow(void) { SUM_OVER_CPUS(slow_waits); }
uint64_t arch_shootdowns_sent(void) { SUM_OVER_CPUS(ipis); }
uint64_t arch_shootdowns_posted(void) { SUM_OVER_CPUS(posted); }
uint64_t arch_shootdowns_skipped(void) { SUM_OVER_CPUS(skipped); }

uint64_t arch_shootdowns_sent_by(unsigned cpu)
{
	return cpu < MAX_CPUS ? sd_cpus[cpu].ipis : 0;
}

/* ---- bring-up ---- */

void ap_main(unsigned cpu);
void ap_main(unsigned cpu)
{
	if (cpu >= MAX_CPUS) /* ap_boot.S parks these already: never touch our tables */
		for (;;) {
			cli();
			hlt();
		}
	cpu_init(cpu);
	percpus[cpu].apic_id = apic_id();
	bringup_acquire();
	if (bringup_closed) {
		bringup_release();
		for (;;) {
			cli();
			hlt();
		}
	}
	if (cpu >= cpus_wanted) {
		printf("smp: CPU %u (APIC id %u) stays idle (cpus = %u)\n", cpu, percpus[cpu].apic_id,
		       cpus_wanted);
		bringup_release();
		for (;;) {
			cli();
			hlt();
		}
	}
	vmx_lock_feature_control();
	if (vmx_cpu_on()) {
		printf("smp: CPU %u: VMX could not be turned on; it stays idle\n", cpu);
		bringup_release();
		for (;;) {
			cli();
			hlt();
		}
	}
	percpus[cpu].online = true;
	sd_cpus[cpu].online = true;
	cpus_up++;
	bringup_release();
	ap_entry_fn(cpu);
	for (;;) { /* the core's AP entry does not return */
		cli();
		hlt();
	}
}

unsigned arch_cpu_index(void)
{
	return this_cpu()->index;
}

bool arch_cpu_online(unsigned cpu)
{
	return cpu < MAX_CPUS && percpus[cpu].online;
}

uint32_t arch_cpu_hw_id(unsigned cpu)
{
	return cpu < MAX_CPUS ? percpus[cpu].apic_id : ~0u;
}

/* The shootdown's vector without a request: its exit is all it does (the
 * target answers requests around every entry anyway), and where guests
 * with IF = 0 do not exit for it they run in quanta (vcpu.c). */
void arch_cpu_kick(unsigned cpu)
{
	if (cpu >= MAX_CPUS || !percpus[cpu].online || &percpus[cpu] == this_cpu())
		return;
	apic_send_ipi(percpus[cpu].apic_id, SHOOTDOWN_VECTOR | APIC_ICR_DM_FIXED | APIC_ICR_LEVEL_ASSERT);
}

void arch_cpu_relax(void)
{
	cpu_relax();
}

unsigned arch_start_cpus(const struct boot_info *bi, unsigned want, unsigned madt_cpus,
			 void (*entry_fn)(unsigned cpu))
{
	const struct boot_mem_region *r = phys_to_virt(bi->regions_phys);
	uint64_t page = 0, size = (uint64_t)(ap_boot_end - ap_boot_start), cr3 = read_cr3();
	uint8_t *tr;
	char *stacks;
	uint32_t i;

	apic_init();
	percpus[0].apic_id = apic_id();
	percpus[0].online = true;
	sd_cpus[0].online = true;
	shootdown_bounds();
	ap_entry_fn = entry_fn;
	cpus_wanted = want ? want : MAX_CPUS;
	if (cpus_wanted == 1)
		return 1;
	/* A usable page below 1 MiB for the trampoline (the SIPI vector is page >> 12). */
	for (i = 0; i < bi->region_count && !page; i++)
		if (r[i].type == BOOT_MEM_USABLE && r[i].base < 0x100000 && r[i].base + r[i].pages * 4096 > 0x1000) {
			page = r[i].base < 0x1000 ? 0x1000 : r[i].base;
			if (page + 4096 > r[i].base + r[i].pages * 4096)
				page = 0;
		}
	stacks = malloc(MAX_CPUS * AP_STACK_SIZE + 16); /* nano-malloc: no aligned_alloc */
	if (stacks)
		stacks = (char *)(((uintptr_t)stacks + 15) & ~(uintptr_t)15);
	if (!page || cr3 >= (1ull << 32) || size > 4096 || !stacks) {
		printf("smp: cannot start APs (no low page, page tables above 4 GiB or no memory)\n");
		return 1;
	}
	tr = phys_to_virt(page);
	memcpy(tr, ap_boot_start, size);
#define PATCH32(sym, val) (*(uint32_t *)(tr + ((sym) - ap_boot_start)) = (uint32_t)(val))
#define PATCH64(sym, val) (*(uint64_t *)(tr + ((sym) - ap_boot_start)) = (uint64_t)(val))
	PATCH32(ap_gdt_ptr + 2, page + (ap_gdt - ap_boot_start));
	PATCH32(ap_far32, page + (ap_pm32 - ap_boot_start));
	PATCH32(ap_far64, page + (ap_lm64 - ap_boot_start));
	PATCH32(ap_cr3, cr3);
	PATCH32(ap_count, 0);
	PATCH32(ap_max, MAX_CPUS); /* CPUs 1 .. MAX_CPUS - 1 have stacks and tables */
	PATCH64(ap_stacks, (uint64_t)(uintptr_t)stacks);
	PATCH64(ap_entry, (uint64_t)(uintptr_t)ap_main);
#undef PATCH32
#undef PATCH64

	/* INIT, then STARTUP twice, to all but this CPU (SDM 3A 8.4.4.1). */
	apic_send_ipi(0, APIC_ICR_ALL_BUT_SELF | APIC_ICR_LEVEL_ASSERT | APIC_ICR_DM_INIT);
	delay(10000000);
	apic_send_ipi(0, APIC_ICR_ALL_BUT_SELF | APIC_ICR_LEVEL_ASSERT | APIC_ICR_DM_STARTUP |
		      (uint32_t)(page >> 12));
	delay(200000);
	apic_send_ipi(0, APIC_ICR_ALL_BUT_SELF | APIC_ICR_LEVEL_ASSERT | APIC_ICR_DM_STARTUP |
		      (uint32_t)(page >> 12));
	/* Wait for them: all the MADT lists, or until none has come for a while. */
	for (i = 0; i < 200; i++) {
		unsigned before = cpus_up;
		delay(1000000);
		if ((madt_cpus && cpus_up >= madt_cpus) || cpus_up >= cpus_wanted)
			break;
		if (i > 20 && cpus_up == before && cpus_up > 1)
			break;
	}
	bringup_acquire(); /* the last AP to check in has finished printing */
	bringup_closed = true;
	for (i = 0; i < MAX_CPUS; i++)
		if (percpus[i].online)
			printf("smp: CPU %u online (APIC id %u)\n", i, percpus[i].apic_id);
	{
		uint32_t started = *(volatile uint32_t *)(tr + (ap_count - ap_boot_start)) + 1;
		if (started > MAX_CPUS)
			printf("smp: %u CPUs beyond the limit of %u parked\n", started - MAX_CPUS,
			       MAX_CPUS);
	}
	printf("smp: %u CPUs online\n", cpus_up);
	bringup_release();
	return cpus_up;
}
