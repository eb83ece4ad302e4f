/*
 * recount.c - the exact count of identical pages: the ideal an engine reaches.
 *
 * The engine's own counters are kept incrementally; this recount starts
 * from nothing but the pages' contents, so the two can be checked against
 * each other.  The hypervisor prints both at convergence and at each
 * measurement point, dedupsim and the tests compare against it.  Not on
 * any hot path: it allocates 24 bytes per chunk and sorts them.
 *
 * How it works:
 * Each chunk gets a 128-bit XXH3 hash; entries (hash, vm, index) are
 * sorted, so equal contents form runs, ordered by VM inside a run.  Every
 * member of a run is then compared byte for byte with the run's first: the
 * count never rests on a hash (a collision is reported as an error, not
 * miscounted).  Within a run of n chunks over k VMs with c_v each: the
 * content saves n - 1 chunks, self-sharing of v is c_v - 1, inter-VM is
 * k - 1; each copy adds 1/n to its VM's PSS, and with k = 1 the content is
 * exclusive to its VM.  All-zero chunks, most of a fresh guest, are
 * recognised before hashing and counted as one run apart, without hashing
 * or sorting.
 *
 * In steps (dedup_recount_step), so that a caller holding a lock others
 * wait on - the hypervisor's measurement points, while the guests run -
 * can bound each hold: the work is counted in units of about one page's
 * cost at most - a chunk read (hashed, checked for zeros, or compared), a
 * sift-down of the sort, 64 entries passed over - and a step does no more
 * than its budget.  The sort is therefore a heapsort (in place, no extra
 * memory, each sift-down O(log n) compares), not qsort's one long call;
 * the order is the same, every key (hash, vm, index) being distinct.
 * dedup_recount() is the stepped recount run to its end in one step.
 *
 * The caller's page() may decompress into one buffer (the engine's cold
 * tier: dedup_page_read), so a page it returns is only used until the next
 * call: a run's first chunk is copied before the others are compared.
 * Between steps the pages may move (the hypervisor's engine merges them,
 * compresses them) as long as their contents stay: nothing read is kept
 * but the hashes and the run's first chunk.
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

enum phase { PH_HASH, PH_HEAPIFY, PH_EXTRACT, PH_RUNS, PH_ZERO, PH_DONE, PH_FAILED };

#define SCAN_PER_UNIT 64 /* entries passed over, looking for a run's end, per unit */

struct dedup_recount_run {
	dedup_page_fn page;
	void *ctx;
	unsigned chunk, nvm;
	uint64_t *pages;         /* each VM's pages of 4 KiB (the caller's, copied) */
	struct entry *e;
	uint64_t n;              /* entries (non-zero chunks) */
	unsigned char *first;    /* the current run's first chunk */
	struct dedup_recount o;  /* the result, built */
	enum phase ph;
	unsigned v;              /* PH_HASH: the VM and chunk next */
	uint64_t i;
	uint64_t heap;           /* PH_HEAPIFY: roots left to sift; PH_EXTRACT: the heap's size */
	uint64_t run, end, m, k; /* PH_RUNS: the run [run, end); while end is 0 (not found
	                          * yet) m is the next entry to look at, then the next
	                          * member to read; k: its VMs so far */
	uint64_t units, compares, scanned;
};
_Static_assert(sizeof(struct dedup_recount_run) <= 512, "dedup_recount_bytes() counts 512 B for it");

static int cmp_entry(const struct entry *x, const struct entry *y)
{
	if (x->h.high64 != y->h.high64) return x->h.high64 < y->h.high64 ? -1 : 1;
	if (x->h.low64 != y->h.low64) return x->h.low64 < y->h.low64 ? -1 : 1;
	if (x->vm != y->vm) return x->vm < y->vm ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int same_hash(const struct entry *x, const struct entry *y)
{
	return x->h.high64 == y->h.high64 && x->h.low64 == y->h.low64;
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

static const unsigned char *chunk_at(const struct dedup_recount_run *r, unsigned v, uint64_t idx)
{
	uint64_t per = 4096 / r->chunk;
	const unsigned char *p = r->page(r->ctx, v, idx / per);
	return p ? p + (idx % per) * r->chunk : NULL;
}

/* The heap's sift-down: e[root] goes down to its place among [0, end). */
static void sift(struct dedup_recount_run *r, uint64_t root, uint64_t end)
{
	struct entry *e = r->e;
	for (;;) {
		uint64_t c = 2 * root + 1;
		struct entry t;
		if (c >= end)
			return;
		if (c + 1 < end) {
			r->compares++;
			if (cmp_entry(&e[c], &e[c + 1]) < 0)
				c++;
		}
		r->compares++;
		if (cmp_entry(&e[root], &e[c]) >= 0)
			return;
		t = e[root];
		e[root] = e[c];
		e[c] = t;
		root = c;
	}
}

struct dedup_recount_run *dedup_recount_begin(dedup_page_fn page, void *ctx, const uint64_t *pages,
					      unsigned nvm, unsigned chunk)
{
	struct dedup_recount_run *r = calloc(1, sizeof(*r));
	uint64_t n = 0;
	unsigned v;

	if (!r)
		return NULL;
	r->page = page;
	r->ctx = ctx;
	r->chunk = chunk;
	r->nvm = nvm;
	r->o.chunk = chunk;
	r->o.nvm = nvm;
	for (v = 0; v < nvm; v++)
		n += pages[v] * (4096 / chunk);
	r->pages = malloc((nvm ? nvm : 1) * sizeof(*r->pages));
	r->o.vm = calloc(nvm ? nvm : 1, sizeof(*r->o.vm));
	r->e = malloc((n ? n : 1) * sizeof(*r->e));
	r->first = malloc(4096);
	if (!r->pages || !r->o.vm || !r->e || !r->first) {
		dedup_recount_abort(r);
		return NULL;
	}
	for (v = 0; v < nvm; v++)
		r->pages[v] = pages[v];
	return r;
}

void dedup_recount_abort(struct dedup_recount_run *r)
{
	if (!r)
		return;
	free(r->pages);
	free(r->e);
	free(r->first);
	dedup_recount_free(&r->o);
	free(r);
}

/* Phase PH_HASH: one chunk; the heap's phases when the last is done. */
static void hash_one(struct dedup_recount_run *r)
{
	struct dedup_recount *o = &r->o;
	const unsigned char *p;

	if (r->v < r->nvm && r->i >= r->pages[r->v] * (4096 / r->chunk)) {
		r->v++;
		r->i = 0;
		return;
	}
	if (r->v == r->nvm) {
		r->heap = r->n / 2;
		r->ph = r->n > 1 ? PH_HEAPIFY : PH_RUNS;
		return;
	}
	r->units++;
	if (!(p = chunk_at(r, r->v, r->i))) {
		r->ph = PH_FAILED;
		return;
	}
	o->vm[r->v].pages++;
	o->pages_total++;
	if (is_zero(p, r->chunk)) { /* counted, not sorted */
		o->vm[r->v].zero++;
		o->pages_zero++;
	} else {
		r->e[r->n++] = (struct entry){ XXH3_128bits(p, r->chunk), r->v, (uint32_t)r->i };
	}
	r->i++;
}

/* Phase PH_RUNS: one unit - a chunk of the current run read, or up to
 * SCAN_PER_UNIT entries passed over to find where the run ends. */
static void run_one(struct dedup_recount_run *r)
{
	struct dedup_recount *o = &r->o;
	const struct entry *e = r->e;
	const unsigned char *p;
	uint64_t j;

	r->units++;
	if (r->run >= r->n) {
		r->ph = PH_ZERO;
		return;
	}
	if (!r->end) {
		/* Where the run ends: r->m is the next entry to look at. */
		if (r->m <= r->run)
			r->m = r->run + 1;
		for (j = 0; j < SCAN_PER_UNIT && r->m < r->n && same_hash(&e[r->m], &e[r->run]); j++)
			r->m++;
		r->scanned += j + 1;
		if (j == SCAN_PER_UNIT && r->m < r->n)
			return; /* not there yet */
		r->end = r->m;
		r->m = r->run;
		r->k = 0;
		return;
	}
	j = r->m;
	if (!(p = chunk_at(r, e[j].vm, e[j].idx))) {
		r->ph = PH_FAILED;
		return;
	}
	if (j == r->run) {
		memcpy(r->first, p, r->chunk);
	} else if (!chunk_equal(r->first, p, r->chunk)) {
		r->ph = PH_FAILED; /* a 128-bit collision (never seen, but never miscounted) */
		return;
	}
	if (j == r->run || e[j].vm != e[j - 1].vm) {
		o->vm[e[j].vm].distinct++;
		r->k++;
	} else {
		o->vm[e[j].vm].self++;
	}
	o->vm[e[j].vm].pss += DEDUP_PSS_ONE / (r->end - r->run);
	if (++r->m < r->end)
		return;
	/* The run is whole. */
	if (r->k == 1)
		o->vm[e[r->run].vm].exclusive++;
	o->pages_unique++;
	o->inter_sharing += r->k - 1;
	if (r->end - r->run > o->max_copies) {
		o->max_copies = r->end - r->run;
		o->max_copies_is_zero = 0;
	}
	r->run = r->end;
	r->end = 0;
	r->m = r->run;
}

/* Phase PH_ZERO: the zero content, one run of pages_zero chunks over the
 * VMs that have any; then the totals. */
static void zero_run(struct dedup_recount_run *r)
{
	struct dedup_recount *o = &r->o;
	uint64_t kz = 0;
	unsigned v;

	r->units++;
	if (o->pages_zero) {
		for (v = 0; v < r->nvm; v++) {
			struct dedup_recount_vm *z = &o->vm[v];
			if (!z->zero)
				continue;
			kz++;
			z->distinct++;
			z->self += z->zero - 1;
			z->pss += z->zero * (DEDUP_PSS_ONE / o->pages_zero);
		}
		if (kz == 1)
			for (v = 0; v < r->nvm; v++)
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
	for (v = 0; v < r->nvm; v++)
		o->self_sharing += o->vm[v].self;
	r->ph = PH_DONE;
}

int dedup_recount_step(struct dedup_recount_run *r, uint64_t budget)
{
	uint64_t stop = r->units + (budget ? budget : 1);

	if (stop < r->units)
		stop = UINT64_MAX;
	while (r->units < stop) {
		switch (r->ph) {
		case PH_HASH:
			hash_one(r);
			break;
		case PH_HEAPIFY: /* the heap built, sift-down by sift-down */
			r->units++;
			sift(r, --r->heap, r->n);
			if (!r->heap) {
				r->heap = r->n;
				r->ph = PH_EXTRACT;
			}
			break;
		case PH_EXTRACT: { /* the largest to the end, one at a time */
			struct entry t = r->e[0];
			r->units++;
			r->heap--;
			r->e[0] = r->e[r->heap];
			r->e[r->heap] = t;
			sift(r, 0, r->heap);
			if (r->heap <= 1)
				r->ph = PH_RUNS;
			break;
		}
		case PH_RUNS:
			run_one(r);
			break;
		case PH_ZERO:
			zero_run(r);
			break;
		case PH_DONE:
			return 1;
		case PH_FAILED:
			return -1;
		}
	}
	return r->ph == PH_DONE ? 1 : r->ph == PH_FAILED ? -1 : 0;
}

void dedup_recount_progress(const struct dedup_recount_run *r, struct dedup_recount_progress *p)
{
	uint64_t total = 0;
	unsigned v;

	for (v = 0; v < r->nvm; v++)
		total += r->pages[v] * (4096 / r->chunk);
	p->phase = r->ph == PH_HASH ? "hashing" : r->ph == PH_HEAPIFY || r->ph == PH_EXTRACT
		   ? "sorting" : r->ph == PH_RUNS ? "comparing" : r->ph == PH_FAILED ? "failed" : "done";
	p->chunks = total;
	p->entries = r->n;
	p->units = r->units;
	p->compares = r->compares;
	p->scanned = r->scanned;
}

int dedup_recount_finish(struct dedup_recount_run *r, struct dedup_recount *o)
{
	int ok = r->ph == PH_DONE;

	memset(o, 0, sizeof(*o));
	if (ok) {
		*o = r->o;
		r->o.vm = NULL; /* the caller's now */
	}
	dedup_recount_abort(r);
	return ok ? 0 : -1;
}

int dedup_recount(dedup_page_fn page, void *ctx, const uint64_t *pages, unsigned nvm,
		  unsigned chunk, struct dedup_recount *o)
{
	struct dedup_recount_run *r = dedup_recount_begin(page, ctx, pages, nvm, chunk);

	if (!r) {
		memset(o, 0, sizeof(*o));
		return -1;
	}
	while (dedup_recount_step(r, UINT64_MAX) == 0)
		;
	return dedup_recount_finish(r, o);
}

void dedup_recount_free(struct dedup_recount *o)
{
	free(o->vm);
	o->vm = NULL;
}
