/*
 * smp.c - application processors, the hypervisor lock, INVEPT shootdowns.
 *
 * Start-up: the trampoline (ap_boot.S) is copied to a usable page below
 * 1 MiB and patched; INIT, then two STARTUP IPIs go to all CPUs but this
 * one (the ACPI MADT, when the firmware provides one, only tells how many
 * to wait for: OVMF under Bochs provides none).  Each AP loads its own
 * GDT/TSS, turns on VMX and checks in; CPUs beyond the configured count
 * just stay idle.
 *
 * Shootdown: a CPU that changes a VM's EPT holds hv_lock; for every other
 * online CPU it bumps that CPU's flush_req, sends it an IPI and waits until
 * its flush_done catches up.  A target answers without taking the lock:
 * right after a VM exit, while spinning for the lock, while idle, and just
 * before VM entry - and an IPI that arrives too late for that last check
 * stays pending, which (external-interrupt exiting) makes the guest exit
 * before its first instruction.  So no CPU runs a guest on a translation
 * older than the request, and the holder of the lock never waits on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "msr.h"
#include "percpu.h"
#include "smp.h"
#include "trap.h"
#include "vcpu.h"
#include "vmx.h"
#include "../../kernel/frames.h"

#define IA32_APIC_BASE 0x1B
#define APIC_X2APIC    (1ull << 10)
#define LAPIC_ID       0x20
#define LAPIC_ICR_LO   0x300
#define LAPIC_ICR_HI   0x310
#define SHOOTDOWN_VECTOR 0xF0
#define AP_STACK_SIZE  16384

extern char ap_boot_start[], ap_boot_end[], ap_gdt_ptr[], ap_far32[], ap_far64[], ap_cr3[],
	ap_count[], ap_stacks[], ap_entry[], ap_gdt[], ap_pm32[], ap_lm64[];

static volatile uint32_t lock_word;
static volatile unsigned cpus_up = 1;
static unsigned cpus_wanted;

/* ---- the lock ---- */

void hv_lock(void)
{
	while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE)) {
		while (lock_word) {
			flush_poll();
			cpu_relax();
		}
	}
}

void hv_unlock(void)
{
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

/* ---- local APIC (its mode and base read once: every CPU has the same) ---- */

static uint64_t lapic_base;
static int lapic_x2;

static void apic_init(void)
{
	uint64_t v = rdmsr(IA32_APIC_BASE);
	lapic_base = v & ~0xFFFull;
	lapic_x2 = (v & APIC_X2APIC) != 0;
}


static uint32_t apic_id(void)
{
	if (lapic_x2)
		return (uint32_t)rdmsr(0x802);
	return *(volatile uint32_t *)(uintptr_t)(lapic_base + LAPIC_ID) >> 24;
}

static void send_ipi(uint32_t dest, uint32_t icr_low)
{
	if (lapic_x2) {
		wrmsr(0x830, ((uint64_t)dest << 32) | icr_low);
		return;
	}
	volatile uint32_t *icr = (volatile uint32_t *)(uintptr_t)(lapic_base + LAPIC_ICR_LO);
	*(volatile uint32_t *)(uintptr_t)(lapic_base + LAPIC_ICR_HI) = dest << 24;
	*icr = icr_low;
	while (*icr & (1u << 12)) /* delivery pending */
		cpu_relax();
}

static void delay(uint64_t tsc_ticks)
{
	uint32_t lo, hi;
	uint64_t end;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	end = (((uint64_t)hi << 32) | lo) + tsc_ticks;
	do {
		cpu_relax();
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	} while ((((uint64_t)hi << 32) | lo) < end);
}

/* ---- shootdown ---- */

void flush_poll(void)
{
	struct percpu *me = this_cpu();
	uint64_t req = me->flush_req;
	if (me->flush_done != req) {
		invept(INVEPT_ALL_CONTEXT, 0);
		__atomic_store_n(&me->flush_done, req, __ATOMIC_RELEASE);
	}
}

void invept_everywhere(uint64_t eptp)
{
	struct percpu *me = this_cpu();
	uint64_t want[MAX_CPUS];
	unsigned c;

	invept(INVEPT_SINGLE_CONTEXT, eptp);
	for (c = 0; c < MAX_CPUS; c++) {
		struct percpu *p = &percpus[c];
		if (p == me || !p->online)
			continue;
		want[c] = __atomic_add_fetch(&p->flush_req, 1, __ATOMIC_ACQ_REL);
		send_ipi(p->apic_id, SHOOTDOWN_VECTOR | (1u << 14)); /* fixed, assert */
		me->shootdowns_sent++;
	}
	for (c = 0; c < MAX_CPUS; c++) {
		struct percpu *p = &percpus[c];
		if (p == me || !p->online)
			continue;
		while (__atomic_load_n(&p->flush_done, __ATOMIC_ACQUIRE) < want[c])
			cpu_relax();
	}
}

/* ---- bring-up ---- */

void ap_main(unsigned cpu);
void ap_main(unsigned cpu)
{
	trap_init(cpu);
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	percpus[cpu].apic_id = apic_id();
	hv_lock();
	if (cpu >= cpus_wanted || cpu >= MAX_CPUS) {
		printf("smp: CPU %u (APIC id %u) stays idle (cpus = %u)\n", cpu, percpus[cpu].apic_id,
		       cpus_wanted);
		hv_unlock();
		for (;;) {
			cli();
			hlt();
		}
	}
	/* Unlocked feature control as OVMF leaves it on every CPU: lock it with VMX on. */
	if (!(rdmsr(IA32_FEATURE_CONTROL) & FEATURE_CONTROL_LOCK))
		wrmsr(IA32_FEATURE_CONTROL, rdmsr(IA32_FEATURE_CONTROL) | FEATURE_CONTROL_LOCK |
		      FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	if (vmx_cpu_on()) {
		printf("smp: CPU %u: VMX could not be turned on; it stays idle\n", cpu);
		hv_unlock();
		for (;;) {
			cli();
			hlt();
		}
	}
	percpus[cpu].online = true;
	cpus_up++;
	hv_unlock();
	ap_work(cpu);
}

unsigned smp_start(const struct boot_info *bi, unsigned want, unsigned madt_cpus)
{
	const struct boot_mem_region *r = (const void *)(uintptr_t)bi->regions_phys;
	uint64_t page = 0, size = (uint64_t)(ap_boot_end - ap_boot_start), cr3 = read_cr3();
	uint8_t *tr;
	char *stacks;
	uint32_t i;

	apic_init();
	percpus[0].apic_id = apic_id();
	percpus[0].online = true;
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
	tr = (uint8_t *)(uintptr_t)page;
	memcpy(tr, ap_boot_start, size);
#define PATCH32(sym, val) (*(uint32_t *)(tr + ((sym) - ap_boot_start)) = (uint32_t)(val))
#define PATCH64(sym, val) (*(uint64_t *)(tr + ((sym) - ap_boot_start)) = (uint64_t)(val))
	PATCH32(ap_gdt_ptr + 2, page + (ap_gdt - ap_boot_start));
	PATCH32(ap_far32, page + (ap_pm32 - ap_boot_start));
	PATCH32(ap_far64, page + (ap_lm64 - ap_boot_start));
	PATCH32(ap_cr3, cr3);
	PATCH32(ap_count, 0);
	PATCH64(ap_stacks, (uint64_t)(uintptr_t)stacks);
	PATCH64(ap_entry, (uint64_t)(uintptr_t)ap_main);
#undef PATCH32
#undef PATCH64

	/* INIT, then STARTUP twice, to all but this CPU (SDM 3A 8.4.4.1). */
	hv_unlock(); /* APs check in under the lock */
	send_ipi(0, 0x000C4500);
	delay(10000000);
	send_ipi(0, 0x000C4600 | (uint32_t)(page >> 12));
	delay(200000);
	send_ipi(0, 0x000C4600 | (uint32_t)(page >> 12));
	/* Wait for them: all the MADT lists, or until none has come for a while. */
	for (i = 0; i < 200; i++) {
		unsigned before = cpus_up;
		delay(1000000);
		if ((madt_cpus && cpus_up >= madt_cpus) || cpus_up >= cpus_wanted)
			break;
		if (i > 20 && cpus_up == before && cpus_up > 1)
			break;
	}
	hv_lock();
	ncpus = cpus_up;
	for (i = 0; i < MAX_CPUS; i++)
		if (percpus[i].online)
			printf("smp: CPU %u online (APIC id %u)\n", i, percpus[i].apic_id);
	printf("smp: %u CPUs online\n", ncpus);
	return ncpus;
}
