/*
 * recount.c - the exact count of identical pages: the ideal an engine reaches.
 *
 * The engine's own counters are kept incrementally; this recount starts
 * from nothing but the pages' contents, so the two can be checked against
 * each other.  The hypervisor prints both at convergence, dedupsim and the
 * tests compare against it.  Not on any hot path: it allocates 24 bytes per
 * chunk and sorts them.
 *
 * How it works:
 * Each chunk gets a 128-bit XXH3 hash; entries (hash, vm) are sorted, so
 * equal contents form runs, ordered by VM inside a run.  Every member of a
 * run is then compared byte for byte with the run's first: the count never
 * rests on a hash (a collision is reported as an error, not miscounted).
 * Within a run of n chunks over k VMs with c_v each: the content saves
 * n - 1 chunks, self-sharing of v is c_v - 1, inter-VM is k - 1; each copy
 * adds 1/n to its VM's PSS, and with k = 1 the content is exclusive to
 * its VM.  All-zero chunks, most of a fresh guest, are recognised before
 * hashing and counted as one run apart, without hashing or sorting.
 *
 * The caller's page() may decompress into one buffer (the engine's cold
 * tier: dedup_page_read), so a page it returns is only used until the next
 * call: a run's first chunk is copied before the others are compared.
 */
#include <stdlib.h>
#include <string.h>

/* Unaligned reads as packed-struct loads, not memcpy calls: the hypervisor
 * is built -ffreestanding (-fno-builtin), where each would be a call. */
#define XXH_FORCE_MEMORY_ACCESS 1
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "recount.h"

struct entry {
	XXH128_hash_t h;
	uint32_t vm;
	uint32_t idx;
};
_Static_assert(sizeof(struct entry) == 24, "dedup_recount_bytes() counts 24 B per chunk");

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->h.high64 != y->h.high64) return x->h.high64 < y->h.high64 ? -1 : 1;
	if (x->h.low64 != y->h.low64) return x->h.low64 < y->h.low64 ? -1 : 1;
	if (x->vm != y->vm) return x->vm < y->vm ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Word by word, leaving at the first non-zero 64 bytes (chunks are
 * multiples of 1 KiB): a byte loop cost more than the hash here.
 * __builtin_memcpy: the hypervisor is built -ffreestanding (so
 * -fno-builtin), where a plain memcpy would be a call per 64 bytes. */
static int is_zero(const unsigned char *p, unsigned n)
{
	for (unsigned i = 0; i < n; i += 64) {
		uint64_t w[8];
		__builtin_memcpy(w, p + i, sizeof(w));
		if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
			return 0;
	}
	return 1;
}

/* memcmp(a, b, n) == 0, 64 bytes a step (newlib's memcmp goes a word at a
 * time; this is the recount's inner loop, in the hypervisor too). */
static int chunk_equal(const unsigned char *a, const unsigned char *b, unsigned n)
{
	for (unsigned i = 0; i < n; i += 64) {
		uint64_t x[8], y[8], d = 0;
		__builtin_memcpy(x, a + i, sizeof(x));
		__builtin_memcpy(y, b + i, sizeof(y));
		for (unsigned k = 0; k < 8; k++)
			d |= x[k] ^ y[k];
		if (d)
			return 0;
	}
	return 1;
}

static const unsigned char *chunk_at(dedup_page_fn page, void *ctx, unsigned chunk,
				     unsigned v, uint64_t idx)
{
	uint64_t per = 4096 / chunk;
	return page(ctx, v, idx / per) + (idx % per) * chunk;
}

int dedup_recount(dedup_page_fn page, void *ctx, const uint64_t *pages, unsigned nvm,
		  unsigned chunk, struct dedup_recount *o)
{
	struct entry *e;
	unsigned char *first = malloc(4096);
	uint64_t n = 0, total = 0, i, j, m, kz = 0;
	unsigned v;

	memset(o, 0, sizeof(*o));
	o->chunk = chunk;
	o->nvm = nvm;
	o->vm = calloc(nvm ? nvm : 1, sizeof(*o->vm));
	for (v = 0; v < nvm; v++)
		n += pages[v] * (4096 / chunk);
	e = malloc((n ? n : 1) * sizeof(*e));
	if (!o->vm || !e || !first) {
		free(e);
		free(first);
		dedup_recount_free(o);
		return -1;
	}
	/* Zero chunks (most of a fresh guest) are counted, not sorted. */
	for (v = 0, n = 0; v < nvm; v++)
		for (i = 0; i < pages[v] * (4096 / chunk); i++, total++) {
			const unsigned char *p = chunk_at(page, ctx, chunk, v, i);
			if (!p)
				goto unreadable;
			o->vm[v].pages++;
			if (is_zero(p, chunk)) {
				o->vm[v].zero++;
				o->pages_zero++;
				continue;
			}
			e[n++] = (struct entry){ XXH3_128bits(p, chunk), v, (uint32_t)i };
		}
	o->pages_total = total;
	qsort(e, n, sizeof(*e), cmp_entry);

	for (i = 0; i < n; i = j) {
		const unsigned char *p = chunk_at(page, ctx, chunk, e[i].vm, e[i].idx);
		uint64_t k = 0;
		if (!p)
			goto unreadable;
		memcpy(first, p, chunk);
		for (j = i; j < n && !memcmp(&e[j].h, &e[i].h, sizeof(e[i].h)); j++) {
			if (j != i && (!(p = chunk_at(page, ctx, chunk, e[j].vm, e[j].idx)) ||
				       !chunk_equal(first, p, chunk))) {
				free(e);
				free(first);
				dedup_recount_free(o);
				return -1; /* a 128-bit collision (never seen, but never
					    * miscounted), or a page that cannot be read */
			}
			if (j == i || e[j].vm != e[j - 1].vm) {
				o->vm[e[j].vm].distinct++;
				k++;
			} else {
				o->vm[e[j].vm].self++;
			}
		}
		for (m = i; m < j; m++)
			o->vm[e[m].vm].pss += DEDUP_PSS_ONE / (j - i);
		if (k == 1)
			o->vm[e[i].vm].exclusive++;
		o->pages_unique++;
		o->inter_sharing += k - 1;
		if (j - i > o->max_copies) {
			o->max_copies = j - i;
			o->max_copies_is_zero = 0;
		}
	}
	/* The zero content: one run of pages_zero chunks over the VMs that have any. */
	if (o->pages_zero) {
		for (v = 0; v < nvm; v++) {
			struct dedup_recount_vm *r = &o->vm[v];
			if (!r->zero)
				continue;
			kz++;
			r->distinct++;
			r->self += r->zero - 1;
			r->pss += r->zero * (DEDUP_PSS_ONE / o->pages_zero);
		}
		if (kz == 1)
			for (v = 0; v < nvm; v++)
				o->vm[v].exclusive += o->vm[v].zero != 0;
		o->pages_unique++;
		o->inter_sharing += kz - 1;
		if (o->pages_zero > o->max_copies) {
			o->max_copies = o->pages_zero;
			o->max_copies_is_zero = 1;
		}
	}
	o->sharable = o->pages_total - o->pages_unique;
	o->sharable_nonzero = o->sharable - (o->pages_zero ? o->pages_zero - 1 : 0);
	for (v = 0; v < nvm; v++)
		o->self_sharing += o->vm[v].self;
	free(e);
	free(first);
	return 0;
unreadable:
	free(e);
	free(first);
	dedup_recount_free(o);
	return -1;
}

void dedup_recount_free(struct dedup_recount *o)
{
	free(o->vm);
	o->vm = NULL;
}
