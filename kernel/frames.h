/*
 * frames.h - the physical frame allocator and its per-frame metadata.
 *
 * Plain C: it never touches the frames it manages (only its metadata), so
 * the host tests run it over made-up memory maps.
 */
#ifndef KERNEL_FRAMES_H
#define KERNEL_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "boot_info.h"

#define FRAME_SIZE ((uint64_t)4096)
#define FRAMES_MIN_USABLE (16ull << 20) /* below this we refuse to run */
#define FRAMES_LOW_LIMIT  (1ull << 20)  /* frames below 1 MiB are kept (AP trampoline) */
#define FRAMES_PHYS_LIMIT (1ull << 52)  /* no region may end above this (x86-64 MAXPHYADDR) */

enum frame_state {
	FRAME_RESERVED = 0, /* not RAM we manage: firmware, MMIO, our image, holes */
	FRAME_FREE,
	FRAME_KERNEL,       /* hypervisor data (heap, metadata) */
	FRAME_PAGETABLE,    /* the hypervisor's own page tables */
	FRAME_EPT,          /* EPT table pages */
	FRAME_GUEST,        /* backs guest memory */
	FRAME_STATE_COUNT
};

/* Per-frame metadata: 8 bytes per 4 KiB frame (0.2%). */
struct frame {
	uint32_t ref;   /* references; dedup counts sharers here */
	uint16_t state; /* enum frame_state */
	uint16_t owner; /* VM id or 0 */
};

struct frame_pool {
	uint64_t base_pfn;   /* metadata covers [base_pfn, base_pfn + npfn) */
	uint64_t npfn;
	struct frame *meta;
	uint32_t *free_stack; /* pfn - base_pfn of each free frame */
	uint64_t nfree;
	uint64_t nusable;    /* frames ever free (what we manage) */
};

/*
 * Every function below first checks the map it is given, whoever built it:
 * each region with pages 4 KiB aligned, base + pages * 4096 neither
 * overflowing nor wrapping nor ending above FRAMES_PHYS_LIMIT, the regions
 * in ascending order and disjoint (regions of 0 pages are skipped), and the
 * usable frames above 1 MiB spanning at most 2^32 frames (16 TiB).  On a map
 * that fails, they return 0 / -1 rather than compute with wrapped sizes.
 */

/* NULL when the allocator can use regions[0..n), else why not, naming the
 * region(s) by index (a static buffer, valid until the next call). */
const char *frames_map_check(const struct boot_mem_region *r, size_t n);

/* Bytes of usable RAM in regions[0..n); 0 for a map frames_map_check refuses. */
uint64_t frames_usable_bytes(const struct boot_mem_region *r, size_t n);

/* Bytes of metadata needed for the usable RAM in regions[0..n); 0 for a map
 * frames_map_check refuses (frames_init then says why). */
uint64_t frames_meta_bytes(const struct boot_mem_region *r, size_t n);

/* Takes bytes (rounded up to 4 KiB) off the top of the highest usable region
 * above 1 MiB that holds them, shrinking that region so the allocator will
 * not see them.  Returns 0 and the physical base, or -1 (nothing fits, or
 * the map is refused; nothing is changed then). */
int frames_carve(struct boot_mem_region *r, size_t n, uint64_t bytes, uint64_t *phys)
	__attribute__((warn_unused_result));

/* Builds the pool over the usable regions; meta must hold
 * frames_meta_bytes() bytes.  Fails (-1, *why) when the map is refused, the
 * metadata buffer is smaller than that, or less than FRAMES_MIN_USABLE is
 * usable; meta is not written when the map or the buffer is refused. */
int frames_init(struct frame_pool *fp, const struct boot_mem_region *r, size_t n,
		void *meta, uint64_t meta_bytes, const char **why)
	__attribute__((warn_unused_result));

/* Allocates one frame in the given state with ref = 1.  0, or -1 when none is free. */
int frames_alloc(struct frame_pool *fp, uint16_t state, uint64_t *phys)
	__attribute__((warn_unused_result));

/* Frees an allocated frame.  -1 (and nothing changed) when phys is not an
 * allocated frame of this pool: a double free or a stray address. */
int frames_free(struct frame_pool *fp, uint64_t phys) __attribute__((warn_unused_result));

/* The metadata of the frame at phys, or NULL if the pool does not manage it. */
struct frame *frames_meta(struct frame_pool *fp, uint64_t phys);

#endif
