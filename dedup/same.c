/*
 * same.c - same-behaviour sharing domains: the sharing side channel closed,
 * after VUsion (Oliverio, Razavi, Bos and Giuffrida, "Secure Page Fusion
 * with VUsion", SOSP 2017).
 *
 * Overview
 * --------
 * The channel.  In a normal domain a merged page is mapped read-only and a
 * private one read-write, so a guest that writes a page and times the write
 * learns whether the engine merged it, and so - for a page that has no twin
 * of its own - whether another VM holds that content (guests/attacker.c,
 * docs/security.md).
 *
 * Same behaviour.  In a same-behaviour domain every page the scanner
 * considers is treated alike, twin or not, so that all a guest can observe
 * of its page is what it could know of it anyway:
 *
 *   1. Idle before lookup.  A private page is considered only once its
 *      visits found it not accessed (EPT A bit clear) SAME_IDLE times in a
 *      row (its age byte, scan.c).  That is decided from the page's own
 *      accesses before its content is read or an index looked at, so
 *      whether a page is considered says nothing about other pages; and a
 *      page in use is not fused only to fault at once.  Otherwise: counted
 *      (same_not_idle), SEEN, nothing more.
 *   2. Fusion, twin or not (fuse()).  Draw a frame from the randomized pool
 *      -> write-protect the page -> invalidate: its content is frozen ->
 *      hash it and look for a twin in its domain's stable index (every
 *      4 KiB compared: a hash never decides) -> copy it into the frame
 *      drawn -> make the page not present (R = W = X = 0).  With a twin,
 *      the new frame replaces the twin's (all its sharers are not present:
 *      no EPT changes, the frame is the engine's alone) and the old one
 *      goes back to the pool; without, the new frame becomes a shared
 *      frame with one sharer (a "fake merge"), in the stable index like any
 *      other, so that a later twin fuses with it.  The page's own frame is
 *      given back after its VM's next invalidate (same_flush, batched as
 *      merge.c's steps 5 and 6).  So every fusion moves the content to a
 *      frame nobody chose: a page never stays on a frame its (possibly
 *      hostile) owner had in hand, which Flip Feng Shui needs.
 *   3. Copy-on-access (same_access()).  Any access to a fused page - read,
 *      write or fetch - exits (EPT violation on a not-present entry) and
 *      gets a private copy mapped read-write: a frame from the pool, 4 KiB
 *      copied, one map, the sharer count decremented.  No invalidate (a
 *      not-present entry is never cached), and no "last sharer takes the
 *      frame back" shortcut as in normal domains (cow.c): that would make
 *      a page without a twin faster to touch.  A frame left with no sharer
 *      stays in the stable index (a twin may still fuse with it) until the
 *      sweep (same_sweep, at the end of each scanner step) gives it back:
 *      freeing it in the fault would make the fault of a page without a
 *      twin longer than one with.  The fault's work is the same either way,
 *      up to the sharer table's probes, which depend on the table's layout
 *      and not on the twin.
 *
 * The randomized pool.  Frames for fusions and copies come from a pool of
 * pool_n frames (64 by default).  A draw takes the frame of a slot chosen
 * at random and refills that slot from the machine at once (one frame_alloc
 * per draw, whatever came before: a draw costs the same every time); a
 * free puts its frame in a slot chosen at random, and the frame that slot
 * held goes back to the machine.  So frees are deferred for a random time -
 * a frame stays in the pool until a later free happens to choose its slot -
 * and a draw is uniform over the pool: the frame a fusion gets is the one
 * just freed, or the machine's next (its lowest, or the one it got back
 * last), with probability about 1/pool_n, whatever the order of merges
 * (test_dedup_same measures it).  The generator is splitmix64 seeded by the
 * caller (dedup_same_seed): not cryptographic, but no guest ever sees a
 * frame number or an output of it.
 *
 * The invariant: no frame of a same-behaviour domain's stable index is
 * mapped in any EPT; a page of such a domain is private (mapped read-write,
 * or write-protected during its fusion) or not present.  So registration
 * with lazy zero maps nothing (the first touch of never-written memory
 * copies the zero frame), a shared frame can be swapped for another
 * without touching an EPT, and one can be given back without an invalidate.
 *
 * When an invalidate fails (dedup.h): a fusion whose step-2 invalidate
 * fails is abandoned as a failed compare is - the page writable again,
 * NEW, counted in merge_races - before anything was copied; if same_flush's
 * fails, the pages' old frames are withheld, never freed.  A copy needs
 * none; the frames the sweep and the twin swap give back were unreachable.
 *
 * The cold tier leaves same-behaviour domains alone (tier_pick): a fused
 * page is not present already and costs its share of a frame; compressing
 * unshared frames only would make a page without a twin take a
 * decompression where one with a twin takes a copy - the very difference
 * this file removes - and compressing shared frames would need one pool
 * object for many pages.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup_internal.h"

#define SAME_PEND 64 /* old frames waiting for their VM's invalidate */

struct same_state {
	uint64_t rng;                        /* splitmix64's state */
	unsigned pool_n;                     /* slots in use, 1..DEDUP_SAME_POOL_MAX */
	unsigned nfull;                      /* slots that hold a frame */
	uint64_t full;                       /* bit i: pool[i] holds a frame */
	uint64_t pool[DEDUP_SAME_POOL_MAX];
	uint64_t pend[SAME_PEND];            /* fused pages' old frames */
	unsigned npend;
	uint64_t pend_vms;                   /* bit v: VM v unmapped pages since its invalidate */
	uint32_t sweep;                      /* the sweep's cursor over sf[] */
	unsigned ndom;
	uint16_t dom[DEDUP_MAX_VMS];         /* the same-behaviour domains */
};
_Static_assert(DEDUP_SAME_POOL_MAX <= 64, "the pool's slots fit one 64-bit mask");

static struct same_state *state(struct dedup *d)
{
	if (!d->same) {
		d->same = calloc(1, sizeof(*d->same));
		if (d->same)
			d->same->pool_n = DEDUP_SAME_POOL_MAX;
	}
	return d->same;
}

static uint64_t rnd(struct same_state *s)
{
	uint64_t z = (s->rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static bool dom_same(const struct same_state *s, uint16_t dom)
{
	unsigned i;
	for (i = 0; s && i < s->ndom; i++)
		if (s->dom[i] == dom)
			return true;
	return false;
}

/* ---- the randomized pool ---- */

/* A frame from a slot chosen at random (the next full one if that one is
 * empty: only after the machine ran out), its slot refilled at once; with
 * the pool empty, straight from the machine.  0 or DEDUP_ENOMEM. */
static int pool_draw(struct dedup *d, uint64_t *f)
{
	struct same_state *s = d->same;
	unsigned r = (unsigned)(rnd(s) % s->pool_n);
	uint64_t hi;

	if (!s->full)
		return d->ops.frame_alloc(d->ops.ctx, f) ? DEDUP_ENOMEM : 0;
	hi = s->full & (~0ull << r);
	r = (unsigned)__builtin_ctzll(hi ? hi : s->full);
	*f = s->pool[r];
	if (d->ops.frame_alloc(d->ops.ctx, &s->pool[r])) {
		s->full &= ~(1ull << r);
		s->nfull--;
	}
	return 0;
}

/* Frame f, which nothing can reach, into a slot chosen at random; the
 * frame that slot held goes back to the machine. */
static void pool_put(struct dedup *d, uint64_t f)
{
	struct same_state *s = d->same;
	unsigned r = (unsigned)(rnd(s) % s->pool_n);

	if (s->full & (1ull << r)) {
		d->ops.frame_free(d->ops.ctx, s->pool[r]);
	} else {
		s->full |= 1ull << r;
		s->nfull++;
	}
	s->pool[r] = f;
}

/* Empty slots (the machine had no frame for a refill) filled again. */
static void pool_top_up(struct dedup *d)
{
	struct same_state *s = d->same;
	unsigned i;

	for (i = 0; i < s->pool_n && s->nfull < s->pool_n; i++)
		if (!(s->full & (1ull << i))) {
			if (d->ops.frame_alloc(d->ops.ctx, &s->pool[i]))
				return;
			s->full |= 1ull << i;
			s->nfull++;
		}
}

/* Steps 5 and 6 of the fusions since the last call: one invalidate per VM
 * that unmapped pages, then their old frames into the pool; if one
 * failed, a CPU may still read them: withheld, never freed. */
static void same_flush(struct dedup *d)
{
	struct same_state *s = d->same;
	unsigned v, i;
	int failed = 0;

	for (v = 0; s->pend_vms >> v; v++)
		if (s->pend_vms & (1ull << v))
			failed |= d->ops.invalidate(d->ops.ctx, v);
	for (i = 0; i < s->npend; i++)
		if (failed)
			d->withheld++;
		else
			pool_put(d, s->pend[i]);
	s->npend = 0;
	s->pend_vms = 0;
}

/* ---- fusion: the scanner's side ---- */

/* The first frame of the domain's stable index with page's content, every
 * byte compared; DP_NIL when none. */
static uint32_t find_twin(struct dedup *d, uint16_t dom, const void *page, uint32_t csum)
{
	uint32_t id;

	for (id = d->sheads ? d->sheads[csum & d->smask] : DP_NIL; id != DP_NIL; id = d->sf[id].next) {
		const struct sframe *s = &d->sf[id];
		if (s->csum != csum || s->domain != dom)
			continue;
		if (s->flags & SF_ZERO ? page_is_zero(page) : page_equal(page, fptr(d, s->frame)))
			return id;
		d->st.hash_collisions++;
	}
	return DP_NIL;
}

/* Fuses private page (vm, gfn), mapped to frame (the overview's step 2). */
static void fuse(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame)
{
	struct same_state *s = d->same;
	struct dvm *v = &d->vm[vm];
	struct dpage *p = &v->pages[gfn];
	const void *page = fptr(d, frame);
	uint32_t csum, sfid;
	uint64_t nf;

	if (s->npend == SAME_PEND)
		same_flush(d);
	/* What it needs first, so that it never stops half-way.  Without it
	 * the page stays private: an idle candidate (UNSTABLE, as merge.c
	 * leaves one it could not merge), tried again at its next visit. */
	if (sframe_reserve(d) || sharers_reserve(d, 1) || pool_draw(d, &nf)) {
		unstable_insert(d, vm, gfn, p->csum);
		return;
	}
	d->ops.map(d->ops.ctx, vm, gfn, frame, false);       /* write-protect: cannot fail */
	if (d->ops.invalidate(d->ops.ctx, vm)) {              /* a CPU may still write it */
		d->ops.map(d->ops.ctx, vm, gfn, frame, true);
		set_state(d, p, DP_NEW, 0);
		d->st.merge_races++;
		pool_put(d, nf);
		return;
	}
	if (page_is_zero(page)) {                             /* frozen: hashed once */
		csum = d->zero_csum;
	} else {
		csum = (uint32_t)page_hash(page);
		d->st.pages_hashed++;
	}
	p->csum = csum;
	sfid = find_twin(d, v->domain, page, csum);
	memcpy(fptr(d, nf), page, DEDUP_PAGE_SIZE);
	d->ops.unmap(d->ops.ctx, vm, gfn);                    /* not present */
	if (sfid != DP_NIL) {
		pool_put(d, d->sf[sfid].frame);                   /* never mapped: no invalidate */
		d->sf[sfid].frame = nf;
		d->st.merges++;
	} else {
		sfid = sframe_new(d, nf, csum, v->domain, csum == d->zero_csum && page_is_zero(page));
		d->st.same_fake_merges++;
	}
	sharers_add(d, sfid, vm);
	set_state(d, p, DP_SHARED, sfid);
	d->st.same_fused++;
	s->pend[s->npend++] = frame;                          /* after this VM's invalidate */
	s->pend_vms |= 1ull << vm;
}

void same_visit(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dvm *v = &d->vm[vm];
	struct dpage *p = &v->pages[gfn];
	uint64_t frame;

	if (dp_state(p) == DP_SHARED || d->ops.lookup(d->ops.ctx, vm, gfn, &frame))
		return; /* fused already: not present, its age kept by the scanner */
	if ((v->age[gfn] & AGE_MAX) < SAME_IDLE) {
		d->st.same_not_idle++;
		if (dp_state(p) != DP_SEEN)
			set_state(d, p, DP_SEEN, 0);
		return;
	}
	fuse(d, vm, gfn, frame);
}

/* ---- copy-on-access: the fault's side ---- */

int same_access(struct dedup *d, unsigned vm, uint64_t gfn, bool write)
{
	struct dvm *v = &d->vm[vm];
	struct dpage *p = &v->pages[gfn];
	uint32_t sfid = dp_index(p);
	uint64_t nf;

	if (pool_draw(d, &nf)) {
		d->st.cow_enomem++;
		return DEDUP_ENOMEM;
	}
	memcpy(fptr(d, nf), fptr(d, d->sf[sfid].frame), DEDUP_PAGE_SIZE);
	if (d->ops.map(d->ops.ctx, vm, gfn, nf, true)) {     /* a first mapping (EPT tables) */
		pool_put(d, nf);
		d->st.cow_enomem++;
		return DEDUP_ENOMEM;
	}
	/* Not present before: no CPU caches a translation to invalidate.  A
	 * frame left with no sharer waits for the sweep. */
	sharers_remove(d, sfid, vm);
	set_state(d, p, DP_NEW, 0);
	v->age[gfn] = write ? AGE_WRITE : 0; /* accessed now */
	if (write)
		d->st.same_copies_write++;
	else
		d->st.same_copies_read++;
	return 0;
}

int dedup_access_fault(struct dedup *d, unsigned vm, uint64_t gfn, bool write)
{
	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages || gfn >= d->vm[vm].npages)
		return DEDUP_EINVAL;
	if (d->vm[vm].same && dp_state(&d->vm[vm].pages[gfn]) == DP_SHARED)
		return same_access(d, vm, gfn, write);
	return dedup_fault_in(d, vm, gfn);
}

/* ---- the sweep, readers, figures ---- */

/* At the end of each scanner step: the step's old frames given back, the
 * pool topped up, and up to `budget` shared frames looked at, those of a
 * same-behaviour domain that no page maps any more given back to the pool
 * (they were never mapped: no invalidate). */
void same_sweep(struct dedup *d, uint64_t budget)
{
	struct same_state *s = d->same;
	uint64_t i;

	if (!s || !s->ndom)
		return;
	same_flush(d);
	pool_top_up(d);
	for (i = 0; i < budget && i < d->sf_top; i++) {
		uint32_t id = s->sweep++ % d->sf_top;
		const struct sframe *f = &d->sf[id];
		if ((f->flags & SF_USED) && f->refs == 0 && dom_same(s, f->domain)) {
			uint64_t frame = f->frame;
			sframe_delete(d, id);
			pool_put(d, frame);
		}
	}
}

void same_vm_leaving(struct dedup *d)
{
	if (d->same)
		same_flush(d);
}

const void *same_page(const struct dedup *d, unsigned vm, uint64_t gfn)
{
	return fptr(d, d->sf[dp_index(&d->vm[vm].pages[gfn])].frame);
}

/* Frames the engine holds for same-behaviour domains beyond those its
 * pages map: the pool's, those waiting for an invalidate, shared frames
 * no page maps waiting for the sweep. */
uint64_t same_frames_held(const struct dedup *d)
{
	const struct same_state *s = d->same;
	uint64_t n;
	uint32_t i;

	if (!s)
		return 0;
	n = s->nfull + s->npend;
	for (i = 0; i < d->sf_top; i++)
		n += (d->sf[i].flags & SF_USED) && d->sf[i].refs == 0 && dom_same(s, d->sf[i].domain);
	return n;
}

void same_get_stats(const struct dedup *d, struct dedup_stats *st)
{
	st->same_pool_frames = d->same ? d->same->nfull : 0;
}

uint64_t same_metadata_bytes(const struct dedup *d)
{
	return d->same ? sizeof(*d->same) : 0;
}

/* At dedup_destroy (no VM left): every frame held back to the machine. */
void same_fini(struct dedup *d)
{
	struct same_state *s = d->same;
	uint32_t i;

	if (!s)
		return;
	same_flush(d);
	for (i = 0; i < d->sf_top; i++)
		if ((d->sf[i].flags & SF_USED) && d->sf[i].refs == 0 && dom_same(s, d->sf[i].domain)) {
			d->ops.frame_free(d->ops.ctx, d->sf[i].frame);
			sframe_delete(d, i);
		}
	for (i = 0; i < s->pool_n; i++)
		if (s->full & (1ull << i))
			d->ops.frame_free(d->ops.ctx, s->pool[i]);
	free(s);
	d->same = NULL;
}

/* ---- the API ---- */

int dedup_same_seed(struct dedup *d, uint64_t seed, unsigned pool_frames)
{
	struct same_state *s = state(d);

	if (!s)
		return DEDUP_ENOMEM;
	s->rng = seed;
	if (!s->ndom && !s->full) /* the size only while the pool is unused */
		s->pool_n = pool_frames < 1 ? 1 : pool_frames > DEDUP_SAME_POOL_MAX ? DEDUP_SAME_POOL_MAX
											: pool_frames;
	return 0;
}

bool dedup_domain_is_same(const struct dedup *d, uint16_t domain)
{
	return dom_same(d->same, domain);
}

int dedup_domain_same(struct dedup *d, uint16_t domain)
{
	struct same_state *s;
	unsigned v;
	uint32_t i;

	if (dom_same(d->same, domain))
		return 0;
	if (!d->ops.test_and_clear_ad || (d->same && d->same->ndom == DEDUP_MAX_VMS))
		return DEDUP_EINVAL;
	for (v = 0; v < DEDUP_MAX_VMS; v++)
		if (d->vm[v].pages && d->vm[v].domain == domain)
			return DEDUP_EBUSY;
	for (i = 0; i < d->sf_top; i++)
		if ((d->sf[i].flags & SF_USED) && d->sf[i].domain == domain)
			return DEDUP_EBUSY;
	s = state(d);
	if (!s)
		return DEDUP_ENOMEM;
	s->dom[s->ndom++] = domain;
	pool_top_up(d);
	return 0;
}
