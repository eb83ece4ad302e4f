/*
 * cowbench.c - what an exit and a COW break cost, timed by the guest.
 *
 * Measures with RDTSC (under Bochs with "clock: sync=none" the TSC counts
 * emulated instructions, so the figures are instructions executed, guest
 * and hypervisor together):
 *   - a VMCALL round trip (an unknown number: exit, dispatch, entry);
 *   - the first write to never-touched pages (COW from the zero frame);
 *   - a write to pages that the scanner merged (COW from a shared frame),
 *     after waiting for the merge through HC_QUERY_COUNTERS.
 * Prints the median of each, then halts.
 */
#include "guest.h"

#define N 64

static void report(const char *what, uint32_t ticks)
{
	char num[12];
	say("cowbench: ");
	say(what);
	say(": ");
	say(u32_str(ticks, num));
	say(" ticks (median of 64)\n");
}

void _start(void) __attribute__((noreturn, section(".text.start")));
void _start(void)
{
	static uint32_t t[N];
	volatile uint32_t *base = (volatile uint32_t *)(uintptr_t)GUEST_DATA_GPA;
	struct hc_counters c;
	unsigned i;

	for (i = 0; i < N; i++) {
		uint64_t a = rdtsc();
		hypercall(0xBE0C, 0, 0, 0, 0);
		t[i] = (uint32_t)(rdtsc() - a);
	}
	report("VMCALL round trip", median(t, N));

	for (i = 0; i < N; i++) {           /* never touched: the zero frame */
		uint64_t a = rdtsc();
		base[i * 1024] = 1;
		t[i] = (uint32_t)(rdtsc() - a);
	}
	report("first write (COW from the zero frame)", median(t, N));

	/* Make N pages identical, wait until the scanner has merged them. */
	for (i = 0; i < N; i++)
		for (unsigned w = 0; w < 1024; w++)
			base[(N + i) * 1024 + w] = 0xC0FFEE00u + w;
	do
		hypercall(HC_QUERY_COUNTERS, (uint32_t)(uintptr_t)&c, sizeof(c), 0, 0);
	while (c.pages_sharing < N - 1);
	for (i = 0; i < N; i++) {
		uint64_t a = rdtsc();
		base[(N + i) * 1024] = i;
		t[i] = (uint32_t)(rdtsc() - a);
	}
	report("write to a merged page (COW copy, 64 sharers)", median(t, N));
	say("cowbench: done\n");
	for (;;)
		__asm__ volatile("hlt");
}
