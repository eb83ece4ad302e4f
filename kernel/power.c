/*
 * power.c - power-off that a test harness can observe.
 *
 * In order: the ACPI way (SLP_TYPa of \_S5 | SLP_EN to the FADT's PM1a
 * control port), the fixed PIIX4 port 0xB004 that QEMU "pc" and Bochs use,
 * QEMU q35's 0x604, then QEMU's isa-debug-exit (port 0xF4), and if all of
 * that leaves the machine on, halt with interrupts off.
 */
#include <stdio.h>

#include "power.h"
#include "../arch/x86_64/cpu.h"

#define SLP_EN (1u << 13)

static uint16_t acpi_pm1a_cnt, acpi_slp_typ;

void power_set_acpi(uint16_t pm1a_cnt, uint16_t slp_typ)
{
	acpi_pm1a_cnt = pm1a_cnt;
	acpi_slp_typ = slp_typ;
}

void power_off(const char *why)
{
	printf("power: off (%s)\n", why);
	fflush(stdout);
	if (acpi_pm1a_cnt)
		outw(acpi_pm1a_cnt, (uint16_t)((acpi_slp_typ << 10) | SLP_EN));
	outw(0xB004, 0x2000);
	outw(0x604, 0x2000);
	outb(0xF4, 0);
	for (;;) {
		cli();
		hlt();
	}
}
