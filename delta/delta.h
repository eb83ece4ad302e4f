/*
 * delta.h - sub-page patching (Difference Engine, Gupta et al., OSDI'08):
 * a page that is nearly the same as another is stored as a patch against
 * that reference page, and rebuilt from the two when it is accessed.
 *
 * Overview
 * --------
 * Whole-page sharing (dedup/) cannot touch pages that differ in a few
 * bytes: kernel data relocated by KASLR, page tables, slabs with other
 * pointers, a file cached at another offset.  This folder is the portable
 * part of patching them, plain C11 with no hardware, in two pieces:
 *
 *   the similarity index (sim.c) - for a page, the candidate reference
 *     pages that may be like it: keys computed from a few samples of the
 *     page (64-byte blocks at fixed offsets, Difference Engine's way, or
 *     a min-hash of its 8-byte words), each key mapped to the pages that
 *     were indexed under it.  A key only nominates: the patch is made
 *     against the reference's actual bytes, and whether it fits decides.
 *     Memory is fixed when the index is made: a bounded number of entries
 *     per indexed page; a full bucket forgets its oldest entry.
 *
 *   the patcher (patch.c) - delta_encode(page, reference) makes a patch
 *     if it fits the size class (DELTA_MAX_PATCH, 2 KiB), else says so;
 *     delta_decode(reference, patch) rebuilds the page into a 4 KiB frame.
 *     The patch carries a checksum of the page it rebuilds: a corrupt or
 *     hostile patch is refused with an error, never returned as a wrong
 *     page, and decoding never writes outside the frame it is given,
 *     whatever the patch holds (tests/fuzz/fuzz_delta.c).
 *
 * The format (docs/patching.md has the measurements that chose it) is a
 * copy/insert delta of our own: a header (format byte, checksum) and ops
 * that each produce a run of the page - SAME (the reference's bytes at the
 * same offset), COPY (bytes from another offset of the reference, content
 * that moved, or of the page already rebuilt, content that repeats),
 * INSERT (literal bytes) and RUN (one byte repeated) - until exactly 4096
 * bytes are produced.
 *
 * Who may be a reference, what pins it and how PSS is charged are the
 * engine's policy (docs/patching.md, "Reference pages"): this folder
 * only needs the reference's bytes to stay as they were when the patch
 * was made, which the engine guarantees by patching only against
 * read-only frames that it keeps while a patch needs them.
 *
 * Not thread-safe: the caller serializes calls on one index or work area.
 */
#ifndef DELTA_H
#define DELTA_H

#include <stddef.h>
#include <stdint.h>

#define DELTA_PAGE_SIZE 4096u
#define DELTA_MAX_PATCH 2048u /* the size class: a patch is kept only if it fits */
#define DELTA_HEADER    5u    /* format byte + 32-bit checksum of the page */

/* Errors (negative, errno-like). */
#define DELTA_EINVAL    (-22) /* a bad argument (a NULL, overlapping buffers) */
#define DELTA_E2BIG     (-7)  /* the patch would be larger than the bound: none made */
#define DELTA_ENOMEM    (-12)
#define DELTA_EBADPATCH (-74) /* malformed: unknown format, an op past the page or the input */
#define DELTA_ECHECKSUM (-84) /* well-formed, but rebuilds a page whose checksum differs */

/* The patch's first byte. */
#define DELTA_FMT_COPYINS 0x01

/* The encoder's scratch (tables of the reference's and the page's 8-byte
 * sequences, made only when a changed byte is met that no SAME or RUN
 * covers): the caller owns it, so nothing large lives on the stack. */
#define DELTA_WORK_BITS 12
struct delta_work {
	uint16_t ref[1u << DELTA_WORK_BITS];  /* position + 1 in the reference; 0 = none */
	uint16_t page[1u << DELTA_WORK_BITS]; /* position + 1 of a literal byte behind the cursor */
	unsigned built;                       /* whether the tables are made for this encode */
};

/*
 * Makes a patch that rebuilds page from ref, into patch[0..cap).  Returns
 * its length (DELTA_HEADER < length <= cap), DELTA_E2BIG when it would
 * not fit cap (patch's bytes are then undefined), or DELTA_EINVAL.  page
 * and ref are 4 KiB each and must not change during the call.
 */
int delta_encode(struct delta_work *w, const void *page, const void *ref, void *patch, size_t cap);

/*
 * Rebuilds into out (4 KiB) the page that patch[0..len) makes from ref.
 * Returns 0, DELTA_EBADPATCH (malformed) or DELTA_ECHECKSUM (the result is
 * not the page the patch was made from: patch or reference damaged), or
 * DELTA_EINVAL when out overlaps ref or patch.  Whatever the patch holds,
 * only out[0..4096) is written; on an error its content is undefined and
 * must not be mapped.
 */
int delta_decode(const void *ref, const void *patch, size_t len, void *out);

/* The checksum a patch carries: the low 32 bits of the page's XXH3-64. */
uint32_t delta_page_checksum(const void *page);

/* ---- the similarity index (sim.c) ---- */

#define DELTA_SIM_MAX_KEYS   8
#define DELTA_SIM_MAX_BLOCKS 4
#define DELTA_SIM_BLOCK      64u
#define DELTA_SIM_WAYS       4  /* entries per bucket */

enum delta_sim_kind {
	DELTA_SIM_BLOCKS = 1,  /* each key: a hash of `blocks` 64-byte blocks at fixed offsets */
	DELTA_SIM_MINHASH = 2, /* key i: the least hash of the page's 8-byte words in bin i of nkeys */
};

struct delta_sim_scheme {
	uint8_t kind;     /* enum delta_sim_kind */
	uint8_t nkeys;    /* keys per page, 1..DELTA_SIM_MAX_KEYS */
	uint8_t blocks;   /* DELTA_SIM_BLOCKS: blocks per key, 1..DELTA_SIM_MAX_BLOCKS */
	uint8_t skip_uniform; /* no key from blocks (or words) of one repeated byte */
	uint16_t offset[DELTA_SIM_MAX_KEYS][DELTA_SIM_MAX_BLOCKS]; /* byte offsets, 64-aligned */
};

/* The default, measured best on the corpus: a min-hash of the page's
 * 8-byte words in eight bins (docs/patching.md). */
extern const struct delta_sim_scheme delta_sim_default;
/* Difference Engine's choice as the issue states it: one key, a hash of
 * two 64-byte blocks at fixed offsets (here 1 KiB and 3 KiB). */
extern const struct delta_sim_scheme delta_sim_de;

/* A candidate reference: a guest page, as the engine names it. */
struct delta_ref {
	uint8_t vm;   /* 0..62 */
	uint32_t gfn; /* < 2^24 */
};

struct delta_sim;

/* An index for up to `pages` indexed pages (more may be inserted: the
 * oldest entries of a full bucket are then forgotten), or NULL when out of
 * memory or the scheme is invalid (delta_sim_scheme_check). */
struct delta_sim *delta_sim_create(const struct delta_sim_scheme *s, uint64_t pages);
void delta_sim_destroy(struct delta_sim *x);
/* 0 when s is usable, else DELTA_EINVAL (kind, counts, offsets). */
int delta_sim_scheme_check(const struct delta_sim_scheme *s);
/* Bytes the index holds: fixed at creation. */
uint64_t delta_sim_bytes(const struct delta_sim *x);

/* The page's keys under the index's scheme into keys[] (DELTA_SIM_MAX_KEYS
 * room); returns how many (fewer than nkeys when skip_uniform drops some). */
unsigned delta_sim_keys(const struct delta_sim *x, const void *page, uint32_t *keys);

/* Makes (vm, gfn), whose content is page, a candidate reference under the
 * page's keys.  0, or DELTA_EINVAL (vm > 62 or gfn >= 2^24). */
int delta_sim_insert(struct delta_sim *x, unsigned vm, uint64_t gfn, const void *page);
/* The same with the page's keys already computed (delta_sim_keys): a page
 * looked up and then inserted needs its keys once.  n <= DELTA_SIM_MAX_KEYS. */
int delta_sim_insert_keys(struct delta_sim *x, unsigned vm, uint64_t gfn, const uint32_t *keys, unsigned n);
/* Forgets (vm, gfn) under the keys of page (its content when inserted);
 * entries left stale by a changed page only cost a failed patch attempt. */
void delta_sim_remove(struct delta_sim *x, unsigned vm, uint64_t gfn, const void *page);
/* Forgets every entry of vm (its VM stopped): a walk of the whole table. */
void delta_sim_remove_vm(struct delta_sim *x, unsigned vm);

/* Candidate references for page (the content of (vm, gfn), which is never
 * answered itself), at most max of them, without repeats, those sharing
 * the most keys with it first; returns how many were written to out. */
unsigned delta_sim_lookup(const struct delta_sim *x, unsigned vm, uint64_t gfn, const void *page,
			  struct delta_ref *out, unsigned max);
unsigned delta_sim_lookup_keys(const struct delta_sim *x, unsigned vm, uint64_t gfn, const uint32_t *keys,
			       unsigned n, struct delta_ref *out, unsigned max);

#endif
