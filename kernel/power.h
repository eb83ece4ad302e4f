/* power.h - power the machine off (see power.c). */
#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H
#include <stdint.h>
/* Sets the ACPI PM1a control port and S5 sleep type found in the FADT/DSDT. */
void power_set_acpi(uint16_t pm1a_cnt, uint16_t slp_typ);
/* Prints "power: off (why)" and powers off; never returns. */
void power_off(const char *why) __attribute__((noreturn));
#endif
