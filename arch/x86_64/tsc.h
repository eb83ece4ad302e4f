/* tsc.h - the TSC's rate, measured at boot (tsc.c). */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H
#include <stdint.h>
/* Measures the TSC against the PIT; arch_time_hz() then reports it. */
void tsc_calibrate(void);
#endif
