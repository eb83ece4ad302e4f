/*
 * sharing.c - the page-sharing engine running over live VMs.
 *
 * Guest RAM is registered with dedup/ lazily: every gfn starts mapped
 * read-only to its sharing domain's zero frame, so never-touched memory
 * costs nothing.  A guest write to any read-only RAM page is an EPT
 * violation that lands in sharing_write_fault(): the engine's COW break
 * gives the page a private frame (or the shared one back, if it was the
 * last sharer) and the vCPU resumes.  The scanner runs between vCPU time
 * slices (sched.c).  By default the rate governor (dedup/governor.c) sizes
 * each step and the pause after it, so that a full scan takes
 * dedup.scan_target_s within dedup.max_cpu_pct, with sleep_ms the pause it
 * plans around; an explicit pages_to_scan (config or console) selects the
 * fixed rate instead: that many pages a step, sleep_ms unused (there is no
 * timer: the slices and the CPU cap pace it).
 *
 * The cold tier (dedup/tier.c), with dedup.pool_max set: the scanner reads
 * the TSC (dedup_clock) before each step, so that a private page idle for
 * dedup.cold_s is compressed into a pool of at most pool_max; any access
 * to one exits on an EPT violation and comes back through
 * sharing_fault_in() (kernel/upcall.c).  Its work is bounded per step
 * (TIER_PER_STEP; PATCH_PER_STEP for patch attempts) and inside the step
 * the governor measures.  With
 * dedup.patch too, a cold page nearly the same as a reference frame is
 * kept as a patch against it (dedup/tier_patch.c), and the same fault
 * rebuilds it.
 *
 * Same-behaviour domains (dedup/same.c, issue 22), from the config's
 * mode=same: made so before any VM starts, their randomized pool seeded
 * from the CPU (arch_random_seed).  Their fused pages are not present:
 * any access, read or write, comes through sharing_fault_in() too.  A
 * guest of such a domain gets none of the engine's fleet-wide counters
 * (hypercall.c), which would tell it as much as a timed write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "freeze.h"
#include "recount.h"
#include "sharing.h"
#include "sharing_audit.h"

extern struct frame_pool frames;

struct dedup *engine;
static struct sharing_ctx ctx = { .frames = &frames, .vms = vms,
				   .reserve_frames = SHARING_RESERVE_FRAMES };

/* What hashing one page costs here, in TSC ticks (under Bochs: emulated
 * instructions), over 16 hashes of a page of varied bytes (XXH3's count
 * for a 4 KiB input does not depend on the bytes); and the page functions
 * a scan's merges and visits run too, at their longest: the full compare
 * of two equal pages (and libc's memcmp, what it was until issue 24), the
 * zero check of a zero page.  Kept for the scan cost below. */
static uint64_t hash_ticks;

static void hash_cost(void)
{
	static uint8_t page[4096] __attribute__((aligned(64)));
	static uint8_t twin[4096] __attribute__((aligned(64)));
	static const uint8_t zero[4096] __attribute__((aligned(64)));
	volatile uint64_t sink = 0;
	uint64_t t0, t1, t2, t3, t4;
	unsigned i;

	for (i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 131 + (i >> 8));
	t0 = arch_time_now();
	for (i = 0; i < 16; i++) {
		page[0] = (uint8_t)i;
		sink += dedup_page_hash(page);
	}
	t1 = arch_time_now();
	memcpy(twin, page, sizeof(page));
	t2 = arch_time_now();
	for (i = 0; i < 16; i++)
		sink += (uint64_t)dedup_page_equal(page, twin);
	t3 = arch_time_now();
	for (i = 0; i < 16; i++)
		sink += (uint64_t)dedup_page_zero(zero);
	t4 = arch_time_now();
	for (i = 0; i < 16; i++)
		sink += (uint64_t)(memcmp(page, twin, sizeof(page)) == 0);
	(void)sink;
	hash_ticks = (t1 - t0) / 16;
	printf("dedup: page hash XXH3-64 (%s): %lu TSC ticks per 4 KiB page; a full compare of "
	       "equal pages %lu (libc's memcmp %lu), a zero check of a zero page %lu\n",
	       dedup_hash_path(), hash_ticks, (t3 - t2) / 16, (arch_time_now() - t4) / 16,
	       (t4 - t3) / 16);
}

/*
 * Why a full scan every 10 s by default (dedup.scan_target_s): with A/D bits
 * a page that stops changing merges at its next visit, so new sharing is
 * found within one target.  What it costs, from make bench (1 GiB of Linux
 * guests on the host): a first scan ~0.13 CPU-s (~3,300 instructions a
 * page: every page read, most hashed), a scan of converged memory ~0.002
 * CPU-s (~57 instructions a page: clean pages are not read).  At 10 s that
 * is 1.3% of a CPU per GiB while memory is new and 0.02% once it settled;
 * 20 GiB of new guest memory would ask for 26%, and the 25% cap then
 * stretches that first scan rather than take more.  KSM's advisor defaults
 * to 200 s because its converged scans still read pages (~0.13 CPU-s a GiB).
 *
 * The governor's bounds on a step are the knob table's
 * (KNOB_STEP_MIN_PAGES, KNOB_STEP_MAX_PAGES in common/knobs.h, with why).
 *
 * The knobs (common/knobs.h) are owned here: every front-end - the config
 * at boot, the console's set, the API's POST /api/knobs - changes them
 * through sharing_knob_set(), which applies what a set implies to the
 * engine and the governor at once, so all of them show what is in force.
 */
/*
 * Pages compressed per scanner step at most: one batch.  Each costs ~50,000
 * instructions (make bench: lz4 to the 2 KiB bound, the checksum, the
 * pool), ~10 us on hardware, so 64 add ~0.6 ms to a step that may already
 * take 8 ms (KNOB_STEP_MAX_PAGES); under Bochs ~3 M instructions.  A
 * backlog of cold pages drains at 64 a step, with the governor pacing the
 * steps.
 */
#define TIER_PER_STEP 64
/*
 * Patch attempts per scanner step at most (dedup.patch).  One costs ~69,000
 * instructions on make bench's corpus (docs/patching.md) and up to ~260,000
 * when it fails late: a cold page tries up to 4 candidates, so the 64 pages
 * above could make 256 attempts.  Unbounded, make bench-fleet's patch run
 * (3 Linux VMs) had a step of 71 M instructions under Bochs (1.4 s of every
 * CPU waiting for the lock), and bochs-linux-patch without its audit one
 * of 16.4 M with 74 attempts; with 16, its longest was 9.6 M with 14 (the
 * rest: the 64 picks' lz4 and keys).  16 keep the attempts within ~4 M
 * instructions (~1 ms on hardware), the order of the 64 compressions;
 * make bench-fleet's runs averaged ~7 attempts a step that compressed, so
 * only a burst of newly cold pages waits, a few steps longer
 * (dedup/tier_patch.c: a page whose candidates the attempts left cannot
 * cover waits for its next visit, never compressed instead).
 */
#define PATCH_PER_STEP 16
/*
 * zstd compressions per scanner step at most (dedup.zstd_s).  One is an
 * lz4 decode, a zstd compression and a zstd decode to check it: ~16 us on
 * this machine (make bench), ~4.5x an lz4 compression.  Bounded only by
 * TIER_PER_STEP, make bench-fleet's tier run (3 Linux VMs) had steps of
 * 23 M instructions under Bochs while lz4 objects were remade; 8 keep a
 * step's zstd work within ~2x the 64 lz4 compressions above.
 */
#define ZSTD_PER_STEP 8
static struct dedup_governor gov;
static uint64_t audit_scan; /* dedup.audit: the full scan after which to audit next, 0 off */
static struct knob_values knobs;

/* The engine's and the governor's view of the knobs. */
static void knobs_apply(void)
{
	struct dedup_knobs *k = dedup_knobs(engine);

	k->pages_to_scan = knobs.v[KNOB_PAGES_TO_SCAN];
	k->sleep_ms = knobs.v[KNOB_SLEEP_MS];
	k->merge_first_sight = knobs.v[KNOB_MERGE_FIRST_SIGHT] != 0;
	gov.cfg.scan_target_s = knobs.v[KNOB_SCAN_TARGET_S]; /* what it measured stays */
	gov.cfg.max_cpu_pct = knobs.v[KNOB_MAX_CPU_PCT];
}

/* The config's same-behaviour domains (mode=same; config.c made sure a
 * domain has one mode), each said on the console. */
static void same_init(const struct config *cfg)
{
	bool hw = false, seeded = false;
	unsigned i, j;

	for (i = 0; i < cfg->nvms; i++) {
		uint16_t dom = (uint16_t)cfg->vm[i].domain;
		int r;
		if (cfg->vm[i].mode != CONFIG_MODE_SAME)
			continue;
		for (j = 0; j < i && cfg->vm[j].domain != dom; j++)
			;
		if (j < i)
			continue; /* said already */
		if (!seeded && dedup_same_seed(engine, arch_random_seed(&hw), DEDUP_SAME_POOL_MAX) == 0)
			seeded = true;
		r = dedup_domain_same(engine, dom);
		if (r == DEDUP_EINVAL)
			printf("dedup: domain %u: mode=same needs EPT accessed bits, which this CPU lacks: "
			       "its VMs are refused\n", dom);
		else if (r)
			printf("dedup: domain %u: mode=same refused (%d): its VMs are refused\n", dom, r);
		else
			printf("dedup: domain %u: same-behaviour: a page idle %u scans is fused, twin or not, "
			       "and copied back on any access; frames from a pool of %u, seeded %s\n", dom,
			       DEDUP_SAME_IDLE, DEDUP_SAME_POOL_MAX,
			       hw ? "by RDRAND" : "from the TSC and the clock (no RDRAND)");
	}
}

/*
 * The similarity index of patches' reference candidates holds one per
 * DEDUP_PATCH_REFS_SHARE (8) pages of guest RAM: 8 to 16 bytes a guest
 * page.  The candidates are shared frames and cold pages lz4 cannot fit in
 * 2 KiB: on make bench's corpus 15,610 of its 262,144 pages (6%) were put
 * in the index, within the 32,768 this gives; beyond it a full bucket
 * forgets its oldest entry, which only costs a patch not found.
 */
uint64_t sharing_patch_refs_max(const struct config *cfg)
{
	uint64_t pages = 0;
	unsigned i;

	if (!cfg->dedup_patch || !cfg->dedup_pool_max)
		return 0;
	for (i = 0; i < cfg->nvms; i++)
		pages += cfg->vm[i].ram / 4096;
	return pages / DEDUP_PATCH_REFS_SHARE + 1;
}

int sharing_init(const struct config *cfg)
{
	struct dedup_knobs k = {
		.cold_ticks = (uint64_t)cfg->dedup_cold_s * arch_time_hz(),
		.zstd_ticks = (uint64_t)cfg->dedup_zstd_s * arch_time_hz(),
		.pool_max_frames = cfg->dedup_pool_max / 4096,
		.compress_per_step = TIER_PER_STEP,
		.patch_per_step = PATCH_PER_STEP,
		.zstd_per_step = ZSTD_PER_STEP,
		.patch_refs_max = sharing_patch_refs_max(cfg),
	};
	struct dedup_governor_cfg gc = { 0, 0, KNOB_STEP_MIN_PAGES, KNOB_STEP_MAX_PAGES, 0 };
	struct dedup_ops ops = sharing_ops(&ctx);

	knob_from_config(&knobs, cfg->knob, cfg->knob_given);
	engine = dedup_create(&ops, &k);
	if (!engine)
		return printf("dedup: no memory for the engine\n"), -1;
	dedup_governor_init(&gov, &gc);
	knobs_apply();
	if (knobs.governed)
		printf("dedup: engine ready (run=%u, governed: a full scan every %u s within %u%% of a "
		       "CPU, EPT A/D dirty bits)\n", knobs.v[KNOB_RUN], knobs.v[KNOB_SCAN_TARGET_S],
		       knobs.v[KNOB_MAX_CPU_PCT]);
	else
		printf("dedup: engine ready (run=%u, pages_to_scan=%u, EPT A/D dirty bits)\n",
		       knobs.v[KNOB_RUN], knobs.v[KNOB_PAGES_TO_SCAN]);
	same_init(cfg);
	if (cfg->dedup_audit && sharing_audit_init(&frames) == 0)
		audit_scan = 1;
	if (cfg->dedup_pool_max) {
		printf("dedup: cold tier: private pages idle %u s compressed (lz4) into a pool of at most "
		       "%lu MiB\n", cfg->dedup_cold_s, cfg->dedup_pool_max >> 20);
		if (k.zstd_ticks)
			printf("dedup: cold tier: pages idle %u s, and cold pages lz4 cannot fit, kept in "
			       "zstd when that takes less\n", cfg->dedup_zstd_s);
		if (k.patch_refs_max)
			printf("dedup: cold tier: patches against reference frames (delta/; an index of %lu "
			       "candidates, %lu KiB at most)\n", k.patch_refs_max,
			       dedup_patch_metadata_max(k.patch_refs_max) >> 10);
		/* A page's age saturates at 63 full scans (dedup/scan.c). */
		if (knobs.governed && cfg->dedup_cold_s > 62ull * knobs.v[KNOB_SCAN_TARGET_S])
			printf("dedup: cold tier: dedup.cold_s %u is over 62 full scans of %u s: "
			       "nothing will ever be cold\n", cfg->dedup_cold_s,
			       knobs.v[KNOB_SCAN_TARGET_S]);
		if (knobs.governed && cfg->dedup_zstd_s > 62ull * knobs.v[KNOB_SCAN_TARGET_S])
			printf("dedup: cold tier: dedup.zstd_s %u is over 62 full scans of %u s: "
			       "nothing will be recompressed with zstd\n", cfg->dedup_zstd_s,
			       knobs.v[KNOB_SCAN_TARGET_S]);
	}
	hash_cost();
	return 0;
}

const struct knob_values *sharing_knobs(void)
{
	return &knobs;
}

int sharing_knob_set(unsigned id, uint32_t value)
{
	if (knob_set(&knobs, id, value))
		return -1;
	if (engine)
		knobs_apply();
	return 0;
}

const struct dedup_governor *sharing_governor(void)
{
	return knobs.governed ? &gov : NULL;
}

void sharing_governor_report(void)
{
	uint64_t q = gov.tpp_q8, frac = (q & ((1u << DEDUP_GOVERNOR_Q) - 1)) * 100 >> DEDUP_GOVERNOR_Q;
	if (!knobs.governed) {
		printf("  scan rate: fixed, %u pages a step ('set scan_target_s N' for the governor)\n",
		       dedup_knobs(engine)->pages_to_scan);
		return;
	}
	printf("  scan rate: governed, a full scan every %u s within %u%% of a CPU: %u pages a step, "
	       "%lu.%02lu TSC ticks a page, pause %lu ticks%s\n", gov.cfg.scan_target_s,
	       gov.cfg.max_cpu_pct, gov.pages, q >> DEDUP_GOVERNOR_Q, frac, gov.pause_ticks,
	       gov.capped ? " (the CPU cap sets the pace)" : "");
}

int sharing_add_vm(struct vm *vm)
{
	int r;
	if (vm->cfg->mode == CONFIG_MODE_SAME && !dedup_domain_is_same(engine, (uint16_t)vm->cfg->domain)) {
		printf("vm %s: domain %u could not be made same-behaviour (above): refused rather than "
		       "shared in the normal mode\n", vm->name, vm->cfg->domain);
		return -1;
	}
	dedup_clock(engine, arch_time_now()); /* registration counts as an access */
	r = dedup_vm_add(engine, vm->id, vm->npages, (uint16_t)vm->cfg->domain, true);
	if (r)
		printf("vm %s: the dedup engine refused it (%d)\n", vm->name, r);
	else if (vm->cfg->compress_max < vm->cfg->ram)
		dedup_vm_set_tier_max(engine, vm->id, vm->cfg->compress_max / 4096);
	return r ? -1 : 0;
}

/*
 * One hold of hv_lock does all of it, O(the VM's pages): the engine's
 * removal walks the pages twice (unmapping shared ones, dropping pooled
 * objects, then the references), patch_vm_remove a third time and the
 * similarity index whole, and the frames left are freed page by page.  On
 * the host (tests/fake) the engine's part alone is ~12 M instructions for
 * 32,768 pages half zero, a quarter shared, 13,740 pooled (callgrind); in
 * bochs-linux-patch the console's `stop` of a 128 MiB Linux VM held the
 * lock 22.5 M ticks (0.45 s under Bochs) while the other VM ran.  Not yet
 * chunked across scanner steps as measurement points are (control/points.c):
 * the VM would have to stay in the engine, stopped, its pages going a
 * batch a step.  The line printed at the end says how long it held the lock.
 */
int sharing_remove_vm(struct vm *vm)
{
	uint64_t g, t0 = arch_time_now();
	int r;

	freeze_vm_gone(vm); /* a point holding its contents gives them up */
	r = dedup_vm_remove(engine, vm->id);

	if (r == DEDUP_EBUSY) {
		printf("vm %s: a CPU that may still use its translations answers nothing: its %lu "
		       "MiB are kept, not freed\n", vm->name, vm->npages >> 8);
		return -1;
	}
	if (r)
		return 0;
	/* What is still mapped now is private to the VM: free it. */
	for (g = 0; g < vm->npages; g++) {
		struct ept_leaf l;
		if (ept_lookup(&vm->ept, g << 12, &l) == 0 && frames_free(&frames, l.hpa))
			printf("vm %s: frame 0x%lx was not the VM's to free\n", vm->name, l.hpa);
	}
	ept_destroy(&vm->ept);
	printf("vm %s: out of the engine, its frames freed: %lu TSC ticks in one hold of hv_lock\n",
	       vm->name, arch_time_now() - t0);
	return 0;
}

/* Write faults on shared memory handled, and the shootdown IPIs their
 * invalidations sent, by the CPU that took them (issue 23, finding 6: each
 * used to IPI every other CPU). */
static uint64_t cow_faults[ARCH_MAX_CPUS], cow_ipis[ARCH_MAX_CPUS];

int sharing_write_fault(struct vm *vm, uint64_t gfn)
{
	unsigned cpu = arch_cpu_index();
	uint64_t ipis = arch_shootdowns_sent_by(cpu);
	int r = dedup_cow_break(engine, vm->id, gfn);

	if (r == 0 && cpu < ARCH_MAX_CPUS) {
		cow_faults[cpu]++;
		cow_ipis[cpu] += arch_shootdowns_sent_by(cpu) - ipis;
	}
	return r;
}

uint64_t sharing_invalidations_failed(void)
{
	return ctx.invalidations_failed;
}

void sharing_cow_report(const char *prefix)
{
	unsigned c;
	printf("%s", prefix);
	for (c = 0; c < ARCH_MAX_CPUS; c++)
		if (arch_cpu_online(c)) {
			/* Hypervisor code has no floating point: hundredths. */
			uint64_t h = cow_faults[c] ? cow_ipis[c] * 100 / cow_faults[c] : 0;
			printf("%s CPU %u %lu faults, %lu IPIs (%lu.%02lu a fault)", c ? ";" : "", c,
			       cow_faults[c], cow_ipis[c], h / 100, h % 100);
		}
	printf("\n");
}

/* What the cold tier costs here, in TSC ticks (under Bochs, emulated
 * instructions): each fault-in (a decompression, or a patched page's
 * rebuild), and the scanner steps that compressed or patched (the other
 * pages of those steps included: an upper bound). */
static struct {
	uint64_t faults, fault_ticks, rebuilds, rebuild_ticks;
	uint64_t zfaults, zfault_ticks; /* of the faults, zstd's */
	uint64_t steps, step_ticks, compressed, patched, recompressed, since;
} tier_cost;
/* And the copies on access of same-behaviour domains (whose pages the
 * tier never holds: every fault there is a copy). */
static struct { uint64_t faults, ticks; } same_cost;

int sharing_fault_in(struct vm *vm, uint64_t gfn, bool write)
{
	struct dedup_vm_stats a, b;
	uint64_t t0 = arch_time_now(), t;
	int r;

	dedup_get_vm_stats(engine, vm->id, &a);
	r = dedup_access_fault(engine, vm->id, gfn, write);
	t = arch_time_now() - t0;
	dedup_get_vm_stats(engine, vm->id, &b);
	if (r == 0 && vm->cfg->mode == CONFIG_MODE_SAME) {
		same_cost.faults++;
		same_cost.ticks += t;
	} else if (r == 0 && b.rebuilds != a.rebuilds) {
		tier_cost.rebuilds++;
		tier_cost.rebuild_ticks += t;
	} else if (r == 0) {
		tier_cost.faults++;
		tier_cost.fault_ticks += t;
		if (b.zstd_faults != a.zstd_faults) {
			tier_cost.zfaults++;
			tier_cost.zfault_ticks += t;
		}
	}
	return r;
}

/* One page's content for readers (the recount, copy_from_guest): a
 * compressed one decompressed into this buffer, valid until the next call;
 * everything runs under the hypervisor lock. */
static unsigned char read_buf[4096] __attribute__((aligned(64)));

const void *sharing_read_page(struct vm *vm, uint64_t gfn)
{
	return dedup_page_read(engine, vm->id, gfn, read_buf);
}

void *sharing_private_page(struct vm *vm, uint64_t gpa)
{
	struct ept_leaf l;
	/* A point holding the page's old content saves it first. */
	if (freeze_write(vm, gpa >> 12) < 0 || dedup_cow_break(engine, vm->id, gpa >> 12) ||
	    ept_lookup(&vm->ept, gpa, &l))
		return NULL;
	return phys_to_virt(l.hpa & ~0xFFFull);
}

/*
 * What a full scan costs here and where it goes, for the first
 * SCAN_COST_SCANS full scans (issue 24: the product's scanner against
 * dedupsim's on the same memory, scripts/scancmp.sh): the TSC ticks of the
 * steps that made it (under Bochs emulated instructions, the count that
 * callgrind gives dedupsim), the machine's calls timed inside them
 * (sharing_ops.c: the EPT's A/D test-and-clear, invalidations, lookups,
 * the merges' maps and frees) and the pages hashed, each at hash_ticks.
 * Timing's own ticks are taken out of the figures (sharing_cost_overhead).
 * Two scans: with A/D bits the first hashes what the guests wrote and the
 * second merges what stayed clean - dedupsim's first scan, over images
 * whose bits are clear, does both.  Only the steps: a COW break between
 * them is not counted.  After them, no TSC read: the ops test a flag.
 */
#define SCAN_COST_SCANS 2
static struct {
	unsigned done;                 /* full scans reported */
	bool under_way;
	uint64_t ticks, steps, inside, all;
	struct dedup_stats st0;        /* at the scan's start */
} scan_cost;

static const char *const sop_name[SOP_COUNT] = {
	[SOP_AD] = "A/D test-and-clear", [SOP_INVALIDATE] = "invalidate", [SOP_LOOKUP] = "lookup",
	[SOP_MAP] = "map", [SOP_UNMAP] = "unmap", [SOP_ALLOC] = "frame alloc", [SOP_FREE] = "frame free",
};

static void scan_cost_report(const struct dedup_stats *st)
{
	const struct sharing_op_cost *c = &ctx.cost;
	uint64_t calls = 0, ticks, pages = st->pages_scanned - scan_cost.st0.pages_scanned;
	unsigned i;

	for (i = 0; i < SOP_COUNT; i++)
		calls += c->calls[i];
	ticks = scan_cost.ticks - calls * scan_cost.all;
	printf("dedup: full scan %lu cost: %lu pages visited, %lu hashed, %lu merges, in %lu steps, "
	       "%lu TSC ticks, %lu a page; in the machine's calls (ticks/calls):", st->full_scans, pages,
	       st->pages_hashed - scan_cost.st0.pages_hashed, st->merges - scan_cost.st0.merges,
	       scan_cost.steps, ticks, pages ? ticks / pages : 0);
	for (i = 0; i < SOP_COUNT; i++)
		printf("%s %s %lu/%lu", i ? "," : "", sop_name[i],
		       c->ticks[i] - c->calls[i] * scan_cost.inside, c->calls[i]);
	printf("; hashing %lu a page hashed; timing's own %lu ticks a call taken out\n", hash_ticks,
	       scan_cost.all);
}

/*
 * The longest scanner step and what it did (the summary's line beside
 * hv_lock's, which times it from sched.c): a step runs under the lock, so
 * its length is what it made every other CPU wait, and the work in it says
 * which bound failed (with dedup.patch, make bench-fleet's patch run had a
 * step of 71 M emulated instructions, 1.4 s under Bochs, where the same
 * fleet without patches had none over 4 M: the patch attempts, which
 * PATCH_PER_STEP now bounds).
 */
static struct {
	uint64_t ticks, pages, hashed, merges, compressed, recompressed, encodes, patches, scans;
	bool audited;
} longest;

static void longest_step(uint64_t ticks, const struct dedup_stats *a, const struct dedup_stats *b,
			 bool audited)
{
	if (ticks <= longest.ticks)
		return;
	longest.ticks = ticks;
	longest.pages = b->pages_scanned - a->pages_scanned;
	longest.hashed = b->pages_hashed - a->pages_hashed;
	longest.merges = b->merges - a->merges;
	longest.compressed = b->compressions - a->compressions;
	longest.recompressed = b->zstd_recompressed - a->zstd_recompressed;
	longest.encodes = b->patch_encodes - a->patch_encodes;
	longest.patches = b->patches - a->patches;
	longest.scans = b->full_scans - a->full_scans;
	longest.audited = audited;
}

void sharing_longest_step_report(void)
{
	printf("summary: the longest scanner step: %lu TSC ticks: %lu pages visited (%lu hashed), %lu "
	       "merges, %lu pages compressed (%lu more remade in zstd), %lu patch attempts (%lu "
	       "patches)%s%s\n", longest.ticks, longest.pages, longest.hashed, longest.merges,
	       longest.compressed, longest.recompressed, longest.encodes,
	       longest.patches, longest.scans ? "; a full scan ended in it" : "",
	       longest.audited ? "; the audit ran in it (dedup.audit)" : "");
}

uint64_t sharing_scan_step(void)
{
	struct dedup_stats st, st0;
	uint64_t t0, n, before, patches, recomp, pause, tp = 0, tstep = arch_time_now();
	bool prof = scan_cost.done < SCAN_COST_SCANS, audited = false;

	dedup_get_stats(engine, &st);
	st0 = st;
	if (prof) {
		if (!scan_cost.under_way) {
			memset(&ctx.cost, 0, sizeof(ctx.cost));
			sharing_cost_overhead(&ctx, &scan_cost.inside, &scan_cost.all);
			scan_cost.ticks = scan_cost.steps = 0;
			scan_cost.st0 = st;
			scan_cost.under_way = true;
		}
		ctx.cost.on = true;
		tp = arch_time_now();
	}
	before = st.compressions;
	patches = st.patches;
	recomp = st.zstd_recompressed;
	if (!tier_cost.since)
		tier_cost.since = arch_time_now();
	t0 = arch_time_now();
	dedup_clock(engine, t0);
	if (!knobs.governed) {
		dedup_scan(engine, dedup_knobs(engine)->pages_to_scan);
		n = 0;
	} else {
		/* sleep_ms may have changed on the console: the pause planned is live. */
		gov.cfg.sleep_ticks = dedup_knobs(engine)->sleep_ms * arch_time_hz() / 1000;
		n = dedup_scan(engine, gov.pages);
	}
	dedup_get_stats(engine, &st);
	if (audit_scan && st.full_scans >= audit_scan) { /* dedup.audit: a full scan is done */
		audit_scan = st.full_scans + 1;
		sharing_audit(&frames, vms, nvms, st.full_scans);
		audited = true;
	}
	if (st.compressions != before || st.patches != patches || st.zstd_recompressed != recomp) {
		tier_cost.steps++;
		tier_cost.step_ticks += arch_time_now() - t0;
		tier_cost.compressed += st.compressions - before;
		tier_cost.patched += st.patches - patches;
		tier_cost.recompressed += st.zstd_recompressed - recomp;
	}
	pause = 0;
	if (knobs.governed) {
		dedup_governor_update(&gov, arch_time_now() - t0, n, arch_time_hz(), st.pages_tracked);
		pause = gov.pause_ticks;
	}
	if (prof) {
		ctx.cost.on = false;
		scan_cost.ticks += arch_time_now() - tp;
		scan_cost.steps++;
		if (st.full_scans != scan_cost.st0.full_scans) {
			scan_cost_report(&st);
			scan_cost.under_way = false;
			scan_cost.done++;
		}
	}
	longest_step(arch_time_now() - tstep, &st0, &st, audited);
	return pause;
}

uint64_t sharing_private_frames(const struct vm *vm)
{
	struct dedup_vm_stats vs;
	if (!vm->in_engine || dedup_get_vm_stats(engine, vm->id, &vs))
		return 0;
	return vs.pages - vs.merged - vs.compressed - vs.patched;
}

struct vm *sharing_biggest_holder(uint64_t *held)
{
	struct vm *big = NULL;
	unsigned i;

	*held = 0;
	for (i = 0; i < nvms; i++) {
		uint64_t n = vms[i].stopped ? 0 : sharing_private_frames(&vms[i]);
		if (n > *held) {
			*held = n;
			big = &vms[i];
		}
	}
	return big;
}

void sharing_oom_report(uint64_t waiting)
{
	struct dedup_stats s;

	dedup_get_stats(engine, &s);
	printf("dedup: out of frames: %lu guest pages on %lu frames; sharing saves %lu (%lu of them "
	       "zero pages), the cold tier %lu more (%lu pages compressed in %lu pool frames); "
	       "%lu vCPUs wait for a frame, and a full scan freed none\n", s.pages_tracked,
	       dedup_frames_in_use(engine), s.frames_saved, s.ksm_zero_pages,
	       s.pages_compressed > s.pool_frames ? s.pages_compressed - s.pool_frames : 0,
	       s.pages_compressed, s.pool_frames, waiting);
}

void sharing_summary(const char *when)
{
	struct dedup_stats s;
	dedup_get_stats(engine, &s);
	printf("dedup: %s: full_scans %lu pages_shared %lu pages_sharing %lu ksm_zero_pages %lu "
	       "saved %lu (self %lu, inter %lu) cow_breaks %lu reuses %lu volatile %lu "
	       "merges %lu races %lu invept %lu free %lu MiB\n",
	       when, s.full_scans, s.pages_shared, s.pages_sharing, s.ksm_zero_pages, s.frames_saved,
	       s.self_sharing, s.inter_sharing, s.cow_breaks, s.cow_reuses, s.pages_volatile, s.merges,
	       s.merge_races, ctx.invalidations, frames.nfree >> 8);
	if (s.compressions)
		printf("dedup: %s: cold tier: %lu pages compressed (%lu KiB of lz4 and zstd in %lu pool frames), "
		       "%lu compressions, %lu faulted back, %lu merged with a twin, %lu did not fit, "
		       "%lu found the pool full, %lu faults waited for a frame, %lu damaged\n", when,
		       s.pages_compressed, s.compressed_bytes >> 10, s.pool_frames, s.compressions,
		       s.decompressions, s.tier_merges, s.compress_rejected, s.compress_enomem,
		       s.fault_enomem, s.tier_corrupt);
	if (s.zstd_direct + s.zstd_recompressed)
		printf("dedup: %s: zstd: %lu of those pages in zstd (%lu KiB), %lu cold pages lz4 could not "
		       "fit, %lu lz4 objects remade smaller, %lu left in lz4, %lu brought back\n", when,
		       s.pages_zstd, s.zstd_bytes >> 10, s.zstd_direct, s.zstd_recompressed, s.zstd_kept,
		       s.zstd_faults);
	if (s.same_fused || s.same_not_idle)
		printf("dedup: %s: same-behaviour: %lu pages fused (%lu without a twin), %lu copied on a "
		       "read, %lu on a write (%lu TSC ticks a copy), %lu visits found a page in use, %lu "
		       "frames in the pool\n", when, s.same_fused, s.same_fake_merges, s.same_copies_read,
		       s.same_copies_write, same_cost.faults ? same_cost.ticks / same_cost.faults : 0,
		       s.same_not_idle, s.same_pool_frames);
	if (s.patches)
		printf("dedup: %s: patches: %lu pages (%lu KiB, in %lu KiB of slots) against %lu reference "
		       "frames (%lu no page maps), %lu made, %lu rebuilt; %lu private pages made "
		       "references; %lu candidates indexed, %lu pages looked up with one, %lu patch "
		       "attempts, %lu did not rebuild the page\n", when, s.pages_patched,
		       s.patch_bytes >> 10, s.patch_slots >> 10, s.ref_frames, s.ref_unmapped, s.patches,
		       s.rebuilds, s.refs_made, s.patch_indexed, s.patch_tries, s.patch_encodes,
		       s.patch_races);
	if (tier_cost.zfaults + tier_cost.recompressed)
		printf("dedup: %s: zstd cost: %lu of the fault-ins zstd's, %lu TSC ticks each; %lu pages "
		       "recompressed in the steps below\n", when, tier_cost.zfaults,
		       tier_cost.zfaults ? tier_cost.zfault_ticks / tier_cost.zfaults : 0,
		       tier_cost.recompressed);
	if (tier_cost.compressed + tier_cost.patched + tier_cost.recompressed) {
		uint64_t span = arch_time_now() - tier_cost.since;
		uint64_t kept = tier_cost.compressed + tier_cost.patched + tier_cost.recompressed;
		printf("dedup: %s: cold tier cost: %lu fault-ins, %lu TSC ticks each; %lu rebuilds, %lu "
		       "TSC ticks each; %lu scanner steps compressed %lu and patched %lu pages in %lu "
		       "ticks, %lu a page (with the steps' other pages), %lu.%02lu%% of one CPU's time "
		       "since the scanner's first step\n", when, tier_cost.faults,
		       tier_cost.faults ? tier_cost.fault_ticks / tier_cost.faults : 0, tier_cost.rebuilds,
		       tier_cost.rebuilds ? tier_cost.rebuild_ticks / tier_cost.rebuilds : 0,
		       tier_cost.steps, tier_cost.compressed, tier_cost.patched, tier_cost.step_ticks,
		       tier_cost.step_ticks / kept, span ? tier_cost.step_ticks * 100 / span : 0,
		       span ? tier_cost.step_ticks * 10000 / span % 100 : 0);
	}
}
