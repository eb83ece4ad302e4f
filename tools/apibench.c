/*
 * apibench - what the API's per-VM figures cost the engine's caller, on the
 * host, with the real engine (dedup/) over the fake machine (tests/fake/).
 *
 * Issue 23: GET or HEAD /metrics and /api/vms walked every page of every VM
 * (dedup_vm_account, O(pages + shared frames) per VM) on the boot CPU
 * under the hypervisor's lock, for every request, so pipelined requests
 * from any client stalled every VM.  Now a request reads the online
 * per-VM counters (dedup_get_vm_stats) and a PSS walked at most once a
 * second in steps of API_ACCOUNT_STEP_PAGES pages (control/api_account.c,
 * dedup_pss_walk_step).  This tool builds a fleet shaped like Linux guests
 * (most pages zero, a part shared across VMs, the rest unique), merges it,
 * and times both paths:
 *
 *   before   one request's walk: dedup_vm_account of every VM
 *   after    one request's reads: dedup_get_vm_stats of every VM, and
 *            the refresh: a whole PSS walk (its share of a CPU at one a
 *            second) and its steps, on average and the longest (what it
 *            adds to one hold of the lock)
 *
 * Usage: apibench [VMS [MIB [ZERO_PCT SHARED_PCT]]] (default 16 VMs of
 * 1024 MiB, 70% zero, 25% shared among 4,096 contents, 5% unique).  Each
 * figure is the median of several runs; wall-clock time on a shared
 * machine: relative figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_account.h"
#include "dedup.h"
#include "fake_mem.h"

#define POOL 4096u /* distinct contents the VMs share */
#define RUNS 9

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* Content c (>= 1): a page no other content equals. */
static void content(uint64_t c, uint64_t *w)
{
	unsigned i;
	for (i = 0; i < 512; i++)
		w[i] = c * 0x100000001b3ull + i;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static volatile uint64_t sink;

int main(int argc, char **argv)
{
	unsigned nvms = argc > 1 ? (unsigned)atoi(argv[1]) : 16;
	uint64_t mib = argc > 2 ? strtoull(argv[2], NULL, 0) : 1024;
	unsigned zero_pct = argc > 4 ? (unsigned)atoi(argv[3]) : 70;
	unsigned shared_pct = argc > 4 ? (unsigned)atoi(argv[4]) : 25;
	uint64_t npages = mib << 8, unique, nframes, g;
	struct dedup_knobs k = { .pages_to_scan = 1u << 20 };
	static struct dedup_pss_walk w;
	struct fake_mem m;
	struct dedup_ops ops;
	struct dedup *d;
	double before[RUNS], after[RUNS], walk[RUNS], *step = NULL, longest = 0;
	uint64_t steps = 0, r;
	unsigned v, i;

	if (!nvms || nvms > DEDUP_MAX_VMS || !npages || npages > DEDUP_MAX_PAGES ||
	    zero_pct + shared_pct > 100)
		return fprintf(stderr, "usage: apibench [VMS (1-63) [MIB [ZERO_PCT SHARED_PCT]]]\n"), 2;
	unique = npages * (100 - zero_pct - shared_pct) / 100;
	/* Frames: every VM's unique pages, one VM's shared pages before they
	 * merge (VMs are filled one at a time, each merged before the next),
	 * the shared contents, the zero frame; 2% more, for the draw's spread. */
	nframes = (nvms * unique + npages * shared_pct / 100) * 51 / 50 + POOL + 64;
	printf("apibench: %u VMs of %lu MiB (%lu pages): %u%% zero, %u%% shared among %u contents, "
	       "%lu unique pages each; %lu MiB of frames\n", nvms, (unsigned long)mib,
	       (unsigned long)npages, zero_pct, shared_pct, POOL, (unsigned long)unique,
	       (unsigned long)(nframes >> 8));
	fake_init(&m, nframes, true);
	m.poison = false;
	ops = fake_ops(&m);
	d = dedup_create(&ops, &k);
	if (!d)
		return fprintf(stderr, "apibench: no memory for the engine\n"), 1;
	for (v = 0; v < nvms; v++) {
		static uint64_t page[512];
		fake_vm_create(&m, v, npages);
		if (dedup_vm_add(d, v, npages, 0, true))
			return fprintf(stderr, "apibench: dedup_vm_add failed\n"), 1;
		for (g = 0; g < npages; g++) {
			uint64_t x = mix64(v * npages + g) % 100;
			uint64_t c = x < zero_pct ? 0
				   : x < zero_pct + shared_pct ? 1 + mix64(g) % POOL
				   : POOL + 1 + v * npages + g;
			if (!c)
				continue;
			content(c, page);
			while (fake_guest_write(&m, v, g, 0, page, 4096))
				if (dedup_cow_break(d, v, g))
					return fprintf(stderr, "apibench: out of frames\n"), 1;
		}
		for (;;) { /* two full scans: everything unchanged is merged */
			struct dedup_stats s;
			dedup_scan(d, 1u << 20);
			dedup_get_stats(d, &s);
			if (s.full_scans >= 2 * (v + 1))
				break;
		}
	}
	{
		struct dedup_stats s;
		dedup_get_stats(d, &s);
		printf("apibench: merged: %lu pages saved (%lu zero), %lu shared frames\n",
		       (unsigned long)s.frames_saved, (unsigned long)s.ksm_zero_pages,
		       (unsigned long)s.pages_shared);
	}

	for (r = 0; r < RUNS; r++) {
		double t = now();
		for (v = 0; v < nvms; v++) {
			struct dedup_vm_account a;
			dedup_vm_account(d, v, &a);
			sink += a.pss;
		}
		before[r] = now() - t;
		t = now();
		for (i = 0; i < 1000; i++)
			for (v = 0; v < nvms; v++) {
				struct dedup_vm_stats s;
				dedup_get_vm_stats(d, v, &s);
				sink += s.merged;
			}
		after[r] = (now() - t) / 1000;
		t = now();
		steps = 0;
		dedup_pss_walk_begin(&w);
		while (w.vm < DEDUP_MAX_VMS) {
			double t0 = now(), dt;
			dedup_pss_walk_step(d, &w, API_ACCOUNT_STEP_PAGES);
			dt = now() - t0;
			if (!r) {
				step = realloc(step, (steps + 1) * sizeof(*step));
				if (!step)
					return fprintf(stderr, "apibench: out of memory\n"), 1;
				step[steps] = dt;
			} else if (dt < step[steps]) {
				step[steps] = dt;
			}
			steps++;
		}
		walk[r] = now() - t;
	}
	/* The longest step: each step's fastest run (a preempted run is no
	 * figure of the step), the slowest of those. */
	for (i = 0; i < steps; i++)
		if (step[i] > longest)
			longest = step[i];
	free(step);
	printf("before: a request walked every VM (dedup_vm_account x %u): %.2f ms a request\n", nvms,
	       median(before, RUNS) * 1e3);
	printf("after:  a request reads the online counters (dedup_get_vm_stats x %u): %.3f us a "
	       "request\n", nvms, median(after, RUNS) * 1e6);
	printf("after:  the PSS refresh, at most once a second: %.2f ms in %lu steps of %u pages "
	       "(%.2f%% of a CPU); a step %.1f us on average, the longest %.1f us (each step's "
	       "fastest of %u runs)\n", median(walk, RUNS) * 1e3, (unsigned long)steps,
	       API_ACCOUNT_STEP_PAGES, median(walk, RUNS) * 100, median(walk, RUNS) / steps * 1e6,
	       longest * 1e6, RUNS);
	for (v = 0; v < nvms; v++) {
		dedup_vm_remove(d, v);
		fake_vm_destroy(&m, v);
	}
	dedup_destroy(d);
	fake_fini(&m);
	return 0;
}
