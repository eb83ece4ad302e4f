/*
 * sharers.c - who maps each shared frame, and the savings that follow.
 *
 * For every shared frame f and VM v that maps it, c(f,v) counts v's pages
 * mapped to f, in an open-addressing table (linear probing, backward-shift
 * delete, grown at 70% load) keyed by (f, v).  From c we keep, per frame,
 * refs = sum_v c(f,v) and k = #{v : c(f,v) > 0}, and online, exactly:
 *   saved(f) = refs - 1,  self(f) = refs - k,  inter(f) = k - 1
 * (Barker et al., USENIX ATC 2012, section 3) and per VM self(v) =
 * sum_f (c(f,v) - 1).  Every counter changes by a constant per mapping
 * added or removed, so a COW break stays O(1) whatever the sharers.
 * The table only grows in sharers_reserve(), called before a merge starts,
 * so adding a sharer mid-merge and removing one in a COW break never
 * allocate.
 *
 * A reference frame's pins (the patches that need it: tier_patch.c) are
 * counted in the same table under PIN_VM, a VM id no VM has, so that only
 * frames that are references take room; they change no sharing counter.
 */
#include <stdlib.h>

#include "dedup_internal.h"

static uint32_t key_of(uint32_t sfid, unsigned vm) { return (sfid << LINK_VM_BITS | vm) + 1; }

static uint32_t home(const struct dedup *d, uint32_t key)
{
	return (key * 0x9E3779B1u) & d->cnt_mask;
}

static struct sharer *slot(struct dedup *d, uint32_t key)
{
	uint32_t i = home(d, key);
	while (d->cnt[i].key && d->cnt[i].key != key)
		i = (i + 1) & d->cnt_mask;
	return &d->cnt[i];
}

int sharers_reserve(struct dedup *d, uint32_t n)
{
	uint32_t cap = d->cnt ? d->cnt_mask + 1 : 0, ncap, i;
	struct sharer *old = d->cnt;

	if ((uint64_t)(d->cnt_used + n) * 10 <= (uint64_t)cap * 7)
		return 0;
	ncap = cap ? cap * 2 : 256;
	d->cnt = calloc(ncap, sizeof(*d->cnt));
	if (!d->cnt) {
		d->cnt = old;
		return DEDUP_ENOMEM;
	}
	d->cnt_mask = ncap - 1;
	for (i = 0; i < cap; i++)
		if (old[i].key)
			*slot(d, old[i].key) = old[i];
	free(old);
	return 0;
}

static int64_t saved(int64_t r) { return r ? r - 1 : 0; }

/* Applies c(f,v): c0 -> c1 (a change of one) to every counter. */
static void account(struct dedup *d, uint32_t sfid, unsigned vm, uint32_t c0, uint32_t c1)
{
	struct sframe *f = &d->sf[sfid];
	struct dvm *v = &d->vm[vm];
	int64_t r0 = f->refs, k0 = f->nvms;
	int64_t r1 = r0 + (int64_t)c1 - c0, k1 = k0 + (c1 > 0) - (c0 > 0);

	f->refs = (uint32_t)r1;
	f->nvms = (uint8_t)k1;
	if (f->flags & SF_PINNED) /* a reference nothing maps, or mapped again */
		d->nrefs_unmapped += (uint32_t)((r0 && !r1) - (!r0 && r1));
	d->st.frames_saved += (uint64_t)(saved(r1) - saved(r0));
	d->st.self_sharing += (uint64_t)((r1 - k1) - (r0 - k0));
	d->st.inter_sharing += (uint64_t)(saved(k1) - saved(k0));
	if (f->flags & SF_ZERO) {
		d->st.ksm_zero_pages += (uint64_t)(r1 - r0);
		v->zero += (uint64_t)((int64_t)c1 - c0);
	} else {
		d->st.pages_sharing += (uint64_t)(saved(r1) - saved(r0));
		d->st.pages_shared += (uint64_t)((int64_t)(r1 >= 2) - (r0 >= 2));
	}
	v->merged += (uint64_t)((int64_t)c1 - c0);
	v->self += (uint64_t)(saved(c1) - saved(c0));
}

uint32_t sharers_count(const struct dedup *d, uint32_t sfid, unsigned vm)
{
	uint32_t key = key_of(sfid, vm), i;
	if (!d->cnt)
		return 0;
	for (i = home(d, key); d->cnt[i].key; i = (i + 1) & d->cnt_mask)
		if (d->cnt[i].key == key)
			return d->cnt[i].count;
	return 0;
}

/* One more in key's count (its entry made at 0 first); room was reserved. */
static struct sharer *increment(struct dedup *d, uint32_t key)
{
	struct sharer *s = slot(d, key);
	if (!s->key) {
		s->key = key;
		s->count = 0;
		d->cnt_used++;
	}
	s->count++;
	return s;
}

void sharers_add(struct dedup *d, uint32_t sfid, unsigned vm)
{
	struct sharer *s = increment(d, key_of(sfid, vm));
	account(d, sfid, vm, s->count - 1, s->count);
}

/* One less in s's count; the entry goes at 0. */
static void decrement(struct dedup *d, struct sharer *s)
{
	uint32_t i, j;

	if (--s->count)
		return;
	/* Backward-shift delete keeps every probe sequence unbroken. */
	i = (uint32_t)(s - d->cnt);
	for (j = (i + 1) & d->cnt_mask; d->cnt[j].key; j = (j + 1) & d->cnt_mask) {
		uint32_t h = home(d, d->cnt[j].key);
		/* Move j into the hole at i if its home is not in (i, j]. */
		if (((j - h) & d->cnt_mask) >= ((j - i) & d->cnt_mask)) {
			d->cnt[i] = d->cnt[j];
			i = j;
		}
	}
	d->cnt[i].key = 0;
	d->cnt_used--;
}

/* Returns the frame's remaining refs. */
uint32_t sharers_remove(struct dedup *d, uint32_t sfid, unsigned vm)
{
	struct sharer *s = slot(d, key_of(sfid, vm));

	account(d, sfid, vm, s->count, s->count - 1);
	decrement(d, s);
	return d->sf[sfid].refs;
}

/* One more patch needs frame sfid (room reserved: sharers_reserve). */
void sharers_pin(struct dedup *d, uint32_t sfid)
{
	(void)increment(d, key_of(sfid, PIN_VM));
}

/* One less; returns the pins left. */
uint32_t sharers_unpin(struct dedup *d, uint32_t sfid)
{
	struct sharer *s = slot(d, key_of(sfid, PIN_VM));
	uint32_t left = s->count - 1;
	decrement(d, s);
	return left;
}
