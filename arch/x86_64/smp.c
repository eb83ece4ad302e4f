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
 * Shootdown: a CPU that changes a VM's EPT holds the core's lock; for every other
 * online CPU it bumps that CPU's flush_req, sends it an IPI and waits until
 * its flush_done catches up.  A target answers without taking the lock:
 * right after a VM exit, while spinning for the lock, while idle, and just
 * before VM entry - and an IPI that arrives too late for that last check
 * stays pending, which (external-interrupt exiting) makes the guest exit
 * before its first instruction.  So no CPU runs a guest on a translation
 * older than the request, and the holder of the lock never waits on it.
 * Where the IPI does not make a guest with RFLAGS.IF = 0 exit (Bochs 2.7),
 * such guests run in quanta and the answer comes at the end of one
 * (vcpu.c): the wait is bounded by a quantum, not a slice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apic.h"
#include "arch.h"
#include "cpu.h"
#include "percpu.h"
#include "setup.h"
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

void arch_poll_requests(void)
{
	struct percpu *me = this_cpu();
	uint64_t req = me->flush_req;
	if (me->flush_done != req) {
		invept(INVEPT_ALL_CONTEXT, 0);
		__atomic_store_n(&me->flush_done, req, __ATOMIC_RELEASE);
	}
}

void arch_ept_invalidate(uint64_t eptp)
{
	struct percpu *me = this_cpu();
	uint64_t want[MAX_CPUS], t0;
	unsigned c;

	invept(INVEPT_SINGLE_CONTEXT, eptp);
	t0 = rdtsc();
	for (c = 0; c < MAX_CPUS; c++) {
		struct percpu *p = &percpus[c];
		if (p == me || !p->online)
			continue;
		want[c] = __atomic_add_fetch(&p->flush_req, 1, __ATOMIC_ACQ_REL);
		apic_send_ipi(p->apic_id, SHOOTDOWN_VECTOR | APIC_ICR_DM_FIXED | APIC_ICR_LEVEL_ASSERT);
		me->shootdowns_sent++;
	}
	for (c = 0; c < MAX_CPUS; c++) {
		struct percpu *p = &percpus[c];
		if (p == me || !p->online)
			continue;
		while (__atomic_load_n(&p->flush_done, __ATOMIC_ACQUIRE) < want[c])
			cpu_relax();
	}
	t0 = rdtsc() - t0;
	if (t0 > me->shootdown_worst)
		me->shootdown_worst = t0;
	if (t0 > ARCH_SHOOTDOWN_SLOW_TICKS)
		me->shootdown_slow++;
}

uint64_t arch_shootdown_worst_wait(void)
{
	uint64_t w = 0;
	unsigned c;
	for (c = 0; c < MAX_CPUS; c++)
		if (percpus[c].shootdown_worst > w)
			w = percpus[c].shootdown_worst;
	return w;
}

unsigned smp_cpus_up(void)
{
	return cpus_up;
}

uint64_t arch_shootdowns_slow(void)
{
	uint64_t n = 0;
	unsigned c;
	for (c = 0; c < MAX_CPUS; c++)
		n += percpus[c].shootdown_slow;
	return n;
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

uint64_t arch_shootdowns_sent(void)
{
	uint64_t n = 0;
	unsigned c;
	for (c = 0; c < MAX_CPUS; c++)
		n += percpus[c].shootdowns_sent;
	return n;
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
