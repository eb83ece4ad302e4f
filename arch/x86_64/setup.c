/*
 * setup.c - a CPU's state for running the hypervisor, and the small arch.h
 * calls that only forward to the file that owns the hardware.
 *
 * Every CPU, the boot CPU and each AP alike, goes through cpu_init(): its
 * own GDT, TSS and the shared IDT (trap.c), its per-CPU data at %gs:0, and
 * the FPU/SSE unit.  The hypervisor's code (newlib included) may use SSE:
 * the guest's FPU/SSE state is saved right after each VM exit and restored
 * right before each entry (vcpu.c), so the hypervisor may clobber those
 * registers freely in between.
 */
#include "arch.h"
#include "cpu.h"
#include "setup.h"
#include "trap.h"
#include "tsc.h"
#include "uart.h"
#include "vmx_gate.h"

/* The two 8259A PICs' interrupt mask registers (OCW1). */
#define PIC1_DATA 0x21
#define PIC2_DATA 0xA1

static void fpu_enable(void)
{
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

void cpu_init(unsigned cpu)
{
	trap_init(cpu);
	fpu_enable();
}

void arch_boot_cpu_init(void)
{
	cpu_init(0);
	console_uart_init();
	tsc_calibrate();
}

void arch_mask_legacy_irqs(void)
{
	outb(PIC1_DATA, 0xFF);
	outb(PIC2_DATA, 0xFF);
}

unsigned arch_virt_check(void)
{
	return vmx_gate();
}
