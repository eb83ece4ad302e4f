/*
 * stats.c - the engine's counters, in KSM's words where KSM has the concept.
 *
 * Most counters are kept up to date as pages change state (sharers.c,
 * index.c); this file derives the rest: pages_unshared and pages_volatile
 * from the per-state page counts, metadata from the sizes of the arrays,
 * general_profit = bytes saved - metadata bytes (KSM's definition); and
 * the cold tier's figures from the pool and the VMs' counts.
 */
#include "dedup_internal.h"

uint64_t dedup_metadata_bytes(const struct dedup *d)
{
	uint64_t b = sizeof(*d);
	unsigned v;
	for (v = 0; v < DEDUP_MAX_VMS; v++)
		b += d->vm[v].npages * (sizeof(struct dpage) + 1); /* and its age byte */
	b += (uint64_t)(d->umask + 1) * sizeof(uint32_t);
	if (d->sheads)
		b += (uint64_t)(d->smask + 1) * sizeof(uint32_t);
	b += (uint64_t)d->sf_cap * sizeof(struct sframe);
	if (d->cnt)
		b += (uint64_t)(d->cnt_mask + 1) * sizeof(struct sharer);
	if (d->cheads)
		b += (uint64_t)(d->cmask + 1) * sizeof(uint32_t);
	b += patch_metadata_bytes(d); /* the similarity index, the encoder's tables */
	{
		struct zpool_stats z;
		zpool_get_stats(d->pool, &z);
		b += z.metadata_bytes + 2 * DEDUP_PAGE_SIZE; /* and the scratch and zcheck pages */
	}
	return b + same_metadata_bytes(d);
}

/*
 * The most heap the engine can hold at once for `pages` tracked pages.
 * P = pages; shared frames S <= P + DEDUP_MAX_VMS: a frame left with one
 * mapping by a COW break stays in the stable index (cow.c deletes it only
 * when its last sharer breaks), so S is bounded by the mappings, not by
 * half of them, plus a zero frame per domain:
 *   page array         8 B x P                          (struct dpage)
 *   age bytes          1 B x P                          (the working set)
 *   unstable buckets   < 2 x P/4 x 4 B, old + new during a resize: 4 B x P
 *   shared frames      cap < 2S slots of 24 B, realloc'd: old + new < 3S
 *                      -> 72 B x P
 *   stable buckets     < 2S of 4 B, rebuilt: old + new < 3S -> 12 B x P
 *   sharer counts      (frame, VM) pairs <= P, at most 70% full, doubled:
 *                      old + new < 1.5 x 2P/0.7 slots of 8 B -> 35 B x P
 * = 132 B x P, plus the struct itself.  Measured use is ~11 B x P (make
 * bench); the bound is what a heap must be sized for.
 */
uint64_t dedup_metadata_max(uint64_t pages)
{
	uint64_t p = pages + DEDUP_MAX_VMS;
	return sizeof(struct dedup) + p * (sizeof(struct dpage) + 1 + 4 + 72 + 12 + 35);
}

void dedup_get_stats(const struct dedup *d, struct dedup_stats *s)
{
	struct zpool_stats z;
	unsigned v;

	*s = d->st;
	zpool_get_stats(d->pool, &z);
	s->pages_compressed = d->n_state[DP_COMPRESSED] - d->npatched;
	s->pages_patched = d->npatched;
	s->pool_frames = z.frames;
	s->compressed_bytes = s->compressed_slots = s->patch_bytes = s->patch_slots = 0;
	for (v = 0; v < DEDUP_MAX_VMS; v++) {
		s->compressed_bytes += d->vm[v].cbytes;
		s->compressed_slots += d->vm[v].cslots;
		s->patch_bytes += d->vm[v].pbytes;
		s->patch_slots += d->vm[v].pslots;
	}
	s->pages_zstd = d->nzstd;
	s->zstd_bytes = d->zbytes;
	s->ref_frames = d->nrefs;
	s->ref_unmapped = d->nrefs_unmapped;
	s->pages_unshared = d->n_state[DP_UNSTABLE];
	s->pages_volatile = d->n_state[DP_SEEN];
	s->pages_new = d->n_state[DP_NEW];
	same_get_stats(d, s);
	s->metadata_bytes = dedup_metadata_bytes(d);
	/* Bytes saved: by sharing, and by the tier (its pages less its frames,
	 * and less the references no page maps any more). */
	s->general_profit = (int64_t)(s->frames_saved * DEDUP_PAGE_SIZE) +
			    ((int64_t)(s->pages_compressed + s->pages_patched) - (int64_t)z.frames -
			     (int64_t)s->ref_unmapped) * DEDUP_PAGE_SIZE -
			    (int64_t)s->metadata_bytes;
}

int dedup_get_vm_stats(const struct dedup *d, unsigned vm, struct dedup_vm_stats *s)
{
	const struct dvm *v;
	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages)
		return DEDUP_ENOENT;
	v = &d->vm[vm];
	*s = (struct dedup_vm_stats){ .pages = v->npages, .zero = v->zero, .merged = v->merged,
				      .self_sharing = v->self, .domain = v->domain,
				      .compressed = v->compressed, .compressed_bytes = v->cslots,
				      .decompressions = v->faults, .zstd_faults = v->zfaults,
				      .same = v->same,
				      .patched = v->patched, .patch_bytes = v->pslots,
				      .rebuilds = v->rebuilds };
	return 0;
}
