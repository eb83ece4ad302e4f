/*
 * merge.c - merging a candidate page into a shared frame.
 *
 * A candidate is a page whose content did not change since the engine last
 * looked (scan.c decides).  It is matched first against the stable index
 * (frames already shared, read-only everywhere, so their content is fixed),
 * then against the unstable index (other candidates of this full scan,
 * still writable).  An equal checksum and a first, unprotected compare only
 * nominate.  The merge then runs in this order, which is what makes it safe
 * against guest writes on other CPUs:
 *
 *   1. write-protect the candidate (both pages, for an unstable pair)
 *   2. invalidate: after this no CPU can write through an old translation
 *   3. compare all 4 KiB: the content is frozen; a write that landed before
 *      step 2 is seen here and aborts the merge (write access goes back)
 *   4. remap the candidate read-only to the shared frame
 *   5. invalidate: after this nobody reads the duplicate frame any more
 *   6. free the duplicate frame
 *
 * Steps 5 and 6 are batched: the duplicate is queued, and one invalidate
 * per VM touched, then the frees, come at the end of each scanner batch
 * of up to 64 pages (merge_flush).  That is safe because
 * after step 1's invalidate no translation anywhere can write the
 * duplicate, and until it is freed its content is the shared frame's: a
 * stale read-only translation reads the right bytes.  Every merge still
 * costs one invalidate (step 2), not two.
 *
 * Memory the merge needs (a shared-frame slot, sharer-table room) is
 * reserved before step 1, so a merge never stops half-way for lack of it.
 *
 * An invalidate can fail (dedup_ops.h): a CPU did not answer and may still
 * write the candidate through its old translation.  A failed step 2 ends
 * the merge as a failed compare does (step 3 could not be trusted, and the
 * frame must not become shared); a failed step 5 keeps the batch's
 * duplicates out of use for good instead of freeing them (withheld).
 *
 * A candidate may also match a page the cold tier compressed (tier.c):
 * its content is frozen in the pool, so it plays the part of the stable
 * page.  It is decompressed (and checked) into a scratch page for the
 * compares; after steps 1-3 on the candidate, the candidate's frame
 * becomes the shared frame, and the compressed page, not present until
 * now, is mapped read-only to it before its object is freed.  Nothing is
 * freed and no second invalidate is needed: the candidate's mapping only
 * lost write access (step 1), and the compressed page had none.
 */
#include "dedup_internal.h"

/* Whether page holds the shared frame's content: all 4 KiB compared (a zero
 * frame's content is known, so only the page is read). */
static int same_content(const struct dedup *d, const void *page, const struct sframe *s)
{
	return s->flags & SF_ZERO ? page_is_zero(page) : page_equal(page, fptr(d, s->frame));
}

static int map(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, bool w)
{
	return d->ops.map(d->ops.ctx, vm, gfn, frame, w);
}

/* Steps 4-6, common to both merges: the candidate, write-protected and
 * found equal, is remapped read-only to shared frame sfid; after the
 * invalidate nobody reads its old frame any more, which is then freed. */
void merge_flush(struct dedup *d)
{
	unsigned v, i;
	int failed = 0;
	for (v = 0; d->pend_vms >> v; v++)                   /* 5: up to the last VM touched */
		if (d->pend_vms & (1ull << v))
			failed |= d->ops.invalidate(d->ops.ctx, v);
	for (i = 0; i < d->npend; i++)                       /* 6 */
		if (failed)
			d->withheld++;  /* a CPU may still reach it: never freed */
		else
			d->ops.frame_free(d->ops.ctx, d->pend_free[i]);
	d->npend = 0;
	d->pend_vms = 0;
}

/* frame, no longer mapped by vm's (gfn), is freed after vm's next
 * invalidate: steps 5 and 6, batched. */
void merge_pend_free(struct dedup *d, unsigned vm, uint64_t frame)
{
	d->pend_vms |= 1ull << vm;
	d->pend_free[d->npend++] = frame;
	if (d->npend == sizeof(d->pend_free) / sizeof(d->pend_free[0]))
		merge_flush(d);
}

static void finish_merge(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, uint32_t sfid)
{
	map(d, vm, gfn, d->sf[sfid].frame, false);           /* 4 */
	merge_pend_free(d, vm, frame);                       /* 5 and 6, batched */
	sharers_add(d, sfid, vm);
	set_state(d, &d->vm[vm].pages[gfn], DP_SHARED, sfid);
	d->st.merges++;
}

/* Merges (vm, gfn) on frame into shared frame sfid.  0 merged, 1 the full
 * compare failed (the page changed: it is writable again and NEW). */
static int merge_into(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, uint32_t sfid)
{
	struct dpage *p = &d->vm[vm].pages[gfn];

	map(d, vm, gfn, frame, false);                       /* 1 */
	if (d->ops.invalidate(d->ops.ctx, vm) ||             /* 2 */
	    !same_content(d, fptr(d, frame), &d->sf[sfid])) {/* 3 */
		map(d, vm, gfn, frame, true);
		set_state(d, p, DP_NEW, 0);
		d->st.merge_races++;
		return 1;
	}
	finish_merge(d, vm, gfn, frame, sfid);               /* 4, 5, 6 */
	return 0;
}

/* Merges candidate (vm, gfn) with unstable candidate (qvm, qgfn): q's frame
 * becomes the shared frame.  0 merged, 1 a page changed (both writable
 * again, both NEW), DEDUP_ENOMEM (nothing changed). */
static int merge_pair(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame,
		      unsigned qvm, uint64_t qgfn, uint64_t qframe, uint32_t csum)
{
	struct dpage *p = &d->vm[vm].pages[gfn], *q = &d->vm[qvm].pages[qgfn];
	uint32_t sfid;
	int zero, failed;

	if (sframe_reserve(d) || sharers_reserve(d, 2))
		return DEDUP_ENOMEM;
	map(d, qvm, qgfn, qframe, false);                    /* 1 */
	map(d, vm, gfn, frame, false);
	failed = d->ops.invalidate(d->ops.ctx, qvm);         /* 2 */
	if (vm != qvm)
		failed |= d->ops.invalidate(d->ops.ctx, vm);
	unstable_unlink(d, qvm, qgfn);
	if (failed || !page_equal(fptr(d, frame), fptr(d, qframe))) { /* 3 */
		map(d, qvm, qgfn, qframe, true);
		map(d, vm, gfn, frame, true);
		set_state(d, q, DP_NEW, 0);
		set_state(d, p, DP_NEW, 0);
		d->st.merge_races++;
		return 1;
	}
	zero = csum == d->zero_csum && page_is_zero(fptr(d, qframe));
	sfid = sframe_new(d, qframe, csum, d->vm[vm].domain, zero);
	sharers_add(d, sfid, qvm);                           /* q maps it read-only already */
	set_state(d, q, DP_SHARED, sfid);
	finish_merge(d, vm, gfn, frame, sfid);               /* 4, 5, 6 */
	return 0;
}

/* Merges candidate (vm, gfn) with compressed page (qvm, qgfn), whose
 * content d->scratch holds (read and checked by the caller): the
 * candidate's frame becomes the shared frame.  0 merged, 1 the candidate
 * changed (it is writable again and NEW), DEDUP_ENOMEM (nothing changed). */
static int merge_compressed(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame,
			    unsigned qvm, uint64_t qgfn, uint32_t csum)
{
	struct dpage *p = &d->vm[vm].pages[gfn], *q = &d->vm[qvm].pages[qgfn];
	uint32_t sfid;

	if (sframe_reserve(d) || sharers_reserve(d, 2))
		return DEDUP_ENOMEM;
	map(d, vm, gfn, frame, false);                       /* 1 */
	if (d->ops.invalidate(d->ops.ctx, vm) ||             /* 2: failed, as a failed compare */
	    !page_equal(fptr(d, frame), d->scratch)) {       /* 3 */
		map(d, vm, gfn, frame, true);
		set_state(d, p, DP_NEW, 0);
		d->st.merge_races++;
		return 1;
	}
	if (map(d, qvm, qgfn, frame, false)) {               /* 4, q's first mapping: may fail */
		map(d, vm, gfn, frame, true);
		set_state(d, p, DP_NEW, 0);
		return DEDUP_ENOMEM;
	}
	tier_drop(d, qvm, qgfn);                             /* its object goes */
	sfid = sframe_new(d, frame, csum, d->vm[vm].domain, 0); /* never zero: not compressed */
	sharers_add(d, sfid, vm);
	sharers_add(d, sfid, qvm);
	set_state(d, p, DP_SHARED, sfid);
	set_state(d, q, DP_SHARED, sfid);
	d->st.merges++;
	d->st.tier_merges++;
	return 0;
}

void merge_candidate(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, uint32_t csum)
{
	uint16_t dom = d->vm[vm].domain;
	const void *page = fptr(d, frame);
	uint32_t id, l;

	/* Stable index: frames already shared in this domain. */
	for (id = d->sheads ? d->sheads[csum & d->smask] : DP_NIL; id != DP_NIL; id = d->sf[id].next) {
		const struct sframe *s = &d->sf[id];
		if (s->csum != csum || s->domain != dom)
			continue;
		if (!same_content(d, page, s)) {
			d->st.hash_collisions++;
			continue;
		}
		if (sharers_reserve(d, 1))
			break; /* no memory now: stay a candidate, retry next scan */
		merge_into(d, vm, gfn, frame, id);
		return;
	}

	/* Compressed index: cold pages of this domain that it may be a twin of. */
	for (l = cindex_first(d, csum); l != DP_NIL; l = cindex_next(d, l)) {
		unsigned qvm = link_vm(l);
		uint64_t qgfn = link_gfn(l);
		int r;
		if (d->vm[qvm].pages[qgfn].csum != csum || d->vm[qvm].domain != dom)
			continue;
		if (tier_read(d, qvm, qgfn, d->scratch))
			continue; /* damaged (counted): it merges with nothing */
		if (!page_equal(page, d->scratch)) {
			d->st.hash_collisions++;
			continue;
		}
		r = merge_compressed(d, vm, gfn, frame, qvm, qgfn, csum);
		if (r != DEDUP_ENOMEM)
			return;
		break;
	}

	/* Unstable index: candidates of this full scan in this domain. */
	for (l = d->uheads[csum & d->umask]; l != DP_NIL;) {
		unsigned qvm = link_vm(l);
		uint64_t qgfn = link_gfn(l), qframe;
		const struct dpage *q = &d->vm[qvm].pages[qgfn];

		l = dp_index(q);
		if (q->csum != csum || d->vm[qvm].domain != dom ||
		    d->ops.lookup(d->ops.ctx, qvm, qgfn, &qframe) ||
		    !page_equal(page, fptr(d, qframe)))
			continue; /* a collision, or q changed since its visit */
		if (merge_pair(d, vm, gfn, frame, qvm, qgfn, qframe, csum) != DEDUP_ENOMEM)
			return;
		break;
	}
	unstable_insert(d, vm, gfn, csum);
}
