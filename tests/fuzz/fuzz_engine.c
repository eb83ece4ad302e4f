/*
 * fuzz_engine.c - the page-sharing engine (every file of dedup/) over the
 * fake machine (tests/fake/fake_mem.c), driven by an operation stream.
 * fuzz_engine_collide is the same over tests/fake/collide_hash.c, where
 * every page hashes alike: every index lookup is a collision.
 *
 * Feeds: u8 setup (bit 0: EPT A/D bits; bit 1: merge_first_sight; bit 2:
 * the cold tier on from the start; bit 3: domain 2 a same-behaviour domain,
 * dedup/same.c, refused without A/D bits; bit 4: with patches against
 * reference frames), then operations until the input ends
 * (at most MAX_OPS), each an opcode byte and its arguments (encoding below
 * the enum): guest writes of a whole page (zero, one of a few shared
 * contents, unique, or a variant of one of two bases, nearly the same as
 * the other variants; compressible or not) or of a few bytes, the
 * hypervisor writing a page itself (dedup_cow_break first, then the frame
 * directly: no dirty bit), scanner steps and full scans, spurious COW
 * breaks and faults, guest reads (which fault a compressed page back) and
 * TLB evictions, VM add (populated or lazy, in one of three domains,
 * optionally with its EPT running out of table pages after k mappings) and
 * remove, frame exhaustion, the knob, the cold tier's knobs (patches on
 * or off), a VM's pool ceiling, the clock (one tick per operation, and
 * jumps), and
 * "races": another vCPU caching a writable translation just before a
 * write-protect or an unmap and writing through it just before the
 * invalidate (as the model test).
 * Up to 4 VM slots (VM ids 0, 1, 2 and 62) of up to 80 pages.  The calls
 * the API refuses (bad VM ids and sizes) are made once per input.
 *
 * Checks: after every operation every byte of every VM's memory, read
 * through the guest's view (fake TLB, then EPT; it sets no accessed bit)
 * or, for a compressed page, decompressed by dedup_page_read, equals a
 * shadow copy of what was written (a same-behaviour domain's fused page,
 * not present, read as the engine holds it, and a guest read of one faults
 * and copies it); the engine's bookkeeping agrees with
 * the fake EPT (shared pages map their frame read-only, private ones a
 * frame of their own, compressed, patched and fused ones nothing, refs and
 * k per frame, pins per reference = the patches that name it, every patch
 * rebuilds its page, no frame leaked beyond the pool's and the references
 * only patches need, stats = a count from the EPT; the API's PSS walked
 * in steps = the PSS of those mappings; the cost-PSS adds up); errors
 * are only those the API allows.  At the end, with frames
 * plentiful and no races, three full scans converge: frames_saved,
 * self_sharing, inter_sharing and each VM's self-sharing must equal
 * dedup_recount() (dedup/recount.h) over the shadow copies, domain by
 * domain (frames are never shared across domains).
 */
#include <stdbool.h>
#include <string.h>

#include "dedup_fixture.h"
#include "dedup_internal.h"
#include "fuzz_common.h"
#include "recount.h"

#define NSLOTS   4
#define MAXPAGES 80 /* > 64: a batch of merges fills the queue; > 256 pages in all */
#define NFRAMES  (NSLOTS * MAXPAGES + 64)
#define MAX_OPS  400
#define NDOMAINS 3

static const unsigned slot_vm[NSLOTS] = { 0, 1, 2, 62 };

enum op {
	OP_WRITE_PAGE, OP_WRITE_PAGE2, OP_WRITE_BYTES, OP_HV_WRITE, OP_SCAN, OP_FULL_SCAN,
	OP_COW_BREAK, OP_READ, OP_EVICT, OP_ADD, OP_REMOVE, OP_EXHAUST, OP_KNOB, OP_RACE,
	OP_CLOCK, OP_TIER, OP_FAULT, OP_CEILING,
	OP_COUNT
};
/*
 * Encoding: op byte % OP_COUNT, slot byte % NSLOTS, and when the slot holds
 * a VM a gfn byte % its pages; then
 *   WRITE_PAGE(2), HV_WRITE  u8 content: % 24, 0 zero, 1-7 a shared pool,
 *                            8-11 a page never seen before; 12-13 a shared
 *                            pool, 14 new, both compressible; 15 new, few
 *                            bits a byte (zstd's); 16-23 a
 *                            variant (c >> 5) % 8 of base c % 2 (SV_OF)
 *   WRITE_BYTES  u16 offset % 4096, u8 length - 1 (% 8), the bytes
 *   SCAN         u8 pages - 1
 *   ADD          u8 pages - 1 (% MAXPAGES), u8 how (bit 0 lazy; domain
 *                (how >> 1) % NDOMAINS; bit 3 more unique contents; bit 4,
 *                lazy: the EPT fails after (how >> 5) % pages first maps),
 *                u8 content seed
 *   EXHAUST      u8 b: b % 4 frames to allocate for 1 + (b >> 2) % 32 ops
 *   RACE         u8: a race 1 in (b % 5) chances, 0 none
 *   CLOCK        u8: the clock jumps b ticks
 *   TIER         u8 cold ticks % 8 (0: nothing cold) and its bits 3-4: zstd
 *                compressions a step (0: no bound), u8 pool frames % 12,
 *                u8 compressions a scanner step % 6 (0: no bound), its
 *                bits 3-4: patch attempts a step (0: no bound), bits 5-6:
 *                zstd's idle ticks (0: no zstd), and its bit 7: patches
 *                off (the index stays: what is held stays)
 *   CEILING      u8: the VM's compressed pages at most b % 8 (255: none)
 *   FULL_SCAN, COW_BREAK, FAULT, READ, EVICT, REMOVE, KNOB: nothing more.
 * FUZZ_TRACE=1 in the environment prints each operation (to replay a crash).
 */

struct model {
	struct fix f;
	bool live[NSLOTS];
	uint64_t npages[NSLOTS];
	uint16_t domain[NSLOTS];
	unsigned char (*shadow[NSLOTS])[4096];
	uint64_t next_unique;
	uint64_t rng;        /* race decisions, seeded by the input */
	unsigned race_odds;  /* 0: no races; else 1 in race_odds */
	int exhausted;       /* ops left with a rationed frame supply */
	int map_limit;       /* >= 0: first mappings fail after this many */
	uint64_t now;        /* the clock (dedup_clock) */
	bool same;           /* domain 2 is a same-behaviour domain */
};

static struct model M;
static unsigned char shadow_mem[NSLOTS][MAXPAGES][4096]; /* M.shadow[s] points here */

static uint64_t rnd(void) { M.rng = mix64(M.rng); return M.rng; }

static int slot_of(unsigned vm)
{
	for (int s = 0; s < NSLOTS; s++)
		if (slot_vm[s] == vm)
			return s;
	return -1;
}

/* Content c: 0 zero, 1-7 a small pool (duplicates), 8-11 a fresh unique
 * one; 12-13 and 14 the same, compressible; 15 a fresh one of few bits a
 * byte (zstd's: LE_OF, k 2 or 8); 16-23 a variant of one of two bases
 * (nearly the same pages: patches). */
static void make_content(uint8_t c, void *page)
{
	if (c % 24 >= 16) {
		content(SV_OF(1 + c % 2, (c >> 5) % 8), page);
		return;
	}
	c %= 24;
	if (c < 8)
		content(c, page);
	else if (c < 12)
		content(1000 + M.next_unique++, page);
	else if (c < 14)
		content(CZ | c, page);
	else if (c == 14)
		content(CZ | (1000 + M.next_unique++), page);
	else
		content(LE_OF(1000 + M.next_unique, M.next_unique & 1 ? 2 : 8), page), M.next_unique++;
}

static int is_compressed(unsigned vm, uint64_t g)
{
	return dp_state(&M.f.d->vm[vm].pages[g]) == DP_COMPRESSED;
}

/* A same-behaviour domain's fused page: not present either. */
static int is_hidden(unsigned vm, uint64_t g)
{
	return M.f.d->vm[vm].same && dp_state(&M.f.d->vm[vm].pages[g]) == DP_SHARED;
}

static void check_page(unsigned s, uint64_t g, const char *when)
{
	static unsigned char got[4096];
	if (fake_guest_peek(&M.f.m, slot_vm[s], g, 0, got, 4096)) {
		const unsigned char *p;
		CHECK(is_compressed(slot_vm[s], g) || is_hidden(slot_vm[s], g),
		      "after %s: vm %u gfn %llu not present, not compressed or fused", when, slot_vm[s],
		      (unsigned long long)g);
		p = dedup_page_read(M.f.d, slot_vm[s], g, got);
		if (p && is_hidden(slot_vm[s], g))
			memcpy(got, p, 4096), p = got;
		CHECK(p == got, "after %s: vm %u gfn %llu: a compressed page fails its check", when,
		      slot_vm[s], (unsigned long long)g);
	}
	if (memcmp(got, M.shadow[s][g], 4096)) {
		unsigned off = 0;
		while (got[off] == M.shadow[s][g][off])
			off++;
		CHECK(0, "after %s: vm %u gfn %llu byte %u reads 0x%02x, the guest wrote 0x%02x", when,
		      slot_vm[s], (unsigned long long)g, off, got[off], M.shadow[s][g][off]);
	}
}

/* ---- races: another vCPU's translation, as in test_dedup_model.c ---- */

static void race_cache(struct fake_mem *fm, unsigned vm, uint64_t gfn, bool writable, void *arg)
{
	unsigned char b[8];
	(void)arg;
	if (M.map_limit == 0)
		fm->fail_new_maps = true;
	else if (M.map_limit > 0 && !fm->vm[vm].ept[gfn].present)
		M.map_limit--;
	if (M.race_odds && !writable && fm->vm[vm].ept[gfn].present &&
	    fm->vm[vm].ept[gfn].writable && rnd() % M.race_odds == 0)
		fake_guest_read(fm, vm, gfn, 0, b, 8);
}

static void race_cache_unmap(struct fake_mem *fm, unsigned vm, uint64_t gfn, void *arg)
{
	race_cache(fm, vm, gfn, false, arg);
}

static void race_write(struct fake_mem *fm, unsigned vm, void *arg)
{
	int s = slot_of(vm);
	(void)arg;
	if (!M.race_odds || s < 0 || !M.live[s])
		return;
	for (uint64_t g = 0; g < M.npages[s]; g++) {
		const struct fake_tlbe *t = &fm->vm[vm].tlb[g];
		if (t->gen == fm->vm[vm].tlb_gen && t->writable && !fm->vm[vm].ept[g].writable &&
		    rnd() % 2 == 0) {
			uint64_t w = rnd() % 3 ? rnd() : 0;
			unsigned off = (unsigned)(rnd() % 512) * 8;
			CHECK(fake_guest_write(fm, vm, g, off, &w, 8) == 0, "stale writable TLB entry refused");
			memcpy(M.shadow[s][g] + off, &w, 8);
		}
	}
}

/* ---- the engine's bookkeeping against the fake EPT ---- */

/* 1 the first time frame f is seen (a flag, not a count: 256 mappings of a
 * zero frame would wrap a byte). */
static unsigned first_sight(uint8_t *seen, uint64_t f)
{
	if (seen[f])
		return 0;
	seen[f] = 1;
	return 1;
}

static void check_bookkeeping(void)
{
	struct dedup *d = M.f.d;
	struct fake_mem *fm = &M.f.m;
	struct dedup_stats st;
	uint64_t *refs = calloc(d->sf_top + 1, sizeof(uint64_t));
	uint8_t *seen = calloc(fm->nframes, 1);
	uint64_t frames = 0, saved = 0, self = 0, inter = 0, tracked = 0, zero = 0, ncomp = 0;
	uint64_t same_held = 0;
	uint64_t *pins = calloc(d->sf_top + 1, sizeof(uint64_t)), npatched = 0, nrefs = 0;
	uint64_t cost = 0, shares = 0, bad;

	CHECK(refs && seen && pins, "out of memory");
	for (unsigned s = 0; s < NSLOTS; s++) {
		unsigned vm = slot_vm[s];
		if (!M.live[s])
			continue;
		tracked += M.npages[s];
		for (uint64_t g = 0; g < M.npages[s]; g++) {
			const struct dpage *p = &d->vm[vm].pages[g];
			const struct fake_pte *e = &fm->vm[vm].ept[g];
			if (dp_state(p) == DP_COMPRESSED) {
				const struct cobj *o = cobj_of(d, p);
				CHECK(!e->present && o, "vm %u gfn %llu: compressed, but mapped "
				      "or without an object", vm, (unsigned long long)g);
				ncomp++;
				if (o->kind == COBJ_DELTA) {
					uint32_t r = cobj_ref(o);
					CHECK(r < d->sf_top && (d->sf[r].flags & (SF_USED | SF_PINNED | SF_ZERO)) ==
					      (SF_USED | SF_PINNED) && d->sf[r].domain == M.domain[s],
					      "vm %u gfn %llu: a patch against frame %u, not a live pinned "
					      "reference of its domain", vm, (unsigned long long)g, r);
					pins[r]++;
					npatched++;
				}
				continue;
			}
			if (is_hidden(vm, g)) { /* fused: not present, on a frame no EPT maps */
				const struct sframe *sf = &d->sf[dp_index(p)];
				CHECK(!e->present && dp_index(p) < d->sf_top && (sf->flags & SF_USED) &&
				      sf->domain == M.domain[s], "vm %u gfn %llu: fused, but mapped or on a dead "
				      "frame or one of another domain", vm, (unsigned long long)g);
				frames += first_sight(seen, sf->frame);
				refs[dp_index(p)]++;
				zero += !!(sf->flags & SF_ZERO);
				continue;
			}
			CHECK(e->present, "vm %u gfn %llu unmapped", vm, (unsigned long long)g);
			frames += first_sight(seen, e->frame);
			if (dp_state(p) == DP_SHARED) {
				const struct sframe *sf = &d->sf[dp_index(p)];
				CHECK(dp_index(p) < d->sf_top && (sf->flags & SF_USED),
				      "vm %u gfn %llu shares a dead frame", vm, (unsigned long long)g);
				CHECK(e->frame == sf->frame && !e->writable,
				      "vm %u gfn %llu: shared, but the EPT maps frame %llu %s", vm,
				      (unsigned long long)g, (unsigned long long)e->frame,
				      e->writable ? "writable" : "read-only");
				CHECK(sf->domain == M.domain[s], "vm %u shares a frame of domain %u", vm,
				      sf->domain);
				refs[dp_index(p)]++;
				zero += !!(sf->flags & SF_ZERO);
			} else {
				CHECK(fm->mapcount[e->frame] == 1, "vm %u gfn %llu: private frame mapped %u times",
				      vm, (unsigned long long)g, fm->mapcount[e->frame]);
			}
		}
	}
	for (uint32_t i = 0; i < d->sf_top; i++) {
		const struct sframe *sf = &d->sf[i];
		unsigned k = 0;
		if (!(sf->flags & SF_USED))
			continue;
		bool same = dedup_domain_is_same(d, sf->domain);
		CHECK(sf->refs == refs[i] && fm->mapcount[sf->frame] == (same ? 0 : refs[i]),
		      "shared frame %u: refs %u, mappings %llu, EPT entries %u", i, sf->refs,
		      (unsigned long long)refs[i], fm->mapcount[sf->frame]);
		CHECK(refs[i] || (sf->flags & (SF_ZERO | SF_PINNED)) || same, "shared frame %u kept with no sharer", i);
		/* A same-behaviour domain's frame nobody shares waits for the sweep. */
		if (same && !refs[i])
			same_held += first_sight(seen, sf->frame);
		CHECK(pins_of(d, i) == pins[i] && !!(sf->flags & SF_PINNED) == (pins[i] > 0),
		      "frame %u: %u pins, %llu patches name it", i, pins_of(d, i), (unsigned long long)pins[i]);
		nrefs += pins[i] > 0;
		for (unsigned s = 0; s < NSLOTS; s++) {
			bool maps = false;
			for (uint64_t g = 0; M.live[s] && g < M.npages[s] && !maps; g++)
				maps = dp_state(&d->vm[slot_vm[s]].pages[g]) == DP_SHARED &&
				       dp_index(&d->vm[slot_vm[s]].pages[g]) == i;
			k += maps;
		}
		CHECK(sf->nvms == k, "shared frame %u: k %u, counted %u", i, sf->nvms, k);
		if (refs[i]) {
			saved += refs[i] - 1;
			self += refs[i] - k;
			inter += k - 1;
		}
		if (sf->flags & SF_ZERO)
			CHECK(page_is_zero(fake_frame_ptr(fm, sf->frame)), "zero frame %u is not zero", i);
	}
	/* Frames in use: the mapped ones, plus each zero frame and each
	 * reference nobody maps. */
	uint64_t mapped = frames, unmapped_refs = 0;
	for (uint32_t i = 0; i < d->sf_top; i++)
		unmapped_refs += (d->sf[i].flags & SF_USED) && !refs[i] && pins[i];
	for (uint32_t i = 0; i < d->sf_top; i++)
		if ((d->sf[i].flags & SF_USED) && !refs[i])
			frames += first_sight(seen, d->sf[i].frame);
	dedup_get_stats(d, &st);
	CHECK(st.pages_compressed + st.pages_patched == ncomp && st.pages_patched == npatched,
	      "%llu pages compressed and %llu patched, %llu and %llu counted",
	      (unsigned long long)st.pages_compressed, (unsigned long long)st.pages_patched,
	      (unsigned long long)(ncomp - npatched), (unsigned long long)npatched);
	CHECK(st.ref_frames == nrefs, "%llu reference frames, %llu counted",
	      (unsigned long long)st.ref_frames, (unsigned long long)nrefs);
	CHECK(dedup_patch_check(d, &bad) == npatched && bad == 0, "%llu patches do not rebuild their page",
	      (unsigned long long)bad);
	CHECK(fake_frames_in_use(fm) == frames + st.pool_frames + same_held + st.same_pool_frames,
	      "%llu frames in use, %llu reachable (references only patches need included), %llu in the "
	      "pool, %llu in the randomized pool and %llu waiting for the sweep: a leak",
	      (unsigned long long)fake_frames_in_use(fm), (unsigned long long)frames,
	      (unsigned long long)st.pool_frames, (unsigned long long)st.same_pool_frames,
	      (unsigned long long)same_held);
	CHECK(dedup_frames_in_use(d) == fake_frames_in_use(fm), "dedup_frames_in_use %llu, in use %llu",
	      (unsigned long long)dedup_frames_in_use(d), (unsigned long long)fake_frames_in_use(fm));
	CHECK(st.frames_saved == saved && st.self_sharing == self && st.inter_sharing == inter,
	      "stats saved/self/inter %llu/%llu/%llu, the EPT says %llu/%llu/%llu",
	      (unsigned long long)st.frames_saved, (unsigned long long)st.self_sharing,
	      (unsigned long long)st.inter_sharing, (unsigned long long)saved,
	      (unsigned long long)self, (unsigned long long)inter);
	CHECK(st.pages_tracked == tracked, "pages_tracked %llu, live pages %llu",
	      (unsigned long long)st.pages_tracked, (unsigned long long)tracked);
	CHECK(st.ksm_zero_pages == zero, "ksm_zero_pages %llu, counted %llu",
	      (unsigned long long)st.ksm_zero_pages, (unsigned long long)zero);
	/* The API's per-VM figures (issue 23): PSS walked in steps of the
	 * input's size, with no change between them, is the mappings' PSS
	 * counted here; the private pages it reads online are the walk's. */
	{
		static struct dedup_pss_walk w;
		uint64_t x = st.pages_scanned; /* step sizes; the input's RNG left alone */
		dedup_pss_walk_begin(&w);
		while (w.vm < DEDUP_MAX_VMS)
			dedup_pss_walk_step(d, &w, 1 + (x = mix64(x)) % 50);
		for (unsigned s = 0; s < NSLOTS; s++) {
			unsigned vm = slot_vm[s];
			uint64_t pss = 0, priv = 0;
			struct dedup_vm_stats vs;
			if (!M.live[s]) {
				CHECK(w.npages[vm] == 0, "vm %u walked, not there", vm);
				continue;
			}
			for (uint64_t g = 0; g < M.npages[s]; g++) {
				const struct dpage *p = &d->vm[vm].pages[g];
				bool shared = dp_state(p) == DP_SHARED;
				pss += DEDUP_PSS_ONE / (shared ? refs[dp_index(p)] : 1);
				priv += !shared;
			}
			CHECK(w.npages[vm] == M.npages[s] && w.pss[vm] == pss,
			      "vm %u: the stepped walk's PSS %llu (%llu pages), the mappings' %llu", vm,
			      (unsigned long long)w.pss[vm], (unsigned long long)w.npages[vm],
			      (unsigned long long)pss);
			CHECK(dedup_get_vm_stats(d, vm, &vs) == 0 && vs.pages - vs.merged == priv,
			      "vm %u: %llu private pages online, %llu counted", vm,
			      (unsigned long long)(vs.pages - vs.merged), (unsigned long long)priv);
			{
				struct dedup_vm_account a;
				CHECK(dedup_vm_account(d, vm, &a) == 0 && a.patched == vs.patched &&
				      a.pss_cost == w.cost[vm], "vm %u: the account's cost PSS %llu, the "
				      "stepped walk's %llu", vm, (unsigned long long)a.pss_cost,
				      (unsigned long long)w.cost[vm]);
				cost += a.pss_cost;
				shares += M.npages[s] + a.patched;
			}
		}
	}
	/* The cost-PSS over the VMs: the frames outside the pool and the slot
	 * bytes, less at most one unit a share (mapping or pin). */
	{
		uint64_t exact = ((mapped + unmapped_refs) * DEDUP_PAGE_SIZE + st.compressed_slots + st.patch_slots) *
				 (DEDUP_PSS_ONE / DEDUP_PAGE_SIZE);
		CHECK(cost <= exact && cost + shares >= exact, "the VMs' cost-PSS %llu, frames and slots %llu",
		      (unsigned long long)cost, (unsigned long long)exact);
	}
	free(refs);
	free(pins);
	free(seen);
}

/* ---- operations ---- */

static void fill_shadow(unsigned vm, uint64_t gfn, void *page, void *arg)
{
	(void)arg;
	memcpy(page, M.shadow[slot_of(vm)][gfn], 4096);
}

static void vm_add(unsigned s, uint8_t npages, uint8_t how, uint8_t seed)
{
	unsigned vm = slot_vm[s];
	uint64_t n = 1 + npages % MAXPAGES, before = fake_frames_in_use(&M.f.m);
	bool lazy = how & 1;
	int r;

	if (M.live[s]) {
		CHECK(dedup_vm_add(M.f.d, vm, n, 0, lazy) == DEDUP_EEXIST, "vm %u added twice", vm);
		return;
	}
	M.npages[s] = n;
	M.domain[s] = (uint16_t)((how >> 1) % NDOMAINS);
	M.shadow[s] = shadow_mem[s];
	memset(M.shadow[s], 0, n * 4096);
	fake_vm_create(&M.f.m, vm, n);
	if (!lazy) {
		for (uint64_t g = 0; g < n; g++)
			make_content((uint8_t)(mix64(seed * 64 + g) >> (how & 8 ? 60 : 61)), M.shadow[s][g]);
		fake_vm_populate(&M.f.m, vm, fill_shadow, NULL);
		before = fake_frames_in_use(&M.f.m);
	} else if (how & 16) {
		M.map_limit = (how >> 5) % (int)n; /* EPT table pages run out after k maps */
	}
	r = dedup_vm_add(M.f.d, vm, n, M.domain[s], lazy);
	M.map_limit = -1;
	M.f.m.fail_new_maps = false;
	if (r) {
		CHECK(r == DEDUP_ENOMEM && lazy, "vm_add: %d", r);
		CHECK(fake_frames_in_use(&M.f.m) == before, "a refused vm_add kept %llu frames",
		      (unsigned long long)(fake_frames_in_use(&M.f.m) - before));
		for (uint64_t g = 0; g < n; g++)
			CHECK(!M.f.m.vm[vm].ept[g].present, "a refused vm_add left gfn %llu mapped",
			      (unsigned long long)g);
		fake_vm_destroy(&M.f.m, vm);
		M.shadow[s] = NULL;
		return;
	}
	M.live[s] = true;
}

static void vm_remove(unsigned s)
{
	unsigned vm = slot_vm[s];
	if (!M.live[s]) {
		CHECK(dedup_vm_remove(M.f.d, vm) == DEDUP_ENOENT, "removed vm %u twice", vm);
		return;
	}
	CHECK(dedup_vm_remove(M.f.d, vm) == 0, "vm_remove failed");
	for (uint64_t g = 0; g < M.npages[s]; g++) {
		const struct fake_pte *e = &M.f.m.vm[vm].ept[g];
		CHECK(!e->present || (e->writable && M.f.m.mapcount[e->frame] == 1),
		      "after vm_remove, gfn %llu still maps a shared frame", (unsigned long long)g);
	}
	fake_vm_destroy(&M.f.m, vm);
	M.shadow[s] = NULL;
	M.live[s] = false;
}

/* A guest write of len bytes at off, breaking COW as the hypervisor does. */
static void guest_write(unsigned s, uint64_t g, unsigned off, const unsigned char *src, unsigned len)
{
	unsigned vm = slot_vm[s];
	int r = 0, tries = 0;

	while (fake_guest_write(&M.f.m, vm, g, off, src, len)) {
		CHECK(++tries <= 2, "vm %u gfn %llu still read-only after a COW break", vm,
		      (unsigned long long)g);
		r = dedup_cow_break(M.f.d, vm, g);
		if (r)
			break;
	}
	if (r) {
		CHECK(r == DEDUP_ENOMEM && M.f.m.alloc_budget == 0, "COW break: %d", r);
		return;
	}
	memcpy(M.shadow[s][g] + off, src, len);
}

/* A guest read of the whole page: a compressed one faults back. */
static void guest_read(unsigned s, uint64_t g)
{
	static unsigned char got[4096];
	unsigned vm = slot_vm[s];
	while (fake_guest_read(&M.f.m, vm, g, 0, got, 4096)) {
		int r;
		CHECK(is_compressed(vm, g) || is_hidden(vm, g), "vm %u gfn %llu: not present, not "
		      "compressed or fused", vm, (unsigned long long)g);
		r = dedup_access_fault(M.f.d, vm, g, false);
		if (r) {
			CHECK(r == DEDUP_ENOMEM && M.f.m.alloc_budget == 0, "fault-in: %d", r);
			return;
		}
		CHECK(!is_compressed(vm, g) && !is_hidden(vm, g), "still not present after a fault-in");
	}
	CHECK(!memcmp(got, M.shadow[s][g], 4096), "vm %u gfn %llu reads other than written", vm,
	      (unsigned long long)g);
}

/* The hypervisor writes the page itself: COW break first, then the frame,
 * which sets no dirty bit. */
static void hv_write(unsigned s, uint64_t g, uint8_t c)
{
	unsigned vm = slot_vm[s];
	static unsigned char page[4096];
	int r = dedup_cow_break(M.f.d, vm, g); /* a compressed page: faulted back */
	if (r) {
		CHECK(r == DEDUP_ENOMEM && M.f.m.alloc_budget == 0, "COW break before a hypervisor write: %d", r);
		return;
	}
	CHECK(M.f.m.vm[vm].ept[g].writable, "not writable after a COW break");
	make_content(c, page);
	memcpy(fake_frame_ptr(&M.f.m, M.f.m.vm[vm].ept[g].frame), page, 4096);
	memcpy(M.shadow[s][g], page, 4096);
}

static void full_scans(unsigned n)
{
	uint64_t target;
	if (!fix_stats(&M.f).pages_tracked)
		return;
	target = fix_stats(&M.f).full_scans + n;
	for (unsigned i = 0; fix_stats(&M.f).full_scans < target; i++) {
		CHECK(i < 1000 * n, "no full scan completes");
		dedup_scan(M.f.d, 100);
	}
}

/* ---- convergence against the recount ---- */

static const unsigned char *shadow_page(void *ctx, unsigned v, uint64_t p)
{
	const unsigned *slots = ctx;
	return M.shadow[slots[v]][p];
}

static void check_converged(void)
{
	struct dedup_stats st;
	uint64_t saved = 0, self = 0, inter = 0;

	full_scans(M.same ? 4 : 3); /* a fused page idled two whole scans first */
	check_bookkeeping();
	dedup_get_stats(M.f.d, &st);
	for (uint16_t dom = 0; dom < NDOMAINS; dom++) {
		unsigned slots[NSLOTS], n = 0;
		uint64_t pages[NSLOTS];
		struct dedup_recount o;
		for (unsigned s = 0; s < NSLOTS; s++)
			if (M.live[s] && M.domain[s] == dom) {
				slots[n] = s;
				pages[n++] = M.npages[s];
			}
		if (!n)
			continue;
		CHECK(dedup_recount(shadow_page, slots, pages, n, 4096, &o) == 0, "recount failed");
		saved += o.sharable;
		self += o.self_sharing;
		inter += o.inter_sharing;
		for (unsigned i = 0; i < n; i++) {
			struct dedup_vm_stats vs;
			CHECK(dedup_get_vm_stats(M.f.d, slot_vm[slots[i]], &vs) == 0, "vm stats");
			CHECK(vs.self_sharing == o.vm[i].self,
			      "converged: vm %u self-sharing %llu, recount %llu", slot_vm[slots[i]],
			      (unsigned long long)vs.self_sharing, (unsigned long long)o.vm[i].self);
		}
		dedup_recount_free(&o);
	}
	CHECK(st.frames_saved == saved && st.self_sharing == self && st.inter_sharing == inter,
	      "converged after 3 full scans: saved/self/inter %llu/%llu/%llu, recount %llu/%llu/%llu",
	      (unsigned long long)st.frames_saved, (unsigned long long)st.self_sharing,
	      (unsigned long long)st.inter_sharing, (unsigned long long)saved,
	      (unsigned long long)self, (unsigned long long)inter);
}

static void check_all(const char *when)
{
	for (unsigned s = 0; s < NSLOTS; s++)
		for (uint64_t g = 0; M.live[s] && g < M.npages[s]; g++)
			check_page(s, g, when);
	check_bookkeeping();
}

/* The fake machine is made once and reset for each input: a fresh 640 KiB
 * arena per input would spend most of the time in mmap and page faults. */
static void start(uint8_t setup)
{
	static struct fake_mem m;
	static bool made;
	struct dedup_knobs k = { .pages_to_scan = 100, .sleep_ms = 20, .merge_first_sight = (setup & 2) != 0 };

	if (!made) {
		fake_init(&m, NFRAMES, false);
		made = true;
	}
	memset(&M, 0, sizeof(M));
	M.map_limit = -1;
	M.f.m = m; /* arena and arrays, all frames free */
	M.f.m.ad_bits = setup & 1;
	M.f.ops = fake_ops(&M.f.m);
	if (setup & 4) {
		k.cold_ticks = 2;
		k.pool_max_frames = 8;
		k.zstd_ticks = 4;
	}
	if (setup & 16)
		k.patch_refs_max = 64; /* a small index: full buckets forget */
	M.f.d = dedup_create(&M.f.ops, &k);
	CHECK(M.f.d, "dedup_create failed");
	if (setup & 8) {
		CHECK(dedup_same_seed(M.f.d, setup, 1 + setup % 8) == 0, "dedup_same_seed failed");
		M.same = dedup_domain_same(M.f.d, 2) == 0;
		CHECK(M.same == (bool)(setup & 1), "same-behaviour mode %s A/D bits",
		      M.same ? "granted without" : "refused with");
	}
}

/* Removes the VMs (which must free every frame) and keeps the machine. */
static void finish(void)
{
	struct fake_mem *fm = &M.f.m;
	for (unsigned s = 0; s < NSLOTS; s++)
		if (M.live[s]) {
			vm_remove(s);
			check_bookkeeping();
		}
	dedup_destroy(M.f.d);
	CHECK(fake_frames_in_use(fm) == 0, "%llu frames still allocated with every VM removed",
	      (unsigned long long)fake_frames_in_use(fm));
	for (uint64_t i = 0; i < fm->nframes; i++)
		fm->free_stack[i] = fm->nframes - 1 - i; /* the same order for every input */
}

static const char *const op_names[OP_COUNT] = {
	"write page", "write page", "write bytes", "hypervisor write", "scan", "full scan",
	"COW break", "read", "TLB evict", "add vm", "remove vm", "exhaust", "knob", "race",
	"clock", "tier knobs", "fault", "ceiling",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t setup = fz_u8(&f);
	unsigned ops = 0;
	static int trace = -1; /* FUZZ_TRACE=1: print each operation (replaying a crash) */

	if (trace < 0)
		trace = getenv("FUZZ_TRACE") != NULL;

	start(setup);
	/* What the API refuses, with nothing changed. */
	CHECK(dedup_vm_add(M.f.d, DEDUP_MAX_VMS, 1, 0, false) == DEDUP_EINVAL, "vm id 63 taken");
	CHECK(dedup_vm_add(M.f.d, 5, 0, 0, true) == DEDUP_EINVAL, "a VM of 0 pages taken");
	CHECK(dedup_vm_add(M.f.d, 5, DEDUP_MAX_PAGES + 1ull, 0, true) == DEDUP_EINVAL,
	      "a VM of 2^24 + 1 pages taken");
	CHECK(dedup_vm_remove(M.f.d, 5) == DEDUP_ENOENT && dedup_vm_remove(M.f.d, 99) == DEDUP_ENOENT,
	      "removed a VM that is not there");
	CHECK(dedup_cow_break(M.f.d, 99, 0) == DEDUP_EINVAL, "COW break in VM 99");
	{
		struct dedup_vm_stats vs;
		CHECK(dedup_get_vm_stats(M.f.d, 5, &vs) == DEDUP_ENOENT, "stats of a VM not there");
	}
	CHECK(dedup_scan(M.f.d, 100) == 0, "scanned pages of no VM");
	M.f.m.on_map = race_cache;
	M.f.m.on_unmap = race_cache_unmap;
	M.f.m.on_invalidate = race_write;
	M.rng = setup;

	while (f.n && ops++ < MAX_OPS) {
		enum op op = (enum op)(fz_u8(&f) % OP_COUNT);
		unsigned s = fz_u8(&f) % NSLOTS;
		uint64_t g = M.live[s] ? fz_u8(&f) % M.npages[s] : 0;
		static unsigned char page[4096];

		dedup_clock(M.f.d, ++M.now);

		switch (op) {
		case OP_WRITE_PAGE:
		case OP_WRITE_PAGE2:
			if (!M.live[s])
				break;
			make_content(fz_u8(&f), page);
			guest_write(s, g, 0, page, 4096);
			break;
		case OP_WRITE_BYTES: {
			unsigned off = fz_u16(&f) % 4096, len = 1 + fz_u8(&f) % 8;
			unsigned char b[8];
			if (!M.live[s])
				break;
			if (len > 4096 - off)
				len = 4096 - off;
			for (unsigned i = 0; i < len; i++)
				b[i] = fz_u8(&f);
			guest_write(s, g, off, b, len);
			break;
		}
		case OP_HV_WRITE:
			if (M.live[s])
				hv_write(s, g, fz_u8(&f));
			break;
		case OP_SCAN:
			dedup_scan(M.f.d, 1 + fz_u8(&f));
			break;
		case OP_FULL_SCAN:
			full_scans(1);
			break;
		case OP_COW_BREAK: {
			int r, want = 0;
			if (!M.live[s]) {
				CHECK(dedup_cow_break(M.f.d, slot_vm[s], 0) == DEDUP_EINVAL,
				      "COW break of a VM that is not there");
				break;
			}
			{
				const struct dpage *p = &M.f.d->vm[slot_vm[s]].pages[g];
				if (M.f.m.alloc_budget == 0 && (dp_state(p) == DP_COMPRESSED ||
				    (dp_state(p) == DP_SHARED && (M.f.d->sf[dp_index(p)].refs > 1 ||
				     (M.f.d->sf[dp_index(p)].flags & SF_PINNED)))))
					want = DEDUP_ENOMEM; /* a copy: a pinned frame is never handed over */
				if (is_hidden(slot_vm[s], g)) /* always copied: from the pool, if the machine has none */
					want = M.f.m.alloc_budget == 0 && !fix_stats(&M.f).same_pool_frames
					       ? DEDUP_ENOMEM : 0;
			}
			r = dedup_cow_break(M.f.d, slot_vm[s], g);
			CHECK(r == want, "spurious COW break: %d, expected %d", r, want);
			CHECK(dedup_cow_break(M.f.d, slot_vm[s], M.npages[s]) == DEDUP_EINVAL,
			      "COW break past the VM's end");
			break;
		}
		case OP_READ:
			if (M.live[s])
				guest_read(s, g);
			break;
		case OP_FAULT: {
			int r, want;
			if (!M.live[s]) {
				CHECK(dedup_fault_in(M.f.d, slot_vm[s], 0) == DEDUP_EINVAL,
				      "fault-in in a VM that is not there");
				break;
			}
			want = is_compressed(slot_vm[s], g) && M.f.m.alloc_budget == 0 ? DEDUP_ENOMEM : 0;
			if (is_hidden(slot_vm[s], g))
				want = M.f.m.alloc_budget == 0 && !fix_stats(&M.f).same_pool_frames
				       ? DEDUP_ENOMEM : 0;
			r = dedup_fault_in(M.f.d, slot_vm[s], g);
			CHECK(r == want, "fault-in: %d, expected %d", r, want);
			CHECK(dedup_fault_in(M.f.d, slot_vm[s], M.npages[s]) == DEDUP_EINVAL,
			      "fault-in past the VM's end");
			break;
		}
		case OP_CLOCK:
			M.now += fz_u8(&f);
			break;
		case OP_TIER: {
			struct dedup_knobs *k = dedup_knobs(M.f.d);
			uint8_t cb = fz_u8(&f);
			k->cold_ticks = cb % 8;
			k->zstd_per_step = (cb >> 3) & 3; /* 0: no bound */
			k->pool_max_frames = fz_u8(&f) % 12;
			uint8_t n = fz_u8(&f);
			k->compress_per_step = n % 6;
			k->patch_per_step = (n >> 3) & 3;
			k->patch_refs_max = n & 0x80 ? 0 : 64;
			k->zstd_ticks = (n >> 5) & 3; /* 0: no zstd */
			break;
		}
		case OP_CEILING: {
			uint8_t b = fz_u8(&f);
			int r = dedup_vm_set_tier_max(M.f.d, slot_vm[s], b == 255 ? UINT64_MAX : b % 8);
			CHECK(r == (M.live[s] ? 0 : DEDUP_ENOENT), "tier ceiling: %d", r);
			break;
		}
		case OP_EVICT:
			if (M.live[s])
				fake_tlb_evict(&M.f.m, slot_vm[s], g);
			break;
		case OP_ADD: {
			uint8_t n = fz_u8(&f), how = fz_u8(&f), seed = fz_u8(&f);
			vm_add(s, n, how, seed);
			break;
		}
		case OP_REMOVE:
			vm_remove(s);
			break;
		case OP_EXHAUST: {
			uint8_t b = fz_u8(&f);
			M.f.m.alloc_budget = b % 4;
			M.exhausted = 1 + (b >> 2) % 32;
			break;
		}
		case OP_KNOB:
			dedup_knobs(M.f.d)->merge_first_sight = !dedup_knobs(M.f.d)->merge_first_sight;
			break;
		case OP_RACE:
			M.race_odds = fz_u8(&f) % 5;
			break;
		default:
			break;
		}
		if (trace) {
			struct dedup_stats ts;
			dedup_get_stats(M.f.d, &ts);
			fprintf(stderr, "op %u: %s slot %u (vm %u) gfn %llu; now %s, %llu pages, domain %u, "
				"%llu frames in use; %llu compressed, %llu patched\n", ops, op_names[op], s,
				slot_vm[s], (unsigned long long)g, M.live[s] ? "live" : "not live",
				(unsigned long long)M.npages[s], M.domain[s],
				(unsigned long long)fake_frames_in_use(&M.f.m),
				(unsigned long long)ts.pages_compressed, (unsigned long long)ts.pages_patched);
		}
		if (M.exhausted && --M.exhausted == 0)
			M.f.m.alloc_budget = -1;
		check_all(op_names[op]);
	}

	/* Converge: frames plentiful, nothing racing, memory as written. */
	M.f.m.alloc_budget = -1;
	M.race_odds = 0;
	check_converged();

	finish();
	return 0;
}
