/*
 * linux_smp.c - an SMP Linux VM: a local APIC per vCPU, the ACPI MADT
 * that lists them, IPIs between them, and the start of its other CPUs.
 *
 * The platform.  A VM line with vcpus=N (N > 1) - or one vCPU whose
 * kernel reads ACPI (no acpi=off) with noapic: the same platform, so that
 * its timer is the local APIC's one-shot instead of the PIT's ticks and
 * their 8259 port traffic (linux_apic_wanted) - gets, beyond the PC of
 * devices/vplatform.c: a local APIC per vCPU in x2APIC mode
 * (devices/lapic.c; CPUID offers APIC and x2APIC to its vCPUs), and ACPI
 * tables in the BIOS area, a MADT only (devices/acpi_tables.c says why not
 * the MP table: Linux's x2APIC driver is picked from the MADT).  Legacy
 * interrupts keep the 8259 path: the PIC's INTR reaches vCPU 0 through its LINT0 in
 * ExtINT mode (virtual wire), as on a PC before an IO-APIC is set up.  Why
 * not an IO-APIC: Linux keeps x2APIC mode only while it sets none up
 * (`noapic`; without it, and without interrupt remapping, it would switch
 * back to xAPIC, whose MMIO is not modelled), and two vCPUs need no device
 * interrupt spread: the UART and the PIT are the only devices.  So
 * linux_smp_check refuses vcpus > 1 without `noapic` on the command line,
 * or with `acpi=off` (the CPUs are in the MADT), before anything starts.
 *
 * Starting CPUs.  vCPU 0 starts at the kernel's entry as a one-vCPU VM
 * does; the others wait (VCPU_WAIT_SIPI).  Linux's boot processor sends
 * each an INIT (assert) and two STARTUP IPIs (wakeup_secondary_cpu_via_init):
 * the first STARTUP after an INIT makes it runnable, in real mode at the
 * vector's page (the CPU that runs it sets it up: sched.c); later ones are
 * ignored, as by a CPU that has left the wait-for-SIPI state.
 *
 * IPIs.  A write to a local APIC's ICR or SELF IPI register (an MSR exit:
 * linux_smp_msr) is routed at once, under the core's lock: to the vCPUs
 * its destination (physical, logical cluster, or shorthand) names, each
 * one's IRR set.  A target halted until its next timer is woken; one that
 * may be running its guest on another CPU is kicked (arch_cpu_kick: an
 * IPI that makes it exit, so that its kind's prepare injects before it
 * enters again).  NMIs are not delivered (counted: Linux sends them only
 * for backtraces and crash stops).  Every vCPU's timer interrupts come
 * from its own local APIC, its wake-up time and the preemption timer's
 * deadline from its timer (linux_vm.c).
 *
 * A vCPU other than 0 that halts with interrupts disabled is done (Linux
 * stops its other CPUs so before it powers off, and a CPU taken offline
 * plays dead so); vCPU 0 doing it still powers the VM off.
 */
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "linux_smp.h"
#include "acpi_tables.h"
#include "vm.h"

/* Whether the command line has the word w. */
static bool has_word(const char *cmdline, const char *w)
{
	size_t n = strlen(w);
	const char *p = cmdline;

	while ((p = strstr(p, w))) {
		if ((p == cmdline || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

int linux_smp_check(const struct vm_config *c, char *why, size_t n)
{
	if (c->vcpus <= 1)
		return 0;
	if (c->vcpus > VCPU_MAX || c->vcpus > ACPI_TABLES_MAX_CPUS) {
		snprintf(why, n, "vcpus=%u: a Linux VM has at most %u", c->vcpus, VCPU_MAX);
		return -1;
	}
	if (has_word(c->cmdline, "acpi=off")) {
		snprintf(why, n, "vcpus=%u: its CPUs are listed in ACPI's MADT, which acpi=off on its "
			 "command line hides", c->vcpus);
		return -1;
	}
	if (!has_word(c->cmdline, "noapic")) {
		snprintf(why, n, "vcpus=%u needs noapic on its command line (legacy interrupts stay "
			 "on the 8259, which keeps Linux's local APICs in x2APIC mode: "
			 "docs/platform.md)", c->vcpus);
		return -1;
	}
	return 0;
}

bool linux_apic_wanted(const struct vm_config *c)
{
	return c->vcpus > 1 || (has_word(c->cmdline, "noapic") && !has_word(c->cmdline, "acpi=off"));
}

int linux_smp_setup(struct vm *vm)
{
	static uint8_t table[ACPI_TABLES_MAX];
	unsigned j, online = 0;
	size_t len;

	for (j = 0; j < ARCH_MAX_CPUS; j++)
		online += arch_cpu_online(j);
	if (vm->nvcpus > online) {
		vm_stop(vm, "%u vCPUs but %u CPUs online: the vCPUs of one VM run on CPUs of their own",
			vm->nvcpus, online);
		return -1;
	}
	len = acpi_tables_build(table, ACPI_TABLES_GPA, vm->nvcpus);
	if (!len || copy_to_guest(vm, ACPI_TABLES_GPA, table, len)) {
		vm_stop(vm, "out of memory writing its ACPI tables");
		return -1;
	}
	vm->lapic = true;
	for (j = 0; j < vm->nvcpus; j++) {
		struct vcpu *v = &vm->vcpu[j];
		lapic_init(&v->lapic, j, j == 0);
		v->state = j ? VCPU_WAIT_SIPI : VCPU_RUNNABLE;
	}
	return 0;
}

/* t has an interrupt to take: wake it, or make its guest exit. */
static void wake(struct vcpu *t, struct vcpu *from)
{
	if (t->state == VCPU_BLOCKED)
		t->wake = 0;
	else if (t->state == VCPU_RUNNABLE && t != from && t->cpu != arch_cpu_index())
		arch_cpu_kick(t->cpu);
}

/* Routes an interrupt from's APIC sent; returns whether a vCPU of this
 * CPU other than from now has something to do (the slice should end). */
static bool route(struct vcpu *from, const struct lapic_ipi *ipi)
{
	struct vm *vm = from->vm;
	uint32_t lo = ipi->icr_low, dm = lo & APIC_ICR_DM_MASK, sh = lo & APIC_ICR_SHORTHAND_MASK;
	uint8_t vec = (uint8_t)(lo & APIC_ICR_VECTOR_MASK);
	bool here = false;
	unsigned j;

	for (j = 0; j < vm->nvcpus; j++) {
		struct vcpu *t = &vm->vcpu[j];
		bool hit = sh == APIC_ICR_SELF ? t == from
			 : sh == APIC_ICR_ALL_INCL_SELF ? true
			 : sh == APIC_ICR_ALL_BUT_SELF ? t != from
			 : lapic_match(&t->lapic, ipi->dest, (lo & APIC_ICR_DEST_LOGICAL) != 0);

		if (!hit || t->state == VCPU_DONE)
			continue;
		switch (dm) {
		case APIC_ICR_DM_FIXED:
		case APIC_ICR_DM_LOWEST:
			if (t->state == VCPU_WAIT_SIPI || t->state == VCPU_HALTED)
				break;
			vm->ipis[vec]++;
			if (lapic_deliver(&t->lapic, vec, (lo & APIC_ICR_TRIGGER_LEVEL) != 0)) {
				wake(t, from);
				here |= t != from && t->cpu == arch_cpu_index();
			}
			if (dm == APIC_ICR_DM_LOWEST)
				return here; /* one of them: the first */
			break;
		case APIC_ICR_DM_INIT:
			/* The assert resets a CPU that waits to start; the
			 * deassert (level 0) does nothing on an x2APIC. */
			if (!(lo & APIC_ICR_LEVEL_ASSERT) || t == from || t->state != VCPU_WAIT_SIPI)
				break;
			vm->ipis_init++;
			lapic_reset(&t->lapic);
			t->init_seen = true;
			break;
		case APIC_ICR_DM_STARTUP:
			vm->ipis_startup++;
			if (t->state != VCPU_WAIT_SIPI || !t->init_seen)
				break;
			t->sipi_vector = vec;
			t->sipi_started = true;
			t->state = VCPU_RUNNABLE;
			here |= t->cpu == arch_cpu_index();
			break;
		case APIC_ICR_DM_NMI:
			vm->nmis_dropped++;
			break;
		default: /* SMI, reserved: nothing */
			break;
		}
	}
	return here;
}

enum core_action linux_smp_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	uint64_t now = arch_time_now();
	struct lapic_ipi ipi;
	int rc;

	if (!v->vm->lapic)
		return CORE_UNDEFINED;
	if (msr == IA32_APIC_BASE) {
		if (!write) {
			*val = lapic_base_read(&v->lapic);
			return CORE_RESUME;
		}
		if (lapic_base_write(&v->lapic, *val) == 0)
			return CORE_RESUME;
		vm_stop(v->vm, "vCPU %u wrote IA32_APIC_BASE 0x%lx: only x2APIC mode is modelled "
			"(xAPIC's MMIO is not); boot it with noapic", v->index, *val);
		return CORE_YIELD;
	}
	if (!write)
		return lapic_read(&v->lapic, now, msr, val) ? CORE_UNDEFINED : CORE_RESUME;
	rc = lapic_write(&v->lapic, now, msr, *val, &ipi);
	if (rc < 0)
		return CORE_UNDEFINED;
	return rc == 1 && route(v, &ipi) ? CORE_YIELD : CORE_RESUME;
}

/* A port of the PC written by any vCPU may raise the 8259's line, which
 * only vCPU 0 takes. */
void linux_smp_io_done(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (!vm->lapic || v->index == 0)
		return;
	vplat_update(&vm->plat, arch_time_now());
	if (vplat_irq_pending(&vm->plat))
		wake(&vm->vcpu[0], v);
}

void linux_smp_report(const struct vm *vm)
{
	uint64_t total = 0, hz = arch_time_hz() ? arch_time_hz() : 1;
	unsigned i;

	if (!vm->lapic)
		return;
	for (i = 0; i < vm->nvcpus; i++) {
		const struct vcpu *v = &vm->vcpu[i];
		printf("summary: vm %s vcpu %u: in the guest %lu ms, in the hypervisor for it %lu ms; "
		       "%lu exits; %lu interrupts injected; its APIC timer fired %lu times\n", vm->name, i,
		       v->guest_ticks * 1000 / hz, v->host_ticks * 1000 / hz,
		       arch_vcpu_exits(&v->arch), v->irq_trips, v->lapic.timer_fired);
	}
	printf("summary: vm %s: %u vCPUs; IPIs", vm->name, vm->nvcpus);
	for (i = 0; i < 256; i++)
		if (vm->ipis[i]) {
			printf(" 0x%x %lu", i, vm->ipis[i]);
			total += vm->ipis[i];
		}
	printf("; total %lu, INIT %lu, STARTUP %lu, NMIs not delivered %lu\n", total, vm->ipis_init,
	       vm->ipis_startup, vm->nmis_dropped);
}
