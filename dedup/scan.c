/*
 * scan.c - the scanner: visit pages in cursor order, decide candidates,
 * and keep each page's age (the working set).
 *
 * The cursor walks VM slots in order and each VM's pages by gfn; wrapping
 * completes a full scan, and the next one starts with an empty unstable
 * index.  Pages go in batches of up to 64 within one VM: first every
 * page's accessed and dirty bits are read and cleared (one walk each),
 * then one invalidate makes the clears take effect (a CPU may cache a
 * translation whose bits are set and would not set them again), and only
 * then are the pages read, so an access after the invalidate sets the bits
 * again and a write before it is in what we read.  One invalidate per 64
 * pages, not per page.
 *
 * A visit: shared pages are skipped (they are read-only: unchanged by
 * definition); a compressed page looks for a twin (tier.c).  Otherwise the
 * page is unchanged since the last visit if its
 * dirty bit was clear, or, without A/D bits, if its checksum is the one
 * stored at the last visit.  A clean page with a stored checksum is not
 * even read.  Changed pages get a new checksum and wait for the next scan
 * (volatile); unchanged ones are merge candidates (merge.c).
 *
 * The working set (Difference Engine's clock, Gupta et al., OSDI 2008,
 * section 4.4).  Every visited page's accessed bit is read too, shared and
 * zero pages included (what that costs: make bench's instructions per
 * page), and kept in its age byte: the visits in a row that found it not
 * accessed.  How seconds become scans: the caller stamps each full scan's
 * start with its clock (dedup_clock), and a page whose age is a at a visit
 * in full scan s was last seen accessed at its visit in scan s - a, so it
 * has been idle at least since scan s - a + 1 began; it is cold when that
 * is knobs.cold_ticks ago.  A threshold given in scans instead would be
 * right only at the scan rate it was derived from, and the rate changes
 * (the governor follows the memory, the CPU cap stretches scans, the
 * console sets a fixed rate); with the stamps the bound holds at any rate,
 * and a slower scan only makes a page wait longer than it must.
 *
 * The cold tier rides on the batch (tier.c): while the A/D bits are read,
 * cold private pages are write-protected (tier_pick), so the batch's one
 * invalidate also freezes them; after the visits, those still unmerged are
 * compressed (tier_flush), and their frames freed with the merges' after
 * merge_flush's invalidate.
 */
#include "dedup_internal.h"

#define BATCH 64

/* The working-set class of VM v's page with this age byte, last visited in
 * full scan `scan` (the one under way for a page behind the cursor). */
unsigned age_class(const struct dedup *d, const struct dvm *v, uint8_t age, uint64_t scan)
{
	if ((age & AGE_MAX) == 0)
		return age & AGE_WRITE ? DEDUP_WS_WRITTEN : DEDUP_WS_READ;
	if (d->knobs.cold_ticks && age_idle_ticks(d, v, age, scan) >= d->knobs.cold_ticks)
		return DEDUP_WS_COLD;
	return DEDUP_WS_IDLE;
}

/* How long the page has certainly not been accessed (0 for age 0). */
uint64_t age_idle_ticks(const struct dedup *d, const struct dvm *v, uint8_t age, uint64_t scan)
{
	unsigned a = age & AGE_MAX;
	uint64_t since;

	if (a == 0)
		return 0;
	/* Idle since scan - a + 1 began at least (a counts visits, so that scan
	 * is the one the VM was registered in or a later one, and AGE_RING > a),
	 * and since the VM's registration, which counts as an access. */
	since = d->scan_start[(scan - a + 1) % AGE_RING];
	if (since < v->added)
		since = v->added;
	return d->now >= since ? d->now - since : 0;
}

/* A visit's A/D bits into the page's age (ad < 0: no A/D bits, no age); a
 * write clears AGE_NOCOMP: the content changed. */
static void age_update(uint8_t *age, int ad)
{
	if (ad < 0)
		return;
	if (ad & (DEDUP_AD_ACCESSED | DEDUP_AD_DIRTY))
		*age = ad & DEDUP_AD_DIRTY ? AGE_WRITE : (*age & AGE_NOCOMP);
	else if ((*age & AGE_MAX) < AGE_MAX)
		(*age)++;
}

static void visit(struct dedup *d, unsigned vm, uint64_t gfn, int ad)
{
	struct dpage *p = &d->vm[vm].pages[gfn];
	unsigned st = dp_state(p);
	int dirty = ad < 0 ? -1 : (ad & DEDUP_AD_DIRTY) != 0;
	uint64_t frame;
	int unchanged;

	d->st.pages_scanned++;
	if (d->vm[vm].same) { /* a same-behaviour domain: its own rules (same.c) */
		same_visit(d, vm, gfn);
		return;
	}
	if (st == DP_COMPRESSED) {
		tier_visit(d, vm, gfn);
		return;
	}
	if (st == DP_SHARED || d->ops.lookup(d->ops.ctx, vm, gfn, &frame))
		return;
	if (dirty == 0 && st != DP_NEW) {
		unchanged = 1; /* clean: the stored checksum still holds */
	} else {
		const void *page = fptr(d, frame);
		uint32_t h;
		/* Most guest memory is zero; proving a page zero usually costs no
		 * more than hashing it, and a non-zero page fails on its first
		 * words.  Zero pages skip the hash. */
		if (page_is_zero(page)) {
			h = d->zero_csum;
		} else {
			h = (uint32_t)page_hash(page);
			d->st.pages_hashed++;
		}
		if (dirty >= 0)
			unchanged = !dirty; /* NEW and clean: unchanged since it was mapped */
		else
			unchanged = st != DP_NEW && p->csum == h;
		p->csum = h;
	}
	if (!unchanged && !d->knobs.merge_first_sight) {
		set_state(d, p, DP_SEEN, 0);
		return;
	}
	merge_candidate(d, vm, gfn, frame, p->csum);
}

void dedup_clock(struct dedup *d, uint64_t now)
{
	d->now = now;
}

uint64_t dedup_scan(struct dedup *d, uint64_t n)
{
	int ad[BATCH];
	uint64_t done = 0;

	if (d->st.pages_tracked == 0)
		return 0;
	d->step_picked = 0;
	d->step_encodes = 0;
	d->step_zstd = 0;
	if (d->pool)
		zpool_set_max(d->pool, d->knobs.pool_max_frames);
	while (done < n) {
		struct dvm *v;
		uint64_t m, i;

		if (d->scan_visits == 0) {
			unstable_reset(d); /* a new full scan forgets all candidates */
			d->scan_start[d->st.full_scans % AGE_RING] = d->now;
			d->pool_full = 0;  /* and tries the pool again */
		}
		while (d->cur_vm < DEDUP_MAX_VMS && d->cur_gfn >= d->vm[d->cur_vm].npages) {
			d->cur_vm++;
			d->cur_gfn = 0;
		}
		if (d->cur_vm < DEDUP_MAX_VMS) {
			v = &d->vm[d->cur_vm];
			m = v->npages - d->cur_gfn;
			if (m > BATCH) m = BATCH;
			if (m > n - done) m = n - done;
			for (i = 0; i < m; i++)
				ad[i] = -1;
			if (d->ops.test_and_clear_ad) {
				int tier = tier_on(d);
				for (i = 0; i < m; i++) {
					uint64_t g = d->cur_gfn + i;
					ad[i] = d->ops.test_and_clear_ad(d->ops.ctx, d->cur_vm, g);
					age_update(&v->age[g], ad[i]);
					if (tier)
						tier_pick(d, d->cur_vm, g);
				}
				/* A failed one leaves a page written through an old
				 * translation looking unchanged (its merge's own
				 * invalidate fails then too: merge.c), and the cold
				 * pages picked not frozen: tier_flush gives them back. */
				d->cold_unfrozen = d->ops.invalidate(d->ops.ctx, d->cur_vm) != 0;
			}
			for (i = 0; i < m; i++)
				visit(d, d->cur_vm, d->cur_gfn + i, ad[i]);
			tier_flush(d); /* the batch's cold pages still unmerged: compressed */
			d->cur_gfn += m;
			d->scan_visits += m;
			done += m;
			/* Skip empty slots, so the end of the last VM ends the scan. */
			while (d->cur_vm < DEDUP_MAX_VMS && d->cur_gfn >= d->vm[d->cur_vm].npages) {
				d->cur_vm++;
				d->cur_gfn = 0;
			}
		}
		merge_flush(d); /* the batch's merges: one invalidate per VM, then frees */
		if (d->cur_vm == DEDUP_MAX_VMS) { /* a full scan is complete */
			if (d->scan_visits)
				d->st.full_scans++;
			d->scan_visits = 0;
			d->cur_vm = 0;
			d->cur_gfn = 0;
			break; /* stop at the boundary: stats per full scan are exact */
		}
	}
	same_sweep(d, done + BATCH); /* same-behaviour domains' frees, frames no page maps */
	return done;
}
