/*
 * test_dedup_model.c - a randomized test of the engine against a model.
 *
 * The model is a shadow copy of every guest page: what the guest last wrote
 * there.  Random operations - guest writes of zero, duplicate, unique,
 * nearly-the-same (variants of a few bases) or partial content,
 * compressible or not (breaking COW, or faulting a compressed or patched
 * page back, as the hypervisor would), guest reads (which fault them back
 * too), scanner steps on a clock that makes idle pages cold and the cold
 * tier compress them into a small pool or keep them as patches against
 * references, TLB evictions, spurious faults, VM removal and re-creation
 * (references of a removed VM stay for the others' patches), frame
 * exhaustion - run against the engine over the fake machine (whose TLB
 * makes a missing invalidate visible).  After every step, the written or
 * read page is compared in full and one word of every mapped page, read
 * through the guest's view; every 1000 steps every page in full (a pooled
 * one through dedup_page_read, without faulting it back), and the
 * engine's bookkeeping against the fake EPT (refcounts = mappings, pooled
 * pages not present, pins = the patches that name each reference, no
 * frame leaked, pool frames and unmapped references counted, stats =
 * recount, the cost-PSS identity, every patch rebuilds).  Every 100,000
 * steps writes stop until the scanner converges, and then frames saved,
 * self- and inter-VM sharing must equal an offline recount of identical
 * pages, exactly, zero pages included: pooled pages and references must
 * not keep a twin from merging.
 *
 * A third run makes domain 1 a same-behaviour domain (dedup/same.c): its
 * fused pages are not present, so reads fault too (dedup_access_fault)
 * and every byte read back must still be the byte written; its frames are
 * never mapped, and the frames the randomized pool holds are counted.
 *
 * DEDUP_MODEL_OPS (default 1,000,000 per mode) and DEDUP_MODEL_SEED set the
 * size and seed; the seed is printed so a failure can be replayed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dedup_fixture.h"
#include "dedup_internal.h"
#include "recount.h"

#define NSLOTS 4
#define MAXPAGES 48
#define NFRAMES (NSLOTS * MAXPAGES + 64)

static uint64_t rng;
static uint64_t rnd(void) { rng = mix64(rng); return rng; }
static uint64_t below(uint64_t n) { return rnd() % n; }

struct model {
	struct fix f;
	bool live[NSLOTS];
	uint64_t npages[NSLOTS];
	uint16_t domain[NSLOTS];
	unsigned char (*shadow[NSLOTS])[4096];
	uint64_t next_unique;
	uint64_t writes, enomem_writes, removes, checks, converged, races;
	uint64_t now, reads, enomem_reads;
	bool same; /* domain 1 is a same-behaviour domain */
	uint64_t ref_writes, ref_vm_stops; /* writes to pinned frames; VMs removed holding one */
};

/* The cold tier's settings: a page idle for COLD operations is cold; the
 * pool is small, so its cap is met. */
#define COLD 300
#define POOL_FRAMES 12

static void race_write(struct fake_mem *fm, unsigned vm, void *arg);

static void fill_shadow(unsigned vm, uint64_t gfn, void *page, void *arg)
{
	struct model *m = arg;
	memcpy(page, m->shadow[vm][gfn], 4096);
}

static uint64_t pick_content(struct model *m)
{
	uint64_t r = below(100);
	if (r < 15) return 0;                 /* zero */
	if (r < 60) return (r < 40 ? CZ : 0) | (1 + below(6)); /* a small pool: duplicates */
	if (r < 75) return SV_OF(1 + below(3), below(12)); /* variants of a few bases */
	if (r < 82) /* zstd's: half or more of lz4's bytes (k 2), or lz4 cannot fit them (k 8) */
		return LE_OF(r < 78 ? 1 + below(4) : 1000 + m->next_unique++, below(2) ? 2 : 8);
	return (r < 92 ? CZ : 0) | (1000 + m->next_unique++); /* unique */
}

/* Whether (s, g) maps a frame that patches pin. */
static int maps_reference(struct model *m, unsigned s, uint64_t g)
{
	const struct dpage *p = &m->f.d->vm[s].pages[g];
	return dp_state(p) == DP_SHARED && (m->f.d->sf[dp_index(p)].flags & SF_PINNED);
}

static void vm_create(struct model *m, unsigned s)
{
	uint64_t n = 4 + below(MAXPAGES - 3);
	bool lazy = below(3) == 0;
	int r;
	m->npages[s] = n;
	m->domain[s] = below(m->same ? 2 : 4) == 0 ? 1 : 0;
	m->shadow[s] = calloc(n, 4096);
	fake_vm_create(&m->f.m, s, n);
	if (!lazy) {
		for (uint64_t g = 0; g < n; g++)
			content(pick_content(m), m->shadow[s][g]);
		fake_vm_populate(&m->f.m, s, fill_shadow, m);
	}
	r = dedup_vm_add(m->f.d, s, n, m->domain[s], lazy);
	if (r) {
		/* Refused (no frame for a zero page): nothing may have changed. */
		assert_int_equal(r, DEDUP_ENOMEM);
		assert_true(lazy && m->f.m.alloc_budget == 0);
		fake_vm_destroy(&m->f.m, s);
		free(m->shadow[s]);
		m->shadow[s] = NULL;
		return;
	}
	m->live[s] = true;
}

static void vm_destroy(struct model *m, unsigned s)
{
	for (uint64_t g = 0; g < m->npages[s]; g++)
		if (maps_reference(m, s, g)) {
			m->ref_vm_stops++;
			break;
		}
	assert_int_equal(dedup_vm_remove(m->f.d, s), 0);
	fake_vm_destroy(&m->f.m, s);
	free(m->shadow[s]);
	m->shadow[s] = NULL;
	m->live[s] = false;
	m->removes++;
}

static int is_compressed(struct model *m, unsigned s, uint64_t g)
{
	return dp_state(&m->f.d->vm[s].pages[g]) == DP_COMPRESSED;
}

/* A same-behaviour domain's fused page: not present, like a compressed one. */
static int is_hidden(struct model *m, unsigned s, uint64_t g)
{
	return m->f.d->vm[s].same && dp_state(&m->f.d->vm[s].pages[g]) == DP_SHARED;
}

/* The page's bytes without faulting it back: through the guest's view, or
 * for a compressed page (and only then) its decompressed content. */
static void peek(struct model *m, unsigned s, uint64_t g, unsigned off, void *dst, unsigned len)
{
	static unsigned char buf[4096];
	const unsigned char *p;
	if (fake_guest_peek(&m->f.m, s, g, off, dst, len) == 0)
		return;
	if (!is_compressed(m, s, g) && !is_hidden(m, s, g))
		fail_msg("vm %u gfn %llu: not present, and not compressed or fused", s,
			 (unsigned long long)g);
	p = dedup_page_read(m->f.d, s, g, buf);
	if (!p)
		fail_msg("vm %u gfn %llu: a compressed page fails its check", s, (unsigned long long)g);
	memcpy(dst, p + off, len);
}

static void check_page(struct model *m, unsigned s, uint64_t g)
{
	unsigned char got[4096];
	peek(m, s, g, 0, got, 4096);
	if (memcmp(got, m->shadow[s][g], 4096))
		fail_msg("vm %u gfn %llu: guest reads something other than it wrote", s,
			 (unsigned long long)g);
}

/* A guest read of the whole page, a compressed one faulted back as the
 * hypervisor does; without a frame it waits (counted). */
static void guest_read(struct model *m, unsigned s, uint64_t g)
{
	unsigned char got[4096];
	while (fake_guest_read(&m->f.m, s, g, 0, got, 4096)) {
		int r;
		assert_true(is_compressed(m, s, g) || is_hidden(m, s, g));
		r = is_hidden(m, s, g) ? dedup_access_fault(m->f.d, s, g, false) : dedup_fault_in(m->f.d, s, g);
		if (r) {
			assert_int_equal(r, DEDUP_ENOMEM); /* the only acceptable failure */
			assert_true(m->f.m.alloc_budget == 0);
			m->enomem_reads++;
			return;
		}
	}
	if (memcmp(got, m->shadow[s][g], 4096))
		fail_msg("vm %u gfn %llu: read back other than written", s, (unsigned long long)g);
	m->reads++;
}

/* How many of VM s's EPT entries point at frame f. */
static uint64_t fm_count_of(const struct fake_mem *fm, unsigned s, uint64_t f)
{
	uint64_t n = 0;
	for (uint64_t g = 0; g < fm->vm[s].npages; g++)
		n += fm->vm[s].ept[g].present && fm->vm[s].ept[g].frame == f;
	return n;
}

/* The engine's bookkeeping against the fake EPT and a recount. */
static void check_invariants(struct model *m)
{
	struct dedup *d = m->f.d;
	struct fake_mem *fm = &m->f.m;
	struct dedup_stats st;
	uint64_t *refs = calloc(d->sf_top + 1, sizeof(uint64_t));
	uint64_t frames = 0, saved = 0, self = 0, inter = 0, tracked = 0;
	uint8_t *seen = calloc(fm->nframes, 1);

	uint64_t ncompressed = 0, same_held = 0, npatched = 0, *pins = calloc(d->sf_top + 1, sizeof(uint64_t));
	struct dedup_stats st0;

	for (unsigned s = 0; s < NSLOTS; s++) {
		if (!m->live[s])
			continue;
		tracked += m->npages[s];
		for (uint64_t g = 0; g < m->npages[s]; g++) {
			const struct dpage *p = &d->vm[s].pages[g];
			const struct fake_pte *e = &fm->vm[s].ept[g];
			if (dp_state(p) == DP_COMPRESSED) { /* not present, its object live */
				const struct cobj *o = cobj_of(d, p);
				assert_false(e->present);
				assert_non_null(o);
				ncompressed++;
				if (o->kind == COBJ_DELTA) { /* its reference: live, pinned, same domain */
					uint32_t r = cobj_ref(o);
					assert_true(r < d->sf_top);
					assert_int_equal(d->sf[r].flags & (SF_USED | SF_PINNED | SF_ZERO),
							 SF_USED | SF_PINNED);
					assert_int_equal(d->sf[r].domain, m->domain[s]);
					pins[r]++;
					npatched++;
				}
				continue;
			}
			if (is_hidden(m, s, g)) { /* fused: not present, its frame the engine's */
				const struct sframe *sf = &d->sf[dp_index(p)];
				assert_false(e->present);
				assert_true(sf->flags & SF_USED);
				assert_int_equal(sf->domain, m->domain[s]);
				assert_int_equal(fm->mapcount[sf->frame], 0);
				if (!seen[sf->frame]) {
					seen[sf->frame] = 1;
					frames++;
				}
				refs[dp_index(p)]++;
				continue;
			}
			assert_true(e->present);
			if (!seen[e->frame]) { /* a flag: a count would wrap at 256 mappings */
				seen[e->frame] = 1;
				frames++;
			}
			if (dp_state(p) == DP_SHARED) {
				const struct sframe *sf = &d->sf[dp_index(p)];
				assert_true(sf->flags & SF_USED);
				assert_int_equal(e->frame, sf->frame);
				assert_false(e->writable);
				assert_int_equal(sf->domain, m->domain[s]);
				refs[dp_index(p)]++;
			} else {
				assert_true(e->writable);
				assert_int_equal(fm->mapcount[e->frame], 1);
			}
		}
	}
	/* Each shared frame: refs = mappings; k = distinct VMs; pins = the
	 * patches that name it, and a frame without mappings is pinned (or a
	 * zero frame). */
	uint64_t unmapped_refs = 0, nrefs = 0;
	for (uint32_t i = 0; i < d->sf_top; i++) {
		const struct sframe *sf = &d->sf[i];
		unsigned k = 0;
		if (!(sf->flags & SF_USED))
			continue;
		assert_int_equal(sf->refs, refs[i]);
		assert_int_equal(pins_of(d, i), pins[i]);
		assert_int_equal(!!(sf->flags & SF_PINNED), pins[i] > 0);
		unmapped_refs += !refs[i] && pins[i];
		nrefs += pins[i] > 0;
		/* A same-behaviour domain's frames are never mapped; one nobody
		 * shares any more waits for the scanner's sweep. */
		if (m->same && sf->domain == 1) {
			assert_int_equal(fm->mapcount[sf->frame], 0);
			same_held += refs[i] == 0;
		} else {
			assert_true(refs[i] || pins[i] || (sf->flags & SF_ZERO));
			assert_int_equal(fm->mapcount[sf->frame], refs[i]);
		}
		for (unsigned s = 0; s < NSLOTS; s++) {
			bool maps = false;
			for (uint64_t g = 0; m->live[s] && g < m->npages[s] && !maps; g++)
				maps = dp_state(&d->vm[s].pages[g]) == DP_SHARED &&
				       dp_index(&d->vm[s].pages[g]) == i;
			k += maps;
		}
		assert_int_equal(sf->nvms, k);
		if (refs[i]) {
			saved += refs[i] - 1;
			self += refs[i] - k;
			inter += k - 1;
		}
	}
	/* Every allocated frame is mapped, the pool's, or a reference that
	 * only patches need: nothing leaked. */
	dedup_get_stats(d, &st0);
	assert_int_equal(st0.pages_compressed + st0.pages_patched, ncompressed);
	assert_int_equal(st0.pages_patched, npatched);
	assert_int_equal(st0.ref_frames, nrefs);
	assert_int_equal(st0.ref_unmapped, unmapped_refs);
	same_held += st0.same_pool_frames;
	assert_int_equal(fake_frames_in_use(fm), frames + st0.pool_frames + unmapped_refs + same_held);
	assert_int_equal(dedup_frames_in_use(d), frames + st0.pool_frames + unmapped_refs + same_held);
	assert_true(st0.compressed_slots + st0.patch_slots <= st0.pool_frames * 4096);
	{ /* every patch rebuilds its page */
		uint64_t bad;
		assert_int_equal(dedup_patch_check(d, &bad), npatched);
		assert_int_equal(bad, 0);
	}
	/* Per VM: PSS and exclusive frames, recomputed from the mappings; the
	 * cost-PSS over the VMs adds up to the frames outside the pool and
	 * the slot bytes, less at most one unit a share. */
	uint64_t cost = 0, shares = 0;
	for (unsigned s = 0; s < NSLOTS; s++) {
		struct dedup_vm_account a;
		uint64_t pss = 0, excl = 0;
		uint8_t *mine;
		if (!m->live[s])
			continue;
		assert_int_equal(dedup_vm_account(d, s, &a), 0);
		cost += a.pss_cost;
		shares += m->npages[s] + a.patched;
		mine = calloc(fm->nframes, 1);
		for (uint64_t g = 0; g < m->npages[s]; g++) {
			const struct dpage *p = &d->vm[s].pages[g];
			pss += DEDUP_PSS_ONE / (dp_state(p) == DP_SHARED ? refs[dp_index(p)] : 1);
			if (dp_state(p) == DP_COMPRESSED)
				excl++; /* a content only it holds */
			else if (!is_hidden(m, s, g))
				mine[fm->vm[s].ept[g].frame] = 1;
		}
		for (uint64_t f = 0; f < fm->nframes; f++) /* frames only s maps */
			excl += mine[f] && fm->mapcount[f] == fm_count_of(fm, s, f);
		if (d->vm[s].same) { /* fused frames: those whose every sharer is one of s's pages */
			uint64_t *mapped = calloc(d->sf_top + 1, sizeof(uint64_t));
			for (uint64_t g = 0; g < m->npages[s]; g++)
				if (is_hidden(m, s, g))
					mapped[dp_index(&d->vm[s].pages[g])]++;
			for (uint32_t i = 0; i < d->sf_top; i++)
				excl += mapped[i] && mapped[i] == refs[i];
			free(mapped);
		}
		assert_int_equal(dedup_vm_account(d, s, &a), 0);
		assert_int_equal(a.pss, pss);
		assert_int_equal(a.exclusive_frames, excl);
		assert_int_equal(a.pages, m->npages[s]);
		free(mine);
	}
	{
		uint64_t exact = (frames + unmapped_refs) * DEDUP_PSS_ONE +
				 (st0.compressed_slots + st0.patch_slots) * (DEDUP_PSS_ONE / 4096);
		assert_true(cost <= exact && cost + shares >= exact);
	}
	/* The API's figures: PSS walked in steps of random size, with no
	 * change in between, equals the walk above; the page split it serves
	 * online (dedup_get_vm_stats) equals the walk's. */
	{
		static struct dedup_pss_walk w;
		dedup_pss_walk_begin(&w);
		while (w.vm < DEDUP_MAX_VMS)
			assert_true(dedup_pss_walk_step(d, &w, 1 + below(3) * below(40)) >= 1 ||
				    w.vm == DEDUP_MAX_VMS);
		for (unsigned s = 0; s < DEDUP_MAX_VMS; s++) {
			struct dedup_vm_account a;
			struct dedup_vm_stats vs;
			if (s >= NSLOTS || !m->live[s]) {
				assert_int_equal(w.npages[s], 0);
				continue;
			}
			assert_int_equal(dedup_vm_account(d, s, &a), 0);
			assert_int_equal(dedup_get_vm_stats(d, s, &vs), 0);
			assert_int_equal(w.npages[s], m->npages[s]);
			assert_int_equal(w.pss[s], a.pss);
			assert_int_equal(w.cost[s], a.pss_cost);
			assert_int_equal(vs.pages - vs.merged - vs.compressed - vs.patched, a.private_frames);
			assert_int_equal(vs.patch_bytes, a.patch_bytes);
			assert_int_equal(vs.compressed_bytes, a.compressed_bytes);
			assert_int_equal(vs.zero, a.zero);
			assert_int_equal(vs.self_sharing, a.self_sharing);
		}
	}
	dedup_get_stats(d, &st);
	assert_int_equal(st.frames_saved, saved);
	assert_int_equal(st.self_sharing, self);
	assert_int_equal(st.inter_sharing, inter);
	assert_int_equal(st.pages_tracked, tracked);
	assert_int_equal(tracked - ncompressed - frames, saved);
	free(refs);
	free(pins);
	free(seen);
	m->checks++;
}

/* Sharable pages per Barker et al., recounted from the shadow copies. */
static int cmp_page(const void *a, const void *b) { return memcmp(*(void *const *)a, *(void *const *)b, 4096); }

/* The recount reads the shadow copies: VM v of the set is slot shadow_ids[v]. */
static const unsigned *shadow_ids;
static const unsigned char *shadow_page(void *ctx, unsigned v, uint64_t p)
{
	struct model *m = ctx;
	return m->shadow[shadow_ids[v]][p];
}

static void check_converged(struct model *m)
{
	struct dedup_stats st;
	uint64_t sharable = 0, self_sum = 0;
	int64_t free_before = m->f.m.alloc_budget;

	m->f.m.alloc_budget = -1;
	m->f.m.on_invalidate = NULL; /* the memory must not change meanwhile */
	/* A same-behaviour domain's pages fuse at their second idle visit: the
	 * scan under way, then two whole ones. */
	fix_full_scans(&m->f, m->same ? 4 : 3);
	m->f.m.on_invalidate = race_write;
	m->f.m.alloc_budget = free_before;
	dedup_get_stats(m->f.d, &st);
	for (uint16_t dom = 0; dom < 2; dom++) {
		const unsigned char *all[NSLOTS * MAXPAGES];
		uint64_t n = 0;
		for (unsigned s = 0; s < NSLOTS; s++) {
			const unsigned char *mine[MAXPAGES];
			uint64_t k = 0, distinct = 0;
			struct dedup_vm_stats vs;
			if (!m->live[s] || m->domain[s] != dom)
				continue;
			for (uint64_t g = 0; g < m->npages[s]; g++)
				all[n++] = mine[k++] = m->shadow[s][g];
			qsort(mine, k, sizeof(mine[0]), cmp_page);
			for (uint64_t i = 0; i < k; i++)
				distinct += i == 0 || memcmp(mine[i], mine[i - 1], 4096);
			dedup_get_vm_stats(m->f.d, s, &vs);
			assert_int_equal(vs.self_sharing, k - distinct);
			self_sum += k - distinct;
		}
		qsort(all, n, sizeof(all[0]), cmp_page);
		for (uint64_t i = 0; i < n; i++)
			sharable += !(i == 0 || memcmp(all[i], all[i - 1], 4096));
	}
	assert_int_equal(st.frames_saved, sharable);
	assert_int_equal(st.self_sharing, self_sum);
	assert_int_equal(st.inter_sharing, sharable - self_sum);
	/* Per VM, converged: the engine's PSS and exclusive frames are the
	 * recount's (dedup/recount.c, from the shadow copies), domain by domain. */
	for (uint16_t dom = 0; dom < 2; dom++) {
		struct dedup_recount o;
		uint64_t pages[NSLOTS];
		unsigned ids[NSLOTS], k = 0;
		for (unsigned s = 0; s < NSLOTS; s++)
			if (m->live[s] && m->domain[s] == dom) {
				ids[k] = s;
				pages[k++] = m->npages[s];
			}
		if (!k)
			continue;
		shadow_ids = ids;
		assert_int_equal(dedup_recount(shadow_page, m, pages, k, 4096, &o), 0);
		for (unsigned v = 0; v < k; v++) {
			struct dedup_vm_account a;
			assert_int_equal(dedup_vm_account(m->f.d, ids[v], &a), 0);
			assert_int_equal(a.pss, o.vm[v].pss);
			assert_int_equal(a.exclusive_frames, o.vm[v].exclusive);
		}
		dedup_recount_free(&o);
	}
	m->converged++;
}

/* Concurrency: another vCPU of the VM may hold a writable translation of a
 * page the engine is write-protecting, and write through it until the
 * invalidate.  on_map caches one (a guest read) just before a write-protect;
 * on_invalidate writes through it, the model recording the write. */
static void race_cache(struct fake_mem *fm, unsigned vm, uint64_t gfn, bool writable, void *arg)
{
	unsigned char b[8];
	(void)arg;
	if (!writable && fm->vm[vm].ept[gfn].present && fm->vm[vm].ept[gfn].writable && below(4) == 0)
		fake_guest_read(fm, vm, gfn, 0, b, 8);
}

/* ...and just before an unmap (the cold tier's), the same: a vCPU may
 * still write through what it cached until the next invalidate. */
static void race_cache_unmap(struct fake_mem *fm, unsigned vm, uint64_t gfn, void *arg)
{
	race_cache(fm, vm, gfn, false, arg);
}

static void race_write(struct fake_mem *fm, unsigned vm, void *arg)
{
	struct model *m = arg;
	for (uint64_t g = 0; g < m->npages[vm]; g++) {
		const struct fake_tlbe *t = &fm->vm[vm].tlb[g];
		if (t->gen == fm->vm[vm].tlb_gen && t->writable && !fm->vm[vm].ept[g].writable && below(2) == 0) {
			uint64_t w = rnd();
			unsigned off = (unsigned)below(512) * 8;
			assert_int_equal(fake_guest_write(fm, vm, g, off, &w, 8), 0);
			memcpy(m->shadow[vm][g] + off, &w, 8);
			m->races++;
		}
	}
}

static void guest_write(struct model *m, unsigned s, uint64_t g)
{
	unsigned char page[4096];
	unsigned off = 0, len = 4096;
	int r = 0;

	if (below(10) < 3) { /* a partial write: 8 bytes somewhere */
		memcpy(page, m->shadow[s][g], 4096);
		off = (unsigned)below(512) * 8;
		len = 8;
		uint64_t w = below(4) ? rnd() : 0;
		memcpy(page + off, &w, 8);
	} else {
		content(pick_content(m), page);
	}
	m->ref_writes += maps_reference(m, s, g);
	while (fake_guest_write(&m->f.m, s, g, off, page + off, len)) {
		r = dedup_cow_break(m->f.d, s, g); /* a compressed page: faulted back */
		if (r)
			break;
	}
	if (r) {
		assert_int_equal(r, DEDUP_ENOMEM); /* the only acceptable failure */
		m->enomem_writes++;
	} else {
		memcpy(m->shadow[s][g] + off, page + off, len);
	}
	m->writes++;
	check_page(m, s, g);
}

static void run_model(uint64_t seed, uint64_t ops, int ad, bool same)
{
	struct model *m = calloc(1, sizeof(*m));
	unsigned exhausted = 0;

	rng = seed;
	printf("model: seed %llu, %llu operations, %s%s\n", (unsigned long long)seed,
	       (unsigned long long)ops, ad ? "with EPT A/D bits" : "without A/D bits",
	       same ? ", domain 1 same-behaviour" : "");
	/* Same-behaviour: its pool's 8 frames and a fusion's frame drawn
	 * before the old one is given back. */
	fix_init(&m->f, NFRAMES + (same ? 16 : 0), ad, 0);
	m->same = same;
	if (same) {
		assert_int_equal(dedup_same_seed(m->f.d, seed, 8), 0);
		assert_int_equal(dedup_domain_same(m->f.d, 1), 0);
	}
	dedup_knobs(m->f.d)->cold_ticks = COLD;
	dedup_knobs(m->f.d)->pool_max_frames = POOL_FRAMES;
	dedup_knobs(m->f.d)->compress_per_step = 8;
	dedup_knobs(m->f.d)->patch_refs_max = 64;
	dedup_knobs(m->f.d)->zstd_ticks = 2 * COLD;
	dedup_knobs(m->f.d)->zstd_per_step = same ? 0 : 3; /* waits, and no bound */
	/* 2 patch attempts a step, below a page's 4 candidates, so pages wait
	 * for later steps (tier_patch.c); with a same-behaviour domain (the
	 * other run with A/D bits, which the tier needs) no bound. */
	dedup_knobs(m->f.d)->patch_per_step = same ? 0 : 2;
	m->f.m.on_map = race_cache;
	m->f.m.on_unmap = race_cache_unmap;
	m->f.m.on_invalidate = race_write;
	m->f.m.on_invalidate_arg = m;
	for (unsigned s = 0; s < NSLOTS; s++)
		if (s < 3)
			vm_create(m, s);
	for (uint64_t op = 1; op <= ops; op++) {
		uint64_t r = below(1000), g = 0;
		unsigned s = (unsigned)below(NSLOTS);
		if (!m->live[s]) {
			if (r < 20)
				vm_create(m, s);
			r = 1000; /* nothing else to do to a dead slot */
		} else {
			g = below(m->npages[s]);
		}
		dedup_clock(m->f.d, ++m->now);
		if (r >= 1000)
			;
		else if (r < 500)
			guest_write(m, s, g);
		else if (r < 850)
			dedup_scan(m->f.d, 1 + below(64));
		else if (r < 900)
			fake_tlb_evict(&m->f.m, s, g);
		else if (r < 920) {
			const struct dpage *p = &m->f.d->vm[s].pages[g];
			int want = m->f.m.alloc_budget == 0 && (dp_state(p) == DP_COMPRESSED ||
				   (dp_state(p) == DP_SHARED && (m->f.d->sf[dp_index(p)].refs > 1 ||
				    (m->f.d->sf[dp_index(p)].flags & SF_PINNED)))) /* a copy */
				   ? DEDUP_ENOMEM : 0;
			if (is_hidden(m, s, g)) /* always a copy: short only when the pool is empty too */
				want = m->f.m.alloc_budget == 0 && fix_stats(&m->f).same_pool_frames == 0
				       ? DEDUP_ENOMEM : 0;
			assert_int_equal(dedup_cow_break(m->f.d, s, g), want);
		} else if (r < 925) {
			/* Frame exhaustion for a while. */
			if (!exhausted) {
				m->f.m.alloc_budget = (int64_t)below(3);
				exhausted = 20 + (unsigned)below(100);
			}
		} else if (r < 928)
			vm_destroy(m, s);
		else
			guest_read(m, s, g);
		if (exhausted && --exhausted == 0)
			m->f.m.alloc_budget = -1;
		/* One word of every mapped page, through the guest's view (a
		 * compressed page cannot change: it is checked in full below). */
		{
			unsigned off = (unsigned)(op % 512) * 8;
			for (unsigned v = 0; v < NSLOTS; v++)
				for (uint64_t q = 0; m->live[v] && q < m->npages[v]; q++) {
					uint64_t got;
					if (fake_guest_peek(&m->f.m, v, q, off, &got, 8)) {
						assert_true(is_compressed(m, v, q) || is_hidden(m, v, q));
						peek(m, v, q, off, &got, 8);
					}
					if (memcmp(&got, m->shadow[v][q] + off, 8))
						fail_msg("seed %llu op %llu: vm %u gfn %llu offset %u corrupted",
							 (unsigned long long)seed, (unsigned long long)op, v,
							 (unsigned long long)q, off);
				}
		}
		if (op % 1000 == 0) {
			for (unsigned v = 0; v < NSLOTS; v++)
				for (uint64_t q = 0; m->live[v] && q < m->npages[v]; q++)
					check_page(m, v, q);
			check_invariants(m);
		}
		if (op % 100000 == 0) {
			check_converged(m);
			check_invariants(m);
		}
	}
	check_converged(m);
	check_invariants(m);
	{
		struct dedup_stats st = fix_stats(&m->f);
		printf("model: %llu writes (%llu refused for lack of frames), %llu reads (%llu waited), "
		       "%llu VM removals, %llu invariant checks, %llu convergence checks; engine: %llu merges, "
		       "%llu COW copies, %llu reuses, %llu races (%llu stale-TLB writes), %llu full scans; "
		       "tier: %llu compressed, %llu faulted back, %llu merged with a twin, %llu did not fit, "
		       "%llu found the pool full, %llu faults without a frame; patches: %llu made, %llu "
		       "rebuilt, %llu references made, %llu races, %llu writes to references, %llu VMs "
		       "removed holding one\n",
		       (unsigned long long)m->writes, (unsigned long long)m->enomem_writes,
		       (unsigned long long)m->reads, (unsigned long long)m->enomem_reads,
		       (unsigned long long)m->removes, (unsigned long long)m->checks,
		       (unsigned long long)m->converged, (unsigned long long)st.merges,
		       (unsigned long long)st.cow_breaks, (unsigned long long)st.cow_reuses,
		       (unsigned long long)st.merge_races, (unsigned long long)m->races,
		       (unsigned long long)st.full_scans, (unsigned long long)st.compressions,
		       (unsigned long long)st.decompressions, (unsigned long long)st.tier_merges,
		       (unsigned long long)st.compress_rejected, (unsigned long long)st.compress_enomem,
		       (unsigned long long)st.fault_enomem, (unsigned long long)st.patches,
		       (unsigned long long)st.rebuilds, (unsigned long long)st.refs_made,
		       (unsigned long long)st.patch_races, (unsigned long long)m->ref_writes,
		       (unsigned long long)m->ref_vm_stops);
		assert_true(st.merges > 1000 && st.cow_breaks > 1000 && m->enomem_writes > 0);
		assert_true(st.merge_races > 0 && m->removes > 0);
		if (same) {
			printf("model: same-behaviour: %llu pages fused (%llu alone), %llu copied on a read, "
			       "%llu on a write, %llu visits found a page in use\n",
			       (unsigned long long)st.same_fused, (unsigned long long)st.same_fake_merges,
			       (unsigned long long)st.same_copies_read, (unsigned long long)st.same_copies_write,
			       (unsigned long long)st.same_not_idle);
			assert_true(st.same_fused > 1000 && st.same_fake_merges > 100);
			assert_true(st.same_copies_read > 1000 && st.same_copies_write > 1000);
			assert_true(st.same_not_idle > 1000);
		} else {
			assert_int_equal(st.same_fused, 0);
		}
		if (ad) { /* the tier needs A/D bits; the operations above exercised all of it */
			assert_true(st.compressions > 1000 && st.decompressions > 1000);
			assert_true(st.tier_merges > 0 && st.compress_rejected > 0 &&
				    st.compress_enomem > 0 && st.fault_enomem > 0);
			assert_true(st.patches > 1000 && st.rebuilds > 1000 && st.refs_made > 100);
			printf("model: zstd: %llu pages lz4 could not fit, %llu lz4 objects remade smaller, "
			       "%llu kept, %llu faulted back\n", (unsigned long long)st.zstd_direct,
			       (unsigned long long)st.zstd_recompressed, (unsigned long long)st.zstd_kept,
			       (unsigned long long)st.zstd_faults);
			assert_true(st.zstd_direct > 100 && st.zstd_recompressed > 100 &&
				    st.zstd_kept > 100 && st.zstd_faults > 100);
			assert_true(m->ref_writes > 100 && m->ref_vm_stops > 10);
		} else {
			assert_int_equal(st.compressions, 0);
			assert_int_equal(st.patches, 0);
			assert_int_equal(st.zstd_direct + st.zstd_recompressed, 0);
		}
		assert_int_equal(st.tier_corrupt, 0);
	}
	for (unsigned s = 0; s < NSLOTS; s++)
		if (m->live[s])
			free(m->shadow[s]);
	fix_fini(&m->f);
	free(m);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : def;
}

static void test_model_with_ad_bits(void **state)
{
	(void)state;
	run_model(env_u64("DEDUP_MODEL_SEED", 1), env_u64("DEDUP_MODEL_OPS", 1000000), 1, false);
}

static void test_model_without_ad_bits(void **state)
{
	(void)state;
	run_model(env_u64("DEDUP_MODEL_SEED", 1) + 1, env_u64("DEDUP_MODEL_OPS", 1000000), 0, false);
}

static void test_model_same_behaviour(void **state)
{
	(void)state;
	run_model(env_u64("DEDUP_MODEL_SEED", 1) + 2, env_u64("DEDUP_MODEL_OPS", 1000000), 1, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_with_ad_bits),
		cmocka_unit_test(test_model_without_ad_bits),
		cmocka_unit_test(test_model_same_behaviour),
	};
	return cmocka_run_group_tests_name("dedup_model", tests, NULL, NULL);
}
