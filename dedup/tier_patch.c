/*
 * tier_patch.c - the cold tier's second kind of object: a page kept as a
 * patch against a similar reference frame (Difference Engine's sub-page
 * sharing, Gupta et al., OSDI 2008; delta/ is the patcher and the
 * similarity index, docs/patching.md the measurements and the rules).
 *
 * Overview
 * --------
 * A cold private page that sharing could not save is, in tier.c's batch,
 * write-protected, frozen by the batch's invalidate and checked against its
 * checksum.  lz4 then says what compression would make of it.  Here its
 * similarity keys (a min-hash of its words: delta/sim.c) name up to
 * PATCH_CANDIDATES candidate references, and a patch is made against each
 * (delta/patch.c), bounded so that it must take a smaller pool slot than
 * lz4's object would: the smallest wins.  A patch is a pool object like
 * lz4's (tier.c: struct cobj, kind COBJ_DELTA, its reference's shared-
 * frame id first), so the page's state (COMPRESSED: not present), the
 * compressed index, the fault that brings it back, dedup_page_read and the
 * figures are the tier's; only reading the object differs: delta_decode
 * against the reference, its checksum and the page's both checked.
 *
 * What may be a reference (docs/patching.md, sections 4 and 5): a frame
 * the engine owns and keeps read-only in every EPT, and which costs no
 * frame more than it did:
 *
 *   - a shared frame (not a zero frame): indexed under one of its mappers
 *     the first time the scanner finds that mapper cold (SF_INDEXED);
 *   - a cold private page that lz4 cannot fit in 2 KiB (AGE_NOCOMP): it
 *     keeps its frame anyway, so it is indexed when lz4 gives up, and made
 *     a reference when a patch against it wins: write-protected,
 *     invalidated, and recorded as a shared frame of one mapper (merged
 *     into an equal shared frame instead, if one exists: two frames of one
 *     content would never merge, for shared pages are not visited);
 *
 * never a page in the pool (no chains: a rebuild is one decode), never a
 * zero frame (a nearly-zero page is lz4's: a few bytes either way), never
 * a frame of another sharing domain (answers of the index are filtered by
 * domain: a patch across domains would reopen the side channel that
 * merging across them would).  A page lz4 compresses is not indexed: its
 * frame is freed, and making it a reference would cost a frame back.
 * Measured on make bench's KASLR corpus (dedupsim --tier --patch, every
 * page cold), the tier leaves 22,689 frames so; 30,157 with shared frames
 * alone as references (30,202 with none); 22,651 if compressed pages too
 * were made references on demand, for 2.9x the CPU (nokaslr: 21,094, and
 * 20,295 for 13x).
 *
 * Making a patch follows the merge order.  The page is frozen (tier.c's
 * steps 1-2); a shared candidate is read-only already; a private one is
 * frozen when chosen (write-protect, invalidate: ref_make).  Then:
 *   3. the patch, made from the unfrozen candidate's bytes, is decoded
 *      against the frozen reference into a scratch page and all 4 KiB are
 *      compared with the page: a candidate written meanwhile fails here
 *      and nothing is kept (patch_races);
 *   4. the object is stored, the reference pinned, the page unmapped;
 *   5. the batch's invalidate (merge_flush); 6. the page's frame freed.
 * If the pool has no room nothing changes: the page stays, and lz4 is not
 * tried either (the same pool).
 *
 * Pins.  Each patch pins its reference (a count in the sharer table under
 * PIN_VM, sharers.c; SF_PINNED on the frame): a write by a mapper of a
 * pinned frame copies even as its last mapper (cow.c), and a pinned frame
 * no page maps any more (its VM stopped, or it was written) stays, owned by
 * the engine, until its last patch goes (patch_unpin: the patched page
 * faulted back, merged with a twin, or its VM removed).
 *
 * What it costs is the tier's budget: the pages picked per scanner step
 * (knobs.compress_per_step) bound the keys (~13,000 instructions a page),
 * and a shared frame indexed counts as a pick; the patch attempts
 * (~69,000 instructions each on the corpus, and up to ~260,000 for one that
 * fails late; PATCH_CANDIDATES a page at most, a candidate that a sample of
 * its bytes shows hopeless not tried: worth_a_try) have their own bound,
 * knobs.patch_per_step.  Picks alone did not bound them: 64 cold pages of
 * 4 attempts each made one step of 71 M emulated instructions (1.4 s under
 * Bochs, every CPU waiting on the lock for it).  A page whose candidates
 * the step's attempts left cannot all cover is given back as it was (not
 * compressed instead: it keeps its chance of a patch) and picked again at
 * its next visit; the first page of a step is always tried, so every step
 * makes progress whatever the bound.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup_internal.h"

/* Patches tried per cold page: the candidates sharing the most keys first
 * (docs/patching.md's method: all keys together reach 52.6% of the frames
 * left, 4 candidates of the default keys 49.2%). */
#define PATCH_CANDIDATES 4

/*
 * A candidate is tried only if at least PRECHECK_MIN of PRECHECK_SAMPLES
 * bytes, one at a varying place in each 64 of the page, equal the
 * candidate's at the same offset.  A patch attempt that fails runs until
 * its patch passes the bound (~69,000 instructions, docs/patching.md);
 * the sample costs 64 compares.  On make bench's corpus, with KASLR, three
 * attempts in four failed: the sample skipped 74.8% of those and 1.4% of
 * the ones that fitted (a page whose content moved rather than changed);
 * with nokaslr, 6.2% and 4.6% (measured on the attempts of dedupsim
 * --tier --patch, every page cold).  Two pages of random bytes agree in a
 * byte in 256.
 */
#define PRECHECK_SAMPLES 64
#define PRECHECK_MIN     8

static int worth_a_try(const unsigned char *page, const unsigned char *ref)
{
	unsigned k, eq = 0;

	for (k = 0; k < PRECHECK_SAMPLES; k++) {
		unsigned at = k * 64 + (k * 13) % 64;
		eq += page[at] == ref[at];
	}
	return eq >= PRECHECK_MIN;
}

int patch_on(const struct dedup *d)
{
	return d->knobs.patch_refs_max && !d->patch_off;
}

/* Whether this dedup_scan() call's patch attempts are spent: no more picks. */
int patch_spent(const struct dedup *d)
{
	return patch_on(d) && d->knobs.patch_per_step && d->step_encodes >= d->knobs.patch_per_step;
}

/* The index, the encoder's tables and two patch buffers, made on the first
 * need.  0 when patching is off or they could not be had (then it stays
 * off: d->patch_off). */
static int patch_ready(struct dedup *d)
{
	if (d->sim)
		return 1;
	if (!patch_on(d))
		return 0;
	d->sim = delta_sim_create(&delta_sim_default, d->knobs.patch_refs_max);
	d->dwork = malloc(sizeof(*d->dwork));
	d->pbuf = malloc(2 * PATCH_MAX);
	if (!d->sim || !d->dwork || !d->pbuf) {
		patch_free(d);
		d->patch_off = 1;
		return 0;
	}
	return 1;
}

void patch_free(struct dedup *d)
{
	delta_sim_destroy(d->sim);
	free(d->dwork);
	free(d->pbuf);
	d->sim = NULL;
	d->dwork = NULL;
	d->pbuf = NULL;
}

uint64_t patch_metadata_bytes(const struct dedup *d)
{
	return d->sim ? delta_sim_bytes(d->sim) + sizeof(*d->dwork) + 2 * PATCH_MAX : 0;
}

/*
 * The index's worst (delta/sim.c: a power-of-two table of at least a
 * bucket per DELTA_SIM_WAYS keys, 8 B a key: < 2 x 8 keys x 8 B a
 * candidate, and 16 buckets at least), the encoder's tables and the two
 * buffers.  The rest (pins in the sharer table, a shared-frame record per
 * reference) is within dedup_metadata_max's bounds: a pin key per frame,
 * a reference is a mapped page.
 */
uint64_t dedup_patch_metadata_max(uint64_t refs_max)
{
	if (!refs_max)
		return 0;
	return 2 * refs_max * DELTA_SIM_MAX_KEYS * 8 + 16 * 32 + 256 + sizeof(struct delta_work) +
	       2 * PATCH_MAX;
}

/* A shared page at its visit, when patching is on and the page cold: its
 * frame becomes a reference candidate, once (SF_INDEXED).  A pick of the
 * step's budget (the keys cost a fifth of an lz4 compression). */
void patch_index_shared(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dvm *v = &d->vm[vm];
	struct sframe *s = &d->sf[dp_index(&v->pages[gfn])];
	uint32_t keys[DELTA_SIM_MAX_KEYS];
	unsigned n;

	if ((s->flags & (SF_ZERO | SF_INDEXED)) ||
	    age_class(d, v, v->age[gfn], d->st.full_scans) != DEDUP_WS_COLD || !patch_ready(d))
		return;
	n = delta_sim_keys(d->sim, fptr(d, s->frame), keys);
	if (n && delta_sim_insert_keys(d->sim, vm, gfn, keys, n) == 0)
		d->st.patch_indexed++;
	s->flags |= SF_INDEXED;
	d->step_picked++;
}

/* A candidate the index named, as it is now: a shared frame (sfid), or a
 * private page still unwritten since lz4 gave up on it (sfid DP_NIL). */
struct cand {
	unsigned vm;
	uint64_t gfn, frame;
	uint32_t sfid;
};

static int resolve(const struct dedup *d, const struct delta_ref *r, uint16_t domain, struct cand *c)
{
	const struct dvm *rv;
	const struct dpage *q;

	if (r->vm >= DEDUP_MAX_VMS)
		return 0;
	rv = &d->vm[r->vm];
	if (!rv->pages || r->gfn >= rv->npages || rv->domain != domain)
		return 0;
	q = &rv->pages[r->gfn];
	*c = (struct cand){ r->vm, r->gfn, 0, DP_NIL };
	if (dp_state(q) == DP_SHARED) {
		const struct sframe *s = &d->sf[dp_index(q)];
		if (s->flags & SF_ZERO)
			return 0;
		c->sfid = dp_index(q);
		c->frame = s->frame;
		return 1;
	}
	return dp_private(q) && (rv->age[r->gfn] & AGE_NOCOMP) &&
	       !d->ops.lookup(d->ops.ctx, r->vm, r->gfn, &c->frame);
}

/*
 * Makes private page (rvm, rgfn) on frame a reference: write-protect,
 * invalidate (its content is then frozen), and a shared frame of one
 * mapper with its checksum in the stable index; or, when a shared frame
 * of this domain holds the same content, the page merges into that one
 * (its own frame freed after the batch's invalidate).  The frame id, or
 * DP_NIL with the page as it was (writable): no memory, the invalidate
 * failed, or the page became zero.
 */
static uint32_t ref_make(struct dedup *d, unsigned rvm, uint64_t rgfn, uint64_t frame)
{
	struct dvm *rv = &d->vm[rvm];
	struct dpage *q = &rv->pages[rgfn];
	const void *ref = fptr(d, frame);
	uint32_t csum, id;

	if (sframe_reserve(d) || sharers_reserve(d, 2))
		return DP_NIL;
	d->ops.map(d->ops.ctx, rvm, rgfn, frame, false);         /* 1 */
	if (d->ops.invalidate(d->ops.ctx, rvm) || page_is_zero(ref)) {  /* 2 */
		d->ops.map(d->ops.ctx, rvm, rgfn, frame, true);
		return DP_NIL;
	}
	csum = (uint32_t)page_hash(ref);
	/* Out of the unstable index if it is in a chain: behind the cursor,
	 * or in the batch being visited (which the cursor has not passed
	 * yet); unlinking a page in no chain changes nothing. */
	if (dp_state(q) == DP_UNSTABLE)
		unstable_unlink(d, rvm, rgfn); /* (by its old checksum) */
	q->csum = csum;
	for (id = d->sheads ? d->sheads[csum & d->smask] : DP_NIL; id != DP_NIL; id = d->sf[id].next) {
		const struct sframe *s = &d->sf[id];
		if (s->csum != csum || s->domain != rv->domain || (s->flags & SF_ZERO))
			continue;
		if (!page_equal(ref, fptr(d, s->frame))) {
			d->st.hash_collisions++;
			continue;
		}
		d->ops.map(d->ops.ctx, rvm, rgfn, s->frame, false); /* replaces: cannot fail */
		merge_pend_free(d, rvm, frame);
		sharers_add(d, id, rvm);
		set_state(d, q, DP_SHARED, id);
		d->st.merges++;
		return id;
	}
	id = sframe_new(d, frame, csum, rv->domain, 0);
	d->sf[id].flags |= SF_INDEXED; /* it is, under this page */
	sharers_add(d, id, rvm);
	set_state(d, q, DP_SHARED, id);
	d->st.refs_made++;
	return id;
}

/*
 * A frozen cold page (vm, gfn) on frame, content page (checksum checked by
 * tier_flush), which lz4 makes lz4_len bytes of (0: more than it keeps):
 * stored as a patch if one takes a smaller slot.  1 stored (unmapped, its
 * frame to be freed with the batch's); 0 not (and when lz4 cannot take
 * it either, the page is indexed as a reference candidate: it keeps its
 * frame); -1 the pool had no room, -2 the step's attempts left cannot
 * cover its candidates (nothing changed in either case).
 */
int patch_try(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, const void *page,
	      uint32_t lz4_len)
{
	struct dvm *v = &d->vm[vm];
	uint32_t keys[DELTA_SIM_MAX_KEYS], handle;
	struct delta_ref refs[PATCH_CANDIDATES];
	struct cand c, best = { 0, 0, 0, DP_NIL };
	uint64_t tried[PATCH_CANDIDATES];
	unsigned nkeys, nref, i, j, ntried = 0, cur = 0;
	int len, best_len = 0;
	size_t cap = PATCH_MAX;
	struct cobj *o;

	if (!patch_ready(d))
		return 0;
	nkeys = delta_sim_keys(d->sim, page, keys);
	if (!nkeys)
		return 0; /* nothing but zero and uniform words: lz4's */
	if (lz4_len) {
		/* Only a patch whose object (the header, the reference's id,
		 * the patch) takes a smaller slot than lz4's object is kept:
		 * at most the slot of the class below lz4's. */
		unsigned cls = zpool_class_of((uint32_t)sizeof(*o) + lz4_len);
		uint32_t below = cls ? zpool_class_slot(cls - 1) : 0;
		cap = below > sizeof(*o) + 4 ? below - sizeof(*o) - 4 : 0;
	}
	nref = cap > DELTA_HEADER ? delta_sim_lookup_keys(d->sim, vm, gfn, keys, nkeys, refs,
							   PATCH_CANDIDATES) : 0;
	/* Every candidate or none: a page tried with fewer could end as
	 * lz4's, or a worse patch, where a later step would patch it. */
	if (nref && d->knobs.patch_per_step && d->step_encodes &&
	    d->step_encodes + nref > d->knobs.patch_per_step)
		return -2;
	if (nref)
		d->st.patch_tries++;
	for (i = 0; i < nref; i++) {
		unsigned char *out = d->pbuf + cur * PATCH_MAX;
		if (!resolve(d, &refs[i], v->domain, &c))
			continue;
		for (j = 0; j < ntried && tried[j] != c.frame; j++)
			;
		if (j < ntried)
			continue; /* two mappers of one frame */
		tried[ntried++] = c.frame;
		if (!worth_a_try(page, fptr(d, c.frame))) {
			d->st.patch_skipped++;
			continue;
		}
		d->st.patch_encodes++;
		d->step_encodes++;
		len = delta_encode(d->dwork, page, fptr(d, c.frame), out, cap);
		if (len <= 0)
			continue;
		best = c;
		best_len = len;
		cap = (size_t)len - 1; /* the next must be smaller */
		cur ^= 1;
	}
	if (!best_len) {
		if (!lz4_len && delta_sim_insert_keys(d->sim, vm, gfn, keys, nkeys) == 0)
			d->st.patch_indexed++; /* it keeps its frame: a reference candidate */
		return 0;
	}
	cur ^= 1; /* the best patch's buffer */
	if (best.sfid == DP_NIL && (best.sfid = ref_make(d, best.vm, best.gfn, best.frame)) == DP_NIL)
		return 0;
	/* 3: the patch rebuilds the page from the frozen reference, all 4 KiB. */
	if (delta_decode(fptr(d, d->sf[best.sfid].frame), d->pbuf + cur * PATCH_MAX, (size_t)best_len,
			 d->scratch) || !page_equal(d->scratch, page)) {
		d->st.patch_races++;
		return 0;
	}
	if (cindex_reserve(d) || sharers_reserve(d, 1) ||
	    zpool_alloc(d->pool, (uint32_t)(sizeof(*o) + 4 + (size_t)best_len), &handle)) {
		d->pool_full = 1;
		d->st.compress_enomem++;
		return -1;
	}
	o = zpool_ptr(d->pool, handle);                           /* 4 */
	*o = (struct cobj){ .len = (uint16_t)(4 + best_len), .kind = COBJ_DELTA, .next = DP_NIL };
	memcpy(o + 1, &best.sfid, 4);
	memcpy((unsigned char *)(o + 1) + 4, d->pbuf + cur * PATCH_MAX, (size_t)best_len);
	sharers_pin(d, best.sfid);
	if (!(d->sf[best.sfid].flags & SF_PINNED)) { /* (mapped: found through a page) */
		d->sf[best.sfid].flags |= SF_PINNED;
		d->nrefs++;
	}
	tier_store(d, vm, gfn, frame, handle);                   /* 4, then 5 and 6 batched */
	v->patched++;
	v->pbytes += o->len;
	v->pslots += zpool_slot_size(d->pool, handle);
	d->npatched++;
	d->st.patches++;
	return 1;
}

/* Patched page p's content into dst (4 KiB): its reference, live and
 * pinned, and the patch rebuild it, the patch's checksum and the page's
 * checked.  0 or -1. */
int patch_read(struct dedup *d, const struct dpage *p, const struct cobj *o, void *dst)
{
	uint32_t sfid = cobj_ref(o);

	if (o->len <= 4 + DELTA_HEADER)
		return -1;
	if (sfid >= d->sf_top || (d->sf[sfid].flags & (SF_USED | SF_PINNED)) != (SF_USED | SF_PINNED))
		return -1;
	if (delta_decode(fptr(d, d->sf[sfid].frame), (const unsigned char *)(o + 1) + 4, o->len - 4u, dst))
		return -1;
	return (uint32_t)page_hash(dst) == p->csum ? 0 : -1;
}

/* A patch against sfid is gone: one pin less; the last one lets a frame
 * that nothing maps any more go (never freed if an invalidate failed while
 * it was kept: SF_STALE). */
void patch_unpin(struct dedup *d, uint32_t sfid)
{
	struct sframe *s = &d->sf[sfid];

	if (sharers_unpin(d, sfid))
		return;
	s->flags &= (uint8_t)~SF_PINNED;
	d->nrefs--;
	if (s->refs)
		return;
	d->nrefs_unmapped--;
	if (s->flags & SF_STALE)
		d->withheld++;
	else
		d->ops.frame_free(d->ops.ctx, s->frame);
	sframe_delete(d, sfid);
}

/* VM vm leaves: its entries leave the index (a walk of the table), and the
 * shared frames it indexed may be indexed again under another mapper. */
void patch_vm_remove(struct dedup *d, unsigned vm)
{
	struct dvm *v = &d->vm[vm];
	uint64_t g;

	if (!d->sim)
		return;
	delta_sim_remove_vm(d->sim, vm);
	for (g = 0; g < v->npages; g++)
		if (dp_state(&v->pages[g]) == DP_SHARED)
			d->sf[dp_index(&v->pages[g])].flags &= (uint8_t)~SF_INDEXED;
}

uint64_t dedup_patch_check(struct dedup *d, uint64_t *bad)
{
	uint64_t n = 0, g;
	unsigned vm;

	*bad = 0;
	for (vm = 0; vm < DEDUP_MAX_VMS; vm++)
		for (g = 0; d->vm[vm].pages && g < d->vm[vm].npages; g++) {
			const struct dpage *p = &d->vm[vm].pages[g];
			if (dp_state(p) != DP_COMPRESSED || !cobj_of(d, p) || cobj_of(d, p)->kind != COBJ_DELTA)
				continue;
			n++;
			*bad += tier_read(d, vm, g, d->scratch) != 0;
		}
	return n;
}
