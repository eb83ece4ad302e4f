/*
 * tsc.c - the time-stamp counter's rate, measured once at boot.
 *
 * Guests read the TSC unchanged, and a Linux guest believes the rate that
 * CPUID leaves 0x15/0x16 report (exit_decode.c), so that rate must be the
 * TSC's true one: under Bochs the TSC advances at the emulated `ips` (50 MHz
 * here) while the CPU model claims 3.5 GHz, and a guest told 3.5 GHz keeps
 * time ~70 times too slow.  The measurement is Linux's pit_calibrate_tsc():
 * PIT channel 2, gated through port 0x61 with the speaker off, counts down
 * CALIBRATE_TICKS of its 1,193,182 Hz clock in mode 0 while the TSC runs;
 * OUT2 (port 0x61 bit 5) goes high at zero.  50 ms is long enough for a
 * rate within 0.1% and short enough for Bochs (2.5 M emulated instructions).
 */
#include <stdio.h>

#include "arch.h"
#include "cpu.h"
#include "i8254.h"
#include "tsc.h"

/* Channel 2, LSB then MSB, mode 0 (interrupt on terminal count), binary. */
#define PIT_CH2_LOHI_M0 ((2u << PIT_CW_SC_SHIFT) | (PIT_RW_LSB_MSB << PIT_CW_RW_SHIFT) | \
			 (PIT_MODE_INT_ON_TC << PIT_CW_M_SHIFT))
#define CALIBRATE_TICKS 59659u /* 50 ms */

static uint64_t tsc_hz;

void tsc_calibrate(void)
{
	uint64_t t0, t1, spins = 0;

	outb(PIT_PORT_B, (uint8_t)((inb(PIT_PORT_B) & ~PIT_B_SPKR_DATA) | PIT_B_GATE2));
	outb(PIT_MODE, PIT_CH2_LOHI_M0);
	outb(PIT_CH2, CALIBRATE_TICKS & 0xFF);
	outb(PIT_CH2, CALIBRATE_TICKS >> 8);
	t0 = rdtsc();
	/* At most 2^34 TSC ticks (5 s at 3.5 GHz) for a PIT that never answers. */
	while (!(inb(PIT_PORT_B) & PIT_B_OUT2) && ++spins < 100000000 && rdtsc() - t0 < (1ull << 34))
		;
	t1 = rdtsc();
	if (!(inb(PIT_PORT_B) & PIT_B_OUT2) || t1 <= t0) {
		tsc_hz = 1000000000; /* no PIT: guess 1 GHz and say so */
		printf("time: no PIT answered; TSC rate assumed 1 GHz (guest clocks may drift)\n");
		return;
	}
	tsc_hz = (t1 - t0) * PIT_HZ / CALIBRATE_TICKS;
	printf("time: TSC at %lu kHz (measured against the PIT over 50 ms)\n", tsc_hz / 1000);
}

uint64_t arch_time_hz(void)
{
	return tsc_hz;
}

uint64_t arch_time_now(void)
{
	return rdtsc();
}
