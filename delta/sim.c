/*
 * sim.c - the similarity index: which indexed pages may be like this one.
 *
 * Difference Engine finds reference pages by hashing a few 64-byte blocks
 * of each page at fixed offsets: two pages that agree there are likely to
 * agree elsewhere.  A scheme (struct delta_sim_scheme) says how a page's
 * keys are made; docs/patching.md measures several on the corpus:
 *
 *   DELTA_SIM_BLOCKS   key i = XXH3 of `blocks` 64-byte blocks at
 *                      offset[i][0..blocks), chained with seed i.  Fixed
 *                      offsets miss a page whose changes fall on them, or
 *                      whose content moved.
 *   DELTA_SIM_MINHASH  one-permutation min-hash (Li, Owen and Zhang,
 *                      NIPS 2012) of the page's non-zero 8-byte words: each
 *                      word is hashed once, its hash's top bits put it in
 *                      one of nkeys bins, and key i is the least hash in
 *                      bin i (none for an empty bin).  Two pages share a
 *                      key with about the Jaccard similarity of their sets
 *                      of words, wherever in the page those words are; one
 *                      hash per word, not one per word and key, and on the
 *                      corpus as many hits as nkeys salted hashes.
 *
 * With skip_uniform a key drawn only from bytes of one value (zeros, 0xff
 * fill) is not made: every page with such a block would match every other
 * (for DE's blocks keying them anyway patched more pages of the corpus,
 * 14.1% against 10.8%: docs/patching.md).
 *
 * The table: a power-of-two array of buckets of DELTA_SIM_WAYS entries,
 * each a 32-bit key and a 32-bit page name (vm << 24 | gfn; all ones is
 * an empty entry), sized at creation to at least a bucket per WAYS keys
 * of the pages it is made for: 8 bytes per key per page, up to twice that
 * after rounding, and never more.  An insert puts the entry first in its
 * bucket; a full bucket forgets its last (oldest) entry.  A lookup
 * gathers the entries whose keys equal the page's, ranks them by how many
 * keys they share, and answers names, never content: the caller makes a
 * patch against each candidate's current bytes, and that decides.
 */
#include <stdlib.h>
#include <string.h>

#define XXH_FORCE_MEMORY_ACCESS 1
#define XXH_INLINE_ALL
#define XXH_NO_STDLIB
#include <xxhash.h>

#include "delta.h"

#define EMPTY      0xFFFFFFFFu
#define GFN_BITS   24
#define MAX_VM     62u

struct bucket {
	uint32_t key[DELTA_SIM_WAYS];
	uint32_t name[DELTA_SIM_WAYS];
};

struct delta_sim {
	struct delta_sim_scheme s;
	struct bucket *b;
	uint32_t mask; /* buckets - 1 */
};

/* Chosen on the corpus (docs/patching.md): eight min-hash bins patched
 * 4.5 times as many frames as Difference Engine's two blocks at fixed
 * offsets (49.2% of the frames whole-page sharing leaves, against 10.8%),
 * for 93 bytes of index per indexed frame. */
const struct delta_sim_scheme delta_sim_default = {
	.kind = DELTA_SIM_MINHASH, .nkeys = 8, .skip_uniform = 1,
};

const struct delta_sim_scheme delta_sim_de = {
	.kind = DELTA_SIM_BLOCKS, .nkeys = 1, .blocks = 2, .skip_uniform = 1,
	.offset = { { 1024, 3072 } },
};

int delta_sim_scheme_check(const struct delta_sim_scheme *s)
{
	if (!s || s->nkeys < 1 || s->nkeys > DELTA_SIM_MAX_KEYS)
		return DELTA_EINVAL;
	if (s->kind == DELTA_SIM_MINHASH)
		return 0;
	if (s->kind != DELTA_SIM_BLOCKS || s->blocks < 1 || s->blocks > DELTA_SIM_MAX_BLOCKS)
		return DELTA_EINVAL;
	for (unsigned k = 0; k < s->nkeys; k++)
		for (unsigned j = 0; j < s->blocks; j++)
			if (s->offset[k][j] % DELTA_SIM_BLOCK ||
			    s->offset[k][j] > DELTA_PAGE_SIZE - DELTA_SIM_BLOCK)
				return DELTA_EINVAL;
	return 0;
}

struct delta_sim *delta_sim_create(const struct delta_sim_scheme *s, uint64_t pages)
{
	struct delta_sim *x;
	uint64_t want, n = 16;

	if (delta_sim_scheme_check(s))
		return NULL;
	want = pages * s->nkeys / DELTA_SIM_WAYS;
	while (n < want && n < (1ull << 30))
		n <<= 1;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->b = malloc(n * sizeof(*x->b));
	if (!x->b) {
		free(x);
		return NULL;
	}
	memset(x->b, 0xFF, n * sizeof(*x->b));
	x->s = *s;
	x->mask = (uint32_t)(n - 1);
	return x;
}

void delta_sim_destroy(struct delta_sim *x)
{
	if (x)
		free(x->b);
	free(x);
}

uint64_t delta_sim_bytes(const struct delta_sim *x)
{
	return sizeof(*x) + ((uint64_t)x->mask + 1) * sizeof(*x->b);
}

static int uniform(const uint8_t *p, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		if (p[i] != p[0])
			return 0;
	return 1;
}

/* splitmix64's finalizer: every input bit moves every output bit. */
static uint64_t mix64(uint64_t v)
{
	v ^= v >> 30;
	v *= 0xBF58476D1CE4E5B9ull;
	v ^= v >> 27;
	v *= 0x94D049BB133111EBull;
	return v ^ v >> 31;
}

unsigned delta_sim_keys(const struct delta_sim *x, const void *page_, uint32_t *keys)
{
	const uint8_t *page = page_;
	const struct delta_sim_scheme *s = &x->s;
	unsigned n = 0, k;

	if (s->kind == DELTA_SIM_BLOCKS) {
		for (k = 0; k < s->nkeys; k++) {
			uint64_t h = k;
			int all_uniform = 1;
			for (unsigned j = 0; j < s->blocks; j++) {
				const uint8_t *blk = page + s->offset[k][j];
				all_uniform &= uniform(blk, DELTA_SIM_BLOCK);
				h = XXH3_64bits_withSeed(blk, DELTA_SIM_BLOCK, h);
			}
			if (!(s->skip_uniform && all_uniform))
				keys[n++] = (uint32_t)(h ^ h >> 32);
		}
		return n;
	}
	/* DELTA_SIM_MINHASH: one hash per word, its bin by its top bits */
	uint64_t min[DELTA_SIM_MAX_KEYS];
	for (k = 0; k < s->nkeys; k++)
		min[k] = ~0ull;
	for (unsigned i = 0; i < DELTA_PAGE_SIZE; i += 8) {
		uint64_t w, h;
		unsigned bin;
		memcpy(&w, page + i, sizeof(w));
		if (w == 0 || (s->skip_uniform && w == (w & 0xFF) * 0x0101010101010101ull))
			continue;
		h = mix64(w);
		bin = (unsigned)((h >> 32) * s->nkeys >> 32);
		if (h < min[bin])
			min[bin] = h;
	}
	for (k = 0; k < s->nkeys; k++) /* the least is biased low: mix again */
		if (min[k] != ~0ull)
			keys[n++] = (uint32_t)mix64(min[k] + k);
	return n;
}

static struct bucket *bucket_of(const struct delta_sim *x, uint32_t key)
{
	return &x->b[key & x->mask]; /* keys are hashes: their low bits are uniform */
}

static int name_of(unsigned vm, uint64_t gfn, uint32_t *name)
{
	if (vm > MAX_VM || gfn >= 1u << GFN_BITS)
		return DELTA_EINVAL;
	*name = (uint32_t)vm << GFN_BITS | (uint32_t)gfn;
	return 0;
}

int delta_sim_insert(struct delta_sim *x, unsigned vm, uint64_t gfn, const void *page)
{
	uint32_t keys[DELTA_SIM_MAX_KEYS];
	return delta_sim_insert_keys(x, vm, gfn, keys, delta_sim_keys(x, page, keys));
}

int delta_sim_insert_keys(struct delta_sim *x, unsigned vm, uint64_t gfn, const uint32_t *keys, unsigned n)
{
	uint32_t name;
	unsigned k, w;

	if (name_of(vm, gfn, &name) || n > DELTA_SIM_MAX_KEYS)
		return DELTA_EINVAL;
	for (k = 0; k < n; k++) {
		struct bucket *b = bucket_of(x, keys[k]);
		for (w = 0; w < DELTA_SIM_WAYS; w++)
			if (b->key[w] == keys[k] && b->name[w] == name)
				break;
		if (w < DELTA_SIM_WAYS)
			continue; /* there already */
		memmove(&b->key[1], &b->key[0], (DELTA_SIM_WAYS - 1) * sizeof(b->key[0]));
		memmove(&b->name[1], &b->name[0], (DELTA_SIM_WAYS - 1) * sizeof(b->name[0]));
		b->key[0] = keys[k];
		b->name[0] = name;
	}
	return 0;
}

/* Drops way w of b, closing the gap. */
static void drop(struct bucket *b, unsigned w)
{
	unsigned rest = DELTA_SIM_WAYS - 1 - w;
	memmove(&b->key[w], &b->key[w + 1], rest * sizeof(b->key[0]));
	memmove(&b->name[w], &b->name[w + 1], rest * sizeof(b->name[0]));
	b->key[DELTA_SIM_WAYS - 1] = EMPTY;
	b->name[DELTA_SIM_WAYS - 1] = EMPTY;
}

void delta_sim_remove(struct delta_sim *x, unsigned vm, uint64_t gfn, const void *page)
{
	uint32_t keys[DELTA_SIM_MAX_KEYS], name;
	unsigned n, k, w;

	if (name_of(vm, gfn, &name))
		return;
	n = delta_sim_keys(x, page, keys);
	for (k = 0; k < n; k++) {
		struct bucket *b = bucket_of(x, keys[k]);
		for (w = 0; w < DELTA_SIM_WAYS;)
			if (b->key[w] == keys[k] && b->name[w] == name)
				drop(b, w);
			else
				w++;
	}
}

void delta_sim_remove_vm(struct delta_sim *x, unsigned vm)
{
	for (uint64_t i = 0; i <= x->mask; i++) {
		struct bucket *b = &x->b[i];
		for (unsigned w = 0; w < DELTA_SIM_WAYS;)
			if (b->name[w] != EMPTY && b->name[w] >> GFN_BITS == vm)
				drop(b, w);
			else
				w++;
	}
}

unsigned delta_sim_lookup(const struct delta_sim *x, unsigned vm, uint64_t gfn, const void *page,
			  struct delta_ref *out, unsigned max)
{
	uint32_t keys[DELTA_SIM_MAX_KEYS];
	return delta_sim_lookup_keys(x, vm, gfn, keys, delta_sim_keys(x, page, keys), out, max);
}

unsigned delta_sim_lookup_keys(const struct delta_sim *x, unsigned vm, uint64_t gfn, const uint32_t *keys,
			       unsigned n, struct delta_ref *out, unsigned max)
{
	uint32_t self = EMPTY;
	uint32_t cand[DELTA_SIM_MAX_KEYS * DELTA_SIM_WAYS];
	unsigned hits[DELTA_SIM_MAX_KEYS * DELTA_SIM_WAYS];
	unsigned nc = 0, k, w, i, done = 0;

	if (n > DELTA_SIM_MAX_KEYS)
		n = DELTA_SIM_MAX_KEYS;
	(void)name_of(vm, gfn, &self); /* a bad name is no page: nothing to skip */
	for (k = 0; k < n; k++) {
		const struct bucket *b = bucket_of(x, keys[k]);
		for (w = 0; w < DELTA_SIM_WAYS; w++) {
			if (b->name[w] == EMPTY || b->key[w] != keys[k] || b->name[w] == self)
				continue;
			for (i = 0; i < nc && cand[i] != b->name[w]; i++)
				;
			if (i == nc) {
				cand[nc] = b->name[w];
				hits[nc++] = 0;
			}
			hits[i]++;
		}
	}
	/* Most shared keys first; among equals, the order found (newest first). */
	for (unsigned want = n; want > 0 && done < max; want--)
		for (i = 0; i < nc && done < max; i++)
			if (hits[i] == want)
				out[done++] = (struct delta_ref){ (uint8_t)(cand[i] >> GFN_BITS),
								   cand[i] & ((1u << GFN_BITS) - 1) };
	return done;
}
