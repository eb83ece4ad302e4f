/*
 * point_run.c - a measurement point's counting, over the contents held at
 * its instant T (kernel/freeze.c), in bounded steps between the guests'
 * slices.
 *
 * What a point reports is the fleet at T, exact: each VM's PSS and the
 * frames only it holds, and the sharing an ideal engine reaches, checked
 * against a recount from the contents.  The live engine cannot say it: it
 * is not converged at T, and converging it would take stopping the guests
 * (what points did until issue 24: 15 s and more).  So a second engine
 * (the same dedup/ code), the point engine, runs over the contents at T:
 *
 *   its frames   are page ids, (vm << 24 | gfn): the page whose content at
 *                T the id names, read through freeze_read() - the copy
 *                saved when the page was written since, else what it holds
 *                now, the same bytes - and its mappings are this file's
 *                table (map[vm][gfn] = an id), not an EPT.  It allocates no
 *                frame (no COW break, no zero frame: the VMs are added with
 *                their pages mapped) and frees none (a merged page's id is
 *                just no longer mapped);
 *   its scans    merge on first sight, and its A/D bits never say a page
 *                was written (the contents stand still): static memory
 *                converges in one full scan, and the second shows it - it
 *                merges nothing more, nothing is new or volatile - without
 *                reading a page again (without A/D bits it would hash every
 *                page it could not merge once more: a third of the count,
 *                measured under Bochs);
 *   its figures  (dedup_account_walk, in steps: PSS, private and exclusive
 *                frames; its counters: savings, self and inter-VM) are the
 *                point's, and "exact" means the recount (dedup/recount.c,
 *                in steps, domain by domain, over the same contents) agrees
 *                with them to the page.
 *
 * Beside them, what the live engine holds: its working set and its
 * compressed pages read back (dedup_point_walk, from T on).
 *
 * Pointers the point engine holds: a page read through freeze_read() is
 * the frame that holds it (stable while the lock is held: nothing else
 * runs) unless the live engine keeps it compressed: then it is
 * decompressed into one of this file's buffers, which must stay valid
 * while the engine compares it with others - one dedup_scan() call.  So
 * each call scans a few pages (SCAN_CALL) and takes the buffers afresh,
 * one per compressed page it reads (a page read twice in a call keeps its
 * buffer); a call that would need more than BUFS (a page whose checksum
 * collides with dozens of compressed ones: only a hostile guest's) fails
 * the point, with a message, rather than compare wrong bytes.
 *
 * Memory: the point engine's metadata (dedup_metadata_max: kernel/main.c
 * sizes the heap for it), 4 bytes a page for its table, then, once it is
 * gone, the recount's 24 bytes a page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "freeze.h"
#include "point_run.h"
#include "recount.h"
#include "sharing.h"

#define SCAN_CALL 8            /* pages a point engine's dedup_scan() call visits */
#define BUFS      64           /* compressed pages one call may read */
#define FILL_UNIT 4096         /* table entries filled a unit of work */
#define RECOUNT_UNITS 4        /* a recount step's budget, between clock reads */
#define WALK_UNITS 256         /* a walk step's budget, between clock reads */
#define MAX_PASSES 8           /* static memory converges in 2: more is a bug */

#define ID(vm, gfn) ((uint64_t)(vm) << 24 | (gfn))

enum stage { S_IDLE, S_WALK, S_REGISTER, S_CONVERGE, S_ACCOUNT, S_RECOUNT, S_DONE };

static unsigned char bufs[BUFS][4096] __attribute__((aligned(4096)));
static unsigned char rc_buf[4096] __attribute__((aligned(4096)));
static const unsigned char zero_page[4096] __attribute__((aligned(4096)));

static struct {
	enum stage stage;
	struct prun_result r;
	struct dedup *pe;              /* the point engine */
	uint32_t *map[VM_MAX];         /* its mappings: the page id each gfn reads */
	unsigned cur;                  /* the VM (or domain) in hand */
	uint64_t fill;                 /* its table filled so far */
	uint64_t bufid[BUFS];          /* the page id each buffer holds in this call */
	unsigned nbuf;
	uint64_t pages, visited;       /* the point engine's pages; visited in this pass */
	uint64_t pass_saved, pass_unsettled; /* at the start of the pass under way */
	struct dedup_recount_run *rc;
	unsigned rc_ids[VM_MAX], rc_k;
	bool rc_done[VM_MAX];
	struct dedup_point_walk walk;
	struct dedup_account_walk acc;
} P;

static void fail(const char *why)
{
	if (!P.r.failed[0])
		snprintf(P.r.failed, sizeof(P.r.failed), "%s", why);
}

/* ---- the point engine's machine (dedup_ops.h) ---- */

static void *pe_frame_ptr(void *ctx, uint64_t id)
{
	unsigned vm = (unsigned)(id >> 24), i;
	uint64_t gfn = id & 0xFFFFFF;
	const void *p;
	(void)ctx;

	for (i = 0; i < P.nbuf; i++)
		if (P.bufid[i] == id)
			return bufs[i];
	if (P.nbuf == BUFS) {
		fail("the point engine read more compressed pages in one call than it has buffers "
		     "(pages whose checksums collide)");
		return (void *)zero_page;
	}
	p = vm < VM_MAX ? freeze_read(&vms[vm], gfn, bufs[P.nbuf]) : NULL;
	if (!p) {
		char why[sizeof(P.r.failed)];
		snprintf(why, sizeof(why), "vm %s: its page at 0x%lx cannot be read as it was at the "
			 "point's instant", vm < VM_MAX ? vms[vm].name : "?", gfn << 12);
		fail(why);
		return (void *)zero_page;
	}
	if (p == bufs[P.nbuf])
		P.bufid[P.nbuf++] = id;
	/* The engine only reads: no COW break, zero frame or compression here. */
	return (void *)(uintptr_t)p;
}

static int pe_frame_alloc(void *ctx, uint64_t *frame)
{
	(void)ctx, (void)frame;
	return -1; /* never asked: see the header */
}

static void pe_frame_free(void *ctx, uint64_t frame)
{
	(void)ctx, (void)frame; /* an id: nothing to give back */
}

static int pe_lookup(void *ctx, unsigned vm, uint64_t gfn, uint64_t *frame)
{
	(void)ctx;
	if (vm >= VM_MAX || !P.map[vm])
		return -1;
	*frame = P.map[vm][gfn];
	return 0;
}

static int pe_map(void *ctx, unsigned vm, uint64_t gfn, uint64_t frame, bool writable)
{
	(void)ctx, (void)writable;
	P.map[vm][gfn] = (uint32_t)frame;
	return 0;
}

static void pe_unmap(void *ctx, unsigned vm, uint64_t gfn)
{
	(void)ctx, (void)vm, (void)gfn; /* no cold tier, no removal: never asked */
}

static int pe_invalidate(void *ctx, unsigned vm)
{
	(void)ctx, (void)vm;
	return 0; /* no CPU translates through its table */
}

static int pe_accessed_dirty(void *ctx, unsigned vm, uint64_t gfn)
{
	(void)ctx, (void)vm, (void)gfn;
	return 0; /* the contents at T: never accessed, never written */
}

/* ---- the recount's reader ---- */

static const unsigned char *rc_page(void *ctx, unsigned v, uint64_t p)
{
	(void)ctx;
	return freeze_read(&vms[P.rc_ids[v]], p, rc_buf);
}

/* ---- the stages ---- */

int prun_start(void)
{
	static const struct dedup_ops ops = { pe_frame_ptr, pe_frame_alloc, pe_frame_free, pe_lookup,
					      pe_map, pe_unmap, pe_invalidate, pe_accessed_dirty, NULL,
					      NULL /* no cold tier: no pool */ };
	struct dedup_knobs k = { .pages_to_scan = SCAN_CALL, .merge_first_sight = true };
	unsigned i;

	prun_stop();
	memset(&P.r, 0, sizeof(P.r));
	P.r.rc_ok = true; /* until the recount runs out of memory (no VM: nothing to count) */
	for (i = 0; i < nvms && i < VM_MAX; i++)
		P.r.vm[i].in = freeze_holding(&vms[i]);
	P.pe = dedup_create(&ops, &k);
	if (!P.pe) {
		fail("no memory for the point engine");
		return -1;
	}
	dedup_point_walk_begin(&P.walk);
	P.stage = S_WALK;
	P.cur = 0;
	P.fill = 0;
	P.pages = 0;
	return 0;
}

/* The live engine's working set and compressed pages, from T on. */
static void walk_step(void)
{
	unsigned i;

	dedup_point_walk_step(engine, &P.walk, WALK_UNITS);
	if (P.walk.vm < DEDUP_MAX_VMS)
		return;
	for (i = 0; i < nvms && i < VM_MAX; i++)
		if (P.r.vm[i].in)
			memcpy(P.r.vm[i].ws, P.walk.ws[vms[i].id], sizeof(P.r.vm[i].ws));
	P.r.tier_checked = P.walk.checked;
	P.r.tier_bad = P.walk.bad;
	P.r.patch_checked = P.walk.patched;
	P.r.patch_bad = P.walk.patch_bad;
	P.stage = S_REGISTER;
}

/* One VM into the point engine: its table, a unit at a time, then added. */
static void register_step(void)
{
	struct vm *vm;
	uint64_t g, end;

	while (P.cur < nvms && !P.r.vm[P.cur].in)
		P.cur++;
	if (P.cur >= nvms) {
		P.pass_saved = 0;
		P.pass_unsettled = ~0ull; /* the first pass begins with every page new */
		P.visited = 0;
		P.stage = P.pages ? S_CONVERGE : S_DONE;
		return;
	}
	vm = &vms[P.cur];
	if (!P.map[vm->id] && !(P.map[vm->id] = malloc(vm->npages * sizeof(uint32_t)))) {
		fail("no memory for the point engine's table");
		return;
	}
	if (P.fill < vm->npages) {
		end = P.fill + FILL_UNIT < vm->npages ? P.fill + FILL_UNIT : vm->npages;
		for (g = P.fill; g < end; g++)
			P.map[vm->id][g] = (uint32_t)ID(vm->id, g);
		P.fill = end;
		return;
	}
	if (dedup_vm_add(P.pe, vm->id, vm->npages, (uint16_t)vm->cfg->domain, false)) {
		fail("no memory for the point engine's pages");
		return;
	}
	P.pages += vm->npages;
	P.cur++;
	P.fill = 0;
}

/* A few pages of the point engine's scan; a pass that ends settles it or
 * begins another (sharing.c's sharing_converge, on the point engine). */
static void converge_step(void)
{
	struct dedup_stats s;

	P.nbuf = 0;
	P.visited += dedup_scan(P.pe, SCAN_CALL); /* it stops where a pass ends */
	if (P.visited < P.pages)
		return;
	P.visited = 0;
	dedup_get_stats(P.pe, &s);
	if (P.pass_unsettled == 0 && s.pages_volatile + s.pages_new == 0 &&
	    s.frames_saved == P.pass_saved) {
		P.r.scans = s.full_scans;
		dedup_account_walk_begin(P.pe, &P.acc);
		P.stage = S_ACCOUNT;
		return;
	}
	if (s.full_scans >= MAX_PASSES) {
		fail("the point engine did not converge over still contents");
		return;
	}
	P.pass_saved = s.frames_saved;
	P.pass_unsettled = s.pages_volatile + s.pages_new;
}

/* The point engine's figures, then the engine gone (its memory for the recount). */
static void account_step(void)
{
	unsigned i;

	dedup_account_walk_step(P.pe, &P.acc, WALK_UNITS);
	if (!P.acc.done)
		return;
	for (i = 0; i < nvms && i < VM_MAX; i++)
		if (P.r.vm[i].in)
			P.r.vm[i].ideal = P.acc.acc[vms[i].id];
	dedup_get_stats(P.pe, &P.r.ideal);
	P.r.ideal_frames = dedup_frames_in_use(P.pe);
	/* Its "frames" are ids and it holds no other memory than its
	 * metadata: freed without removing the VMs one by one (O(pages) in
	 * one hold, to give back nothing). */
	dedup_destroy(P.pe);
	P.pe = NULL;
	for (i = 0; i < VM_MAX; i++) {
		free(P.map[i]);
		P.map[i] = NULL;
	}
	memset(P.rc_done, 0, sizeof(P.rc_done));
	P.stage = S_RECOUNT;
}

/* The recount, domain by domain (frames are never shared across domains). */
static void recount_step(void)
{
	struct dedup_recount o;
	struct prun_domain *dm;
	unsigned i, j;
	int r;

	if (!P.rc) {
		uint64_t pages[VM_MAX];
		for (i = 0; i < nvms && (!P.r.vm[i].in || P.rc_done[i]); i++)
			;
		if (i == nvms) {
			P.stage = S_DONE;
			return;
		}
		P.rc_k = 0;
		for (j = i; j < nvms; j++)
			if (P.r.vm[j].in && !P.rc_done[j] && vms[j].cfg->domain == vms[i].cfg->domain) {
				P.rc_ids[P.rc_k] = j;
				pages[P.rc_k++] = vms[j].npages;
				P.rc_done[j] = true;
			}
		P.rc = dedup_recount_begin(rc_page, NULL, pages, P.rc_k, 4096);
		if (!P.rc) {
			P.r.rc_ok = false; /* said at the report; the point engine's figures stand */
			P.stage = S_DONE;
		}
		return;
	}
	r = dedup_recount_step(P.rc, RECOUNT_UNITS);
	if (r == 0)
		return;
	if (r < 0)
		dedup_recount_abort(P.rc);
	if (r < 0 || dedup_recount_finish(P.rc, &o)) { /* finish frees the run too */
		P.rc = NULL;
		fail("the recount could not read a page as it was at the point's instant");
		return;
	}
	P.rc = NULL;
	for (i = 0; i < P.rc_k; i++) {
		P.r.vm[P.rc_ids[i]].rc_pss = o.vm[i].pss;
		P.r.vm[P.rc_ids[i]].rc_excl = o.vm[i].exclusive;
	}
	dm = &P.r.dom[P.r.ndom++];
	*dm = (struct prun_domain){ (uint16_t)vms[P.rc_ids[0]].cfg->domain, P.rc_k, o.pages_total,
				    o.pages_unique, o.sharable, o.self_sharing, o.inter_sharing };
	P.r.rc_saved += o.sharable;
	P.r.rc_self += o.self_sharing;
	P.r.rc_inter += o.inter_sharing;
	dedup_recount_free(&o);
}

int prun_step(uint64_t deadline)
{
	static const char *const part[] = { "", "the live engine's walk", "the point engine's registration",
					    "the point engine's scan", "the point engine's account",
					    "the recount", "" };
	do {
		uint64_t t0 = arch_time_now(), t, *ticks;
		enum stage st = P.stage;
		const char *gone = freeze_abandoned();
		if (gone)
			fail(gone);
		if (P.r.failed[0] || st == S_DONE || st == S_IDLE)
			return 1;
		switch (st) {
		case S_WALK:
			ticks = &P.r.walk_ticks;
			walk_step();
			break;
		case S_REGISTER:
			ticks = &P.r.engine_ticks;
			register_step();
			break;
		case S_CONVERGE:
			ticks = &P.r.engine_ticks;
			converge_step();
			break;
		case S_ACCOUNT:
			ticks = &P.r.engine_ticks;
			account_step();
			break;
		default:
			ticks = &P.r.recount_ticks;
			recount_step();
			break;
		}
		t = arch_time_now() - t0;
		*ticks += t;
		if (t > P.r.longest_piece) {
			P.r.longest_piece = t;
			P.r.longest_in = part[st];
		}
	} while (arch_time_now() < deadline);
	P.r.steps++;
	return P.r.failed[0] || P.stage == S_DONE;
}

const struct prun_result *prun_result(void)
{
	return &P.r;
}

void prun_stop(void)
{
	unsigned i;

	if (P.rc)
		dedup_recount_abort(P.rc);
	P.rc = NULL;
	dedup_destroy(P.pe); /* ids, no frames: see account_step */
	P.pe = NULL;
	for (i = 0; i < VM_MAX; i++) {
		free(P.map[i]);
		P.map[i] = NULL;
	}
	P.stage = S_IDLE;
}
