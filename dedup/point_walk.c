/*
 * point_walk.c - the walks a measurement point makes, in bounded steps:
 * over the live engine, each VM's working set (its pages in Difference
 * Engine's classes, as dedup_vm_account() counts them) and every
 * compressed page read back against its checksum (as dedup_tier_check()
 * does); over the point's own engine, each VM's account (PSS, private and
 * exclusive frames, as dedup_vm_account() computes them).
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
			const struct cobj *o = cobj_of(d, p);
			bool patch = o && o->kind == COBJ_DELTA;
			bool bad = tier_read(d, w->vm, w->gfn, d->scratch) != 0;
			w->checked++;
			w->bad += bad;
			w->patched += patch;
			w->patch_bad += patch && bad;
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

/*
 * Every registered VM's account, as dedup_vm_account() gives it but the
 * working set, in two walks: the pages (PSS and private frames, a unit a
 * page), then the shared frames (a frame only one VM maps is exclusive to
 * it: a unit a frame, and the sharer lookups to find which).  For an engine
 * that does not change between the steps (the point's own, over contents
 * that stand still); the figures are those of dedup_vm_account() then.
 */
void dedup_account_walk_begin(const struct dedup *d, struct dedup_account_walk *w)
{
	unsigned vm;

	memset(w, 0, sizeof(*w));
	for (vm = 0; vm < DEDUP_MAX_VMS; vm++) {
		const struct dvm *v = &d->vm[vm];
		struct dedup_vm_account *a = &w->acc[vm];
		if (!v->pages)
			continue;
		a->pages = v->npages;
		a->zero = v->zero;
		a->self_sharing = v->self;
		a->domain = v->domain;
		a->compressed = v->compressed;
		a->compressed_bytes = v->cslots;
	}
}

uint64_t dedup_account_walk_step(const struct dedup *d, struct dedup_account_walk *w, uint64_t budget)
{
	uint64_t done = 0;
	unsigned vm;

	if (!budget)
		budget = 1;
	while (!w->done && done < budget) {
		if (w->vm < DEDUP_MAX_VMS) {
			/* The pages, VM by VM. */
			const struct dvm *v = &d->vm[w->vm];
			struct dedup_vm_account *a = &w->acc[w->vm];
			const struct dpage *p;
			if (!v->pages || w->gfn >= v->npages) {
				w->vm++;
				w->gfn = 0;
				continue;
			}
			p = &v->pages[w->gfn++];
			if (dp_state(p) == DP_SHARED) {
				a->pss += DEDUP_PSS_ONE / d->sf[dp_index(p)].refs;
			} else {
				a->pss += DEDUP_PSS_ONE;
				a->private_frames += dp_state(p) != DP_COMPRESSED;
			}
			done++;
			continue;
		}
		if (w->sf < d->sf_top) {
			/* The shared frames: one VM's alone is exclusive to it. */
			const struct sframe *f = &d->sf[w->sf];
			if ((f->flags & SF_USED) && f->refs && f->nvms == 1)
				for (vm = 0; vm < DEDUP_MAX_VMS; vm++)
					if (d->vm[vm].pages && sharers_count(d, w->sf, vm)) {
						w->acc[vm].exclusive_frames++;
						break;
					}
			w->sf++;
			done++;
			continue;
		}
		/* The rest, as dedup_vm_account() derives it. */
		for (vm = 0; vm < DEDUP_MAX_VMS; vm++) {
			struct dedup_vm_account *a = &w->acc[vm];
			if (!d->vm[vm].pages)
				continue;
			a->exclusive_frames += a->private_frames;
			a->pss_cost = a->pss - a->compressed * DEDUP_PSS_ONE +
				      a->compressed_bytes * (DEDUP_PSS_ONE / DEDUP_PAGE_SIZE);
			a->exclusive_bytes = a->exclusive_frames * DEDUP_PAGE_SIZE + a->compressed_bytes;
			a->exclusive_frames += a->compressed;
		}
		w->done = true;
		done++;
	}
	return done;
}
