/*
 * scan.c - the scanner: visit pages in cursor order, decide candidates.
 *
 * The cursor walks VM slots in order and each VM's pages by gfn; wrapping
 * completes a full scan, and the next one starts with an empty unstable
 * index.  Pages go in batches of up to 64 within one VM: first every
 * page's dirty bit is read and cleared, then one invalidate makes the
 * clears take effect (a CPU may cache a translation whose dirty bit is set
 * and would not set it again), and only then are the pages read, so a
 * write after the invalidate sets the bit again and one before it is in
 * what we read.  One invalidate per 64 pages, not per page.
 *
 * A visit: shared pages are skipped (they are read-only: unchanged by
 * definition).  Otherwise the page is unchanged since the last visit if its
 * dirty bit was clear, or, without A/D bits, if its checksum is the one
 * stored at the last visit.  A clean page with a stored checksum is not
 * even read.  Changed pages get a new checksum and wait for the next scan
 * (volatile); unchanged ones are merge candidates (merge.c).
 */
#include "dedup_internal.h"

#define BATCH 64

static void visit(struct dedup *d, unsigned vm, uint64_t gfn, int dirty)
{
	struct dpage *p = &d->vm[vm].pages[gfn];
	unsigned st = dp_state(p);
	uint64_t frame;
	int unchanged;

	d->st.pages_scanned++;
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

uint64_t dedup_scan(struct dedup *d, uint64_t n)
{
	int dirty[BATCH];
	uint64_t done = 0;

	if (d->st.pages_tracked == 0)
		return 0;
	while (done < n) {
		struct dvm *v;
		uint64_t m, i;

		if (d->scan_visits == 0)
			unstable_reset(d); /* a new full scan forgets all candidates */
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
				dirty[i] = -1;
			if (d->ops.test_and_clear_dirty) {
				for (i = 0; i < m; i++)
					if (dp_state(&v->pages[d->cur_gfn + i]) != DP_SHARED)
						dirty[i] = d->ops.test_and_clear_dirty(d->ops.ctx, d->cur_vm,
										   d->cur_gfn + i);
				/* A failed one leaves a page written through an old
				 * translation looking unchanged; its merge's own
				 * invalidate fails then too (merge.c). */
				(void)d->ops.invalidate(d->ops.ctx, d->cur_vm);
			}
			for (i = 0; i < m; i++)
				visit(d, d->cur_vm, d->cur_gfn + i, dirty[i]);
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
	return done;
}
