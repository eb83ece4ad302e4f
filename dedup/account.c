/*
 * account.c - what each VM costs, at a consistent point: PSS and the frames
 * only it holds (the per-VM accounting of Agarwal's thesis, chapter 6).
 *
 * The counters of stats.c are kept online; these two are not, because they
 * depend on every frame's current number of mappers, which a COW break of
 * one VM changes for all the others.  They are computed on demand by a walk
 * over one VM's pages and the shared frames, O(pages + shared frames), for
 * a measurement point (the hypervisor's `measure`), while nothing runs.
 *
 *   PSS (proportional set size, as Linux's smaps defines it): a frame
 *   mapped n times counts 1/n to each mapping.  Kept in fixed point,
 *   DEDUP_PSS_ONE per page, each mapping adding floor(DEDUP_PSS_ONE / n),
 *   so that the exact recount (recount.c), which adds the same for every
 *   copy of a content found n times, gives the same integer when the
 *   engine's sharing is exactly the ideal.
 *
 *   The working set: its pages in each of Difference Engine's classes
 *   (enum dedup_ws_class), from their age bytes (scan.c), as of now;
 *   compressed pages are cold.
 *
 *   The cold tier: PSS and exclusive frames count a compressed page as one
 *   page - a content only it holds - which is what the recount (reading
 *   contents) finds; pss_cost and exclusive_bytes count it at the pool
 *   slot it takes, which is what it costs.  Frames in use include the
 *   pool's frames.
 *
 *   Exclusive frames: the frames no other VM maps - its private frames
 *   plus the shared (or zero) frames whose every mapping is its own.  This
 *   is what the fleet would give back if the VM left, and what it added
 *   when it joined a converged fleet: the recount's "contents only this VM
 *   has".
 */
#include "dedup_internal.h"

int dedup_vm_account(const struct dedup *d, unsigned vm, struct dedup_vm_account *a)
{
	const struct dvm *v;
	uint64_t g;
	uint32_t i;

	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages)
		return DEDUP_ENOENT;
	v = &d->vm[vm];
	*a = (struct dedup_vm_account){ .pages = v->npages, .zero = v->zero,
					.self_sharing = v->self, .domain = v->domain };
	for (g = 0; g < v->npages; g++) {
		const struct dpage *p = &v->pages[g];
		/* Its last visit: in the full scan under way if behind the cursor. */
		uint64_t scan = d->st.full_scans - !behind_cursor(d, vm, g);
		unsigned st = dp_state(p);
		if (d->ops.test_and_clear_ad)
			a->ws[st == DP_COMPRESSED ? DEDUP_WS_COLD : age_class(d, v, v->age[g], scan)]++;
		if (st == DP_SHARED) {
			a->pss += DEDUP_PSS_ONE / d->sf[dp_index(p)].refs;
		} else {
			a->pss += DEDUP_PSS_ONE;
			a->private_frames += st != DP_COMPRESSED;
		}
	}
	a->exclusive_frames = a->private_frames;
	for (i = 0; i < d->sf_top; i++) {
		const struct sframe *f = &d->sf[i];
		if ((f->flags & SF_USED) && f->refs && f->nvms == 1 && sharers_count(d, i, vm))
			a->exclusive_frames++;
	}
	/* The cold tier: a compressed page is one content (the recount's
	 * view), and costs its slot (PSS_ONE / 4096 per byte: exact). */
	a->compressed = v->compressed;
	a->compressed_bytes = v->cslots;
	a->pss_cost = a->pss - v->compressed * DEDUP_PSS_ONE + v->cslots * (DEDUP_PSS_ONE / DEDUP_PAGE_SIZE);
	a->exclusive_bytes = a->exclusive_frames * DEDUP_PAGE_SIZE + v->cslots;
	a->exclusive_frames += v->compressed;
	return 0;
}

uint64_t dedup_frames_in_use(const struct dedup *d)
{
	struct zpool_stats zs;
	uint64_t n = 0;
	unsigned v;
	uint32_t i;

	zpool_get_stats(d->pool, &zs);
	n += zs.frames; /* the cold tier's pool */
	for (v = 0; v < DEDUP_MAX_VMS; v++)
		if (d->vm[v].pages)
			n += d->vm[v].npages - d->vm[v].merged - d->vm[v].compressed;
	for (i = 0; i < d->sf_top; i++)
		if ((d->sf[i].flags & SF_USED) && d->sf[i].refs)
			n++;
	return n;
}
