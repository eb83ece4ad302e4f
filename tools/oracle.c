/*
 * oracle.c - count the ideal sharing of memory images, exactly.
 *
 * Each chunk gets a 128-bit XXH3 hash; entries (hash, vm) are sorted, so
 * equal contents form runs, ordered by VM inside a run.  Every member of a
 * run is then compared byte for byte with the run's first: the count never
 * rests on a hash (a collision is reported as an error, not miscounted).
 * Within a run of n chunks over k VMs with c_v each: the content saves
 * n - 1 chunks, self-sharing of v is c_v - 1, inter-VM is k - 1.
 */
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "oracle.h"

struct entry {
	XXH128_hash_t h;
	uint32_t vm;
	uint32_t idx;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->h.high64 != y->h.high64) return x->h.high64 < y->h.high64 ? -1 : 1;
	if (x->h.low64 != y->h.low64) return x->h.low64 < y->h.low64 ? -1 : 1;
	if (x->vm != y->vm) return x->vm < y->vm ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int is_zero(const unsigned char *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static const unsigned char *chunk_at(oracle_page_fn page, void *ctx, unsigned chunk,
				     unsigned v, uint64_t idx)
{
	uint64_t per = 4096 / chunk;
	return page(ctx, v, idx / per) + (idx % per) * chunk;
}

int oracle_count(oracle_page_fn page, void *ctx, const uint64_t *pages, unsigned nvm,
		 unsigned chunk, struct oracle *o)
{
	struct entry *e;
	uint64_t n = 0, i, j;
	unsigned v;

	memset(o, 0, sizeof(*o));
	o->chunk = chunk;
	o->nvm = nvm;
	o->vm = calloc(nvm ? nvm : 1, sizeof(*o->vm));
	for (v = 0; v < nvm; v++)
		n += pages[v] * (4096 / chunk);
	e = malloc((n ? n : 1) * sizeof(*e));
	if (!o->vm || !e) {
		free(e);
		oracle_free(o);
		return -1;
	}
	for (v = 0, n = 0; v < nvm; v++)
		for (i = 0; i < pages[v] * (4096 / chunk); i++, n++) {
			const unsigned char *p = chunk_at(page, ctx, chunk, v, i);
			e[n] = (struct entry){ XXH3_128bits(p, chunk), v, (uint32_t)i };
			o->vm[v].pages++;
			if (is_zero(p, chunk)) {
				o->vm[v].zero++;
				o->pages_zero++;
			}
		}
	o->pages_total = n;
	qsort(e, n, sizeof(*e), cmp_entry);

	for (i = 0; i < n; i = j) {
		const unsigned char *first = chunk_at(page, ctx, chunk, e[i].vm, e[i].idx);
		uint64_t k = 0;
		for (j = i; j < n && !memcmp(&e[j].h, &e[i].h, sizeof(e[i].h)); j++) {
			if (memcmp(first, chunk_at(page, ctx, chunk, e[j].vm, e[j].idx), chunk)) {
				free(e);
				oracle_free(o);
				return -1; /* a 128-bit collision: never seen, but never miscounted */
			}
			if (j == i || e[j].vm != e[j - 1].vm) {
				o->vm[e[j].vm].distinct++;
				k++;
			} else {
				o->vm[e[j].vm].self++;
			}
		}
		o->pages_unique++;
		o->inter_sharing += k - 1;
		if (j - i > o->max_copies) {
			o->max_copies = j - i;
			o->max_copies_is_zero = is_zero(first, chunk);
		}
	}
	o->sharable = o->pages_total - o->pages_unique;
	o->sharable_nonzero = o->sharable - (o->pages_zero ? o->pages_zero - 1 : 0);
	for (v = 0; v < nvm; v++)
		o->self_sharing += o->vm[v].self;
	free(e);
	return 0;
}

static const unsigned char *image_page(void *ctx, unsigned v, uint64_t p)
{
	return ((const unsigned char *const *)ctx)[v] + p * 4096;
}

int oracle_compute(const unsigned char *const *images, const uint64_t *sizes, unsigned nvm,
		   unsigned chunk, struct oracle *o)
{
	uint64_t pages[64];
	unsigned v;
	if (nvm > 64)
		return -1;
	for (v = 0; v < nvm; v++)
		pages[v] = sizes[v] / 4096;
	return oracle_count(image_page, (void *)images, pages, nvm, chunk, o);
}

void oracle_free(struct oracle *o)
{
	free(o->vm);
	o->vm = NULL;
}
