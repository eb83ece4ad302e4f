/*
 * sharing_converge.c - the engine run to its fixed point, and the exact
 * recount it is checked against (the console's "converge", measurement
 * points, the end of a run).
 *
 * How it works: sharing_converge() finishes the full scan under way, then
 * runs whole scans, with the clock stopped, until one begins and ends
 * with every page a candidate or shared and merges nothing more (the
 * comment inside says why both ends matter).  The recount
 * (dedup/recount.c) counts, from the guests' pages as the engine holds
 * them (compressed and patched ones read back, checked), what a perfect
 * engine would save; at the fixed point the live figures must equal it.
 * Everything runs under the hypervisor lock.  (Split from sharing.c.)
 */
#include <stdio.h>

#include "arch.h"
#include "recount.h"
#include "sharing.h"

/* The recount reads guest pages as the engine holds them (compressed ones
 * decompressed and checked: dedup_page_read). */
struct recount_ctx { unsigned ids[VM_MAX]; };
static const unsigned char *guest_page(void *rc, unsigned v, uint64_t p)
{
	struct recount_ctx *c = rc;
	return sharing_read_page(&vms[c->ids[v]], p);
}

uint64_t sharing_converge(void)
{
	struct dedup_stats s;
	uint64_t scans0, before;

	dedup_get_stats(engine, &s);
	/* No VM memory in the engine (every VM stopped): no scan would ever
	 * complete, and there is nothing to converge. */
	if (!s.pages_tracked)
		return 0;
	scans0 = s.full_scans;
	dedup_clock(engine, arch_time_now()); /* time stands still while it converges */
	/* Finish the pass under way, so that every pass below is whole. */
	before = s.full_scans;
	while (s.full_scans == before) {
		dedup_scan(engine, 1u << 20);
		dedup_get_stats(engine, &s);
	}
	/* Converged: a whole pass that began with every page a candidate or
	 * shared - none changed at its last visit (pages_volatile) or not yet
	 * hashed (pages_new): those need another visit before they can merge -
	 * that ended so too, and that merged nothing more.  The end matters: a
	 * candidate the guest wrote after its last visit (before the vCPUs
	 * were paused) is counted as one until this pass finds its dirty bit
	 * and makes it volatile, and it merges only in the pass after. */
	for (;;) {
		uint64_t prev = s.frames_saved, volatile0 = s.pages_volatile + s.pages_new;
		before = s.full_scans;
		while (s.full_scans == before) {
			dedup_scan(engine, 1u << 20);
			dedup_get_stats(engine, &s);
		}
		if (volatile0 == 0 && s.pages_volatile + s.pages_new == 0 && s.frames_saved == prev)
			break;
	}
	return s.full_scans - scans0;
}

int sharing_recount(const unsigned *ids, unsigned k, struct dedup_recount *o)
{
	struct recount_ctx c;
	uint64_t pages[VM_MAX];
	unsigned i;

	for (i = 0; i < k; i++) {
		c.ids[i] = ids[i];
		pages[i] = vms[ids[i]].npages;
	}
	return dedup_recount(guest_page, &c, pages, k, 4096, o);
}

void sharing_converge_and_check(void)
{
	struct dedup_stats s;
	uint64_t scans0, sharable = 0, self = 0, inter = 0;
	unsigned i, n = 0, dom;

	for (i = 0; i < nvms; i++)
		n += vms[i].in_engine;
	if (!n) { /* every VM stopped and gave its memory back: nothing to scan */
		printf("dedup: no VM memory left to converge on\n");
		return;
	}
	dedup_get_stats(engine, &s);
	scans0 = s.full_scans;
	sharing_converge();
	dedup_get_stats(engine, &s);
	sharing_summary("converged");
	/* The exact recount, domain by domain: frames are never shared across. */
	for (dom = 0; dom <= 0xFFFF; dom++) {
		struct recount_ctx c;
		struct dedup_recount o;
		uint64_t pages[VM_MAX];
		unsigned k = 0;
		for (i = 0; i < nvms; i++)
			if (vms[i].in_engine && vms[i].cfg->domain == dom) {
				c.ids[k] = i;
				pages[k++] = vms[i].npages;
			}
		if (!k)
			continue;
		if (dedup_recount(guest_page, &c, pages, k, 4096, &o)) {
			printf("dedup: the recount ran out of memory\n");
			return;
		}
		sharable += o.sharable;
		self += o.self_sharing;
		inter += o.inter_sharing;
		dedup_recount_free(&o);
		n -= k;
		if (!n)
			break;
	}
	printf("dedup: after %lu more full scans: saved %lu (self %lu, inter %lu); recount of identical "
	       "pages: %lu (self %lu, inter %lu): %s\n", s.full_scans - scans0, s.frames_saved,
	       s.self_sharing, s.inter_sharing, sharable, self, inter,
	       s.frames_saved == sharable && s.self_sharing == self && s.inter_sharing == inter
	       ? "exact" : "MISMATCH");
}
