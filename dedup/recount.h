/*
 * recount.h - the ideal sharing of a set of VMs' pages, recounted exactly
 * from their contents (Barker et al., USENIX ATC 2012, section 3).
 *
 * For chunks of `chunk` bytes (4096, or 2048/1024 as in the paper's
 * figure 10): sharable = chunks - distinct contents; self-sharing(V) = the
 * same within V alone; inter-VM = sharable - sum of self.  Zero chunks are
 * counted apart and also included, as the paper does.  Plain C: built into
 * the hypervisor (its check at convergence), dedupsim and the host tests.
 */
#ifndef DEDUP_RECOUNT_H
#define DEDUP_RECOUNT_H

#include <stdint.h>

#include "dedup.h" /* DEDUP_PSS_ONE */

/* Per VM.  exclusive: contents no other VM of the set has (what the VM
 * adds to the set's ideal footprint); pss: for each of its chunks,
 * DEDUP_PSS_ONE / (copies of that content in the set), rounded down - the
 * engine's dedup_vm_account() figures when its sharing is the ideal. */
struct dedup_recount_vm {
	uint64_t pages, zero, distinct, self, exclusive, pss;
};

struct dedup_recount {
	unsigned chunk;
	uint64_t pages_total, pages_zero;
	uint64_t pages_unique;     /* distinct contents, zero counting as one */
	uint64_t sharable;         /* pages_total - pages_unique */
	uint64_t sharable_nonzero; /* the same with zero chunks left out */
	uint64_t self_sharing, inter_sharing;
	uint64_t max_copies;       /* most copies of one content */
	int max_copies_is_zero;
	unsigned nvm;
	struct dedup_recount_vm *vm; /* nvm entries, malloc'd */
};

/* Page p (4 KiB) of VM v, read through the caller: used only until the
 * next call; NULL if it cannot be read (a compressed page that fails its
 * check: dedup_page_read). */
typedef const unsigned char *(*dedup_page_fn)(void *ctx, unsigned v, uint64_t p);

/* VM v has pages[v] pages of 4 KiB; chunk divides 4096.  0, or -1 (out of
 * memory, a page that cannot be read, or a 128-bit hash collision, which
 * would make the count wrong).  The stepped recount below, in one step. */
int dedup_recount(dedup_page_fn page, void *ctx, const uint64_t *pages, unsigned nvm,
		  unsigned chunk, struct dedup_recount *out) __attribute__((warn_unused_result));

/*
 * The same in steps of bounded work, for a caller that must not hold its
 * lock for a whole recount (the hypervisor's measurement points): begin
 * (NULL when out of memory: dedup_recount_bytes()), then step until it
 * says 1 (done) or -1 (a page that cannot be read, or a collision), then
 * finish, which fills out (0) or says -1, and frees the run either way;
 * abort frees a run not finished.  A step does at most `budget` units of
 * work (at least 1), a unit costing about one chunk's hash at most: a
 * chunk read - hashed, checked for zeros or compared - a sift-down of the
 * heapsort (2 log2(entries) compares at most), or 64 entries passed over.
 * Pages are read again between steps: their contents must not change
 * meanwhile (where they lie may).
 */
struct dedup_recount_run;
struct dedup_recount_run *dedup_recount_begin(dedup_page_fn page, void *ctx, const uint64_t *pages,
					      unsigned nvm, unsigned chunk);
int dedup_recount_step(struct dedup_recount_run *r, uint64_t budget);
int dedup_recount_finish(struct dedup_recount_run *r, struct dedup_recount *out)
	__attribute__((warn_unused_result));
void dedup_recount_abort(struct dedup_recount_run *r);

/* Where a run is: its phase ("hashing", "sorting", "comparing", "done",
 * "failed"), its chunks, the non-zero ones sorted, and the work so far (the
 * units the budgets count, the sort's compares, the entries looked at to
 * find where runs end). */
struct dedup_recount_progress {
	const char *phase;
	uint64_t chunks, entries, units, compares, scanned;
};
void dedup_recount_progress(const struct dedup_recount_run *r, struct dedup_recount_progress *p);

void dedup_recount_free(struct dedup_recount *o);

/* Bytes dedup_recount() allocates at most for `pages` pages of 4 KiB in
 * chunks of `chunk` bytes (24 B per chunk, and a record and a page count per
 * VM, the run's state and its copy of a chunk). */
static inline uint64_t dedup_recount_bytes(uint64_t pages, unsigned chunk, unsigned nvm)
{
	return pages * (4096 / chunk) * 24 + (uint64_t)(nvm + 1) * (sizeof(struct dedup_recount_vm) + 8) +
	       4096 + 512;
}

#endif
