/*
 * tier.c - the cold tier: private pages idle for long, compressed.
 *
 * Overview
 * --------
 * Sharing frees what is identical; what is left costs a frame a page
 * however rarely it is used.  Difference Engine (Gupta et al., OSDI 2008)
 * compresses pages "unlikely to be accessed in the near future" on top of
 * sharing; VMware ESX keeps a page compressed only if it fits 2 KiB.  So
 * here: a private page not accessed for knobs.cold_ticks (its age, scan.c)
 * is compressed with lz4 (tier/compress.c) into an object of the pool
 * (tier/zpool.c) if it fits 2 KiB, and its frame freed.  Its EPT entry is
 * then not present: any access exits, and dedup_fault_in() brings it back.
 * Zero pages stay on the zero frame and shared pages stay shared (a shared
 * page would need every mapper unmapped, and it costs 1/n of a frame
 * already); only private cold pages compress.
 *
 * Compressing, in the scanner's batch (scan.c), for each picked page:
 *
 *   1. write-protect it: tier_pick(), while the batch reads A/D bits
 *   2. invalidate: the batch's one invalidate, after which nobody writes
 *      the frame: its content is frozen (a write that came first is in it)
 *   3. the page's visit: it may merge with a twin instead (merge.c), which
 *      is better still; if it is still a private candidate after the
 *      batch's visits, checksum the frozen frame (a page written since
 *      its A/D bits were read is not cold: it goes back) and compress it
 *   4. if it fits a class and the pool has room: the object is stored, the
 *      page unmapped (not present) ...
 *   5. ... invalidate (the batch's merge_flush, one per VM) ...
 *   6. ... and the frame freed: nobody can reach it any more.
 *   Else: write access back (a permission raised: no invalidate), and a
 *   page too big for 2 KiB is not tried again until it is written.  If the
 *   batch's invalidate of step 2 failed (a CPU did not answer: dedup.h),
 *   nothing was frozen and every picked page gets write access back; if
 *   step 5's fails, merge_flush withholds the frames instead of freeing
 *   them.
 *
 * Bringing one back (dedup_fault_in, on an EPT violation; a COW break of a
 * compressed page does the same): a new frame, the object decompressed
 * into it, its length (4096 bytes exactly) and checksum checked, the frame
 * mapped read-write, the object freed.  ENOMEM (no frame, or no EPT table
 * for the mapping) changes nothing: the vCPU retries.  A failed check is
 * DEDUP_EIO: the content is lost, and the caller must stop the VM rather
 * than give it wrong bytes.  The page is hot again: its age is 0, so it
 * must idle cold_ticks anew before it is compressed again, which bounds
 * the thrashing a page can cause to one fault per cold_ticks.
 *
 * A compressed page is still a sharing candidate: its checksum (of the
 * content it was compressed from) is in the compressed index (index.c), so
 * a later twin merges with it (merge.c), and at its own visit it joins a
 * shared frame made since (tier_visit).  Without that, pages of a VM that
 * joins a fleet after the others' went cold would never merge with them.
 *
 * Patches (tier_patch.c, with knobs.patch_refs_max): at step 3, before
 * lz4's object is stored, a page nearly the same as a reference frame is
 * kept instead as a patch against it when the patch takes a smaller pool
 * slot.  It is the same kind of thing to everything here - a pool object
 * (its header says which kind), a COMPRESSED page, faulted back, read,
 * checked and merged the same way - but that reading it means rebuilding
 * it from its reference, and dropping it releases the reference's pin.
 *
 * zstd, the second codec (tier/zstd_page.c, with knobs.zstd_ticks).  lz4
 * is the codec of the fault path: ~1 us to bring a page back.  zstd at
 * level 1 takes about half lz4's bytes on guest pages and fits under 2 KiB
 * some that lz4 cannot, for ~4x lz4's decompression time (docs/tier.md).
 * So, as zram recompresses since Linux 6.2: a page kept in lz4 and still
 * not accessed zstd_ticks after it was last (its age, which keeps counting
 * while it is compressed: an access would have brought it back) is, at its
 * visit, decompressed, compressed with zstd and, when zstd's object takes a
 * smaller pool slot, swapped for it (the page stays COMPRESSED, its
 * checksum and its place in the compressed index stay: the index chains
 * through the objects but names pages).  When the slot would not shrink,
 * AGE_NOCOMP marks the page so that it is not tried again until it is
 * brought back.  And a cold page lz4 cannot fit is tried with zstd at once
 * (step 3): it is cold, and the alternative is a whole frame.  zstd's
 * object is decoded again and compared in full with the page before it is
 * kept (d->zcheck): a codec's bug costs a frame, never a byte.
 *
 * What it costs is bounded per scanner step: at most
 * knobs.compress_per_step pages are picked per dedup_scan() call, at most
 * knobs.patch_per_step patch attempts made in it (tier_patch.c) and
 * knobs.zstd_per_step zstd compressions, and the
 * rate governor, which measures each step's time (compressions included),
 * keeps the scanner's CPU share within its cap.
 */
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "dedup_internal.h"
#include "zstd_page.h"

static void recompress(struct dedup *d, unsigned vm, uint64_t gfn);

/* Whether zstd may be used (its workspaces fit: tier/zstd_page.c). */
static int zstd_on(const struct dedup *d)
{
	return d->knobs.zstd_ticks && tier_zstd_ready();
}

/* Whether this dedup_scan() call's zstd compressions are spent. */
static int zstd_spent(const struct dedup *d)
{
	return d->knobs.zstd_per_step && d->step_zstd >= d->knobs.zstd_per_step;
}

/* zstd's bytes of page into d->cbuf, decoded again and compared in full:
 * their length, or 0 (does not fit, or did not decode to the page). */
static uint32_t zstd_checked(struct dedup *d, const void *page)
{
	uint32_t len = tier_zstd_compress(page, d->cbuf, COBJ_MAX);

	if (len && (tier_zstd_decompress(d->cbuf, len, d->zcheck) || !page_equal(d->zcheck, page)))
		return 0;
	return len;
}

/* Whether pages may be picked now (the scanner asks once a batch). */
int tier_on(const struct dedup *d)
{
	return d->knobs.cold_ticks && d->knobs.pool_max_frames && d->ops.test_and_clear_ad &&
	       !d->pool_full && !patch_spent(d) &&
	       (!d->knobs.compress_per_step || d->step_picked < d->knobs.compress_per_step);
}

/* Step 1, for a page of the batch whose A/D bits were just read (and its
 * age updated), before the batch's invalidate: picks it if it is private,
 * cold and worth a try, and write-protects it.  (A cold shared page's
 * frame becomes a candidate reference for patches: tier_patch.c.) */
void tier_pick(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dvm *v = &d->vm[vm];
	uint64_t frame;

	if (!tier_on(d) || v->same) /* same.c holds a same-behaviour domain's pages */
		return;
	if (dp_state(&v->pages[gfn]) == DP_SHARED) {
		if (patch_on(d)) /* a cold shared frame: a reference candidate */
			patch_index_shared(d, vm, gfn);
		return;
	}
	if (!dp_private(&v->pages[gfn]) || (v->age[gfn] & AGE_NOCOMP) ||
	    v->compressed + v->patched + d->ncold >= v->tier_max ||
	    age_class(d, v, v->age[gfn], d->st.full_scans) != DEDUP_WS_COLD ||
	    d->ops.lookup(d->ops.ctx, vm, gfn, &frame))
		return;
	d->ops.map(d->ops.ctx, vm, gfn, frame, false);
	d->cold[d->ncold++] = gfn;
	d->cold_vm = vm;
	d->step_picked++;
}

/* Steps 3-6 (after the batch's visits, before its merge_flush). */
void tier_flush(struct dedup *d)
{
	unsigned vm = d->cold_vm, i;
	struct dvm *v = &d->vm[vm];

	for (i = 0; i < d->ncold; i++) {
		uint64_t gfn = d->cold[i], frame;
		struct dpage *p = &v->pages[gfn];
		const void *page;
		struct cobj *o;
		uint32_t len, h, handle;
		uint16_t kind = COBJ_LZ4;

		/* Merged at its visit (SHARED), or made writable again by a
		 * merge whose other page had changed (NEW): nothing to do.  An
		 * UNSTABLE page is still write-protected and frozen. */
		if (dp_state(p) != DP_UNSTABLE || d->ops.lookup(d->ops.ctx, vm, gfn, &frame))
			continue;
		/* The batch's invalidate failed: a CPU may still write the frame
		 * through an old translation, so its content is not frozen. */
		if (d->cold_unfrozen)
			goto back;
		page = fptr(d, frame);
		h = page_is_zero(page) ? d->zero_csum : (uint32_t)page_hash(page);
		if (h != p->csum) {
			/* Written after its A/D bits were read, through a translation
			 * cached before the invalidate (the write set no dirty bit we
			 * saw, and write access coming back clears it): not cold
			 * after all, and its checksum is stale: read it anew. */
			unstable_unlink(d, vm, gfn);
			set_state(d, p, DP_NEW, 0);
			goto back;
		}
		if (h == d->zero_csum && page_is_zero(page))
			goto back; /* the zero frame's business, not the pool's */
		len = tier_compress(page, d->cbuf, COBJ_MAX);
		/* More than lz4 keeps: zstd's, if they fit (when the step's
		 * zstd compressions are spent, the page waits for a later
		 * visit, not marked as one that fits neither). */
		if (!len && zstd_on(d)) {
			if (zstd_spent(d))
				goto back;
			d->step_zstd++;
			if ((len = zstd_checked(d, page)) != 0)
				kind = COBJ_ZSTD;
		}
		/* A patch against a similar reference, if it takes a smaller
		 * slot than lz4's (or zstd's) bytes would (tier_patch.c):
		 * stored; or the pool is full, or the step's patch attempts
		 * are spent (the page waits for a later scan, as if never
		 * picked). */
		if (patch_on(d)) {
			int r = patch_try(d, vm, gfn, frame, page, len);
			if (r > 0)
				continue;
			if (r < 0)
				goto back;
		}
		if (!len) {
			v->age[gfn] |= AGE_NOCOMP;
			d->st.compress_rejected++;
			goto back;
		}
		if (cindex_reserve(d) || zpool_alloc(d->pool, (uint32_t)sizeof(*o) + len, &handle)) {
			d->pool_full = 1;
			d->st.compress_enomem++;
			goto back;
		}
		o = zpool_ptr(d->pool, handle);
		*o = (struct cobj){ .len = (uint16_t)len, .kind = kind, .next = DP_NIL };
		memcpy(o + 1, d->cbuf, len);
		tier_store(d, vm, gfn, frame, handle); /* 4, then 5 and 6 */
		v->compressed++;
		v->cbytes += len;
		v->cslots += zpool_slot_size(d->pool, handle);
		d->st.compressions++;
		if (kind == COBJ_ZSTD) {
			d->nzstd++;
			d->zbytes += len;
			d->st.zstd_direct++;
		}
		continue;
back:
		d->ops.map(d->ops.ctx, vm, gfn, frame, true); /* replaces a mapping: cannot fail */
	}
	d->ncold = 0;
}

/* Steps 4-6 for frozen page (vm, gfn) on frame, whose object is pool
 * object handle (its checksum already the frozen content's): out of the
 * unstable index, COMPRESSED, in the compressed index, unmapped; its frame
 * freed after the batch's invalidate (merge_flush). */
void tier_store(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, uint32_t handle)
{
	unstable_unlink(d, vm, gfn);
	set_state(d, &d->vm[vm].pages[gfn], DP_COMPRESSED, handle);
	cindex_insert(d, vm, gfn);
	d->ops.unmap(d->ops.ctx, vm, gfn);   /* 4 */
	merge_pend_free(d, vm, frame);        /* 5 and 6 */
}

/* The content of compressed or patched page (vm, gfn) into dst, checked:
 * 0, or DEDUP_EIO (counted) when its object is damaged. */
int tier_read(struct dedup *d, unsigned vm, uint64_t gfn, void *dst)
{
	const struct dpage *p = &d->vm[vm].pages[gfn];
	const struct cobj *o = cobj_of(d, p);
	int bad = !o || o->len == 0 || sizeof(*o) + o->len > zpool_slot_size(d->pool, dp_handle(p));

	if (!bad && o->kind == COBJ_DELTA)
		bad = patch_read(d, p, o, dst) != 0;
	else if (!bad)
		bad = (o->kind == COBJ_ZSTD ? tier_zstd_decompress(o + 1, o->len, dst)
		       : o->kind != COBJ_LZ4 || tier_decompress(o + 1, o->len, dst)) ||
		      (uint32_t)page_hash(dst) != p->csum;
	if (bad) {
		d->st.tier_corrupt++;
		return DEDUP_EIO;
	}
	return 0;
}

/* Forgets pooled page (vm, gfn)'s object: out of the compressed index,
 * back to the pool, and a patch's pin on its reference released.  The
 * caller then gives the page its new state. */
void tier_drop(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dvm *v = &d->vm[vm];
	const struct dpage *p = &v->pages[gfn];
	const struct cobj *o = cobj_of(d, p);
	uint32_t slot = zpool_slot_size(d->pool, dp_handle(p)), ref = DP_NIL;

	cindex_unlink(d, vm, gfn);
	if (o->kind == COBJ_DELTA) {
		ref = cobj_ref(o);
		v->patched--;
		v->pbytes -= o->len;
		v->pslots -= slot;
		d->npatched--;
	} else {
		v->compressed--;
		v->cbytes -= o->len;
		v->cslots -= slot;
		if (o->kind == COBJ_ZSTD) {
			d->nzstd--;
			d->zbytes -= o->len;
		}
	}
	zpool_free(d->pool, dp_handle(p));
	d->pool_full = 0;
	if (ref != DP_NIL)
		patch_unpin(d, ref);
}

/* Pooled (vm, gfn) back on a frame of its own, read-write, NEW; *kind
 * says what its object was (COBJ_*). */
static int fault_in(struct dedup *d, unsigned vm, uint64_t gfn, int *kind)
{
	struct dpage *p = &d->vm[vm].pages[gfn];
	uint64_t nf;
	int r;

	*kind = cobj_of(d, p) ? cobj_of(d, p)->kind : COBJ_LZ4;

	if (d->ops.frame_alloc(d->ops.ctx, &nf)) {
		d->st.fault_enomem++;
		return DEDUP_ENOMEM;
	}
	if ((r = tier_read(d, vm, gfn, fptr(d, nf))) ||
	    (r = d->ops.map(d->ops.ctx, vm, gfn, nf, true) ? DEDUP_ENOMEM : 0)) {
		d->ops.frame_free(d->ops.ctx, nf);
		if (r == DEDUP_ENOMEM)
			d->st.fault_enomem++;
		return r;
	}
	tier_drop(d, vm, gfn);
	set_state(d, p, DP_NEW, 0);
	d->vm[vm].age[gfn] = 0; /* accessed now */
	return 0;
}

int dedup_fault_in(struct dedup *d, unsigned vm, uint64_t gfn)
{
	int r, kind;

	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages || gfn >= d->vm[vm].npages)
		return DEDUP_EINVAL;
	if (d->vm[vm].same && dp_state(&d->vm[vm].pages[gfn]) == DP_SHARED)
		return same_access(d, vm, gfn, false); /* a fused page (same.c) */
	if (dp_state(&d->vm[vm].pages[gfn]) != DP_COMPRESSED)
		return 0;
	r = fault_in(d, vm, gfn, &kind);
	if (r == 0 && kind == COBJ_DELTA) {
		d->vm[vm].rebuilds++;
		d->st.rebuilds++;
	} else if (r == 0) {
		d->vm[vm].faults++;
		d->st.decompressions++;
		d->st.zstd_faults += kind == COBJ_ZSTD;
		d->vm[vm].zfaults += kind == COBJ_ZSTD;
	}
	return r;
}

/*
 * The visit of a compressed page (scan.c): it cannot have changed, but a
 * twin may have appeared since it was compressed.  A shared frame with its
 * content: it is mapped there read-only and its object freed (both are
 * frozen: no invalidate, and nothing to allocate).  Another compressed
 * page with its checksum (both stayed compressed because their merge once
 * lacked memory): it is brought back and merged as a candidate, which
 * finds the other in the compressed index.
 */
void tier_visit(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dvm *v = &d->vm[vm];
	struct dpage *p = &v->pages[gfn];
	uint32_t id, l, csum = p->csum;
	int have = 0;
	uint64_t frame;

	for (id = d->sheads ? d->sheads[csum & d->smask] : DP_NIL; id != DP_NIL; id = d->sf[id].next) {
		const struct sframe *s = &d->sf[id];
		if (s->csum != csum || s->domain != v->domain || (s->flags & SF_ZERO))
			continue; /* (a compressed page is never zero) */
		if (!have && tier_read(d, vm, gfn, d->scratch))
			return;
		have = 1;
		if (!page_equal(d->scratch, fptr(d, s->frame))) {
			d->st.hash_collisions++;
			continue;
		}
		if (sharers_reserve(d, 1) || d->ops.map(d->ops.ctx, vm, gfn, s->frame, false))
			return; /* no memory now: the next visit tries again */
		tier_drop(d, vm, gfn);
		sharers_add(d, id, vm);
		set_state(d, p, DP_SHARED, id);
		d->st.merges++;
		d->st.tier_merges++;
		return;
	}
	for (l = cindex_first(d, csum); l != DP_NIL; l = cindex_next(d, l)) {
		unsigned qvm = link_vm(l);
		uint64_t qgfn = link_gfn(l);
		if ((qvm == vm && qgfn == gfn) || d->vm[qvm].pages[qgfn].csum != csum ||
		    d->vm[qvm].domain != v->domain)
			continue;
		if (fault_in(d, vm, gfn, &have) || d->ops.lookup(d->ops.ctx, vm, gfn, &frame))
			return;
		v->age[gfn] = AGE_MAX; /* not an access: it stays idle */
		merge_candidate(d, vm, gfn, frame, csum);
		return;
	}
	if (zstd_on(d) && cobj_of(d, p)->kind == COBJ_LZ4 && !(v->age[gfn] & AGE_NOCOMP) &&
	    tier_on(d) && !zstd_spent(d) &&
	    age_idle_ticks(d, v, v->age[gfn], d->st.full_scans) >= d->knobs.zstd_ticks)
		recompress(d, vm, gfn);
}

/*
 * lz4's object of compressed page (vm, gfn), idle for zstd_ticks, remade
 * in zstd's format if that takes a smaller slot (see the top).  The page's
 * state, checksum and compressed-index link stay; only its object changes.
 */
static void recompress(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dvm *v = &d->vm[vm];
	struct dpage *p = &v->pages[gfn];
	uint32_t old = dp_handle(p), slot = zpool_slot_size(d->pool, old), len, handle;
	struct cobj *o, *n;

	d->step_picked++;
	d->step_zstd++;
	if (tier_read(d, vm, gfn, d->scratch))
		return; /* damaged (counted): its fault will stop the VM */
	len = zstd_checked(d, d->scratch);
	if (!len || zpool_class_slot(zpool_class_of((uint32_t)sizeof(*n) + len)) >= slot) {
		v->age[gfn] |= AGE_NOCOMP; /* not again until it is brought back */
		d->st.zstd_kept++;
		return;
	}
	if (zpool_alloc(d->pool, (uint32_t)sizeof(*n) + len, &handle)) {
		d->pool_full = 1;
		d->st.compress_enomem++;
		return;
	}
	n = zpool_ptr(d->pool, handle);
	o = cobj_of(d, p); /* after the alloc: the pool's records may have moved */
	*n = (struct cobj){ .len = (uint16_t)len, .kind = COBJ_ZSTD, .next = o->next };
	memcpy(n + 1, d->cbuf, len);
	v->cbytes = v->cbytes - o->len + len;
	v->cslots = v->cslots - slot + zpool_slot_size(d->pool, handle);
	set_state(d, p, DP_COMPRESSED, handle);
	zpool_free(d->pool, old);
	d->nzstd++;
	d->zbytes += len;
	d->st.zstd_recompressed++;
}

/* ---- readers and figures ---- */

const void *dedup_page_read(struct dedup *d, unsigned vm, uint64_t gfn, void *buf)
{
	uint64_t frame;

	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages || gfn >= d->vm[vm].npages)
		return NULL;
	if (dp_state(&d->vm[vm].pages[gfn]) == DP_COMPRESSED)
		return tier_read(d, vm, gfn, buf) ? NULL : buf;
	if (d->vm[vm].same && dp_state(&d->vm[vm].pages[gfn]) == DP_SHARED)
		return same_page(d, vm, gfn); /* fused: not present, its frame the engine's */
	if (d->ops.lookup(d->ops.ctx, vm, gfn, &frame))
		return NULL;
	return fptr(d, frame);
}

uint64_t dedup_tier_check(struct dedup *d, uint64_t *bad)
{
	uint64_t n = 0, g;
	unsigned vm;

	*bad = 0;
	for (vm = 0; vm < DEDUP_MAX_VMS; vm++)
		for (g = 0; d->vm[vm].pages && g < d->vm[vm].npages; g++)
			if (dp_state(&d->vm[vm].pages[g]) == DP_COMPRESSED) {
				n++;
				*bad += tier_read(d, vm, g, d->scratch) != 0;
			}
	return n;
}

int dedup_vm_set_tier_max(struct dedup *d, unsigned vm, uint64_t max_pages)
{
	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages)
		return DEDUP_ENOENT;
	d->vm[vm].tier_max = max_pages;
	return 0;
}

unsigned dedup_tier_classes(void)
{
	return ZPOOL_NCLASSES;
}

void dedup_tier_class(const struct dedup *d, unsigned cls, struct dedup_tier_class *c)
{
	struct zpool_class_stats z;
	zpool_get_class(d->pool, cls, &z);
	*c = (struct dedup_tier_class){ z.slot, z.per_frame, z.objects, z.frames };
}

/*
 * The tier's metadata at its worst, for P tracked pages and a pool capped
 * at F frames: the compressed index, a bucket per compressed page at most
 * (< 2 per page after a doubling), old and new at once while it doubles:
 * < 3 x 4 B x P; the pool's records (zpool_metadata_max(F)); the scratch
 * and zcheck pages (zstd's contexts are static: tier/zstd_page.c).  The
 * page word and age byte are dedup_metadata_max()'s.
 */
uint64_t dedup_tier_metadata_max(uint64_t pages, uint64_t pool_max_frames)
{
	return 12 * (pages + 64) + zpool_metadata_max(pool_max_frames) + 2 * DEDUP_PAGE_SIZE;
}
