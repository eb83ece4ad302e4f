/*
 * sidechan.h - the sharing side channel's two guests (victim.c,
 * attacker.c): what a trial's page holds.
 *
 * Trial i (0 <= i < trials, the recipe's `inter`) asks one question: does
 * the victim hold page content G(i)?  G(i) follows from the shared seed,
 * the same in every VM, as a page of a well-known file would (a library's
 * text, a kernel's data).  The victim holds G(i) when bit i of its secret
 * (its own seed) is set, and a page of its own otherwise; the attacker
 * never learns the secret - it writes G(i) into a page of its own, lets
 * the scanner run, and times what follows (attacker.c).
 *
 * Both print their trials as lines of 64 characters ('1': holds / judged
 * shared, '0': does not / judged private), so that a check outside both
 * (the system case's after.sh) can score the attacker against the truth.
 */
#ifndef SIDECHAN_H
#define SIDECHAN_H

#include "guest.h"
#include "memtest_recipe.h"

#define SC_MAX_TRIALS 1024u

/* Fills the page at p with the content of key (every word distinct). */
static inline void sc_fill(volatile uint32_t *p, uint32_t key)
{
	for (uint32_t w = 0; w < PAGE_WORDS; w++)
		p[w] = mix32(key + w * 0x9E3779B9u);
}

/* The guessed content of trial i. */
static inline uint32_t sc_guess_key(const struct guest_params *gp, uint32_t i)
{
	return page_key(gp->shared_seed, 0x5C000000u + i, 0);
}

/* Prints bits[0..n) as lines "NAME: TAG FIRST-LAST BITS". */
static inline void sc_print_bits(const char *name, const char *tag, const uint8_t *bits, uint32_t n)
{
	char line[128], num[12];
	for (uint32_t i = 0; i < n; i += 64) {
		uint32_t k = 0, j;
		const char *parts[] = { name, ": ", tag, " " };
		for (j = 0; j < 4; j++)
			for (const char *s = parts[j]; *s; s++)
				line[k++] = *s;
		for (const char *s = u32_str(i, num); *s; s++)
			line[k++] = *s;
		line[k++] = '-';
		for (const char *s = u32_str(i + 63 < n ? i + 63 : n - 1, num); *s; s++)
			line[k++] = *s;
		line[k++] = ' ';
		for (j = i; j < i + 64 && j < n; j++)
			line[k++] = bits[j] ? '1' : '0';
		line[k++] = '\n';
		line[k] = 0;
		say(line);
	}
}

#endif
