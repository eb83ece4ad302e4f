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
 *   The cold tier: PSS and exclusive frames count a compressed or patched
 *   page as one page - a content only it holds - which is what the
 *   recount (reading contents) finds; pss_cost and exclusive_bytes count
 *   it at the pool slot it takes, which is what it costs.  A reference
 *   frame (tier_patch.c) is divided, in pss_cost, among its M mappings
 *   and the P patches that pin it: 1/(M + P) each, a patched page paying
 *   its share beside its slot (dedup.h, struct dedup_vm_account).  Frames
 *   in use include the pool's frames and the references no page maps.
 *
 *   Exclusive frames: the frames no other VM maps - its private frames
 *   plus the shared (or zero) frames whose every mapping is its own.  This
 *   is what the fleet would give back if the VM left, and what it added
 *   when it joined a converged fleet: the recount's "contents only this VM
 *   has".
 *
 * Why PSS is walked rather than kept online: a merge or COW break changes
 * one frame's number of mappers, and with it the PSS of every VM mapping
 * that frame; a domain's zero frame is mapped by every VM of the domain,
 * so each COW break of a zero page (the commonest fault) would update every
 * VM, and the COW break would no longer cost the same whatever the
 * sharers.  A front end that serves PSS often (the API) walks it in
 * bounded steps instead (dedup_pss_walk_step) and says how old it is.
 */
#include "dedup_internal.h"

/* The sums of v's pages [from, to): PSS, DEDUP_PSS_ONE a page (a
 * compressed or patched page too: one content only it holds); the cost
 * PSS (pooled pages at their slots, a reference frame divided among its
 * mappings and pins, a patched page paying its share: dedup.h); of that,
 * the patched pages' shares of their references; the pages on a frame of
 * their own. */
struct sums { uint64_t pss, cost, ref_share, priv; };

static uint32_t sharers_and_pins(const struct dedup *d, uint32_t sfid)
{
	return d->sf[sfid].refs + pins_of(d, sfid);
}

static void pss_range(const struct dedup *d, const struct dvm *v, uint64_t from, uint64_t to,
		      struct sums *r)
{
	uint64_t g;

	for (g = from; g < to; g++) {
		const struct dpage *p = &v->pages[g];
		const struct cobj *o;
		uint32_t sfid;
		switch (dp_state(p)) {
		case DP_SHARED:
			sfid = dp_index(p);
			r->pss += DEDUP_PSS_ONE / d->sf[sfid].refs;
			r->cost += DEDUP_PSS_ONE / sharers_and_pins(d, sfid);
			break;
		case DP_COMPRESSED:
			o = cobj_of(d, p);
			r->pss += DEDUP_PSS_ONE;
			r->cost += (uint64_t)zpool_slot_size(d->pool, dp_handle(p)) *
				   (DEDUP_PSS_ONE / DEDUP_PAGE_SIZE);
			if (o->kind == COBJ_DELTA) {
				uint64_t share = DEDUP_PSS_ONE / sharers_and_pins(d, cobj_ref(o));
				r->cost += share;
				r->ref_share += share;
			}
			break;
		default:
			r->pss += DEDUP_PSS_ONE;
			r->cost += DEDUP_PSS_ONE;
			r->priv++;
		}
	}
}

int dedup_vm_account(const struct dedup *d, unsigned vm, struct dedup_vm_account *a)
{
	const struct dvm *v;
	struct sums r = { 0, 0, 0, 0 };
	uint64_t g;
	uint32_t i;

	if (vm >= DEDUP_MAX_VMS || !d->vm[vm].pages)
		return DEDUP_ENOENT;
	v = &d->vm[vm];
	*a = (struct dedup_vm_account){ .pages = v->npages, .zero = v->zero,
					.self_sharing = v->self, .domain = v->domain };
	pss_range(d, v, 0, v->npages, &r);
	a->pss = r.pss;
	a->private_frames = r.priv;
	if (d->ops.test_and_clear_ad)
		for (g = 0; g < v->npages; g++) {
			/* Its last visit: in the full scan under way if behind the cursor. */
			uint64_t scan = d->st.full_scans - !behind_cursor(d, vm, g);
			unsigned st = dp_state(&v->pages[g]);
			a->ws[st == DP_COMPRESSED ? DEDUP_WS_COLD : age_class(d, v, v->age[g], scan)]++;
		}
	a->exclusive_frames = a->private_frames;
	for (i = 0; i < d->sf_top; i++) {
		const struct sframe *f = &d->sf[i];
		if ((f->flags & SF_USED) && f->refs && f->nvms == 1 && sharers_count(d, i, vm))
			a->exclusive_frames++;
	}
	/* The cold tier: a compressed or patched page is one content (the
	 * recount's view), and costs its slot (PSS_ONE / 4096 per byte:
	 * exact); a reference frame is shared by its mappings and pins. */
	a->compressed = v->compressed;
	a->compressed_bytes = v->cslots;
	a->patched = v->patched;
	a->patch_bytes = v->pslots;
	a->pss_cost = r.cost;
	a->ref_share = r.ref_share;
	a->exclusive_bytes = a->exclusive_frames * DEDUP_PAGE_SIZE + v->cslots + v->pslots;
	a->exclusive_frames += v->compressed + v->patched;
	return 0;
}

void dedup_pss_walk_begin(struct dedup_pss_walk *w)
{
	unsigned v;

	w->vm = 0;
	w->gfn = 0;
	w->part = w->part_cost = 0;
	for (v = 0; v < DEDUP_MAX_VMS; v++)
		w->pss[v] = w->cost[v] = w->npages[v] = 0;
}

uint64_t dedup_pss_walk_step(const struct dedup *d, struct dedup_pss_walk *w, uint64_t budget)
{
	uint64_t done = 0;

	if (!budget)
		budget = 1;
	while (w->vm < DEDUP_MAX_VMS && done < budget) {
		const struct dvm *v = &d->vm[w->vm];
		struct sums r = { 0, 0, 0, 0 };
		uint64_t to;

		if (!v->pages || w->gfn > v->npages) {
			/* Not there, or removed (or resized) since its walk began. */
			w->npages[w->vm] = 0;
			w->vm++;
			w->gfn = w->part = w->part_cost = 0;
			continue;
		}
		to = v->npages - w->gfn < budget - done ? v->npages : w->gfn + (budget - done);
		pss_range(d, v, w->gfn, to, &r);
		w->part += r.pss;
		w->part_cost += r.cost;
		done += to - w->gfn;
		w->gfn = to;
		if (w->gfn == v->npages) {
			w->pss[w->vm] = w->part;
			w->cost[w->vm] = w->part_cost;
			w->npages[w->vm] = v->npages;
			w->vm++;
			w->gfn = w->part = w->part_cost = 0;
		}
	}
	return done;
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
			n += d->vm[v].npages - d->vm[v].merged - d->vm[v].compressed - d->vm[v].patched;
	for (i = 0; i < d->sf_top; i++) /* (a reference no page maps: its patches') */
		if ((d->sf[i].flags & SF_USED) && (d->sf[i].refs || (d->sf[i].flags & SF_PINNED)))
			n++;
	return n + same_frames_held(d); /* same-behaviour domains' pool and the like */
}
