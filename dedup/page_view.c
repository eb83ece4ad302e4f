/*
 * page_view.c - what the engine holds one page to be, for a checker outside
 * it: the hypervisor's audit (kernel/sharing_audit.c, dedup.audit = 1)
 * compares it with the EPT and the frame pool after every full scan.
 *
 * Three kinds.  A private page (NEW, SEEN, UNSTABLE) has a frame of its own,
 * mapped writable or write-protected (a merge under way, the cold tier's
 * pick).  A shared page maps its shared frame read-only, except in a
 * same-behaviour domain, where it is not mapped at all (same.c: any access
 * faults); the view gives the frame and the checksum the stable index keys
 * it by, so that the checker can verify the frame still holds that content.
 * An absent page is compressed or patched (tier.c, tier_patch.c): nothing
 * is mapped, its content is in the pool.
 */
#include "dedup_internal.h"

int dedup_page_view(const struct dedup *d, unsigned vm, uint64_t gfn, struct dedup_page_view *pv)
{
	const struct dpage *p;
	unsigned st;

	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages || gfn >= d->vm[vm].npages)
		return DEDUP_EINVAL;
	p = &d->vm[vm].pages[gfn];
	st = dp_state(p);
	*pv = (struct dedup_page_view){ .kind = DEDUP_VIEW_PRIVATE };
	if (st == DP_COMPRESSED) {
		pv->kind = DEDUP_VIEW_ABSENT;
	} else if (st == DP_SHARED) {
		const struct sframe *s = &d->sf[dp_index(p)];
		pv->kind = DEDUP_VIEW_SHARED;
		pv->frame = s->frame;
		pv->csum = s->csum;
		pv->zero = (s->flags & SF_ZERO) != 0;
		pv->mapped = !d->vm[vm].same;
	}
	return 0;
}
