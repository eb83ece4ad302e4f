/*
 * memtest.c - a guest that checks every byte of its memory, the integrity
 * oracle for deduplication.
 *
 * Its RAM above 1 MiB holds, in order, the recipe's page classes:
 *   inter   identical in every VM        content(shared_seed, i, 0)
 *   dup     repeated within this VM      content(seed, 0xD0D0 + i % groups, 0)
 *   zero    all zeros
 *   unique  distinct everywhere          content(seed, 0x10000000 + i, 0)
 *   ws      a working set, rewritten     content(seed, 0x20000000 + i, round)
 * Every word is derived from (seed, page, generation), so checking needs no
 * second copy.  Round 0 writes everything; each later round verifies every
 * page, reports each mismatch (page, offset, expected, found) by hypercall,
 * rewrites the working set and reports progress.  After the last round it
 * halts, its memory kept for the hypervisor's final sharing check.  With
 * several vCPUs, vCPU k does the pages i with i mod n = k, concurrently.
 *
 * The recipe itself (layout, keys, page contents) lives in memtest_recipe.h,
 * shared with tools/recipe_recount.c, which rebuilds the same final memory
 * on the host to compute the sharing the system tests expect.
 */
#include "guest.h"
#include "memtest_recipe.h"

static volatile uint32_t *page_at(uint32_t i)
{
	return (volatile uint32_t *)(uintptr_t)(GUEST_DATA_GPA + i * 4096u);
}

/* Returns the mismatching words of page i (reporting the first few). */
static uint32_t verify(uint32_t i, uint32_t key, int zero, uint32_t *reported)
{
	volatile uint32_t *w = page_at(i);
	uint32_t bad = 0;
	for (uint32_t k = 0; k < PAGE_WORDS; k++) {
		uint32_t want = page_word(key, k, zero), got = w[k];
		if (got != want) {
			bad++;
			if (*reported < 16) {
				hypercall(HC_REPORT_ERROR, GUEST_DATA_GPA + i * 4096u, k * 4, want, got);
				++*reported;
			}
		}
	}
	return bad;
}

void _start(void) __attribute__((noreturn, section(".text.start")));
void _start(void)
{
	const struct guest_params *p = params();
	struct layout l;
	uint32_t total, errors = 0, reported = 0, i, round, me, n, mine = 0;
	char num[12];

	vcpu_id(&me, &n);

	if (p->magic != GUEST_PARAMS_MAGIC) {
		say("memtest: no parameter page");
		hypercall(HC_POWER_OFF, 99, 0, 0, 0);
	}
	total = layout_of(p, &l);

	if (me == 0) {
		say("memtest: writing ");
		say(u32_str(total, num));
		say(" pages\n");
	}
	for (i = me; i < total; i += n)
		mine++;
	for (i = me; i < total; i += n) {
		int zero;
		uint32_t key = key_of(p, &l, i, 0, &zero);
		fill(page_at(i), key, zero);
	}
	for (round = 1; round <= p->rounds; round++) {
		for (i = me; i < total; i += n) {
			int zero;
			uint32_t key = key_of(p, &l, i, round - 1, &zero);
			errors += verify(i, key, zero, &reported);
		}
		for (i = l.start[C_WS] + (me + n - l.start[C_WS] % n) % n; i < total; i += n) {
			int zero;
			uint32_t key = key_of(p, &l, i, round, &zero);
			fill(page_at(i), key, zero);
		}
		hypercall(HC_REPORT_PROGRESS, round, errors, mine, 0);
	}
	say(errors ? "memtest: done, memory CORRUPTED\n" : "memtest: done, memory intact\n");
	for (;;)
		__asm__ volatile("hlt");
}
