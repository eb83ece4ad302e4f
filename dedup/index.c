/*
 * index.c - the stable and unstable indexes, and page state bookkeeping.
 *
 * Both indexes are chained hash tables over the pages' 32-bit checksums,
 * with power-of-two bucket arrays.  Chains are singly linked and short
 * (a bucket per 4 tracked pages for the unstable index, one per shared
 * frame for the stable one), so unlinking walks from the head.
 *
 * The unstable index is emptied when a full scan begins (unstable_reset),
 * KSM's way of forgetting candidates that may have changed.  Its chains
 * live in the pages themselves: a page in state UNSTABLE links to the next
 * one.  A page that is UNSTABLE but ahead of the cursor was put there in
 * the previous scan and is in no chain any more (behind_cursor).
 *
 * The stable index holds every shared frame (struct sframe), zero frames
 * included; its bucket array doubles when it holds more frames than buckets.
 *
 * The compressed index holds every page the cold tier compressed, by the
 * checksum of its content, so that a candidate can still find it as a twin
 * (merge.c): unlike the unstable index it is never emptied (a compressed
 * page cannot change).  Its chains run through the objects' headers
 * (struct cobj.next), since the page's own word holds its pool handle;
 * a bucket per compressed page at most, doubled when they are more.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup_internal.h"

void set_state(struct dedup *d, struct dpage *p, unsigned state, uint32_t index)
{
	d->n_state[dp_state(p)]--;
	d->n_state[state]++;
	if (state == DP_COMPRESSED) /* 111 h(29) */
		p->word = (uint32_t)DP_SHARED << DP_INDEX_BITS | DP_SUB_BIT | (index & DP_SUB_MASK);
	else
		p->word = (uint32_t)state << DP_INDEX_BITS | (index & DP_INDEX_MASK);
}

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t b = 64;
	while (b < n && b < (1u << 30))
		b <<= 1;
	return b;
}

/* ---- unstable ---- */

int behind_cursor(const struct dedup *d, unsigned vm, uint64_t gfn)
{
	return vm < d->cur_vm || (vm == d->cur_vm && gfn < d->cur_gfn);
}

/* Empties the unstable index, resizing it to a bucket per 4 tracked pages.
 * The engine creates it with 64 buckets, so there always is an array. */
void unstable_reset(struct dedup *d)
{
	uint64_t tracked = 0;
	uint32_t want;
	unsigned v;

	for (v = 0; v < DEDUP_MAX_VMS; v++)
		tracked += d->vm[v].npages;
	want = pow2_at_least(tracked / 4);
	if (want != d->umask + 1 || !d->uheads) {
		uint32_t *h = malloc(sizeof(*h) * want);
		if (h) { /* without memory, keep the old, smaller array */
			free(d->uheads);
			d->uheads = h;
			d->umask = want - 1;
		}
	}
	for (uint32_t i = 0; i <= d->umask; i++)
		d->uheads[i] = DP_NIL;
}

void unstable_insert(struct dedup *d, unsigned vm, uint64_t gfn, uint32_t csum)
{
	struct dpage *p = &d->vm[vm].pages[gfn];
	uint32_t *head = &d->uheads[csum & d->umask];
	p->csum = csum;
	set_state(d, p, DP_UNSTABLE, *head);
	*head = link_pack(vm, gfn);
}

/* Takes (vm, gfn) out of its chain; the caller then changes its state. */
void unstable_unlink(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dpage *p = &d->vm[vm].pages[gfn], *prev = NULL;
	uint32_t me = link_pack(vm, gfn), *head = &d->uheads[p->csum & d->umask], cur;

	for (cur = *head; cur != DP_NIL;) {
		struct dpage *q = &d->vm[link_vm(cur)].pages[link_gfn(cur)];
		if (cur == me) {
			if (prev)
				prev->word = (prev->word & ~DP_INDEX_MASK) | dp_index(p);
			else
				*head = dp_index(p);
			return;
		}
		prev = q;
		cur = dp_index(q);
	}
}

/* ---- stable ---- */

static void stable_link(struct dedup *d, uint32_t sfid)
{
	uint32_t *head = &d->sheads[d->sf[sfid].csum & d->smask];
	d->sf[sfid].next = *head;
	*head = sfid;
}

static void stable_unlink(struct dedup *d, uint32_t sfid)
{
	uint32_t *at = &d->sheads[d->sf[sfid].csum & d->smask];
	while (*at != DP_NIL) {
		if (*at == sfid) {
			*at = d->sf[sfid].next;
			return;
		}
		at = &d->sf[*at].next;
	}
}

/* Makes sure sframe_new() cannot fail: a free slot, and a bucket array
 * with at least as many buckets as frames.  0 or DEDUP_ENOMEM. */
int sframe_reserve(struct dedup *d)
{
	if (d->sf_free == DP_NIL && d->sf_top == d->sf_cap) {
		uint32_t cap = d->sf_cap ? d->sf_cap * 2 : 64;
		struct sframe *n;
		if (cap > SF_MAX)
			return DEDUP_ENOMEM;
		n = realloc(d->sf, sizeof(*n) * cap);
		if (!n)
			return DEDUP_ENOMEM;
		d->sf = n;
		d->sf_cap = cap;
	}
	if (d->sf_live + 1 > d->smask + 1 || !d->sheads) {
		uint32_t nb = d->sheads ? (d->smask + 1) * 2 : 64, *h, i;
		h = malloc(sizeof(*h) * nb);
		if (!h)
			return DEDUP_ENOMEM;
		free(d->sheads);
		d->sheads = h;
		d->smask = nb - 1;
		for (i = 0; i < nb; i++)
			h[i] = DP_NIL;
		for (i = 0; i < d->sf_top; i++)
			if (d->sf[i].flags & SF_USED)
				stable_link(d, i);
	}
	return 0;
}

uint32_t sframe_new(struct dedup *d, uint64_t frame, uint32_t csum, uint16_t domain, int zero)
{
	uint32_t id;
	if (d->sf_free != DP_NIL) {
		id = d->sf_free;
		d->sf_free = d->sf[id].next;
	} else {
		id = d->sf_top++;
	}
	d->sf[id] = (struct sframe){ .frame = frame, .csum = csum, .domain = domain,
				     .flags = (uint8_t)(SF_USED | (zero ? SF_ZERO : 0)) };
	stable_link(d, id);
	d->sf_live++;
	return id;
}

/* Forgets a shared frame nobody maps (refs == 0); the frame itself is the
 * caller's to free or to hand to its last user. */
void sframe_delete(struct dedup *d, uint32_t sfid)
{
	stable_unlink(d, sfid);
	d->sf[sfid].flags = 0;
	d->sf[sfid].next = d->sf_free;
	d->sf_free = sfid;
	d->sf_live--;
}

uint32_t stable_find_zero(const struct dedup *d, uint16_t domain)
{
	uint32_t id;
	if (!d->sheads)
		return DP_NIL;
	for (id = d->sheads[d->zero_csum & d->smask]; id != DP_NIL; id = d->sf[id].next)
		if ((d->sf[id].flags & SF_ZERO) && d->sf[id].domain == domain)
			return id;
	return DP_NIL;
}

/* ---- compressed ---- */

static uint32_t *cbucket(const struct dedup *d, uint32_t csum)
{
	return &d->cheads[csum & d->cmask];
}

static struct dpage *page_of(const struct dedup *d, uint32_t link)
{
	return &d->vm[link_vm(link)].pages[link_gfn(link)];
}

/* Makes sure cindex_insert() has a bucket array with a bucket per
 * compressed page, one more included: 0 or DEDUP_ENOMEM (then nothing
 * changed, and the page must not be compressed). */
int cindex_reserve(struct dedup *d)
{
	uint64_t want = d->n_state[DP_COMPRESSED] + 1;
	uint32_t nb, *h, i;

	if (d->cheads && want <= (uint64_t)d->cmask + 1)
		return 0;
	nb = d->cheads ? (d->cmask + 1) * 2 : 64;
	h = malloc(sizeof(*h) * nb);
	if (!h)
		return DEDUP_ENOMEM;
	for (i = 0; i < nb; i++)
		h[i] = DP_NIL;
	/* Move every chain's pages to their new buckets. */
	for (i = 0; d->cheads && i <= d->cmask; i++) {
		uint32_t l = d->cheads[i];
		while (l != DP_NIL) {
			struct dpage *q = page_of(d, l);
			struct cobj *o = cobj_of(d, q);
			uint32_t next = o->next;
			o->next = h[q->csum & (nb - 1)];
			h[q->csum & (nb - 1)] = l;
			l = next;
		}
	}
	free(d->cheads);
	d->cheads = h;
	d->cmask = nb - 1;
	return 0;
}

/* Links compressed page (vm, gfn) in (its csum and object are set). */
void cindex_insert(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dpage *p = &d->vm[vm].pages[gfn];
	uint32_t *head = cbucket(d, p->csum);
	cobj_of(d, p)->next = *head;
	*head = link_pack(vm, gfn);
}

void cindex_unlink(struct dedup *d, unsigned vm, uint64_t gfn)
{
	struct dpage *p = &d->vm[vm].pages[gfn];
	uint32_t me = link_pack(vm, gfn), *at = cbucket(d, p->csum);

	while (*at != DP_NIL) {
		if (*at == me) {
			*at = cobj_of(d, p)->next;
			return;
		}
		at = &cobj_of(d, page_of(d, *at))->next;
	}
}

/* The first compressed page in csum's bucket (not necessarily of that
 * csum: the caller compares), or DP_NIL; then the next after link. */
uint32_t cindex_first(const struct dedup *d, uint32_t csum)
{
	return d->cheads ? *cbucket(d, csum) : DP_NIL;
}

uint32_t cindex_next(const struct dedup *d, uint32_t link)
{
	return cobj_of(d, page_of(d, link))->next;
}
