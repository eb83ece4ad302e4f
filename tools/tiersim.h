/*
 * tiersim.h - dedupsim's model of the cold tier (dedup/tier.c, tier/) on
 * memory images: what compression saves beyond sharing, and what it costs.
 *
 * An image has no accessed bits, so every page is treated as cold: after
 * the engine converged on sharing, one more pass of the real engine with
 * the tier on (cold_ticks 1, a pool as large as the memory) compresses
 * every page sharing left private that fits 2 KiB.  So the breakdown is
 * Difference Engine's order - identical pages first, then compression of
 * what is left - and an upper bound on what the tier can take from a
 * running VM, whose hot pages stay as they are.
 *
 * Then zstd, the tier's second codec (dedup.zstd_s): the same pass again
 * with zstd on from the start, as if every page had idled long (cold pages
 * lz4 cannot fit go to zstd at once, and every lz4 object is remade in
 * zstd when that takes a smaller slot), beside lz4 alone: what the second
 * stage pays, and what it costs.
 */
#ifndef TOOLS_TIERSIM_H
#define TOOLS_TIERSIM_H

#include <stdint.h>
#include <stdio.h>

#include "cost.h"
#include "dedup.h"
#include "fake_mem.h"
#include "recount.h"
#include "zpool.h"

struct tiersim {
	/* lz4 alone, on every page sharing left private and not zero */
	uint64_t candidates;
	uint64_t lz4_bytes;           /* all of them compressed, no bound */
	uint64_t fit, fit_bytes;      /* those within the engine's bound, and their bytes */
	uint64_t by_class[ZPOOL_NCLASSES]; /* objects (lz4 + header) per pool class */
	struct cost compress, decompress;  /* CPU of the bounded compressions; of the fitting
	                                    * ones' decompressions */
	/* the engine: one pass with the tier on, then a fault on every page */
	struct dedup_stats shared, tiered; /* before and after the pass */
	uint64_t frames_shared, frames_tiered; /* dedup_frames_in_use */
	struct dedup_tier_class cls[ZPOOL_NCLASSES];
	struct cost pass, faults;     /* the first pass (first_pass pages kept in the pool); every fault */
	uint64_t first_pass;
	uint64_t faulted, wrong;      /* faults, and pages that then read other than the image */
	uint64_t zero_saved, zero_self, zero_inter; /* the zero content's part of the sharing */
	int patch;                    /* patches on */
	uint64_t index_bytes;         /* the similarity index's */
	/* zstd alone, on the same pages (tier/zstd_page.c) */
	uint64_t zstd_bytes;          /* all of them, no bound */
	uint64_t zfit, zfit_bytes;    /* those within the engine's bound */
	uint64_t zby_class[ZPOOL_NCLASSES];
	struct cost zcompress, zdecompress;
	/* the engine again, zstd on: its passes, then a fault on every page */
	struct dedup_stats zstd;      /* after the passes (the stage's counters) */
	uint64_t frames_zstd;
	struct cost zpass, zfaults;
	uint64_t zfaulted;
};

/* Runs the model on the converged engine d over the fake m, whose VM v
 * was image data[v] of pages[v] pages; o is the oracle of the set; with
 * patch, the tier keeps patches too (an index of PATCH_REFS_SHARE of the
 * pages: the hypervisor's sizing, kernel/sharing.c).  The engine ends as
 * it began (every page faulted back).  0, or -1 when a page read back
 * other than its image (then out->wrong says how many). */
int tiersim_run(struct dedup *d, struct fake_mem *m, unsigned nvm, const unsigned char *const *data,
		const uint64_t *pages, const struct dedup_recount *o, int patch, struct tiersim *out);
void tiersim_print(FILE *f, const struct tiersim *t, uint64_t pages);
void tiersim_json(FILE *f, const struct tiersim *t);

#endif
