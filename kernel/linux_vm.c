/*
 * linux_vm.c - a VM that boots an unmodified Linux kernel.
 *
 * Creation: the kernel file (a bzImage, or the uncompressed vmlinux with a
 * PVH entry note) is recognized and planned by devices/linux_boot.c; its
 * pieces, the initrd (top of RAM), the command line and the boot
 * information page are copied into guest memory, which is otherwise left
 * to the zero frame like any VM's.  The vCPU starts at the kernel's 32-bit
 * entry with ESI (boot_params) or EBX (hvm_start_info) set.  A file the
 * kernel cannot use stops this VM with one line naming it and why; the
 * other VMs start.
 *
 * Running: the VM's PC (vplatform.c) is brought up to date before every
 * entry (what was typed to its console moves into the UART's receive
 * FIFO then: vm_console.c); an interrupt the PIC raises is injected when
 * the guest can take it (interrupt-window exiting otherwise), and the
 * VMX-preemption timer is set to fire at the PIT's next edge, so timer
 * interrupts arrive on time even when the guest never exits (an SMP VM's
 * vCPUs, and one vCPU booted with noapic but ACPI, have a local APIC each,
 * whose interrupts and timer join these: linux_smp.c).  HLT with interrupts enabled blocks the vCPU until its
 * next interrupt is due: an idle Linux costs no CPU.  HLT with interrupts
 * disabled can never end: that is how Linux powers off without ACPI
 * (`poweroff -f` prints "reboot: System halted"), and the VM is stopped
 * as powered off.
 */
#include <stdio.h>
#include <string.h>

#include "linux_boot.h"
#include "linux_smp.h"
#include "rtc_cmos.h"
#include "linux_vm.h"
#include "uart_16550.h"
#include "vm.h"

static const struct boot_file *find_file(const struct boot_info *bi, const char *name)
{
	unsigned f;
	for (f = 1; f < bi->file_count; f++)
		if (!strcmp(bi->files[f].name, name))
			return &bi->files[f];
	return NULL;
}

/* The wall clock in seconds since 1970, from the machine's RTC, read once
 * at the first Linux VM's start and advanced by the TSC from there; 0
 * (the guest then starts in 1970) when the machine has no clock. */
static uint64_t wallclock_now(void)
{
	static uint64_t unix0, tsc0;
	static bool read;
	struct arch_datetime t;

	if (!read) {
		read = true;
		tsc0 = arch_time_now();
		if (arch_wallclock(&t))
			unix0 = (uint64_t)rtc_days_from_civil(t.year, t.month, t.day) * 86400 +
				t.hour * 3600 + t.minute * 60 + t.second;
		printf("time: the machine's clock reads %lu s since 1970 (guests' RTCs start there)\n",
		       unix0);
	}
	return unix0 ? unix0 + (arch_time_now() - tsc0) / (arch_time_hz() ? arch_time_hz() : 1) : 0;
}

/* Finds the VM's files and plans its load: 0, or -1 with the reason (naming
 * the file) in why. */
static int plan(const struct vm_config *c, const struct boot_info *bi, struct lb_kernel *k,
		struct lb_layout *l, const struct boot_file **kf, const struct boot_file **rf,
		char *why, size_t n)
{
	const char *reason;

	*kf = find_file(bi, c->kernel);
	*rf = c->initrd[0] ? find_file(bi, c->initrd) : NULL;
	if (!*kf || (c->initrd[0] && !*rf)) {
		snprintf(why, n, "%s %s was not loaded", *kf ? "initrd" : "kernel",
			 *kf ? c->initrd : c->kernel);
		return -1;
	}
	if (lb_parse(phys_to_virt((*kf)->phys), (*kf)->size, k, &reason)) {
		snprintf(why, n, "kernel %s: %s", c->kernel, reason);
		return -1;
	}
	if (lb_place(k, c->ram, *rf ? (*rf)->size : 0, strlen(c->cmdline), l, &reason)) {
		snprintf(why, n, "kernel %s: %s (RAM %lu MiB; the kernel needs %lu MiB%s)",
			 c->kernel, reason, c->ram >> 20, (k->hi + 0xFFFFF) >> 20,
			 *rf ? " below its initrd" : "");
		return -1;
	}
	return 0;
}

int linux_vm_check(const struct vm_config *c, const struct boot_info *bi, char *why, size_t n)
{
	struct lb_kernel k;
	struct lb_layout l;
	const struct boot_file *kf, *rf;
	return linux_smp_check(c, why, n) ? -1 : plan(c, bi, &k, &l, &kf, &rf, why, n);
}

int linux_vm_create(unsigned id, const struct vm_config *c, const struct boot_info *bi)
{
	struct vm *vm = &vms[id];
	const struct boot_file *kf, *rf;
	const uint8_t *kernel;
	struct lb_kernel k;
	struct lb_layout l;
	static uint8_t page[4096];
	char why[sizeof(vm->why)];
	unsigned s;

	if (vm_create(id, c, NULL, 0))
		return -1;
	if (plan(c, bi, &k, &l, &kf, &rf, why, sizeof(why))) {
		vm_stop(vm, "%s", why);
		return -1;
	}
	kernel = phys_to_virt(kf->phys);
	for (s = 0; s < k.nsegs; s++)
		if (copy_to_guest(vm, k.seg[s].gpa, kernel + k.seg[s].file_off, k.seg[s].file_size))
			goto nomem;
	if (rf && copy_to_guest(vm, l.initrd_gpa, phys_to_virt(rf->phys), rf->size))
		goto nomem;
	if (copy_to_guest(vm, l.cmdline_gpa, c->cmdline, strlen(c->cmdline) + 1))
		goto nomem;
	lb_build_info(&k, kernel, &l, page);
	if (copy_to_guest(vm, l.info_gpa, page, sizeof(page)))
		goto nomem;
	vm->kind = &linux_vm_kind;
	vm->started = arch_time_now();
	vm->entry = k.entry;
	vm->entry_rbx = l.entry_ebx;
	vm->entry_rsi = l.entry_esi;
	vplat_init(&vm->plat, arch_time_now(), arch_time_hz(), wallclock_now());
	if (linux_apic_wanted(c) && linux_smp_setup(vm))
		return -1;
	printf("vm %s: Linux kernel %s (%s, %lu KiB, entry 0x%lx), initrd %s (%lu KiB at 0x%lx)\n",
	       vm->name, c->kernel, k.format == LB_BZIMAGE ? "bzImage" : "vmlinux, PVH entry",
	       kf->size >> 10, k.entry, rf ? c->initrd : "none", l.initrd_size >> 10, l.initrd_gpa);
	return 0;
nomem:
	vm_stop(vm, "out of memory loading its kernel and initrd");
	return -1;
}

/* The platform's interrupt lines brought up to now: the console's room
 * (the UART's transmitter), what was typed (into its receive FIFO, as far
 * as it has room), the PIT's edges. */
static void sync_lines(struct vm *vm, uint64_t now)
{
	struct uart16550 *u = &vm->plat.uart;
	int c;

	uart_set_tx_busy(u, guest_out_busy(vm));
	while (uart_rx_room(u) && (c = vmcon_in_take(&vm->con)) >= 0)
		uart_rx_push(u, (uint8_t)c);
	vplat_update(&vm->plat, now);
}

/* v's interrupt sources brought up to now: the PC's lines for vCPU 0 (the
 * 8259 is wired to it alone), its local APIC's timer in a VM that has one. */
static void sync(struct vcpu *v, uint64_t now)
{
	if (v->index == 0)
		sync_lines(v->vm, now);
	if (v->vm->lapic)
		lapic_update(&v->lapic, now);
}

/* The 8259's INTR reaches v: vCPU 0, through its LINT0 in a VM with local APICs. */
static bool pic_for(const struct vcpu *v)
{
	return v->index == 0 && vplat_irq_pending(&v->vm->plat) &&
	       (!v->vm->lapic || lapic_extint_open(&v->lapic));
}

static bool irq_waiting(const struct vcpu *v)
{
	return pic_for(v) || (v->vm->lapic && lapic_pending(&v->lapic) >= 0);
}

/* The CPU takes the interrupt: the 8259's first (ExtINT: its vector comes
 * from the PIC's INTA cycle, and the APIC keeps no record of it), then the
 * local APIC's highest. */
static uint8_t irq_take(struct vcpu *v)
{
	int vec;

	if (pic_for(v))
		return vplat_irq_ack(&v->vm->plat);
	vec = lapic_pending(&v->lapic);
	lapic_ack(&v->lapic, (uint8_t)vec);
	return (uint8_t)vec;
}

/* When v's next timer interrupt is due (the PIT's, for vCPU 0; its local
 * APIC's), or 0 for none. */
static uint64_t next_event(const struct vcpu *v, uint64_t now)
{
	uint64_t pit = v->index == 0 ? vplat_next_event(&v->vm->plat, now) : 0;
	uint64_t apic = v->vm->lapic ? lapic_next_event(&v->lapic, now) : 0;

	return !pit ? apic : !apic ? pit : pit < apic ? pit : apic;
}

static bool linux_vcpu_prepare(struct vcpu *v)
{
	uint64_t now = arch_time_now();
	bool injected = false;

	sync(v, now);
	if (irq_waiting(v) && arch_vcpu_irq_ready(&v->arch)) {
		arch_vcpu_inject_irq(&v->arch, irq_take(v));
		injected = true;
	}
	v->arch.deadline = next_event(v, now);
	return injected;
}

static void linux_vm_report(const struct vm *vm)
{
	const struct vcpu *v = &vm->vcpu[0];
	uint64_t hz = arch_time_hz() ? arch_time_hz() : 1;
	uint64_t life = (vm->ended ? vm->ended : arch_time_now()) - vm->started;
	uint64_t busy = v->guest_ticks + v->host_ticks;

	printf("summary: vm %s: Linux: lived %lu ms; in the guest %lu ms, in the hypervisor for it "
	       "%lu ms (%lu%% busy); %lu interrupts delivered (%lu timer edges), %lu TSC ticks from "
	       "exit to delivery on average\n", vm->name, life * 1000 / hz,
	       v->guest_ticks * 1000 / hz, v->host_ticks * 1000 / hz,
	       life ? busy * 100 / life : 0, vm->plat.irqs, vm->plat.timer_edges,
	       v->irq_trips ? v->irq_trip_ticks / v->irq_trips : 0);
	linux_smp_report(vm);
}

static enum core_action linux_vcpu_halt(struct vcpu *v, bool interruptible)
{
	uint64_t now = arch_time_now(), hz = v->vm->plat.tsc_hz;

	if (!interruptible) {
		if (v->index) { /* another CPU stopped (before a power-off, or offline) */
			v->state = VCPU_HALTED;
			return CORE_YIELD;
		}
		v->vm->powered_off = true;
		vm_stop(v->vm, "powered off (the guest halted with interrupts disabled)");
		return CORE_YIELD;
	}
	sync(v, now);
	if (irq_waiting(v))
		return CORE_RESUME;
	v->wake = next_event(v, now);
	if (!v->wake) /* no timer armed: look again in a while (vCPU 0: the UART's THRE;
		       * the others: an IPI wakes them) */
		v->wake = now + (v->index ? hz : hz / 256);
	v->state = VCPU_BLOCKED;
	return CORE_YIELD;
}

const struct vm_kind linux_vm_kind = {
	.name = "Linux", .hypercalls = false, .reads_console = true, .stack_below_entry = false,
	.prepare = linux_vcpu_prepare, .halt = linux_vcpu_halt, .report = linux_vm_report,
	.msr = linux_smp_msr, .io_done = linux_smp_io_done,
};
