/*
 * cow.c - copy-on-write break: a guest wrote to a shared page.
 *
 * Called from the EPT-violation exit, so it is a hot path: no printing, no
 * allocation but the one frame, and O(1) whatever the number of sharers
 * (the sharer table gives this VM's count directly; no list is walked).
 * The mirror image of the merge:
 *
 *   last sharer (refs == 1): remap the shared frame itself read-write; it
 *   becomes this page's private frame again.  No copy, and no invalidate:
 *   raising a permission leaves no stale translation that could be wrong.
 *   Not when patches pin the frame (a reference: tier_patch.c): its bytes
 *   must stay as they are, so the last sharer copies too.
 *
 *   otherwise: allocate -> copy 4 KiB -> remap read-write to the copy ->
 *   invalidate, so that no other vCPU of this VM still reads the shared
 *   frame through an old translation after this vCPU writes its copy.
 *
 * Without a free frame nothing changes and DEDUP_ENOMEM comes back: the
 * caller makes the vCPU wait and retries (the engine never blocks).  A
 * page the cold tier holds compressed is brought back (tier.c).
 */
#include <string.h>

#include "dedup_internal.h"

int dedup_cow_break(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dvm *v;
	struct dpage *p;
	struct sframe *s;
	uint32_t sfid;
	uint64_t nf;

	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages || gfn >= d->vm[vm].npages)
		return DEDUP_EINVAL;
	v = &d->vm[vm];
	p = &v->pages[gfn];
	if (v->same && dp_state(p) == DP_SHARED) /* copy-on-access, no reuse (same.c) */
		return same_access(d, vm, gfn, true);
	if (dp_state(p) == DP_COMPRESSED) { /* a write to a page the cold tier holds */
		int r = dedup_fault_in(d, vm, gfn);
		if (r == 0)
			v->age[gfn] = AGE_WRITE;
		return r;
	}
	v->age[gfn] = AGE_WRITE; /* written now (its new mapping's D bit is clear) */
	if (dp_state(p) != DP_SHARED) {
		/* Not shared: a fault that raced with an aborted merge, or the
		 * hypervisor about to write the page itself.  Make sure the page
		 * is writable; the write then simply happens.  Remapping clears
		 * the dirty bit, and a hypervisor write sets none: so the page
		 * is NEW again, and its next visit reads it instead of trusting
		 * the checksum stored at the last one. */
		if (d->ops.lookup(d->ops.ctx, vm, gfn, &nf))
			return DEDUP_EINVAL;
		if (dp_state(p) == DP_UNSTABLE && behind_cursor(d, vm, gfn))
			unstable_unlink(d, vm, gfn);
		set_state(d, p, DP_NEW, 0);
		return d->ops.map(d->ops.ctx, vm, gfn, nf, true) ? DEDUP_EIO : 0;
	}
	sfid = dp_index(p);
	s = &d->sf[sfid];
	if (s->refs == 1 && !(s->flags & SF_PINNED)) {
		d->ops.map(d->ops.ctx, vm, gfn, s->frame, true);
		sharers_remove(d, sfid, vm);
		sframe_delete(d, sfid);
		set_state(d, p, DP_NEW, 0);
		d->st.cow_reuses++;
		return 0;
	}
	if (d->ops.frame_alloc(d->ops.ctx, &nf)) {
		d->st.cow_enomem++;
		return DEDUP_ENOMEM;
	}
	memcpy(fptr(d, nf), fptr(d, s->frame), DEDUP_PAGE_SIZE);
	d->ops.map(d->ops.ctx, vm, gfn, nf, true);
	/* Should it fail, a CPU that did not answer may read the shared frame
	 * for this page a while longer: this VM's own view, read-only. */
	(void)d->ops.invalidate(d->ops.ctx, vm);
	sharers_remove(d, sfid, vm);
	set_state(d, p, DP_NEW, 0);
	d->st.cow_breaks++;
	return 0;
}
