/*
 * victim.c - the side channel's victim: it holds, or does not, each
 * trial's guessed page (sidechan.h), by a secret from its own seed.
 *
 * Page i of its data holds G(i) when bit i of the secret is set, else a
 * page only it has.  It prints the secret (for the check, not for the
 * attacker, which runs in another VM and never sees this VM's console),
 * then leaves them alone, as a process whose data is resident and idle
 * would, until it has lived `rounds` units of 2^24 TSC ticks; then it
 * halts.
 */
#include "sidechan.h"

void _start(void) __attribute__((noreturn, section(".text.start")));
void _start(void)
{
	static uint8_t secret[SC_MAX_TRIALS];
	const struct guest_params *gp = params();
	uint32_t n = gp->inter < SC_MAX_TRIALS ? gp->inter : SC_MAX_TRIALS, i;
	volatile uint32_t *data = (volatile uint32_t *)(uintptr_t)GUEST_DATA_GPA;
	uint64_t end = rdtsc() + ((uint64_t)gp->rounds << 24);

	for (i = 0; i < n; i++) {
		secret[i] = (uint8_t)(page_key(gp->seed, 0x5EC0000u + i, 0) >> 7 & 1);
		sc_fill(data + i * PAGE_WORDS, secret[i] ? sc_guess_key(gp, i)
						       : page_key(gp->seed, 0x0D0000u + i, 0));
	}
	sc_print_bits("victim", "holds", secret, n);
	say("victim: ready\n");
	while (rdtsc() < end)
		__asm__ volatile("pause");
	say("victim: done\n");
	for (;;)
		__asm__ volatile("hlt");
}
