/*
 * dedup.h - content-based page sharing for guest memory: the engine's API.
 *
 * Overview (in the manner of Linux mm/ksm.c)
 * ------------------------------------------
 * The engine shares identical 4 KiB guest-physical pages, within a VM and
 * across VMs, by mapping them read-only to one host frame.  A write to such
 * a page exits on an EPT violation and the hypervisor calls dedup_cow_break()
 * to give that page a private copy again.
 *
 * What is scanned.  Every page of every registered VM, in a fixed order:
 * VM slot by slot, gfn by gfn.  The cursor is the (vm, gfn) the next
 * dedup_scan() call starts from; when it wraps around, a full scan is
 * complete (full_scans).  Each wake-up of the caller's scanner thread scans
 * pages_to_scan pages, then sleeps sleep_ms: both are KSM's knobs.
 *
 * Which frames are read-only.  Every frame that backs more than one guest
 * page (a "shared frame") and every zero frame is mapped read-only in every
 * EPT that maps it.  A shared frame is owned by the engine; a private frame
 * by the VM.  Guest memory never touched reads as zeros through its sharing
 * domain's zero frame and gets a frame on its first write.
 *
 * Volatility.  A page is a merge candidate only if its content did not
 * change since the engine last looked: the dirty bit (EPT A/D), cleared when
 * the page was last looked at, says so without reading the page; without
 * A/D bits, a 32-bit checksum stored at the last visit is compared (KSM's
 * rule, so a candidate needs two visits).  With A/D bits, dirty bits are
 * cleared when a VM is registered, so memory that does not change merges in
 * the first full scan.  The knob merge_first_sight skips the check.
 *
 * Why a hash never decides a merge.  Candidates are found through two hash
 * indexes keyed by the page's checksum (the low 32 bits of its 64-bit XXH3):
 * the stable index of shared frames and the unstable index of candidates
 * seen this full scan (emptied when a full scan begins).  Equal checksums
 * only nominate; the merge itself always compares all 4096 bytes, after the
 * page was made read-only and every CPU's cached translation dropped, so a
 * concurrent guest write either lands before the compare (and is compared)
 * or faults.  A collision costs one memcmp; it never merges.
 *
 * Merge order (merge.c): write-protect the candidate -> invalidate -> compare
 * all 4 KiB -> remap it read-only to the shared frame -> invalidate -> free
 * the duplicate frame (those last two once per scanner batch of up to 64
 * pages, for all its merges).  COW break (cow.c) is the mirror: allocate -> copy ->
 * remap read-write -> invalidate, and with one sharer left, no copy at all.
 *
 * When an invalidate fails (a CPU did not answer, and the hypervisor gave
 * up waiting rather than hold every CPU), that CPU may still write through
 * the old translations of that VM.  So a merge whose first invalidate
 * fails is abandoned as if the compare had failed (the page writable
 * again); frames that were to be freed after a failed one are kept out of
 * use for good (withheld, never freed); and a VM removed meanwhile gives
 * back none of its frames (DEDUP_EBUSY).  A COW break or a dirty-bit
 * clear needs nothing more: what a stale translation there reaches is the
 * VM's own memory or read-only.
 *
 * Sharing domains.  Each VM belongs to a domain; frames (zero frames too)
 * are never shared across domains, closing the cross-domain side channel.
 *
 * Same-behaviour domains (same.c: VUsion, Oliverio et al., SOSP'17).  In a
 * domain made so (dedup_domain_same) a page is fused only once it was not
 * accessed for two scans, and then whether or not it has a twin: it is made
 * not present and moved to a shared frame drawn from a randomized pool (a
 * frame of its own when it has no twin, still in the stable index: a "fake
 * merge"); any later access faults and copies it back (copy-on-access), the
 * same work whatever the number of sharers.  Within such a domain sharing
 * still saves what it saves elsewhere, but a guest cannot tell by timing an
 * access whether its page was merged with another VM's.
 *
 * The working set and the cold tier (scan.c, tier.c).  Each visit also
 * reads the page's accessed bit and keeps its age: the working set, in
 * Difference Engine's classes.  With knobs.cold_ticks and pool_max_frames
 * set, private pages not accessed for cold_ticks are compressed with lz4
 * into a pool of 2 KiB-or-smaller objects (tier/zpool.h) when they fit,
 * and their frames freed; their EPT entries are not present, so any access
 * faults and dedup_fault_in() brings the page back (decompressed, checked
 * against its checksum, mapped).  Zero pages stay on the zero frame and
 * shared pages stay shared: only what sharing could not save is compressed,
 * and a compressed page still merges with a later twin (its checksum is
 * in the compressed index).
 *
 * Patches (tier_patch.c; Difference Engine's sub-page sharing).  With
 * knobs.patch_refs_max set too, a cold page that is nearly the same as a
 * reference frame is kept instead as a patch against it (delta/), when the
 * patch takes a smaller pool slot than lz4's bytes would: another kind of
 * pool object, so that states, faults, readers and figures are the tier's.
 * A reference is a frame the engine keeps read-only: a shared frame, or a
 * cold private page that lz4 cannot fit in 2 KiB, made one (write-protect,
 * invalidate, a shared frame of one mapper).  Each patch pins its
 * reference: a write by a mapper copies (the frame stays), and a frame
 * nothing maps any more stays until no patch needs it.
 *
 * Stats use KSM's names and meanings (struct dedup_stats), plus the split
 * of sharing into self-sharing and inter-VM sharing of Barker et al. (USENIX
 * ATC 2012), kept exact online: a frame mapped c_v times by VM v, in k VMs,
 * saves sum(c_v) - 1 pages, of which sum(c_v) - k are self-sharing and k - 1
 * inter-VM.
 *
 * Metadata: 8 bytes per tracked page (struct dpage) and its age byte, plus
 * the indexes, one record per shared frame and the pool's records;
 * dedup_metadata_bytes() reports the total.
 * Not thread-safe: the caller serializes scan, COW break and VM changes.
 */
#ifndef DEDUP_H
#define DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dedup_ops.h"

#define DEDUP_PAGE_SIZE 4096u
#define DEDUP_MAX_VMS   63                /* VM ids 0..62 */
#define DEDUP_MAX_PAGES (1u << 24)        /* per VM: 64 GiB */

/* Errors (negative, errno-like). */
#define DEDUP_ENOMEM  (-12) /* no frame or no metadata memory: nothing changed */
#define DEDUP_EINVAL  (-22) /* bad VM id, gfn or size */
#define DEDUP_EEXIST  (-17) /* VM id in use */
#define DEDUP_ENOENT  (-2)  /* no such VM */
#define DEDUP_EIO     (-5)  /* an ops call that must not fail did, or a compressed page
                             * failed its length or checksum: its content is lost */
#define DEDUP_EBUSY   (-16) /* removed, but a CPU may still reach its frames: none freed */

struct dedup_knobs {
	uint32_t pages_to_scan;  /* per wake-up (the caller's loop) */
	uint32_t sleep_ms;       /* between wake-ups (the caller's loop) */
	bool merge_first_sight;  /* treat a page as unchanged on its first visit */
	/* A page not accessed for this long, on the caller's clock
	 * (dedup_clock), is cold: "idle for long" in the working set.  0:
	 * nothing is ever cold.  It must be reached within 62 full scans: a
	 * page's age saturates at 63 (scan.c). */
	uint64_t cold_ticks;
	/* The cold tier: its pool holds at most this many frames (changed at
	 * will; what it holds above a lowered cap stays until faulted back);
	 * 0: nothing is compressed. */
	uint64_t pool_max_frames;
	/* Pages compressed per dedup_scan() call at most (each costs an lz4
	 * compression, ~10 us, or a zstd one): 0, no bound. */
	uint32_t compress_per_step;
	/* The tier's second codec, zstd (tier/zstd_page.h): a page compressed
	 * with lz4 and not accessed for this long (its whole idle time, like
	 * cold_ticks) is recompressed with zstd when that takes a smaller
	 * slot, and a cold page lz4 cannot fit in 2 KiB is tried with zstd at
	 * once.  0: zstd is never used.  Like cold_ticks, within 62 full scans. */
	uint64_t zstd_ticks;
	/* zstd compressions (each with an lz4 decode before and a zstd decode
	 * after: ~4x an lz4 compression) per dedup_scan() call at most: pages
	 * over it wait for a later call, unmarked; 0, no bound. */
	uint32_t zstd_per_step;
	/* Patch attempts (encoder runs, ~7 us each, up to 4 a cold page) per
	 * dedup_scan() call at most: a cold page whose candidates the step's
	 * attempts left cannot all cover stays as it was, for a later scan,
	 * and no page is picked once they are spent; 0, no bound. */
	uint32_t patch_per_step;
	/* Patches: the similarity index is made, on the first cold page, for
	 * this many reference candidates (64 to 128 bytes each: delta/sim.c);
	 * 0: nothing is patched.  Read once: a later change does not resize. */
	uint64_t patch_refs_max;
};

struct dedup_stats {
	/* KSM's counters, KSM's meanings (zero frames excluded, as KSM does). */
	uint64_t pages_shared;   /* shared frames with >= 2 mappings */
	uint64_t pages_sharing;  /* extra mappings of them: pages saved */
	uint64_t pages_unshared; /* candidates in the unstable index, unmatched */
	uint64_t pages_volatile; /* pages that changed since their last visit */
	uint64_t full_scans;
	uint64_t ksm_zero_pages; /* pages mapped to a zero frame */
	int64_t general_profit;  /* bytes saved - metadata bytes */
	/* Ours. */
	uint64_t pages_tracked;
	uint64_t pages_new;      /* no checksum yet (never hashed, or content replaced) */
	uint64_t pages_scanned;  /* visits, all time */
	uint64_t pages_hashed;
	uint64_t merges;         /* successful merges (into stable, pair or zero) */
	uint64_t merge_races;    /* full compare failed after write-protect */
	uint64_t hash_collisions;/* equal checksums, different content */
	uint64_t cow_breaks;     /* copies made */
	uint64_t cow_reuses;     /* last sharer got write access back, no copy */
	uint64_t cow_enomem;
	uint64_t frames_saved;   /* guest pages - frames backing them (zero frames included) */
	uint64_t self_sharing;   /* Barker: sum over frames of sum(c_v) - k */
	uint64_t inter_sharing;  /* Barker: sum over frames of k - 1 */
	uint64_t metadata_bytes;
	/* The cold tier. */
	uint64_t pages_compressed;   /* held compressed now */
	uint64_t compressed_bytes;   /* their lz4 or zstd bytes */
	uint64_t compressed_slots;   /* the pool slot bytes they take */
	uint64_t pool_frames;        /* frames the pool holds: pool_frames x 4096 is its cost */
	uint64_t compressions;       /* pages compressed, all time */
	uint64_t decompressions;     /* compressed pages brought back by an access */
	uint64_t tier_merges;        /* compressed pages that merged with a twin instead */
	uint64_t compress_rejected;  /* did not fit 2 KiB: left alone until written */
	uint64_t compress_enomem;    /* the pool had no room (its cap, or no frame) */
	uint64_t fault_enomem;       /* a fault found no frame: the access waits */
	uint64_t tier_corrupt;       /* an object failed its length or checksum */
	/* zstd, the second codec (of pages_compressed and compressed_bytes). */
	uint64_t pages_zstd;         /* held in zstd's format now */
	uint64_t zstd_bytes;         /* their bytes */
	uint64_t zstd_recompressed;  /* lz4 objects remade in zstd, all time */
	uint64_t zstd_direct;        /* cold pages lz4 could not fit that zstd did, all time */
	uint64_t zstd_kept;          /* lz4 objects zstd made no smaller slot of (kept as they are) */
	uint64_t zstd_faults;        /* zstd pages brought back by an access */
	/* Same-behaviour domains (same.c). */
	uint64_t same_not_idle;      /* visits that found a page accessed within its last two
	                              * scans: not considered for fusion (nothing looked up) */
	uint64_t same_fused;         /* pages made not present on a shared frame, twin or not */
	uint64_t same_fake_merges;   /* of those, with no twin: a frame of their own */
	uint64_t same_copies_read;   /* copies on a read or fetch of a fused page */
	uint64_t same_copies_write;  /* copies on a write to one (or before the hypervisor's) */
	uint64_t same_pool_frames;   /* free frames the randomized pool holds now */
	/* Patches (in the pool too; pages_compressed counts lz4's only). */
	uint64_t pages_patched;      /* held as patches now */
	uint64_t patch_bytes;        /* their bytes */
	uint64_t patch_slots;        /* the pool slot bytes they take */
	uint64_t ref_frames;         /* frames patches pin (references) */
	uint64_t ref_unmapped;       /* of those, frames no page maps any more */
	uint64_t patches;            /* pages patched, all time */
	uint64_t rebuilds;           /* patched pages brought back by an access */
	uint64_t patch_indexed;      /* reference candidates put in the index, all time */
	uint64_t patch_tries;        /* cold pages with a candidate reference */
	uint64_t patch_encodes;      /* patches attempted (encoder runs) */
	uint64_t patch_skipped;      /* candidates a sample of their bytes showed hopeless */
	uint64_t refs_made;          /* private pages made references */
	uint64_t patch_races;        /* a patch did not rebuild the frozen page: not kept */
};

struct dedup_vm_stats {
	uint64_t pages;
	uint64_t zero;           /* pages mapped to the zero frame */
	uint64_t merged;         /* pages mapped to a shared or zero frame */
	uint64_t self_sharing;   /* Barker's self-sharing of this VM */
	uint16_t domain;
	uint64_t compressed;     /* pages held compressed */
	uint64_t compressed_bytes; /* the pool slot bytes they take */
	uint64_t decompressions; /* compressed pages its accesses brought back */
	uint64_t zstd_faults;    /* of those, kept in zstd's format */
	bool same;               /* its domain is a same-behaviour one */
	uint64_t patched;        /* pages held as patches (not in `compressed`) */
	uint64_t patch_bytes;    /* the pool slot bytes they take */
	uint64_t rebuilds;       /* patched pages its accesses brought back */
};

struct dedup;

/* A new engine over ops, or NULL when out of memory. */
struct dedup *dedup_create(const struct dedup_ops *ops, const struct dedup_knobs *knobs);
/* Frees the engine's metadata; VMs must have been removed first. */
void dedup_destroy(struct dedup *d);

struct dedup_knobs *dedup_knobs(struct dedup *d);

/* Registers VM vm (0..DEDUP_MAX_VMS-1) of npages pages in sharing domain
 * domain.  With lazy_zero, every page is mapped read-only to the domain's
 * zero frame (allocated if needed): never-touched memory costs no frame.
 * Otherwise every gfn must already be mapped to a private frame.
 * 0, or DEDUP_EEXIST / DEDUP_EINVAL / DEDUP_ENOMEM with nothing changed. */
int dedup_vm_add(struct dedup *d, unsigned vm, uint64_t npages, uint16_t domain,
		 bool lazy_zero);

/* Unregisters vm: drops its references to shared and zero frames (freeing
 * frames nobody maps any more) and unmaps those pages, so that what is
 * left mapped in its EPT are its private frames, for the caller to free.
 * The VM must not run meanwhile.  0, DEDUP_ENOENT, or DEDUP_EBUSY: removed,
 * but an invalidate failed (a CPU may still reach its frames): nothing was
 * freed, and the caller must not free its private frames either. */
int dedup_vm_remove(struct dedup *d, unsigned vm);

/* Scans up to n pages from the cursor, stopping early when a full scan
 * completes; returns the number visited. */
uint64_t dedup_scan(struct dedup *d, uint64_t n);

/* The caller's clock, read before each dedup_scan(): the engine has none.
 * It stamps the start of each full scan with the last value given, and
 * compares a page's idle time with knobs.cold_ticks in these units (TSC
 * ticks in the hypervisor; anything monotonic elsewhere). */
void dedup_clock(struct dedup *d, uint64_t now);

/* A write to (vm, gfn) faulted, or the hypervisor is about to write the
 * page itself (it must call this first: its writes set no dirty bit).
 * Gives the page a private, writable frame with the same content: a copy,
 * or the shared frame itself when this is its last sharer; either way the
 * next visit reads the page again.  O(1) in the number of sharers.  0
 * (also when the page was not shared: a spurious fault), DEDUP_ENOMEM when
 * no frame could be had (nothing changed: retry later), DEDUP_EINVAL for a
 * bad vm/gfn.  In a same-behaviour domain a shared page is always copied
 * (dedup_access_fault): no last sharer gets the frame back. */
int dedup_cow_break(struct dedup *d, unsigned vm, uint64_t gfn);

/* An access (read, write or fetch) to (vm, gfn) faulted on a page the cold
 * tier holds compressed (its EPT entry is not present): decompresses it
 * into a new frame, checks its length and checksum, maps it read-write and
 * frees the object; the page is hot again (it must idle cold_ticks anew).
 * 0 (also when the page is not compressed: another vCPU faulted it in
 * first), DEDUP_ENOMEM when no frame could be had or mapped (nothing
 * changed: retry later), DEDUP_EIO when the object failed its checks
 * (nothing changed; the content is lost: stop the VM), DEDUP_EINVAL for a
 * bad vm/gfn.  dedup_cow_break() does this too for a compressed page.  A
 * fused page of a same-behaviour domain (not present too) is copied back,
 * counted as a read (dedup_access_fault tells a write apart). */
int dedup_fault_in(struct dedup *d, unsigned vm, uint64_t gfn);

/* Makes sharing domain `domain` a same-behaviour domain (same.c, and the
 * overview above): for good, and before any VM of it is added.  0 (also
 * when it is one already); DEDUP_EINVAL without A/D bits (idleness cannot
 * be seen) or when DEDUP_MAX_VMS domains are so already; DEDUP_EBUSY when
 * a VM of the domain is registered or one of its frames is still held;
 * DEDUP_ENOMEM when the pool's record could not be had.  Nothing changed
 * on an error. */
int dedup_domain_same(struct dedup *d, uint16_t domain);
bool dedup_domain_is_same(const struct dedup *d, uint16_t domain);
/* The randomized pool of same-behaviour domains: its generator's seed
 * (secret: one who knows it and the order of events could predict the
 * frames chosen; the caller draws it from a hardware source where there
 * is one), and the frames it holds, 1 to DEDUP_SAME_POOL_MAX (more make a
 * frame harder to predict and cost 4 KiB each).  Default: seed 0, 64
 * frames.  Call it before dedup_domain_same(); later calls change the
 * seed only.  0, or DEDUP_ENOMEM (nothing changed). */
#define DEDUP_SAME_POOL_MAX 64
#define DEDUP_SAME_IDLE 2 /* visits in a row that found a page not accessed, before it is fused */
int dedup_same_seed(struct dedup *d, uint64_t seed, unsigned pool_frames);

/* An access faulted on (vm, gfn), which its EPT maps not present: in a
 * same-behaviour domain a fused page, copied back now (write: the access
 * was a write, which only the counters tell apart); otherwise a page the
 * cold tier holds (dedup_fault_in).  Returns what dedup_fault_in returns. */
int dedup_access_fault(struct dedup *d, unsigned vm, uint64_t gfn, bool write);

/* At most max_pages of VM vm's pages in the pool at once, compressed or
 * patched (the default: no ceiling); a lower ceiling compresses no more,
 * it does not fault back what is held.  0 or DEDUP_ENOENT. */
int dedup_vm_set_tier_max(struct dedup *d, unsigned vm, uint64_t max_pages);

/* The content of (vm, gfn) whatever its state: the frame it is mapped to,
 * or for a compressed page its content decompressed into buf (4096 bytes)
 * and checked against its checksum.  NULL for a bad vm/gfn, an unmapped
 * page, or an object that fails its checks (counted in tier_corrupt).
 * For readers of guest memory: the recount, memory images. */
const void *dedup_page_read(struct dedup *d, unsigned vm, uint64_t gfn, void *buf);

/* Reads back every page in the pool, compressed or patched, and checks it
 * (length and checksum): the number checked, and in *bad those that
 * failed.  dedup_patch_check: the patched ones alone, each rebuilt from
 * its reference. */
uint64_t dedup_tier_check(struct dedup *d, uint64_t *bad);
uint64_t dedup_patch_check(struct dedup *d, uint64_t *bad);

/* The pool's size classes (tier/zpool.c), for reports. */
struct dedup_tier_class {
	uint32_t slot;       /* bytes an object of this class takes */
	uint32_t per_frame;  /* objects a frame holds */
	uint64_t objects, frames;
};
unsigned dedup_tier_classes(void);
void dedup_tier_class(const struct dedup *d, unsigned cls, struct dedup_tier_class *c);

void dedup_get_stats(const struct dedup *d, struct dedup_stats *s);

/* The engine's page hash (XXH3-64 of 4 KiB), for measuring its cost; which
 * code path it runs (SSE2 or scalar) is the build's (dedup_hash_path). */
uint64_t dedup_page_hash(const void *page);
const char *dedup_hash_path(void);
/* Its full compare and zero check (the merges' and the visits'), likewise
 * for measuring: 1 when equal, when zero. */
int dedup_page_equal(const void *a, const void *b);
int dedup_page_zero(const void *page);
int dedup_get_vm_stats(const struct dedup *d, unsigned vm, struct dedup_vm_stats *s);

/* What the engine holds a page to be (page_view.c), for an audit against
 * the machine.  PRIVATE: a frame of its own, mapped; SHARED: frame, the
 * read-only shared frame, holding the content whose dedup_page_hash
 * truncated to 32 bits is csum (zero: the zero frame), mapped unless the
 * VM is in a same-behaviour domain; ABSENT: compressed or patched, not
 * mapped. */
enum { DEDUP_VIEW_PRIVATE, DEDUP_VIEW_SHARED, DEDUP_VIEW_ABSENT };
struct dedup_page_view {
	unsigned kind;
	uint64_t frame;
	uint32_t csum;
	bool zero, mapped;
};
/* 0, or DEDUP_EINVAL for a page the engine does not track. */
int dedup_page_view(const struct dedup *d, unsigned vm, uint64_t gfn, struct dedup_page_view *pv);
uint64_t dedup_metadata_bytes(const struct dedup *d);

/* The working set, after Difference Engine's classes (Gupta et al., OSDI
 * 2008, section 4.4), from EPT A/D bits read at each page's visit (scan.c):
 * "recently" is since the page's previous visit, one full scan earlier. */
enum dedup_ws_class {
	DEDUP_WS_WRITTEN,  /* written since its previous visit */
	DEDUP_WS_READ,     /* read, not written, since its previous visit */
	DEDUP_WS_IDLE,     /* not accessed at its last visit(s): not recently used */
	DEDUP_WS_COLD,     /* not accessed for knobs.cold_ticks: idle for long */
	DEDUP_WS_CLASSES
};

/* One VM's cost at a consistent point (account.c): computed by a walk over
 * its pages and the shared frames, not kept online. */
#define DEDUP_PSS_ONE (1u << 20) /* one page of PSS, in fixed point */
struct dedup_vm_account {
	uint64_t pages;
	uint64_t private_frames;   /* pages on a frame of their own */
	uint64_t zero;             /* pages mapped to the zero frame */
	uint64_t self_sharing;     /* Barker's self-sharing of this VM */
	uint64_t pss;              /* sum over its pages of DEDUP_PSS_ONE / mappers */
	uint64_t exclusive_frames; /* contents no other VM holds: frames no other VM
	                            * maps (private ones included) and its compressed
	                            * and patched pages, one each */
	uint64_t ws[DEDUP_WS_CLASSES]; /* its pages in each working-set class (all 0
	                                * without A/D bits: nothing is known) */
	uint16_t domain;
	/* The cold tier.  pss and exclusive_frames count a compressed or
	 * patched page as one page, as the recount does (it reads contents,
	 * not frames); what the VM costs (pss_cost) counts each at its slot
	 * bytes, and divides a reference frame among its M mappings and the P
	 * patches that pin it: each mapping 1/(M + P) of it, each patched
	 * page its slot and 1/(M + P) of its reference.  Over the fleet the
	 * pss_costs add up to the frames outside the pool plus the pool's
	 * slot bytes, less the rounding (DEDUP_PSS_ONE / (M + P) a share). */
	uint64_t compressed;       /* its pages held compressed (lz4) */
	uint64_t compressed_bytes; /* the pool slot bytes they take */
	uint64_t patched;          /* its pages held as patches */
	uint64_t patch_bytes;      /* the pool slot bytes they take */
	uint64_t ref_share;        /* pss_cost's part for the references its patches pin */
	uint64_t pss_cost;         /* what it costs, as above */
	uint64_t exclusive_bytes;  /* what it alone holds: frames x 4096 + slot bytes */
};
int dedup_vm_account(const struct dedup *d, unsigned vm, struct dedup_vm_account *a);

/* Every registered VM's PSS, walked a bounded number of pages at a time
 * (account.c), for a front end that serves PSS often and must not hold the
 * caller's lock for a whole walk (the API: issue 23).  Begin, then step
 * until done.  Between steps the engine may change (the caller's lock is
 * dropped): each page counts as it was when its step visited it, so with
 * no change in between the figures equal dedup_vm_account's pss and
 * pss_cost.  A VM found removed (or smaller) while it is walked is left
 * out, one added behind the walk is not seen, and a VM id removed and
 * added again within one walk would mix the two: a caller that reuses ids
 * ends its walk first.  The other per-VM figures (private, zero, shared,
 * compressed and patched pages, self-sharing) are online
 * (dedup_get_vm_stats): no walk. */
struct dedup_pss_walk {
	unsigned vm;                     /* the VM it walks; DEDUP_MAX_VMS: done */
	uint64_t gfn;                    /* its next page */
	uint64_t part, part_cost;        /* its PSS and cost PSS so far */
	uint64_t pss[DEDUP_MAX_VMS];     /* each walked VM's PSS, DEDUP_PSS_ONE a page */
	uint64_t cost[DEDUP_MAX_VMS];    /* and its pss_cost (struct dedup_vm_account) */
	uint64_t npages[DEDUP_MAX_VMS];  /* its size when walked; 0: not walked */
};
void dedup_pss_walk_begin(struct dedup_pss_walk *w);
/* Visits up to budget pages (at least 1) further; returns how many.  The
 * walk is done when w->vm == DEDUP_MAX_VMS. */
uint64_t dedup_pss_walk_step(const struct dedup *d, struct dedup_pss_walk *w, uint64_t budget);
/* What a measurement point reads of the live engine while the guests run
 * (point_walk.c): every VM's working set, as dedup_vm_account() classes it,
 * and every compressed or patched page read back (a patch rebuilt) and
 * checked, as dedup_tier_check() does - a page at a time, each as its step finds it.  Begin, then step
 * until w->vm == DEDUP_MAX_VMS.  A step's budget counts a page 1 and a
 * compressed page's read-back 256 (at least one page a step). */
struct dedup_point_walk {
	unsigned vm;                 /* the VM it walks; DEDUP_MAX_VMS: done */
	uint64_t gfn;                /* its next page */
	uint64_t ws[DEDUP_MAX_VMS][DEDUP_WS_CLASSES]; /* compressed pages are cold */
	uint64_t checked, bad;       /* compressed pages read back, and those that failed */
	uint64_t patched, patch_bad; /* of those, patched ones (rebuilt), and those that failed */
};
void dedup_point_walk_begin(struct dedup_point_walk *w);
/* The budget spent (it may pass it by a read-back's weight). */
uint64_t dedup_point_walk_step(struct dedup *d, struct dedup_point_walk *w, uint64_t budget);
/* Every registered VM's account (dedup_vm_account()'s figures but the
 * working set) in steps of at most budget pages or shared frames, for an
 * engine that does not change meanwhile (a point's own engine over held
 * contents: point_walk.c).  Begin, then step until w->done. */
struct dedup_account_walk {
	bool done;
	unsigned vm;                 /* the pages first, VM by VM */
	uint64_t gfn;
	uint32_t sf;                 /* then the shared frames */
	struct dedup_vm_account acc[DEDUP_MAX_VMS];
};
void dedup_account_walk_begin(const struct dedup *d, struct dedup_account_walk *w);
uint64_t dedup_account_walk_step(const struct dedup *d, struct dedup_account_walk *w, uint64_t budget);
/* Host frames backing all registered guest memory (zero frames included). */
uint64_t dedup_frames_in_use(const struct dedup *d);
/* The most metadata the engine may hold at once for `pages` tracked pages
 * (resizes included): what a heap must be sized for; with the cold tier,
 * plus dedup_tier_metadata_max(pages, the pool's cap in frames). */
uint64_t dedup_metadata_max(uint64_t pages);
uint64_t dedup_tier_metadata_max(uint64_t pages, uint64_t pool_max_frames);
/* The similarity index's size the hypervisor and dedupsim choose: a
 * reference candidate per this many guest pages (kernel/sharing.c says why). */
#define DEDUP_PATCH_REFS_SHARE 8
/* With patches: plus this for knobs.patch_refs_max reference candidates. */
uint64_t dedup_patch_metadata_max(uint64_t refs_max);

#endif
