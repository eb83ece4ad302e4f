/*
 * memtest_recipe.h - what the memtest guest writes into each data page.
 *
 * A VM's recipe (struct guest_params: seed, shared_seed, inter, dup, zero,
 * unique, ws) lays out its RAM above GUEST_DATA_GPA as consecutive page
 * classes, and each page's 1024 words follow from one key:
 *   inter   identical in every VM        key(shared_seed, i, 0)
 *   dup     repeated within this VM      key(seed, 0xD0D0 + i % groups, 0)
 *   zero    all zeros
 *   unique  distinct everywhere          key(seed, 0x10000000 + i, 0)
 *   ws      a working set, rewritten     key(seed, 0x20000000 + i, generation)
 * with groups = dup / 8 (at least 1) and word k = mix32(key + k * golden).
 *
 * Plain static C (not inline, so that memtest.bin stays byte for byte what
 * it was) on fixed-width types only: guests/memtest.c (built
 * 32-bit, freestanding) fills and checks its pages with it, and
 * tools/recipe_recount.c (a 64-bit host program) rebuilds the same final
 * memory to compute the sharing a recipe must reach.
 */
#ifndef MEMTEST_RECIPE_H
#define MEMTEST_RECIPE_H

#include <stdint.h>

#include "guest_abi.h"

#define PAGE_WORDS 1024

static __attribute__((unused)) uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static __attribute__((unused)) uint32_t page_key(uint32_t seed, uint32_t page, uint32_t gen)
{
	return mix32(seed ^ mix32(page ^ mix32(gen + 0x9E3779B9u)));
}

enum { C_INTER, C_DUP, C_ZERO, C_UNIQUE, C_WS };

/* start[c]: the first data page of class c; start[5]: the page count. */
struct layout { uint32_t start[6]; uint32_t groups; };

/* Lays out p's recipe; returns its page count. */
static __attribute__((unused)) uint32_t layout_of(const struct guest_params *p, struct layout *l)
{
	l->start[C_INTER] = 0;
	l->start[C_DUP] = p->inter;
	l->start[C_ZERO] = l->start[C_DUP] + p->dup;
	l->start[C_UNIQUE] = l->start[C_ZERO] + p->zero;
	l->start[C_WS] = l->start[C_UNIQUE] + p->unique;
	l->start[5] = l->start[C_WS] + p->ws;
	l->groups = p->dup / 8 ? p->dup / 8 : 1;
	return l->start[5];
}

/* The key of data page i as written in round `round` (the working set's
 * generation); *zero when the page is all zeros. */
static __attribute__((unused)) uint32_t key_of(const struct guest_params *p, const struct layout *l, uint32_t i,
			      uint32_t round, int *zero)
{
	*zero = 0;
	if (i < l->start[C_DUP])
		return page_key(p->shared_seed, i, 0);
	if (i < l->start[C_ZERO])
		return page_key(p->seed, 0xD0D0u + (i - l->start[C_DUP]) % l->groups, 0);
	if (i < l->start[C_UNIQUE]) {
		*zero = 1;
		return 0;
	}
	if (i < l->start[C_WS])
		return page_key(p->seed, 0x10000000u + i, 0);
	return page_key(p->seed, 0x20000000u + i, round);
}

/* Word k of a page with this key. */
static __attribute__((unused)) uint32_t page_word(uint32_t key, uint32_t k, int zero)
{
	return zero ? 0 : mix32(key + k * 0x9E3779B9u);
}

/* Writes one page (PAGE_WORDS words). */
static __attribute__((unused)) void fill(volatile uint32_t *w, uint32_t key, int zero)
{
	for (uint32_t k = 0; k < PAGE_WORDS; k++)
		w[k] = page_word(key, k, zero);
}

#endif
