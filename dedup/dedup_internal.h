/*
 * dedup_internal.h - the engine's data structures, shared by the files of dedup/.
 *
 *   struct dedup
 *     vm[63]          per VM: pages[npages] (struct dpage, 8 B each), domain
 *     uheads[]        unstable index: bucket -> first candidate page, linked
 *                     through dpage.word as (vm << 24 | gfn)
 *     sheads[], sf[]  stable index: bucket -> first shared frame (struct
 *                     sframe, 24 B), linked through sframe.next
 *     cnt[]           sharer counts: (shared frame, vm) -> c_v, open
 *                     addressing; gives k (VMs per frame) for the exact
 *                     self/inter-VM split
 * A page's state lives in the top 2 bits of dpage.word; the low 30 bits are
 * the unstable link (UNSTABLE) or the shared-frame id (SHARED).
 */
#ifndef DEDUP_INTERNAL_H
#define DEDUP_INTERNAL_H

#include "dedup.h"

enum dp_state {
	DP_NEW = 0,      /* no checksum yet (never hashed, or content replaced) */
	DP_SEEN = 1,     /* checksum of the last visit; changed at that visit */
	DP_UNSTABLE = 2, /* unchanged at its last visit; in the unstable index if
	                  * visited in the current full scan (behind the cursor) */
	DP_SHARED = 3,   /* mapped read-only to shared frame sf[index] */
};

#define DP_INDEX_BITS 30
#define DP_INDEX_MASK ((1u << DP_INDEX_BITS) - 1)
#define DP_NIL        DP_INDEX_MASK /* end of a chain */

struct dpage {
	uint32_t csum; /* low 32 bits of XXH3-64 at the last hash */
	uint32_t word; /* state << 30 | link or shared-frame id */
};
_Static_assert(sizeof(struct dpage) == 8, "8 bytes of metadata per guest page");

static inline unsigned dp_state(const struct dpage *p) { return p->word >> DP_INDEX_BITS; }
static inline uint32_t dp_index(const struct dpage *p) { return p->word & DP_INDEX_MASK; }

/* Unstable links pack (vm, gfn): 6 + 24 bits. */
static inline uint32_t link_pack(unsigned vm, uint64_t gfn) { return (uint32_t)vm << 24 | (uint32_t)gfn; }
static inline unsigned link_vm(uint32_t l) { return l >> 24; }
static inline uint64_t link_gfn(uint32_t l) { return l & 0xFFFFFF; }

#define SF_USED 1u
#define SF_ZERO 2u          /* content is all zeros: a domain's zero frame */
#define SF_MAX  (1u << 25)  /* shared-frame ids fit the sharer-count key */

struct sframe {
	uint64_t frame;
	uint32_t csum;
	uint32_t next;   /* stable chain, or free list */
	uint32_t refs;   /* mappings: sum of c_v */
	uint8_t nvms;    /* k: VMs with c_v > 0 */
	uint8_t flags;
	uint16_t domain;
};
_Static_assert(sizeof(struct sframe) == 24, "24 bytes per shared frame");

struct sharer { uint32_t key, count; }; /* key = (sfid << 6 | vm) + 1; 0 = empty */

struct dvm {
	struct dpage *pages; /* NULL: slot unused */
	uint64_t npages;
	uint16_t domain;
	uint64_t zero, merged, self;
};

struct dedup {
	struct dedup_ops ops;
	struct dedup_knobs knobs;
	struct dvm vm[DEDUP_MAX_VMS];

	unsigned cur_vm;      /* the cursor */
	uint64_t cur_gfn;
	uint64_t scan_visits; /* visits in the current full scan */

	uint32_t *uheads, umask;
	uint32_t *sheads, smask;
	struct sframe *sf;
	uint32_t sf_cap, sf_top, sf_free, sf_live;
	struct sharer *cnt;
	uint32_t cnt_mask, cnt_used;

	/* Duplicates merged away, freed after one invalidate per VM (merge.c). */
	uint64_t pend_free[64];
	unsigned npend;
	uint64_t pend_vms;    /* bit v: VM v has remaps not yet invalidated */

	uint32_t zero_csum;
	uint64_t n_state[4];
	struct dedup_stats st; /* counters; derived fields filled by get_stats */
};

/* page.c */
uint64_t page_hash(const void *p);
int page_is_zero(const void *p);
int page_equal(const void *a, const void *b);
static inline void *fptr(const struct dedup *d, uint64_t f) { return d->ops.frame_ptr(d->ops.ctx, f); }

/* index.c */
void set_state(struct dedup *d, struct dpage *p, unsigned state, uint32_t index);
void unstable_reset(struct dedup *d);
void unstable_insert(struct dedup *d, unsigned vm, uint64_t gfn, uint32_t csum);
void unstable_unlink(struct dedup *d, unsigned vm, uint64_t gfn);
int behind_cursor(const struct dedup *d, unsigned vm, uint64_t gfn);
int sframe_reserve(struct dedup *d);
uint32_t sframe_new(struct dedup *d, uint64_t frame, uint32_t csum, uint16_t domain, int zero);
void sframe_delete(struct dedup *d, uint32_t sfid);
uint32_t stable_find_zero(const struct dedup *d, uint16_t domain);

/* sharers.c */
int sharers_reserve(struct dedup *d, uint32_t n);
void sharers_add(struct dedup *d, uint32_t sfid, unsigned vm);
uint32_t sharers_remove(struct dedup *d, uint32_t sfid, unsigned vm);

/* merge.c */
void merge_candidate(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, uint32_t csum);
void merge_flush(struct dedup *d);

#endif
