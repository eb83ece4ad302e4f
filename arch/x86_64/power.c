/*
 * power.c - power-off that a test harness can observe.
 *
 * In order: the ACPI way (SLP_TYPa of \_S5 | SLP_EN to the FADT's PM1a
 * control port), the fixed PIIX4 port 0xB004 that QEMU "pc" and Bochs use,
 * QEMU q35's 0x604, then QEMU's isa-debug-exit (port 0xF4), and if all of
 * that leaves the machine on, halt with interrupts off.
 */
#include <stdio.h>

#include "arch.h"
#include "cpu.h"
#include "upcall.h"

/* ACPI 6.x 4.8.3.2.1, PM1 control register: SLP_TYPx in bits 12:10. */
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN        (1u << 13)
#define PIIX4_PM1_CNT     0xB004 /* QEMU "pc", Bochs */
#define ICH9_PM1_CNT      0x604  /* QEMU q35 */
#define QEMU_DEBUG_EXIT   0xF4   /* isa-debug-exit */

static uint16_t acpi_pm1a_cnt, acpi_slp_typ;

void arch_power_set_acpi(uint16_t pm1a_cnt, uint16_t slp_typ)
{
	acpi_pm1a_cnt = pm1a_cnt;
	acpi_slp_typ = slp_typ;
}

void arch_power_off(const char *why)
{
	core_dying(); /* a console held for an attached VM shows this */
	printf("power: off (%s)\n", why);
	fflush(stdout);
	arch_console_flush(); /* the one wait for the UART: everything queued goes out */
	if (acpi_pm1a_cnt)
		outw(acpi_pm1a_cnt, (uint16_t)((acpi_slp_typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN));
	outw(PIIX4_PM1_CNT, PM1_SLP_EN);
	outw(ICH9_PM1_CNT, PM1_SLP_EN);
	outb(QEMU_DEBUG_EXIT, 0);
	for (;;) {
		cli();
		hlt();
	}
}
