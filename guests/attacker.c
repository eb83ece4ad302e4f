/*
 * attacker.c - the classic sharing side channel: does another VM hold this
 * page?  (Suzaki et al., EuroSec 2011; the first step of CAIN, Dedup Est
 * Machina and Flip Feng Shui.)
 *
 * For each trial i the attacker writes the guessed content G(i)
 * (sidechan.h) into a page of its own, waits while the scanner runs, then
 * times one access to that page with RDTSC.  If another VM held G(i), the
 * scanner merged the two pages into one read-only frame: a write then
 * exits on an EPT violation and is copied (a COW break), thousands of
 * cycles; if not, the page is still its own and the write costs nothing
 * extra.  Reads are timed too (before the writes, which would undo a
 * merge): a read of a shared page costs what any read costs, so in the
 * normal mode they should say nothing.
 *
 * It calibrates itself on pages it controls: 16 pairs of identical pages
 * (they merge with each other: slow) and 16 pages of its own (fast); the
 * threshold is halfway between the two medians.  It never asks the
 * hypervisor anything (HC_QUERY_COUNTERS would be a channel of its own):
 * it waits `rounds` units of 2^24 TSC ticks, long enough for several full
 * scans in the system case.  Under Bochs the TSC counts instructions, so
 * the channel is crisp; on hardware it is noisy (caches, interrupts, other
 * VMs) and an attacker repeats each trial (docs/security.md).
 *
 * Prints the thresholds, then its verdicts as lines of 64 characters
 * ('1': judged shared), for the write probe and for the read probe, then
 * every trial's time in ticks (16 a line, paced so that the console's ring
 * never drops one), for a check that asks what the best threshold in
 * hindsight would have told (tests/system/sidechan_score.py).
 */
#include "sidechan.h"

#define CAL 16u

/* One timed access to the first word of page p. */
static uint32_t probe(volatile uint32_t *p, int write)
{
	uint64_t t0 = rdtsc();
	if (write)
		p[0] ^= 1;
	else
		(void)p[0];
	return (uint32_t)(rdtsc() - t0);
}

static void say_num(const char *a, uint32_t v, const char *b)
{
	char num[12];
	say(a);
	say(u32_str(v, num));
	say(b);
}

void _start(void) __attribute__((noreturn, section(".text.start")));
void _start(void)
{
	static uint32_t t[2][SC_MAX_TRIALS + 3 * CAL], fast[CAL], slow[CAL];
	static uint8_t judged[SC_MAX_TRIALS];
	const struct guest_params *gp = params();
	uint32_t n = gp->inter < SC_MAX_TRIALS ? gp->inter : SC_MAX_TRIALS, i, k, thr[2];
	volatile uint32_t *data = (volatile uint32_t *)(uintptr_t)GUEST_DATA_GPA;
	volatile uint32_t *cal = data + n * PAGE_WORDS; /* CAL pairs, then CAL singles */
	uint64_t end;

	for (i = 0; i < n; i++)
		sc_fill(data + i * PAGE_WORDS, sc_guess_key(gp, i));
	for (i = 0; i < CAL; i++) {
		sc_fill(cal + (2 * i) * PAGE_WORDS, page_key(gp->seed, 0xCA10000u + i, 0));
		sc_fill(cal + (2 * i + 1) * PAGE_WORDS, page_key(gp->seed, 0xCA10000u + i, 0));
		sc_fill(cal + (2 * CAL + i) * PAGE_WORDS, page_key(gp->seed, 0xCA20000u + i, 0));
	}
	say_num("attacker: ", n, " guesses written; waiting for the scanner\n");
	end = rdtsc() + ((uint64_t)gp->rounds << 24);
	while (rdtsc() < end)
		__asm__ volatile("pause");

	/* Reads first (a write would undo a merge), then writes; the same
	 * order for the guesses and the calibration pages. */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++)
			t[k][i] = probe(data + i * PAGE_WORDS, (int)k);
		for (i = 0; i < 3 * CAL; i++)
			t[k][n + i] = probe(cal + i * PAGE_WORDS, (int)k);
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < CAL; i++) {
			slow[i] = t[k][n + 2 * i];       /* the first of each merged pair */
			fast[i] = t[k][n + 2 * CAL + i]; /* its own pages */
		}
		uint32_t f = median(fast, CAL), s = median(slow, CAL);
		thr[k] = f + (s > f ? (s - f) / 2 : 0);
		say_num(k ? "attacker: write probe: own pages " : "attacker: read probe: own pages ", f,
			" ticks, merged pairs ");
		say_num("", s, " ticks, threshold ");
		say_num("", thr[k], "\n");
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++)
			judged[i] = t[k][i] > thr[k];
		sc_print_bits("attacker", k ? "shared(write)" : "shared(read)", judged, n);
	}
	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i += 16) {
			char line[160], num[12];
			unsigned len = 0, j;
			const char *head = k ? "attacker: times(write) " : "attacker: times(read) ";
			for (const char *s = head; *s; s++)
				line[len++] = *s;
			for (const char *s = u32_str(i, num); *s; s++)
				line[len++] = *s;
			for (j = i; j < i + 16 && j < n; j++) {
				line[len++] = ' ';
				for (const char *s = u32_str(t[k][j] < 999999 ? t[k][j] : 999999, num); *s; s++)
					line[len++] = *s;
			}
			line[len++] = '\n';
			line[len] = 0;
			say(line);
			end = rdtsc() + (1ull << 22); /* the ring drains between rounds */
			while (rdtsc() < end)
				__asm__ volatile("pause");
		}
	say("attacker: done\n");
	for (;;)
		__asm__ volatile("hlt");
}
