/*
 * point_walk.c - what a measurement point reads of the live engine, in
 * bounded steps: each VM's working set (its pages in Difference Engine's
 * classes, as dedup_vm_account() counts them) and every compressed page
 * read back against its checksum (as dedup_tier_check() does).
 *
 * A point no longer stops the guests for its counting (the hypervisor's
 * control/points.c): this walk runs between their slices, a step at a
 * time, so each page counts as its step found it - the working set "as of
 * the walk", which begins at the point's instant - and a page compressed
 * or faulted back meanwhile is checked or not as the walk finds it.  The
 * figures that must be exact for the instant are the point's own (its
 * engine over the contents held at that instant); these two describe the
 * live engine beside them.  The cursor is (vm, gfn), as the PSS walk's
 * (account.c): a VM removed or shrunk under it is left, one added behind
 * it is not seen.
 */
#include <string.h>

#include "dedup_internal.h"

/* A compressed page's read-back (lz4 and a hash, ~50,000 instructions)
 * against a page's class (a few dozen): its weight in a step's budget. */
#define READBACK_COST 256

void dedup_point_walk_begin(struct dedup_point_walk *w)
{
	memset(w, 0, sizeof(*w));
}

uint64_t dedup_point_walk_step(struct dedup *d, struct dedup_point_walk *w, uint64_t budget)
{
	uint64_t done = 0;

	if (!budget)
		budget = 1;
	while (w->vm < DEDUP_MAX_VMS && done < budget) {
		const struct dvm *v = &d->vm[w->vm];
		const struct dpage *p;
		unsigned st;

		if (!v->pages || w->gfn >= v->npages) {
			w->vm++;
			w->gfn = 0;
			continue;
		}
		p = &v->pages[w->gfn];
		st = dp_state(p);
		if (st == DP_COMPRESSED) {
			w->ws[w->vm][DEDUP_WS_COLD]++;
			w->checked++;
			w->bad += tier_read(d, w->vm, w->gfn, d->scratch) != 0;
			done += READBACK_COST;
		} else {
			if (d->ops.test_and_clear_ad) {
				/* Its last visit: in the full scan under way if behind the cursor. */
				uint64_t scan = d->st.full_scans - !behind_cursor(d, w->vm, w->gfn);
				w->ws[w->vm][age_class(d, v, v->age[w->gfn], scan)]++;
			}
			done++;
		}
		w->gfn++;
	}
	return done;
}
