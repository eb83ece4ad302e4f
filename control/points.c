/*
 * points.c - measurement points: the fleet at one consistent instant T.
 *
 * A point (points_measure(): the console's `measure`, every measure_s
 * seconds (a knob: config, console, API), and when the running VMs have
 * finished while one waits to join) needs nothing from the guests - no
 * hypercall - so it works for unmodified ones.  It stops them only for an
 * instant, and counts while they run:
 *   1. the instant T: every vCPU out of its guest (sched_pause: each
 *      leaves at the latest when its slice's timer fires), the live
 *      engine's counters taken (O(VMs)), and every running VM's memory
 *      frozen - W cleared in the PDE of each 2 MiB region, one invalidate a
 *      VM (kernel/freeze.c) - then the guests resume.  O(VMs + regions):
 *      the guests lose a few milliseconds, whatever the pages (until issue
 *      24 they were stopped for the whole count: 15 s for three 128 MiB
 *      Linux VMs, and Linux reports an RCU stall at 21 s);
 *   2. the count, while they run, in steps of at most POINT_STEP_US between
 *      the boot CPU's rounds, the lock let go after each, as many steps a
 *      round as keep the count within dedup.max_cpu_pct of that CPU (the
 *      scanner's share; one step a round at least) - with one step a round
 *      a point of five 128 MiB VMs, three of them on the boot CPU, took
 *      minutes of their time (point_run.c): the live engine's working set
 *      and its compressed pages read back; a second engine, the point's,
 *      converged over the contents at T; its per-VM account (PSS, the
 *      frames only each VM holds) and savings; the exact recount of the
 *      same contents, domain by domain.  A page the guests write meanwhile
 *      has its T content saved first (freeze.c), so every reader sees T;
 *   3. the report: per VM, what the live engine held at T and the ideal at
 *      T - PSS and exclusive frames - "exact" when the recount agrees, else
 *      "MISMATCH"; the fleet ideally and as the live engine held it (what
 *      it had still to merge); the frames against the last point, and what
 *      each VM that joined since adds;
 *   4. the end: the regions given back, region by region; then the first VM
 *      waiting to join joins (kernel/fleet.c), so that the next point says
 *      what it cost (Agarwal's thesis, ch. 6).
 * A point asked for while one is under way begins when it ends; a VM whose
 * memory goes back during one (it stopped) gives it up, said so.  When
 * nothing runs (every vCPU done, or waiting for frames, which the point's
 * copies may hold) a point is taken to its end at once: nobody waits on it.
 * Time stands still for the guests only in that they do not run at T: their
 * clocks (the TSC) go on, as after any preemption.  The operator's side:
 * the core never calls this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "fleet.h"
#include "freeze.h"
#include "lock.h"
#include "memdump.h"
#include "point_run.h"
#include "points.h"
#include "sched.h"
#include "sharing.h"
#include "vm.h"

/* A step of the count holds hv_lock this long at most (and one unit of
 * work more: a few pages of the point engine's scan, four of the
 * recount's), so that an exit on another CPU, which waits for the lock,
 * waits no longer than a scanner step makes it.  Under Bochs (a 50 MHz
 * TSC) 100,000 ticks: ~15 pages hashed. */
#define POINT_STEP_US 2000
/* Regions given back a step at the end: 512 leaves read each. */
#define RESTORE_STEP 16

static const struct config *pcfg;

/* The last measurement point: what the next one compares with. */
static struct {
	unsigned n;              /* points taken */
	unsigned reported;       /* the last that reported figures (0: none yet) */
	uint64_t frames;         /* frames backing the fleet then (ideally: the point engine's) */
	unsigned vms;            /* VMs measured then */
	bool seen[VM_MAX];       /* measured then: a VM not seen joined since */
	uint64_t next;           /* the TSC of the next periodic point; 0: not armed */
	uint64_t resumed;        /* the TSC when its guests resumed */
	uint64_t decompressions, rebuilds; /* the live engine's totals at its T */
} last;

/* The point under way. */
static struct {
	bool on;
	bool reported;           /* its figures printed: its regions going back */
	unsigned n;
	uint64_t asked, resumed; /* TSC: the pause asked for, the guests resumed */
	uint64_t pause;          /* the guests' time lost at T */
	struct dedup_stats live; /* the live engine at T */
	struct dedup_vm_stats vs[VM_MAX];
	bool in[VM_MAX];         /* held at T */
	uint64_t longest_step;   /* its own longest hold of a step */
	uint64_t steps_end;      /* when its last steps of a round ended */
	const char *longest_in;  /* ... in which part: counting, reporting, the end */
	bool exact;
	const char *queued;      /* a point asked for meanwhile: begins after this one */
	/* The report, in steps (report_step): where it is, and what it sums. */
	bool counted;
	unsigned rstage, rvm, wrong, nin;
	uint64_t pss_sum;
} cur;

/* Every point, for the summary. */
static struct {
	unsigned taken, exact, abandoned;
	uint64_t longest_pause, longest_point, longest_hold, longest_step, saved;
} all;

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

bool points_busy(void)
{
	return cur.on;
}

/* The live engine's frames at T, from its counters (O(1), which
 * dedup_frames_in_use is not): guest pages less those it saved and those
 * in the pool, plus the pool's frames, the references no page maps and
 * the same-behaviour domains' pool (not their frames waiting for a sweep). */
static uint64_t live_frames(const struct dedup_stats *s)
{
	return s->pages_tracked - s->frames_saved - s->pages_compressed - s->pages_patched +
	       s->pool_frames + s->ref_unmapped + s->same_pool_frames;
}

/* The point is over: the next one armed, a waiting VM joins, a queued point begins. */
static void end_point(void)
{
	const char *queued = cur.queued;
	unsigned i;

	prun_stop();
	cur.on = false;
	cur.queued = NULL;
	for (i = 0; i < nvms; i++)
		if (vms[i].pending) {
			printf("measure: vm %s joins the fleet\n", vms[i].name);
			fleet_join_next();
			break;
		}
	last.next = arch_time_now() + period_ticks();
	if (queued)
		points_measure(queued);
}

void points_measure(const char *why)
{
	const char *fz_why = NULL;
	uint64_t t_frozen;
	unsigned i;
	int r;

	if (cur.on) {
		if (!cur.queued) {
			cur.queued = why;
			printf("measure: point %u is under way; the next (%s) begins when it ends\n", cur.n,
			       why);
		}
		return;
	}
	memset(&cur, 0, sizeof(cur));
	cur.asked = arch_time_now();
	sched_pause();
	/* T: nothing runs a guest from here to sched_resume(). */
	t_frozen = arch_time_now();
	cur.n = ++last.n;
	all.taken++;
	printf("measure: point %u (%s): vCPUs paused after %lu ms\n", cur.n, why,
	       ms_of(t_frozen - cur.asked));
	dedup_get_stats(engine, &cur.live);
	for (i = 0; i < nvms; i++)
		if (vms[i].in_engine)
			dedup_get_vm_stats(engine, vms[i].id, &cur.vs[i]);
	r = freeze_begin(&fz_why);
	for (i = 0; i < nvms; i++)
		cur.in[i] = freeze_holding(&vms[i]);
	sharing_summary("measure"); /* the live engine's counters at T */
	hv_lock_span_begin();
	sched_resume();
	cur.resumed = arch_time_now();
	cur.pause = cur.resumed - cur.asked;
	if (cur.pause > all.longest_pause)
		all.longest_pause = cur.pause;
	if (r) {
		printf("measure: point %u abandoned: %s\n", cur.n, fz_why);
		all.abandoned++;
		cur.on = true;
		end_point();
		return;
	}
	printf("measure: point %u: the contents of %u VMs held at T (%lu regions of 2 MiB "
	       "write-protected); vCPUs resumed after %lu ms (%lu TSC ticks)\n", cur.n,
	       freeze_stats()->vms, freeze_stats()->regions, ms_of(cur.pause), cur.pause);
	cur.on = true;
	cur.steps_end = cur.resumed;
	if (prun_start()) /* nothing to count with: the report says why, then the end */
		cur.counted = true;
}

/*
 * The report, a few lines a step (printing is slow under emulation: a line
 * costs tens of thousands of instructions): the working set, the count's
 * cost, the recount by domain, a line per VM, the fleet ideally and as the
 * live engine held it at T, the cold tier, the recount's verdict, and what
 * changed since the last point.  Returns true when it is all out.
 */
static bool report_step(void)
{
	const struct prun_result *r = prun_result();
	unsigned i = cur.rvm;
	char a[32], b[32];

	if (r->failed[0]) {
		printf("measure: point %u abandoned: %s\n", cur.n, r->failed);
		all.abandoned++;
		return true;
	}
	switch (cur.rstage) {
	case 0: /* the working set, a VM a step */
		while (i < nvms && !cur.in[i])
			i++;
		if (i < nvms) {
			printf("measure: vm %s: working set: %lu written, %lu read, %lu idle, %lu cold "
			       "pages; %lu compressed pages brought back by its accesses, %lu patched "
			       "ones rebuilt\n", vms[i].name,
			       r->vm[i].ws[DEDUP_WS_WRITTEN], r->vm[i].ws[DEDUP_WS_READ],
			       r->vm[i].ws[DEDUP_WS_IDLE], r->vm[i].ws[DEDUP_WS_COLD],
			       cur.vs[i].decompressions, cur.vs[i].rebuilds);
			cur.rvm = i + 1;
			return false;
		}
		printf("measure: converged after %lu full scans of the contents at T (the point's "
		       "engine), %lu ms of its steps; the recount %lu ms, the live engine's walk %lu ms; "
		       "%lu steps, the longest piece of work %lu TSC ticks (%s)\n", r->scans,
		       ms_of(r->engine_ticks), ms_of(r->recount_ticks), ms_of(r->walk_ticks), r->steps,
		       r->longest_piece, r->longest_in ? r->longest_in : "none");
		for (i = 0; i < r->ndom; i++)
			printf("measure: recount of domain %u: %u VMs, %lu pages, %lu distinct: saved %lu "
			       "(self %lu, inter %lu)\n", r->dom[i].domain, r->dom[i].nvm, r->dom[i].pages,
			       r->dom[i].distinct, r->dom[i].saved, r->dom[i].self, r->dom[i].inter);
		if (!r->rc_ok)
			printf("measure: the recount ran out of memory; the point engine's figures alone\n");
		cur.rstage = 1;
		cur.rvm = 0;
		cur.wrong = ~0u;
		return false;
	case 1: { /* a VM a step: what the live engine held at T, the ideal, the recount's */
		const struct dedup_vm_account *id;
		const struct dedup_vm_stats *vs;
		while (i < nvms && !cur.in[i])
			i++;
		if (i == nvms) {
			cur.rstage = 2;
			return false;
		}
		id = &r->vm[i].ideal;
		vs = &cur.vs[i];
		cur.nin++;
		cur.pss_sum += id->pss;
		pss_str(a, sizeof(a), id->pss);
		printf("measure: vm %s: domain %u, %lu pages: %lu private, %lu zero, %lu shared, %lu "
		       "compressed (%lu KiB), %lu patched (%lu KiB), self-sharing %lu at T; ideally %lu "
		       "private, %lu zero, self-sharing %lu, PSS %s pages (%lu KiB), exclusive %lu frames",
		       vms[i].name, id->domain, id->pages,
		       vs->pages - vs->merged - vs->compressed - vs->patched, vs->zero,
		       vs->merged - vs->zero, vs->compressed, vs->compressed_bytes >> 10, vs->patched,
		       vs->patch_bytes >> 10, vs->self_sharing, id->private_frames, id->zero,
		       id->self_sharing, a,
		       id->pss * 4 / DEDUP_PSS_ONE, id->exclusive_frames);
		if (r->rc_ok) {
			bool same = id->pss == r->vm[i].rc_pss && id->exclusive_frames == r->vm[i].rc_excl;
			pss_str(b, sizeof(b), r->vm[i].rc_pss);
			printf("; recount: PSS %s, exclusive %lu: %s", b, r->vm[i].rc_excl,
			       same ? "exact" : "MISMATCH");
			if (!same && cur.wrong == ~0u)
				cur.wrong = i;
		}
		printf("\n");
		cur.rvm = i + 1;
		return false;
	}
	case 2: { /* the fleet, ideally and as the live engine held it; the verdict */
		const struct dedup_stats *s = &cur.live;
		pss_str(a, sizeof(a), cur.pss_sum);
		printf("measure: fleet: %u VMs, %lu pages on %lu frames (%lu MiB): saved %lu (self %lu, "
		       "inter %lu), %lu zero-mapped; PSS sums to %s pages (ideally, at T)\n", cur.nin,
		       r->ideal.pages_tracked, r->ideal_frames, r->ideal_frames >> 8, r->ideal.frames_saved,
		       r->ideal.self_sharing, r->ideal.inter_sharing, r->ideal.ksm_zero_pages, a);
		printf("measure: the engine at T: %lu pages on %lu frames (%lu MiB): saved %lu (self %lu, "
		       "inter %lu), %lu zero-mapped, %lu compressed; %ld pages still to merge\n",
		       s->pages_tracked, live_frames(s), live_frames(s) >> 8, s->frames_saved,
		       s->self_sharing, s->inter_sharing, s->ksm_zero_pages, s->pages_compressed,
		       (int64_t)(r->ideal.frames_saved - s->frames_saved));
		if (s->pages_compressed || s->compressions)
			printf("measure: cold tier: %lu pages compressed in %lu pool frames (%lu KiB of lz4 "
			       "and zstd: %lu.%02lu:1; %lu pages in zstd, %lu KiB) at T, of the fleet's %lu "
			       "frames; read back: %lu, %s (walked from T)\n", s->pages_compressed,
			       s->pool_frames, s->compressed_bytes >> 10,
			       s->compressed_bytes ? s->pages_compressed * 4096 / s->compressed_bytes : 0,
			       s->compressed_bytes ? s->pages_compressed * 409600 / s->compressed_bytes % 100 : 0,
			       s->pages_zstd, s->zstd_bytes >> 10, live_frames(s), r->tier_checked - r->patch_checked,
			       r->tier_bad > r->patch_bad ? "SOME DAMAGED"
			       : "every one decompresses to its checksum");
		if (s->pages_patched || s->patches)
			printf("measure: patches: %lu pages patched (%lu KiB of patches, %lu.%02lu:1, in the "
			       "pool above) against %lu reference frames, %lu of them mapped by no page, at "
			       "T; rebuilt: %lu, %s (walked from T)\n", s->pages_patched, s->patch_bytes >> 10,
			       s->patch_bytes ? s->pages_patched * 4096 / s->patch_bytes : 0,
			       s->patch_bytes ? s->pages_patched * 409600 / s->patch_bytes % 100 : 0,
			       s->ref_frames, s->ref_unmapped, r->patch_checked,
			       r->patch_bad ? "SOME DAMAGED" : "every one rebuilds to its checksum");
		cur.exact = r->rc_ok && cur.wrong == ~0u && r->ideal.frames_saved == r->rc_saved &&
			    r->ideal.self_sharing == r->rc_self && r->ideal.inter_sharing == r->rc_inter;
		all.exact += cur.exact;
		if (r->rc_ok)
			printf("measure: recount of identical pages: saved %lu (self %lu, inter %lu): %s\n",
			       r->rc_saved, r->rc_self, r->rc_inter, cur.exact ? "exact"
			       : cur.wrong == ~0u ? "MISMATCH" : "MISMATCH (per VM)");
		cur.rstage = 3;
		return false;
	}
	default: /* what changed since the last point, and what each newcomer costs */
		if (last.reported) {
			int64_t grew = (int64_t)r->ideal_frames - (int64_t)last.frames;
			printf("measure: since point %u (%u VMs on %lu frames): the fleet %s by %lu frames "
			       "(%lu KiB)\n", last.reported, last.vms, last.frames,
			       grew < 0 ? "shrank" : "grew", (uint64_t)(grew < 0 ? -grew : grew),
			       (uint64_t)(grew < 0 ? -grew : grew) * 4);
		}
		for (i = 0; i < nvms; i++) {
			const struct dedup_vm_account *id = &r->vm[i].ideal;
			if (last.seen[i] || !last.reported || !cur.in[i])
				continue;
			printf("measure: joined since: vm %s: adds %lu frames (%lu KiB) no other VM maps",
			       vms[i].name, id->exclusive_frames, id->exclusive_frames * 4);
			if (r->rc_ok)
				printf("; recount: %lu contents only it has: %s", r->vm[i].rc_excl,
				       r->vm[i].rc_excl == id->exclusive_frames ? "exact" : "MISMATCH");
			printf("\n");
		}
		/* What the tier cost the guests while they ran since then: the
		 * accesses that brought a compressed page back or rebuilt a
		 * patched one (hundredths a second of the guests' time, T to T
		 * less the pause: no floating point). */
		if (last.reported && (cur.live.pages_compressed || cur.live.compressions ||
				      cur.live.patches)) {
			uint64_t ms = ms_of(cur.asked - last.resumed);
			uint64_t dc = cur.live.decompressions - last.decompressions;
			uint64_t rb = cur.live.rebuilds - last.rebuilds;
			printf("measure: since point %u, %lu ms of guest time: %lu compressed pages brought "
			       "back (%lu.%02lu a second), %lu patched pages rebuilt (%lu.%02lu a second)\n",
			       last.reported, ms, dc, ms ? dc * 1000 / ms : 0, ms ? dc * 100000 / ms % 100 : 0,
			       rb, ms ? rb * 1000 / ms : 0, ms ? rb * 100000 / ms % 100 : 0);
		}
		last.decompressions = cur.live.decompressions;
		last.rebuilds = cur.live.rebuilds;
		last.resumed = cur.resumed;
		for (i = 0; i < VM_MAX; i++)
			last.seen[i] = i < nvms && cur.in[i];
		last.frames = r->ideal_frames;
		last.vms = cur.nin;
		last.reported = cur.n;
		if (pcfg->dedup_dump_point == cur.n)
			memdump_all(); /* the contents at T, still held (a debugging path: the lock held) */
		return true;
	}
}

/* The point's last line: what it cost the guests and the others. */
static void done_line(void)
{
	const struct freeze_stats *f = freeze_stats();
	uint64_t took = arch_time_now() - cur.asked, hold;
	void *from, *to;

	hold = hv_lock_span_longest(&from, &to);
	if (took > all.longest_point)
		all.longest_point = took;
	if (hold > all.longest_hold)
		all.longest_hold = hold;
	if (cur.longest_step > all.longest_step)
		all.longest_step = cur.longest_step;
	all.saved += f->saved;
	printf("measure: point %u done after %lu ms; the guests paused %lu ms at T; %lu pages written "
	       "meanwhile (%lu copies, %lu zero), %lu writes waited for a frame, %lu mappings "
	       "withheld, %lu regions thawed; hv_lock held %lu TSC ticks at most meanwhile (taken at "
	       "%p), the point's own steps %lu (%s)\n", cur.n, ms_of(took), ms_of(cur.pause),
	       f->saved, f->copies, f->saved - f->copies, f->waits, f->withheld, f->thawed, hold,
	       from, cur.longest_step, cur.longest_in ? cur.longest_in : "none");
}

/* The most steps one round takes (POINT_STEP_US each): 32 ms of the boot
 * CPU at a time, whatever its share allows after a long round. */
#define POINT_STEPS_MAX 16

/* One step of the point under way - counting, reporting or giving the
 * regions back; all of them when nothing runs (sync). */
static void point_step(bool sync)
{
	uint64_t step = arch_time_hz() / 1000000 * POINT_STEP_US;

	do {
		uint64_t t0 = arch_time_now(), t;
		const char *phase = !cur.counted ? "counting" : !cur.reported ? "reporting"
				    : "giving the regions back";
		bool more = true;
		if (!cur.counted) {
			cur.counted = prun_step(sync ? ~0ull : t0 + step) != 0;
		} else if (!cur.reported) {
			if (report_step()) {
				cur.reported = true;
				freeze_release(); /* nobody reads the contents at T any more */
			}
		} else {
			more = !freeze_restore_step(RESTORE_STEP);
		}
		t = arch_time_now() - t0;
		if (t > cur.longest_step) {
			cur.longest_step = t;
			cur.longest_in = phase;
		}
		if (!more) {
			done_line();
			end_point();
			return;
		}
	} while (sync);
}

void points_tick(void)
{
	uint64_t now = arch_time_now(), period = period_ticks();

	if (cur.on) {
		/* Nobody runs (all done, or all waiting for frames the point's
		 * copies may hold): the point to its end now.  Else a step, and
		 * the lock let go, so that it never adds to the scanner's step
		 * in one hold. */
		bool sync = sched_idle() || sched_all_waiting();
		uint64_t pct = sharing_knobs()->v[KNOB_MAX_CPU_PCT], t0 = now, budget;
		unsigned k = 0;

		/* The share: the point's time against the guests' since its
		 * last steps ended, pct : 100 - pct. */
		budget = pct >= 100 ? ~0ull : (now - cur.steps_end) * pct / (100 - pct);
		do {
			point_step(sync);
			if (!sync)
				sched_breathe();
		} while (cur.on && !sync && ++k < POINT_STEPS_MAX && arch_time_now() - t0 < budget);
		cur.steps_end = arch_time_now();
		return;
	}
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

void points_finish(void)
{
	if (cur.on)
		point_step(true);
}

void points_report(void)
{
	if (!all.taken)
		return;
	printf("summary: measurement points: %u taken, %u exact, %u abandoned; the guests paused "
	       "%lu ms at most (%lu TSC ticks) at one; the longest point %lu ms; hv_lock held %lu "
	       "TSC ticks at most during one, %lu by the points' own steps; %lu pages saved for "
	       "them in all\n", all.taken, all.exact, all.abandoned, ms_of(all.longest_pause),
	       all.longest_pause, ms_of(all.longest_point), all.longest_hold, all.longest_step,
	       all.saved);
}
