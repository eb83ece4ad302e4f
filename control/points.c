/*
 * points.c - measurement points: the fleet at one consistent instant.
 *
 * A point (points_measure(): the console's `measure`, every measure_s
 * seconds (a knob: config, console, API), and when the running VMs have finished while
 * one waits to join) needs nothing from the guests - no hypercall - so it
 * works for unmodified ones:
 *   1. pause: no vCPU enters its guest, and the point waits until none is
 *      in one (each leaves at the latest when its slice's timer fires);
 *   2. converge: scan until two full scans in a row change nothing;
 *   3. account: per VM, the engine's private frames, zero, shared,
 *      compressed and patched pages (and the pool bytes those take),
 *      self-sharing, PSS and exclusive frames (dedup_vm_account(),
 *      account.c), and its working set (written, read, idle, cold pages:
 *      taken before step 2, whose scans age every page); every compressed
 *      page is read back and checked against its checksum
 *      (dedup_tier_check), every patched page rebuilt from its reference
 *      and checked (dedup_patch_check); the PSS of what each VM costs
 *      (pooled pages at their slots, a reference divided among its
 *      mappings and the patches that pin it) adds up to the fleet's frames;
 *   4. recount: per sharing domain, the exact count of identical pages from
 *      the pages' contents (dedup/recount.c), with the same PSS and
 *      exclusive figures per VM - equal to the engine's when its sharing is
 *      the ideal ("exact"), else "MISMATCH" and the VM it differs for;
 *   5. increment: the frames backing the fleet against the last point, and
 *      for each VM that joined since, the frames only it holds - what it
 *      added to a converged fleet (the recount's contents only it has);
 *   6. resume, and the first VM waiting to join joins (kernel/fleet.c), so
 *      that the next point says what it cost (Agarwal's thesis, ch. 6).
 * Time stands still for the guests only in that they do not run: their
 * clocks (the TSC) go on, as after any long preemption.  The recount
 * allocates 24 bytes per page (the heap is sized for it) and hashes every
 * non-zero page.  The operator's side: the core never calls this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "fleet.h"
#include "memdump.h"
#include "points.h"
#include "sched.h"
#include "sharing.h"
#include "vm.h"

static const struct config *pcfg;

/* The last measurement point: what the next one compares with. */
static struct {
	unsigned n;              /* points taken */
	uint64_t frames;         /* frames backing the fleet then */
	unsigned vms;            /* VMs in the engine then */
	bool seen[VM_MAX];       /* in the engine then: a VM not seen joined since */
	uint64_t next;           /* the TSC of the next periodic point; 0: not armed */
	uint64_t resumed;        /* the TSC when its vCPUs were resumed */
	uint64_t decompressions, rebuilds; /* the engine's totals then */
} last;

void points_init(const struct config *cfg)
{
	pcfg = cfg;
}

/* The measure_s knob (common/knobs.h) in TSC ticks; 0: no periodic point. */
static uint64_t period_ticks(void)
{
	return (uint64_t)sharing_knobs()->v[KNOB_MEASURE_S] * arch_time_hz();
}

/* Fixed-point PSS (DEDUP_PSS_ONE a page) as "pages.mmm". */
static void pss_str(char *b, size_t n, uint64_t pss)
{
	snprintf(b, n, "%lu.%03lu", pss / DEDUP_PSS_ONE,
		 (pss % DEDUP_PSS_ONE) * 1000 / DEDUP_PSS_ONE);
}

static uint64_t ms_of(uint64_t ticks)
{
	uint64_t hz = arch_time_hz();
	return hz ? ticks / (hz / 1000 ? hz / 1000 : 1) : 0;
}

/* The recount's per-VM figures, by VM index, and its totals. */
struct recounted {
	uint64_t pss[VM_MAX], excl[VM_MAX];
	uint64_t sharable, self, inter;
};

/* Recounts domain by domain; prints a line per domain.  0, or -1. */
static int recount_all(struct recounted *r)
{
	bool done[VM_MAX] = { false };
	unsigned i, j;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < nvms; i++) {
		unsigned ids[VM_MAX], k = 0;
		uint16_t dom;
		struct dedup_recount o;
		if (!vms[i].in_engine || done[i])
			continue;
		dom = (uint16_t)vms[i].cfg->domain;
		for (j = i; j < nvms; j++)
			if (vms[j].in_engine && !done[j] && vms[j].cfg->domain == dom) {
				ids[k++] = j;
				done[j] = true;
			}
		if (sharing_recount(ids, k, &o))
			return -1;
		for (j = 0; j < k; j++) {
			r->pss[ids[j]] = o.vm[j].pss;
			r->excl[ids[j]] = o.vm[j].exclusive;
		}
		printf("measure: recount of domain %u: %u VMs, %lu pages, %lu distinct: saved %lu (self "
		       "%lu, inter %lu)\n", dom, k, o.pages_total, o.pages_unique, o.sharable,
		       o.self_sharing, o.inter_sharing);
		r->sharable += o.sharable;
		r->self += o.self_sharing;
		r->inter += o.inter_sharing;
		dedup_recount_free(&o);
	}
	return 0;
}

void points_measure(const char *why)
{
	struct dedup_stats s;
	struct recounted *r;
	uint64_t t0, t1, scans, frames, pss_sum = 0, cost_sum = 0;
	unsigned i, n = 0, wrong = ~0u;
	bool rc_ok;
	char a[32], b[32];

	t0 = arch_time_now();
	sched_pause();
	t1 = arch_time_now();
	last.n++;
	printf("measure: point %u (%s): vCPUs paused after %lu ms\n", last.n, why, ms_of(t1 - t0));
	/* The working set as the guests left it: the converging scans below
	 * visit every page again while nothing runs, which ages them all. */
	for (i = 0; i < nvms; i++) {
		struct dedup_vm_account acc;
		struct dedup_vm_stats vs;
		if (!vms[i].in_engine || dedup_vm_account(engine, vms[i].id, &acc) ||
		    dedup_get_vm_stats(engine, vms[i].id, &vs))
			continue;
		printf("measure: vm %s: working set: %lu written, %lu read, %lu idle, %lu cold pages; "
		       "%lu compressed pages brought back by its accesses, %lu patched ones rebuilt\n",
		       vms[i].name, acc.ws[DEDUP_WS_WRITTEN], acc.ws[DEDUP_WS_READ], acc.ws[DEDUP_WS_IDLE],
		       acc.ws[DEDUP_WS_COLD], vs.decompressions, vs.rebuilds);
	}
	scans = sharing_converge();
	dedup_get_stats(engine, &s);
	printf("measure: converged after %lu full scans, %lu ms\n", scans,
	       ms_of(arch_time_now() - t1));
	sharing_summary("measure");

	r = malloc(sizeof(*r));
	rc_ok = r && recount_all(r) == 0;
	if (!rc_ok)
		printf("measure: the recount ran out of memory; the engine's figures alone\n");
	for (i = 0; i < nvms; i++) {
		struct dedup_vm_account acc;
		if (!vms[i].in_engine || dedup_vm_account(engine, vms[i].id, &acc))
			continue;
		n++;
		pss_sum += acc.pss;
		cost_sum += acc.pss_cost;
		pss_str(a, sizeof(a), acc.pss);
		printf("measure: vm %s: domain %u, %lu pages: %lu private, %lu zero, %lu shared, "
		       "%lu compressed (%lu KiB), %lu patched (%lu KiB), self-sharing %lu, PSS %s pages "
		       "(%lu KiB; %lu KiB with the compressed at their size, %lu KiB of it its patches' "
		       "references), exclusive %lu frames", vms[i].name, acc.domain,
		       acc.pages, acc.private_frames, acc.zero,
		       acc.pages - acc.private_frames - acc.zero - acc.compressed - acc.patched,
		       acc.compressed, acc.compressed_bytes >> 10, acc.patched, acc.patch_bytes >> 10,
		       acc.self_sharing, a, acc.pss * 4 / DEDUP_PSS_ONE, acc.pss_cost * 4 / DEDUP_PSS_ONE,
		       acc.ref_share * 4 / DEDUP_PSS_ONE, acc.exclusive_frames);
		if (rc_ok) {
			bool same = acc.pss == r->pss[i] && acc.exclusive_frames == r->excl[i];
			pss_str(b, sizeof(b), r->pss[i]);
			printf("; recount: PSS %s, exclusive %lu: %s", b, r->excl[i],
			       same ? "exact" : "MISMATCH");
			if (!same && wrong == ~0u)
				wrong = i;
		}
		printf("\n");
	}
	frames = dedup_frames_in_use(engine);
	pss_str(a, sizeof(a), pss_sum);
	printf("measure: fleet: %u VMs, %lu pages on %lu frames (%lu MiB): saved %lu (self %lu, "
	       "inter %lu), %lu zero-mapped; PSS sums to %s pages\n", n, s.pages_tracked, frames,
	       frames >> 8, s.frames_saved, s.self_sharing, s.inter_sharing, s.ksm_zero_pages, a);
	if (s.pages_compressed || s.compressions) {
		uint64_t bad, checked = dedup_tier_check(engine, &bad), pbad, pchecked;
		pchecked = dedup_patch_check(engine, &pbad);
		checked -= pchecked;
		bad -= pbad;
		printf("measure: cold tier: %lu pages compressed in %lu pool frames (%lu KiB of lz4: "
		       "%lu.%02lu:1), of the fleet's %lu frames; read back: %lu, %s\n",
		       s.pages_compressed, s.pool_frames, s.compressed_bytes >> 10,
		       s.compressed_bytes ? s.pages_compressed * 4096 / s.compressed_bytes : 0,
		       s.compressed_bytes ? s.pages_compressed * 409600 / s.compressed_bytes % 100 : 0,
		       frames, checked, bad ? "SOME DAMAGED" : "every one decompresses to its checksum");
	}
	if (s.pages_patched || s.patches) {
		uint64_t bad, checked = dedup_patch_check(engine, &bad);
		printf("measure: patches: %lu pages patched (%lu KiB of patches, %lu.%02lu:1, in the pool "
		       "above) against %lu reference frames, %lu of them mapped by no page; rebuilt: "
		       "%lu, %s\n", s.pages_patched, s.patch_bytes >> 10,
		       s.patch_bytes ? s.pages_patched * 4096 / s.patch_bytes : 0,
		       s.patch_bytes ? s.pages_patched * 409600 / s.patch_bytes % 100 : 0, s.ref_frames,
		       s.ref_unmapped, checked, bad ? "SOME DAMAGED" : "every one rebuilds to its checksum");
	}
	{
		/* What the VMs cost adds up to the fleet's frames: those outside
		 * the pool, and the pool's slots (its frames less their free
		 * slots); each share is rounded down, hence "at most". */
		char c[32];
		uint64_t slots = s.compressed_slots + s.patch_slots;
		pss_str(c, sizeof(c), cost_sum);
		printf("measure: cost PSS sums to %s pages; frames outside the pool %lu, pool slots "
		       "%lu.%02lu pages: %s\n", c, frames - s.pool_frames, slots / 4096,
		       slots % 4096 * 100 / 4096,
		       cost_sum <= (frames - s.pool_frames) * DEDUP_PSS_ONE + slots * (DEDUP_PSS_ONE / 4096) &&
		       cost_sum + s.pages_tracked + s.pages_patched >=
		       (frames - s.pool_frames) * DEDUP_PSS_ONE + slots * (DEDUP_PSS_ONE / 4096)
		       ? "adds up" : "DOES NOT ADD UP");
	}
	if (rc_ok)
		printf("measure: recount of identical pages: saved %lu (self %lu, inter %lu): %s\n",
		       r->sharable, r->self, r->inter,
		       s.frames_saved == r->sharable && s.self_sharing == r->self &&
		       s.inter_sharing == r->inter && wrong == ~0u ? "exact"
		       : wrong == ~0u ? "MISMATCH" : "MISMATCH (per VM)");

	/* What changed since the last point, and what each newcomer costs. */
	if (last.n > 1) {
		int64_t grew = (int64_t)frames - (int64_t)last.frames;
		printf("measure: since point %u (%u VMs on %lu frames): the fleet %s by %lu frames "
		       "(%lu KiB)\n", last.n - 1, last.vms, last.frames, grew < 0 ? "shrank" : "grew",
		       (uint64_t)(grew < 0 ? -grew : grew), (uint64_t)(grew < 0 ? -grew : grew) * 4);
	}
	/* The faults the tier cost the guests while they ran since then: the
	 * accesses that brought a compressed page back or rebuilt a patched
	 * one (hundredths a second of the guests' time: no floating point). */
	if (last.n > 1 && (s.pages_compressed || s.compressions || s.patches)) {
		uint64_t ms = ms_of(t0 - last.resumed), dc = s.decompressions - last.decompressions;
		uint64_t rb = s.rebuilds - last.rebuilds;
		printf("measure: since point %u, %lu ms of guest time: %lu compressed pages brought back "
		       "(%lu.%02lu a second), %lu patched pages rebuilt (%lu.%02lu a second)\n", last.n - 1,
		       ms, dc, ms ? dc * 1000 / ms : 0, ms ? dc * 100000 / ms % 100 : 0, rb,
		       ms ? rb * 1000 / ms : 0, ms ? rb * 100000 / ms % 100 : 0);
	}
	last.decompressions = s.decompressions;
	last.rebuilds = s.rebuilds;
	for (i = 0; i < nvms; i++) {
		struct dedup_vm_account acc;
		if (last.seen[i] || last.n == 1 || !vms[i].in_engine ||
		    dedup_vm_account(engine, vms[i].id, &acc))
			continue;
		printf("measure: joined since: vm %s: adds %lu frames (%lu KiB) no other VM maps",
		       vms[i].name, acc.exclusive_frames, acc.exclusive_frames * 4);
		if (rc_ok)
			printf("; recount: %lu contents only it has: %s", r->excl[i],
			       r->excl[i] == acc.exclusive_frames ? "exact" : "MISMATCH");
		printf("\n");
	}
	for (i = 0; i < VM_MAX; i++)
		last.seen[i] = i < nvms && vms[i].in_engine;
	last.frames = frames;
	last.vms = n;
	free(r);
	if (pcfg->dedup_dump_point == last.n)
		memdump_all(); /* still paused: the images are of this point */

	sched_resume();
	last.resumed = arch_time_now();
	printf("measure: point %u done; vCPUs resumed after %lu ms\n", last.n,
	       ms_of(last.resumed - t0));
	for (i = 0; i < nvms; i++)
		if (vms[i].pending) {
			printf("measure: vm %s joins the fleet\n", vms[i].name);
			fleet_join_next();
			break;
		}
	last.next = arch_time_now() + period_ticks();
}

void points_tick(void)
{
	uint64_t now = arch_time_now(), period = period_ticks();

	if (!period) {
		last.next = 0;
		return;
	}
	/* Armed at the first tick (as the VMs start), and again sooner when
	 * the knob was set shorter. */
	if (!last.next || last.next > now + period)
		last.next = now + period;
	else if (now >= last.next)
		points_measure("periodic");
}
