/*
 * coldfill.c - a guest that fills most of its RAM, leaves it alone, then
 * checks every byte: the cold tier's overcommit test (issue 20).
 *
 * Parameters (the recipe's fields, config keys of the same names):
 *   seed    this VM's: its pages are its own, no other VM's
 *   inter   pages to fill, from GUEST_DATA_GPA up
 *   dup     units of 2^24 TSC ticks to wait before filling (a fleet's VMs
 *           fill one after another)
 *   rounds  units of 2^24 TSC ticks to wait between filling and checking
 * Page i's word k is mix32(key(seed, i) + k / 16): each page is unique,
 * but made of 64 runs of one word each, so lz4 packs it into a few
 * hundred bytes - compressible private memory, which sharing cannot save
 * and the cold tier can.  While it waits it touches no data page (a spin
 * on RDTSC: no interrupts reach our test images), so every page goes cold.
 * Then it reads every page back, reporting each mismatch by hypercall
 * (HC_REPORT_ERROR) and the total as round 1's progress, and halts.
 */
#include "guest.h"
#include "memtest_recipe.h"

static volatile uint32_t *page_at(uint32_t i)
{
	return (volatile uint32_t *)(uintptr_t)(GUEST_DATA_GPA + i * 4096u);
}

static void wait_units(uint32_t units)
{
	uint64_t end = rdtsc() + ((uint64_t)units << 24);
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

static uint32_t word_of(uint32_t key, uint32_t k)
{
	return mix32(key + (k >> 4) * 0x9E3779B9u);
}

void _start(void) __attribute__((noreturn, section(".text.start")));
void _start(void)
{
	const struct guest_params *p = params();
	uint32_t n = p->inter, i, k, errors = 0, reported = 0;
	char num[12];

	if (p->magic != GUEST_PARAMS_MAGIC) {
		say("coldfill: no parameter page\n");
		hypercall(HC_POWER_OFF, 99, 0, 0, 0);
	}
	wait_units(p->dup);
	for (i = 0; i < n; i++) {
		volatile uint32_t *w = page_at(i);
		uint32_t key = page_key(p->seed, i, 0);
		for (k = 0; k < PAGE_WORDS; k++)
			w[k] = word_of(key, k);
	}
	say("coldfill: wrote ");
	say(u32_str(n, num));
	say(" pages; leaving them alone\n");
	wait_units(p->rounds);
	for (i = 0; i < n; i++) {
		volatile uint32_t *w = page_at(i);
		uint32_t key = page_key(p->seed, i, 0);
		for (k = 0; k < PAGE_WORDS; k++) {
			uint32_t want = word_of(key, k), got = w[k];
			if (got == want)
				continue;
			errors++;
			if (reported < 16) {
				hypercall(HC_REPORT_ERROR, GUEST_DATA_GPA + i * 4096u, k * 4, want, got);
				reported++;
			}
		}
	}
	hypercall(HC_REPORT_PROGRESS, 1, errors, n, 0);
	say(errors ? "coldfill: done, memory CORRUPTED\n" : "coldfill: done, memory intact\n");
	for (;;)
		__asm__ volatile("hlt");
}
