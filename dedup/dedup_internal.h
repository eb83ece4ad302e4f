/*
 * dedup_internal.h - the engine's data structures, shared by the files of dedup/.
 *
 *   struct dedup
 *     vm[63]          per VM: pages[npages] (struct dpage, 8 B each), age[npages]
 *                     (1 B each: the working set), domain
 *     uheads[]        unstable index: bucket -> first candidate page, linked
 *                     through dpage.word as (vm << 24 | gfn)
 *     sheads[], sf[]  stable index: bucket -> first shared frame (struct
 *                     sframe, 24 B), linked through sframe.next
 *     cnt[]           sharer counts: (shared frame, vm) -> c_v, open
 *                     addressing; gives k (VMs per frame) for the exact
 *                     self/inter-VM split
 *     pool            the cold tier's pages (tier/zpool.h), one object each:
 *                     a header (struct cobj), then lz4's bytes, or a patch
 *                     against a reference frame (tier_patch.c)
 *     cheads[]        compressed index: bucket -> first page in the pool,
 *                     linked through the objects' headers as (vm << 24 | gfn)
 *     sim             the similarity index of reference candidates (delta/)
 *
 * A page's state is a prefix code in the top bits of dpage.word, so that
 * the state that needs a 30-bit link has it and five states fit:
 *
 *   00  x(30)   NEW          index unused
 *   01  x(30)   SEEN         index unused
 *   10  l(30)   UNSTABLE     l: the next page of its unstable chain
 *   110 s(29)   SHARED       s: its shared frame's id (< SF_MAX = 2^25)
 *   111 h(29)   COMPRESSED   h: its object's pool handle (ZPOOL_HANDLE_BITS)
 *
 * COMPRESSED is any page the cold tier holds in its pool, not present in
 * EPT: lz4's bytes or a patch, as its object's header says (cobj.kind).
 * dpage.csum is always the checksum of the page's content as last hashed;
 * for a COMPRESSED page, of the content it was compressed from (tier.c).
 *
 * In a same-behaviour domain (same.c, dvm.same) a SHARED page is not
 * present in its EPT (fused), and no frame of the domain's stable index is
 * mapped anywhere; a shared frame whose last sharer left stays in the
 * stable index, refs 0, until same_sweep gives it back.
 */
#ifndef DEDUP_INTERNAL_H
#define DEDUP_INTERNAL_H

#include "dedup.h"
#include "delta.h"
#include "zpool.h"

enum dp_state {
	DP_NEW = 0,      /* no checksum yet (never hashed, or content replaced) */
	DP_SEEN = 1,     /* checksum of the last visit; changed at that visit */
	DP_UNSTABLE = 2, /* unchanged at its last visit; in the unstable index if
	                  * visited in the current full scan (behind the cursor) */
	DP_SHARED = 3,   /* mapped read-only to shared frame sf[index] */
	DP_COMPRESSED = 4, /* not mapped: its content is pool object `handle` */
	DP_NSTATES
};

#define DP_INDEX_BITS 30
#define DP_INDEX_MASK ((1u << DP_INDEX_BITS) - 1)
#define DP_NIL        DP_INDEX_MASK /* end of a chain */
#define DP_SUB_BIT    (1u << (DP_INDEX_BITS - 1)) /* 110 SHARED or 111 COMPRESSED */
#define DP_SUB_MASK   (DP_SUB_BIT - 1)

struct dpage {
	uint32_t csum; /* low 32 bits of XXH3-64 at the last hash */
	uint32_t word; /* the state (prefix code above) and its index */
};
_Static_assert(sizeof(struct dpage) == 8, "8 bytes of metadata per guest page");
_Static_assert(ZPOOL_HANDLE_BITS <= DP_INDEX_BITS - 1, "a pool handle fits COMPRESSED's 29 bits");

static inline unsigned dp_state(const struct dpage *p)
{
	unsigned s = p->word >> DP_INDEX_BITS;
	return s == DP_SHARED && (p->word & DP_SUB_BIT) ? DP_COMPRESSED : s;
}
/* The link (UNSTABLE) or the shared-frame id (SHARED). */
static inline uint32_t dp_index(const struct dpage *p) { return p->word & DP_INDEX_MASK; }
/* The pool handle (COMPRESSED). */
static inline uint32_t dp_handle(const struct dpage *p) { return p->word & DP_SUB_MASK; }
/* Private: the page has a frame of its own (NEW, SEEN, UNSTABLE). */
static inline int dp_private(const struct dpage *p) { return p->word >> DP_INDEX_BITS < DP_SHARED; }

/* Unstable links pack (vm, gfn) into the 30-bit index: 6 + 24 bits. */
#define LINK_VM_BITS  6
#define LINK_GFN_BITS 24
static inline uint32_t link_pack(unsigned vm, uint64_t gfn) { return (uint32_t)vm << LINK_GFN_BITS | (uint32_t)gfn; }
static inline unsigned link_vm(uint32_t l) { return l >> LINK_GFN_BITS; }
static inline uint64_t link_gfn(uint32_t l) { return l & ((1u << LINK_GFN_BITS) - 1); }

/* The bit budget, asserted: why 63 VMs and 2^24 pages per VM. */
_Static_assert(LINK_VM_BITS + LINK_GFN_BITS == DP_INDEX_BITS,
	       "a (vm, gfn) link fills exactly the index bits of dpage.word");
_Static_assert(DEDUP_MAX_VMS <= (1u << LINK_VM_BITS) - 1,
	       "VM ids need LINK_VM_BITS, and VM id 63 is never used: with gfn 2^24-1 it would be DP_NIL");
_Static_assert(DEDUP_MAX_PAGES <= (1u << LINK_GFN_BITS), "a gfn fits LINK_GFN_BITS");

#define SF_USED 1u
#define SF_ZERO 2u          /* content is all zeros: a domain's zero frame */
#define SF_PINNED  4u       /* a reference: patches need it (their count: pins_of) */
#define SF_INDEXED 8u       /* in the similarity index, under one of its mappers */
#define SF_STALE   16u      /* an invalidate failed while it was kept: never freed */
#define SF_MAX  (1u << 25)  /* shared-frame ids fit the sharer-count key */

/* One shared frame (or a domain's zero frame): what the stable index holds. */
struct sframe {
	uint64_t frame;  /* the host frame every sharer maps read-only */
	uint32_t csum;   /* its content's checksum: the stable index's key */
	uint32_t next;   /* next id in its stable bucket's chain, or in the free list */
	uint32_t refs;   /* mappings: sum of c_v over the VMs that map it */
	uint8_t nvms;    /* k: VMs with c_v > 0 (for the self/inter-VM split) */
	uint8_t flags;   /* SF_USED, SF_ZERO */
	uint16_t domain; /* the sharing domain; never mapped outside it */
};
_Static_assert(sizeof(struct sframe) == 24, "24 bytes per shared frame");
_Static_assert(SF_MAX <= DP_SUB_BIT, "a shared-frame id fits SHARED's 29 bits: its word never reads COMPRESSED");
_Static_assert(DEDUP_MAX_VMS <= UINT8_MAX, "k, the VMs of one frame, fits sframe.nvms");
_Static_assert((uint64_t)DEDUP_MAX_VMS * DEDUP_MAX_PAGES <= UINT32_MAX,
	       "every page of every VM mapping one frame still fits sframe.refs");

/* c_v for one (shared frame, VM): an open-addressing table entry.  The
 * same table holds a reference frame's pins (tier_patch.c) under the VM id
 * no VM has, PIN_VM: its count is the patches that need the frame. */
struct sharer { uint32_t key, count; }; /* key = (sfid << LINK_VM_BITS | vm) + 1; 0 = empty */
#define PIN_VM DEDUP_MAX_VMS
_Static_assert(PIN_VM <= (1u << LINK_VM_BITS) - 1 && PIN_VM >= DEDUP_MAX_VMS,
	       "the pins' key is a sharer key no VM's can be");
_Static_assert((((uint64_t)SF_MAX - 1) << LINK_VM_BITS | DEDUP_MAX_VMS) + 1 <= UINT32_MAX,
	       "a sharer key of any shared frame and VM fits 32 bits, 0 left for empty");

/*
 * A page's age byte (struct dvm.age[gfn]), kept by the scanner from the A/D
 * bits it reads at each visit (scan.c): the full scans in a row whose visit
 * found the page not accessed, saturating at AGE_MAX, and whether the last
 * access seen included a write.  Which class that makes (DEDUP_WS_*), and
 * whether it is cold, is age_class().  AGE_NOCOMP: its content did not fit
 * the pool's largest class when last tried; a write (a dirty bit, or a COW
 * break) clears it, for the same content would not fit again.
 */
#define AGE_MAX    0x3fu /* 6 bits of visits without an access */
#define AGE_WRITE  0x40u /* the last access seen was (also) a write */
#define AGE_NOCOMP 0x80u /* incompressible until written */
#define AGE_RING   64    /* scan start times kept: > AGE_MAX (see age_class) */
_Static_assert(AGE_RING > AGE_MAX, "the scan start times cover every age a page can have");
_Static_assert(((AGE_MAX | AGE_WRITE) & AGE_NOCOMP) == 0 && (AGE_MAX & AGE_WRITE) == 0,
	       "the age's bits and its flags do not overlap");

/* A pool object: this header, then `len` bytes: lz4's (COBJ_LZ4), zstd's
 * (COBJ_ZSTD: tier/zstd_page.h's magicless frame), or for
 * a patch (COBJ_DELTA) the reference's shared-frame id (u32) and the patch
 * (delta/delta.h's format). */
struct cobj {
	uint16_t len;  /* bytes after the header */
	uint16_t kind; /* COBJ_LZ4, COBJ_ZSTD or COBJ_DELTA */
	uint32_t next; /* the next page in its compressed-index chain, or DP_NIL */
};
enum { COBJ_LZ4 = 0, COBJ_DELTA = 1, COBJ_ZSTD = 2 };
_Static_assert(sizeof(struct cobj) == 8, "an 8-byte header keeps objects' payload 8-aligned");
#define COBJ_MAX (ZPOOL_MAX_OBJECT - sizeof(struct cobj)) /* the most lz4 bytes kept */
#define PATCH_MAX (COBJ_MAX - sizeof(uint32_t))         /* the most patch bytes kept */
_Static_assert(PATCH_MAX <= DELTA_MAX_PATCH, "a kept patch is within delta/'s size class");

/* One registered VM. */
struct dvm {
	struct dpage *pages; /* npages entries, indexed by gfn; NULL: slot unused */
	uint8_t *age;        /* npages age bytes (above) */
	uint64_t added;      /* the caller's clock when it was registered */
	uint64_t npages;
	uint16_t domain;     /* its sharing domain */
	bool same;           /* the domain is a same-behaviour one (same.c) */
	uint64_t zero;       /* its pages mapped to the zero frame */
	uint64_t merged;     /* its pages mapped to a shared or zero frame */
	uint64_t self;       /* Barker's self-sharing: sum over frames of c_v - 1 */
	uint64_t compressed; /* its pages held in the pool */
	uint64_t cbytes;     /* their lz4 or zstd bytes */
	uint64_t cslots;     /* the pool slot bytes they take */
	uint64_t faults;     /* compressed pages brought back by an access */
	uint64_t zfaults;    /* of those, kept in zstd's format */
	uint64_t tier_max;   /* its pages in the pool at most (dedup_vm_set_tier_max) */
	uint64_t patched;    /* its pages held as patches (in the pool too) */
	uint64_t pbytes;     /* their patches' bytes (the reference's id included) */
	uint64_t pslots;     /* the pool slot bytes they take */
	uint64_t rebuilds;   /* patched pages brought back by an access */
};

struct dedup {
	struct dedup_ops ops;     /* the machine (dedup_ops.h), copied at create */
	struct dedup_knobs knobs; /* KSM's knobs, changed by the caller at will */
	struct dvm vm[DEDUP_MAX_VMS];

	unsigned cur_vm;      /* the cursor: the next page a scan visits */
	uint64_t cur_gfn;
	uint64_t scan_visits; /* visits in the current full scan */

	uint64_t now;                   /* the caller's clock (dedup_clock) */
	uint64_t scan_start[AGE_RING];  /* full scan k began at scan_start[k % AGE_RING] */

	uint32_t *uheads, umask; /* unstable index: umask + 1 buckets of link heads */
	uint32_t *sheads, smask; /* stable index: smask + 1 buckets of sframe ids */
	struct sframe *sf;       /* shared frames by id: sf_cap slots, sf_top used so far */
	uint32_t sf_cap, sf_top, sf_free, sf_live; /* sf_free: free-list head; sf_live: in use */
	struct sharer *cnt;      /* sharer counts: cnt_mask + 1 slots, cnt_used filled */
	uint32_t cnt_mask, cnt_used;

	/* Duplicates merged away, freed after one invalidate per VM (merge.c);
	 * the frames of pages just compressed likewise (tier.c). */
	uint64_t pend_free[64];
	unsigned npend;
	uint64_t pend_vms;    /* bit v: VM v has remaps not yet invalidated */
	uint64_t withheld;    /* frames never freed: an invalidate before it failed */

	/* The cold tier (tier.c). */
	struct zpool *pool;
	uint32_t *cheads, cmask;  /* compressed index: cmask + 1 buckets of links; NULL: none yet */
	uint64_t cold[64];        /* the batch's pages picked for compression (gfns of cold_vm) */
	unsigned ncold, cold_vm;
	bool cold_unfrozen;        /* the batch's invalidate failed: none of them is frozen */
	uint64_t step_picked;     /* picked in the current dedup_scan() call */
	uint64_t step_encodes;    /* patch attempts in it (tier_patch.c) */
	uint64_t step_zstd;       /* zstd compressions in it (tier.c) */
	int pool_full;            /* the pool refused one: no more picks until it frees one */
	unsigned char *scratch;   /* a decompressed page (malloc'd: not for page_is_zero's SSE) */
	unsigned char cbuf[ZPOOL_MAX_OBJECT]; /* lz4's or zstd's output before it has a slot */
	unsigned char *zcheck;    /* zstd's output decoded again before it is kept (malloc'd) */
	uint64_t nzstd, zbytes;   /* pages held in zstd's format, and their bytes */

	/* Same-behaviour domains (same.c): NULL until the first is made. */
	struct same_state *same;
	/* Patches (tier_patch.c): made on the first need when
	 * knobs.patch_refs_max is set. */
	struct delta_sim *sim;     /* reference candidates, by similarity keys */
	struct delta_work *dwork;  /* the encoder's tables */
	unsigned char *pbuf;       /* two patch buffers: the best so far, the next try */
	uint64_t npatched;         /* pages held as patches */
	uint32_t nrefs;            /* frames patches pin (SF_PINNED) */
	uint32_t nrefs_unmapped;   /* of those, frames no page maps (refs 0) */
	int patch_off;             /* the index could not be made: no patching */

	uint32_t zero_csum;    /* the checksum of an all-zero page */
	uint64_t n_state[DP_NSTATES]; /* pages in each enum dp_state */
	struct dedup_stats st; /* counters; derived fields filled by get_stats */
};

/* page.c */
uint64_t page_hash(const void *p);
int page_is_zero(const void *p);
int page_equal(const void *a, const void *b);
static inline void *fptr(const struct dedup *d, uint64_t f) { return d->ops.frame_ptr(d->ops.ctx, f); }

/* index.c */
void set_state(struct dedup *d, struct dpage *p, unsigned state, uint32_t index);
int cindex_reserve(struct dedup *d);
void cindex_insert(struct dedup *d, unsigned vm, uint64_t gfn);
void cindex_unlink(struct dedup *d, unsigned vm, uint64_t gfn);
uint32_t cindex_first(const struct dedup *d, uint32_t csum);
uint32_t cindex_next(const struct dedup *d, uint32_t link);
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
uint32_t sharers_count(const struct dedup *d, uint32_t sfid, unsigned vm); /* c(f,v) */
void sharers_pin(struct dedup *d, uint32_t sfid);
uint32_t sharers_unpin(struct dedup *d, uint32_t sfid);

/* scan.c */
unsigned age_class(const struct dedup *d, const struct dvm *v, uint8_t age, uint64_t scan);
uint64_t age_idle_ticks(const struct dedup *d, const struct dvm *v, uint8_t age, uint64_t scan);

/* merge.c */
void merge_candidate(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, uint32_t csum);
void merge_flush(struct dedup *d);
void merge_pend_free(struct dedup *d, unsigned vm, uint64_t frame);

/* tier.c */
int tier_on(const struct dedup *d);
void tier_pick(struct dedup *d, unsigned vm, uint64_t gfn);
void tier_flush(struct dedup *d);
void tier_visit(struct dedup *d, unsigned vm, uint64_t gfn);
int tier_read(struct dedup *d, unsigned vm, uint64_t gfn, void *dst);
void tier_drop(struct dedup *d, unsigned vm, uint64_t gfn);
/* same.c */
#define SAME_IDLE DEDUP_SAME_IDLE
void same_visit(struct dedup *d, unsigned vm, uint64_t gfn);
int same_access(struct dedup *d, unsigned vm, uint64_t gfn, bool write);
void same_sweep(struct dedup *d, uint64_t budget);
void same_vm_leaving(struct dedup *d);
const void *same_page(const struct dedup *d, unsigned vm, uint64_t gfn);
uint64_t same_frames_held(const struct dedup *d);
void same_get_stats(const struct dedup *d, struct dedup_stats *s);
uint64_t same_metadata_bytes(const struct dedup *d);
void same_fini(struct dedup *d);

void tier_store(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, uint32_t handle);

/* tier_patch.c */
int patch_on(const struct dedup *d);
int patch_spent(const struct dedup *d);
void patch_index_shared(struct dedup *d, unsigned vm, uint64_t gfn);
int patch_try(struct dedup *d, unsigned vm, uint64_t gfn, uint64_t frame, const void *page,
	      uint32_t lz4_len);
int patch_read(struct dedup *d, const struct dpage *p, const struct cobj *o, void *dst);
void patch_unpin(struct dedup *d, uint32_t sfid);
void patch_vm_remove(struct dedup *d, unsigned vm);
void patch_free(struct dedup *d);
uint64_t patch_metadata_bytes(const struct dedup *d);
static inline uint32_t pins_of(const struct dedup *d, uint32_t sfid)
{
	return d->sf[sfid].flags & SF_PINNED ? sharers_count(d, sfid, PIN_VM) : 0;
}
static inline struct cobj *cobj_of(const struct dedup *d, const struct dpage *p)
{
	return zpool_ptr(d->pool, dp_handle(p));
}
/* A patch's reference: the shared-frame id its payload begins with. */
static inline uint32_t cobj_ref(const struct cobj *o)
{
	uint32_t id;
	__builtin_memcpy(&id, o + 1, sizeof(id));
	return id;
}

#endif
