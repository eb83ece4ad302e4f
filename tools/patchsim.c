/*
 * patchsim.c - sub-page patching over memory images: delta/'s similarity
 * index and patcher run the way the engine will run them, for dedupsim's
 * savings by mechanism and for patchbench.
 *
 * First whole-page sharing, exactly (as dedup/recount.c counts it): every
 * page gets a 128-bit XXH3 unless it is zero; entries sorted by (hash,
 * scan position) put equal contents in runs, each member compared byte
 * for byte with the run's first (a mismatch is a collision, counted and
 * kept apart).  The first page of each run, in scan order, is the one
 * frame that content keeps; the rest are identical sharing.
 *
 * Then patching, greedy in scan order over those frames (the engine's
 * scanner visits them so): the frame's keys are looked up in every
 * scheme's index; each candidate reference, the ones sharing most keys
 * first, up to max_candidates, gets a patch attempt within the size class;
 * the smallest patch wins and the frame is "patched" (freed, its patch
 * kept).  A frame with no patch that fits becomes a reference candidate:
 * it is inserted into every index.  Patched frames are never references,
 * so a rebuild is always one decode against a whole frame.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "patchsim.h"

struct ent {
	XXH128_hash_t h;
	uint64_t pos; /* scan position: vm << 32 | gfn */
};

static int cmp_ent(const void *a_, const void *b_)
{
	const struct ent *a = a_, *b = b_;
	if (a->h.high64 != b->h.high64)
		return a->h.high64 < b->h.high64 ? -1 : 1;
	if (a->h.low64 != b->h.low64)
		return a->h.low64 < b->h.low64 ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int cmp_u64(const void *a_, const void *b_)
{
	uint64_t a = *(const uint64_t *)a_, b = *(const uint64_t *)b_;
	return a < b ? -1 : a > b;
}

static int is_zero(const unsigned char *p)
{
	static const unsigned char z[DELTA_PAGE_SIZE];
	return memcmp(p, z, DELTA_PAGE_SIZE) == 0;
}

int patch_corpus_init(struct patch_corpus *c, unsigned n, const unsigned char *const *img,
		      const uint64_t *pages)
{
	struct ent *e;
	uint64_t ne = 0, i, *firsts, nf = 0;

	memset(c, 0, sizeof(*c));
	if (n > PATCHSIM_MAX_IMAGES)
		return -1;
	c->n = n;
	for (unsigned v = 0; v < n; v++) {
		c->img[v] = img[v];
		c->pages[v] = pages[v];
		c->total += pages[v];
	}
	e = malloc(c->total * sizeof(*e));
	if (!e)
		return -1;
	for (unsigned v = 0; v < n; v++)
		for (uint64_t g = 0; g < pages[v]; g++) {
			const unsigned char *p = patch_page(c, v, g);
			if (is_zero(p)) {
				c->zero++;
				continue;
			}
			e[ne].h = XXH3_128bits(p, DELTA_PAGE_SIZE);
			e[ne++].pos = (uint64_t)v << 32 | g;
		}
	qsort(e, ne, sizeof(*e), cmp_ent);
	firsts = malloc((ne + 1) * sizeof(*firsts));
	if (!firsts) {
		free(e);
		return -1;
	}
	for (i = 0; i < ne;) {
		uint64_t j = i + 1;
		const unsigned char *a = patch_page(c, (unsigned)(e[i].pos >> 32), (uint32_t)e[i].pos);
		firsts[nf++] = e[i].pos;
		while (j < ne && XXH128_isEqual(e[j].h, e[i].h)) {
			const unsigned char *b = patch_page(c, (unsigned)(e[j].pos >> 32), (uint32_t)e[j].pos);
			if (memcmp(a, b, DELTA_PAGE_SIZE)) {
				c->collisions++;
				firsts[nf++] = e[j].pos; /* kept apart: a content of its own */
			} else {
				c->identical++;
			}
			j++;
		}
		i = j;
	}
	free(e);
	qsort(firsts, nf, sizeof(*firsts), cmp_u64);
	c->distinct = nf;
	c->first_vm = malloc((nf + 1) * sizeof(*c->first_vm));
	c->first_gfn = malloc((nf + 1) * sizeof(*c->first_gfn));
	if (!c->first_vm || !c->first_gfn) {
		free(firsts);
		patch_corpus_free(c);
		return -1;
	}
	for (i = 0; i < nf; i++) {
		c->first_vm[i] = (uint32_t)(firsts[i] >> 32);
		c->first_gfn[i] = (uint32_t)firsts[i];
	}
	free(firsts);
	return 0;
}

void patch_corpus_free(struct patch_corpus *c)
{
	free(c->first_vm);
	free(c->first_gfn);
	c->first_vm = NULL;
	c->first_gfn = NULL;
}

uint64_t patchsim_encodes;

int patch_encode_copyins(void *ctx, const void *page, const void *ref, void *out, size_t cap)
{
	patchsim_encodes++;
	return delta_encode(ctx, page, ref, out, cap);
}

/* The monotonic clock, not the process's CPU clock: read per frame, the
 * CPU clock's system call (~0.5 us) would be most of what is measured;
 * the monotonic one is read in user space (vDSO). */
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

#define MAX_SCHEMES 16
#define MAX_CANDS   64

int patch_sim_run(const struct patch_corpus *c, struct patch_sim *p)
{
	struct delta_sim *ix[MAX_SCHEMES];
	unsigned char buf[DELTA_PAGE_SIZE];
	uint64_t i, cap_pairs = 0;
	unsigned s;
	int rc = 0;

	if (p->nschemes == 0 || p->nschemes > MAX_SCHEMES || p->cap > DELTA_PAGE_SIZE)
		return -1;
	if (p->max_candidates == 0)
		p->max_candidates = 4;
	if (p->max_candidates > MAX_CANDS)
		p->max_candidates = MAX_CANDS;
	p->looked_up = p->with_candidate = p->tried = p->patched = p->patch_bytes = p->indexed = 0;
	memset(p->hist, 0, sizeof(p->hist));
	p->seconds_keys = p->seconds_encode = 0;
	p->index_bytes = 0;
	p->pairs = NULL;
	p->npairs = 0;
	for (s = 0; s < p->nschemes; s++) {
		ix[s] = delta_sim_create(&p->schemes[s], c->distinct);
		if (!ix[s]) {
			while (s--)
				delta_sim_destroy(ix[s]);
			return -1;
		}
		p->index_bytes += delta_sim_bytes(ix[s]);
	}
	for (i = 0; i < c->distinct; i++) {
		unsigned vm = c->first_vm[i];
		uint64_t gfn = c->first_gfn[i];
		const unsigned char *page = patch_page(c, vm, gfn);
		struct delta_ref cand[MAX_CANDS];
		unsigned nc = 0, k, j;
		int best_len = -1;
		struct delta_ref best_ref = { 0, 0 };
		double t0 = now();

		/* Candidates of every scheme, round robin so each gets its best in. */
		unsigned got[MAX_SCHEMES], nkeys[MAX_SCHEMES];
		uint32_t keys[MAX_SCHEMES][DELTA_SIM_MAX_KEYS];
		struct delta_ref per[MAX_SCHEMES][MAX_CANDS];
		for (s = 0; s < p->nschemes; s++) { /* keys once: for the lookup and any insert */
			nkeys[s] = delta_sim_keys(ix[s], page, keys[s]);
			got[s] = delta_sim_lookup_keys(ix[s], vm, gfn, keys[s], nkeys[s], per[s],
						       p->max_candidates);
		}
		for (k = 0; k < p->max_candidates && nc < p->max_candidates; k++)
			for (s = 0; s < p->nschemes && nc < p->max_candidates; s++) {
				if (k >= got[s])
					continue;
				for (j = 0; j < nc; j++)
					if (cand[j].vm == per[s][k].vm && cand[j].gfn == per[s][k].gfn)
						break;
				if (j == nc)
					cand[nc++] = per[s][k];
			}
		double t1 = now();
		p->seconds_keys += t1 - t0;
		p->looked_up++;
		if (nc)
			p->with_candidate++;
		for (k = 0; k < nc; k++) {
			int len = p->enc(p->enc_ctx, page, patch_page(c, cand[k].vm, cand[k].gfn), buf,
					 best_len > 0 ? (size_t)best_len - 1 : p->cap);
			p->tried++;
			if (len > 0) {
				best_len = len;
				best_ref = cand[k];
			}
		}
		double t2 = now();
		p->seconds_encode += t2 - t1;
		if (best_len > 0) {
			p->patched++;
			p->patch_bytes += (uint64_t)best_len;
			p->hist[((unsigned)best_len - 1) / 256 < PATCHSIM_HIST ? ((unsigned)best_len - 1) / 256
									       : PATCHSIM_HIST - 1]++;
			if (p->keep_pairs) {
				if (p->npairs == cap_pairs) {
					uint64_t nn = cap_pairs ? cap_pairs * 2 : 4096;
					struct patch_pair *np = realloc(p->pairs, nn * sizeof(*np));
					if (!np) {
						rc = -1;
						break;
					}
					p->pairs = np;
					cap_pairs = nn;
				}
				p->pairs[p->npairs++] = (struct patch_pair){ vm, best_ref.vm, gfn, best_ref.gfn,
									     (uint32_t)best_len };
			}
		} else {
			for (s = 0; s < p->nschemes; s++)
				delta_sim_insert_keys(ix[s], vm, gfn, keys[s], nkeys[s]);
			p->indexed++;
			p->seconds_keys += now() - t2;
		}
	}
	for (s = 0; s < p->nschemes; s++)
		delta_sim_destroy(ix[s]);
	return rc;
}

double patch_sim_saved_pages(const struct patch_sim *p)
{
	return (double)p->patched - (double)p->patch_bytes / DELTA_PAGE_SIZE;
}
