/*
 * vm.c - the engine's lifetime and its VMs' registration.
 *
 * Adding a VM allocates its page array (8 bytes a page) and age bytes (1 a
 * page; registration counts as an access) and either clears every page's
 * accessed and dirty bits (its memory is mapped already: from now on a
 * clean page is an unchanged page) or maps every page read-only to the domain's
 * zero frame (lazy memory: nothing is allocated until the guest writes).
 * Removing a VM first unmaps its shared and zero pages and invalidates, and
 * only then drops its references, freeing frames nobody maps any more: a
 * frame is never freed while a stale translation could still reach it.  If
 * that invalidate fails (a CPU did not answer: dedup_ops.h) the VM is
 * removed all the same, but frees nothing: DEDUP_EBUSY tells the caller to
 * keep its private frames too.
 * Its compressed pages' objects go back to the pool (they are not mapped),
 * its patches release their references, and a frame of its that patches
 * still pin stays, the engine's, until they go (tier_patch.c).
 *
 * The engine makes its cold tier's pool at once (empty, its cap the knob's)
 * over the same frame ops, and a scratch page for what it decompresses to
 * compare or read.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup_internal.h"

static void *pool_frame_ptr(void *ctx, uint64_t f)
{
	const struct dedup *d = ctx;
	return d->ops.frame_ptr(d->ops.ctx, f);
}

static int pool_frame_alloc(void *ctx, uint64_t *f)
{
	const struct dedup *d = ctx;
	return (d->ops.frame_alloc_pool ? d->ops.frame_alloc_pool : d->ops.frame_alloc)(d->ops.ctx, f);
}

static void pool_frame_free(void *ctx, uint64_t f)
{
	const struct dedup *d = ctx;
	d->ops.frame_free(d->ops.ctx, f);
}

struct dedup *dedup_create(const struct dedup_ops *ops, const struct dedup_knobs *knobs)
{
	static const unsigned char zero[DEDUP_PAGE_SIZE];
	struct dedup *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	struct zpool_ops zo = { pool_frame_ptr, pool_frame_alloc, pool_frame_free, d };

	d->ops = *ops;
	d->knobs = *knobs;
	d->sf_free = DP_NIL;
	d->zero_csum = (uint32_t)page_hash(zero);
	unstable_reset(d);
	d->pool = zpool_create(&zo, knobs->pool_max_frames);
	d->scratch = malloc(DEDUP_PAGE_SIZE); /* read by memcmp, XXH3 and lz4: any alignment */
	d->zcheck = malloc(DEDUP_PAGE_SIZE);
	if (!d->uheads || !d->pool || !d->scratch || !d->zcheck) {
		free(d->uheads);
		zpool_destroy(d->pool);
		free(d->scratch);
		free(d->zcheck);
		free(d);
		return NULL;
	}
	return d;
}

void dedup_destroy(struct dedup *d)
{
	unsigned v;
	if (!d)
		return;
	merge_flush(d);
	same_fini(d);
	for (v = 0; v < DEDUP_MAX_VMS; v++) {
		free(d->vm[v].pages);
		free(d->vm[v].age);
	}
	free(d->uheads);
	free(d->sheads);
	free(d->sf);
	free(d->cnt);
	free(d->cheads);
	zpool_destroy(d->pool);
	patch_free(d);
	free(d->scratch);
	free(d->zcheck);
	free(d);
}

struct dedup_knobs *dedup_knobs(struct dedup *d)
{
	return &d->knobs;
}

/* The domain's zero frame, made if it has none.  DP_NIL when out of memory. */
static uint32_t zero_frame(struct dedup *d, uint16_t domain)
{
	uint32_t id = stable_find_zero(d, domain);
	uint64_t f;

	if (id != DP_NIL)
		return id;
	if (sframe_reserve(d) || d->ops.frame_alloc(d->ops.ctx, &f))
		return DP_NIL;
	memset(fptr(d, f), 0, DEDUP_PAGE_SIZE);
	return sframe_new(d, f, d->zero_csum, domain, 1);
}

int dedup_vm_add(struct dedup *d, unsigned vm, uint64_t npages, uint16_t domain, bool lazy_zero)
{
	struct dvm *v;
	uint32_t zid = DP_NIL;
	uint64_t g;
	bool same = dedup_domain_is_same(d, domain);

	if (vm >= DEDUP_MAX_VMS || npages == 0 || npages > DEDUP_MAX_PAGES)
		return DEDUP_EINVAL;
	v = &d->vm[vm];
	if (v->pages)
		return DEDUP_EEXIST;
	v->pages = calloc(npages, sizeof(*v->pages)); /* all DP_NEW */
	v->age = calloc(npages, 1);                   /* all just accessed */
	if (!v->pages || !v->age) {
		free(v->pages);
		free(v->age);
		v->pages = NULL;
		v->age = NULL;
		return DEDUP_ENOMEM;
	}
	if (lazy_zero) {
		zid = zero_frame(d, domain);
		if (zid == DP_NIL || sharers_reserve(d, 1)) {
			if (zid != DP_NIL && d->sf[zid].refs == 0) {
				d->ops.frame_free(d->ops.ctx, d->sf[zid].frame);
				sframe_delete(d, zid);
			}
			free(v->pages);
			free(v->age);
			v->pages = NULL;
			v->age = NULL;
			return DEDUP_ENOMEM;
		}
		/* A same-behaviour domain maps none of its shared frames (same.c):
		 * its pages stay not present, fused to the zero frame. */
		for (g = 0; !same && g < npages; g++) {
			if (d->ops.map(d->ops.ctx, vm, g, d->sf[zid].frame, false)) {
				/* Out of EPT table pages: undo what was mapped. */
				while (g--)
					d->ops.unmap(d->ops.ctx, vm, g);
				if (d->sf[zid].refs == 0) {
					d->ops.frame_free(d->ops.ctx, d->sf[zid].frame);
					sframe_delete(d, zid);
				}
				free(v->pages);
				free(v->age);
				v->pages = NULL;
				v->age = NULL;
				return DEDUP_ENOMEM;
			}
		}
	}
	v->npages = npages;
	v->domain = domain;
	v->same = same;
	v->added = d->now;
	v->zero = v->merged = v->self = 0;
	v->compressed = v->cbytes = v->cslots = v->faults = 0;
	v->patched = v->pbytes = v->pslots = v->rebuilds = 0;
	v->tier_max = UINT64_MAX;
	d->n_state[DP_NEW] += npages;
	d->st.pages_tracked += npages;
	if (lazy_zero) {
		for (g = 0; g < npages; g++) {
			sharers_add(d, zid, vm);
			set_state(d, &v->pages[g], DP_SHARED, zid);
		}
	} else if (d->ops.test_and_clear_ad) {
		for (g = 0; g < npages; g++)
			d->ops.test_and_clear_ad(d->ops.ctx, vm, g);
		/* Should it fail, a page written through an old translation may
		 * look unchanged: its merge's own invalidate fails then too. */
		(void)d->ops.invalidate(d->ops.ctx, vm);
	}
	return 0;
}

int dedup_vm_remove(struct dedup *d, unsigned vm)
{
	struct dvm *v;
	uint64_t g;
	int failed;

	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages)
		return DEDUP_ENOENT;
	merge_flush(d); /* no frame of this VM may wait in the queue */
	same_vm_leaving(d); /* nor in same.c's */
	patch_vm_remove(d, vm);
	v = &d->vm[vm];
	for (g = 0; g < v->npages; g++) {
		struct dpage *p = &v->pages[g];
		if (dp_state(p) == DP_SHARED)
			d->ops.unmap(d->ops.ctx, vm, g);
		else if (dp_state(p) == DP_UNSTABLE && behind_cursor(d, vm, g))
			unstable_unlink(d, vm, g);
		else if (dp_state(p) == DP_COMPRESSED)
			tier_drop(d, vm, g); /* not mapped: nothing to invalidate */
	}
	failed = d->ops.invalidate(d->ops.ctx, vm);
	for (g = 0; g < v->npages; g++) {
		struct dpage *p = &v->pages[g];
		if (dp_state(p) == DP_SHARED) {
			uint32_t sfid = dp_index(p);
			if (sharers_remove(d, sfid, vm) == 0 && (d->sf[sfid].flags & SF_PINNED)) {
				if (failed) /* kept for patches: never freed */
					d->sf[sfid].flags |= SF_STALE;
			} else if (d->sf[sfid].refs == 0) {
				if (failed)
					d->withheld++;
				else
					d->ops.frame_free(d->ops.ctx, d->sf[sfid].frame);
				sframe_delete(d, sfid);
			}
		}
		d->n_state[dp_state(p)]--;
	}
	d->st.pages_tracked -= v->npages;
	if (d->cur_vm == vm && d->cur_gfn > 0) { /* mid-VM: the cursor moves on */
		d->cur_vm++;
		d->cur_gfn = 0;
	}
	free(v->pages);
	free(v->age);
	memset(v, 0, sizeof(*v));
	return failed ? DEDUP_EBUSY : 0;
}
