/*
 * patchsim.h - sub-page patching simulated over memory images (delta/ on
 * the host): which pages a similarity index and a patch format would
 * store as patches, and what it costs.  Used by dedupsim (the savings by
 * mechanism) and patchbench (the measurements behind docs/patching.md).
 */
#ifndef TOOLS_PATCHSIM_H
#define TOOLS_PATCHSIM_H

#include <stddef.h>
#include <stdint.h>

#include "delta.h"

#define PATCHSIM_MAX_IMAGES 32
#define PATCHSIM_HIST 8 /* patch sizes in 256-byte classes up to 2 KiB */

/* The images and, per page, what whole-page sharing makes of it. */
struct patch_corpus {
	unsigned n;
	const unsigned char *img[PATCHSIM_MAX_IMAGES];
	uint64_t pages[PATCHSIM_MAX_IMAGES];
	uint64_t total, zero, distinct; /* distinct non-zero contents */
	uint64_t identical;             /* non-zero pages whose content an earlier page has */
	uint64_t collisions;            /* equal 128-bit hashes, other content (none expected) */
	/* The first page of each distinct non-zero content, in scan order
	 * (VM by VM, gfn by gfn): what is left for patching. */
	uint32_t *first_vm;
	uint64_t *first_gfn;
};

/* Reads nothing from disk: img/pages given.  0, or -1 out of memory. */
int patch_corpus_init(struct patch_corpus *c, unsigned n, const unsigned char *const *img,
		      const uint64_t *pages);
void patch_corpus_free(struct patch_corpus *c);
static inline const unsigned char *patch_page(const struct patch_corpus *c, unsigned vm, uint64_t gfn)
{
	return c->img[vm] + gfn * DELTA_PAGE_SIZE;
}

/* A patch encoder: length, or < 0 when it does not fit cap. */
typedef int (*patch_encoder)(void *ctx, const void *page, const void *ref, void *out, size_t cap);
int patch_encode_copyins(void *ctx, const void *page, const void *ref, void *out, size_t cap);
/* delta_encode calls made through patch_encode_copyins (for callgrind's
 * instructions per call). */
extern uint64_t patchsim_encodes;

/* One pair found: page (vm, gfn) stored as a patch of len bytes against ref. */
struct patch_pair {
	uint32_t vm, ref_vm;
	uint64_t gfn, ref_gfn;
	uint32_t len;
};

struct patch_sim {
	/* in */
	const struct delta_sim_scheme *schemes; /* candidates from each, together */
	unsigned nschemes;
	unsigned max_candidates;                /* patches tried per page (default 4) */
	patch_encoder enc;
	void *enc_ctx;
	size_t cap;                             /* the size class (DELTA_MAX_PATCH) */
	int keep_pairs;                         /* fill pairs[] */
	/* out */
	uint64_t looked_up, with_candidate, tried, patched, patch_bytes;
	uint64_t indexed;                       /* frames made reference candidates */
	uint64_t hist[PATCHSIM_HIST];
	uint64_t index_bytes;
	double seconds_keys, seconds_encode;    /* lookups + inserts; patch attempts */
	struct patch_pair *pairs;               /* patched pages, if keep_pairs */
	uint64_t npairs;
};

/*
 * Greedy, in scan order, over the corpus's distinct non-zero contents: a
 * page whose candidates (from the index) give a patch within cap is
 * patched against the one giving the smallest; otherwise it is indexed as
 * a reference.  A patched page is never a reference (no chains).
 * 0, or -1 (out of memory, a bad scheme).
 */
int patch_sim_run(const struct patch_corpus *c, struct patch_sim *p);

/* Net pages saved by the patched pages: each frees a frame and costs its
 * patch's bytes. */
double patch_sim_saved_pages(const struct patch_sim *p);

#endif
