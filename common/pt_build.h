/*
 * pt_build.h - build x86-64 4-level page tables with 2 MiB pages.
 *
 * One source, built twice: by the UEFI loader (the hand-over tables) and by
 * the hypervisor (the tables it owns).  Table pages come from a callback and
 * are reached through another, so the host tests can run it over an arena.
 */
#ifndef PT_BUILD_H
#define PT_BUILD_H

#include <stdint.h>

struct pt_ops {
	/* A zeroed, 4 KiB-aligned table page; its physical address in *phys.
	 * NULL when out of memory. */
	uint64_t *(*alloc_table)(void *ctx, uint64_t *phys);
	/* The pointer through which a table at physical address phys is written. */
	uint64_t *(*table_ptr)(void *ctx, uint64_t phys);
	void *ctx;
};

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_PWT (1ull << 3) /* write-through; with PCD: uncacheable (PAT entry 3) */
#define PTE_PCD (1ull << 4) /* cache disable */
#define PTE_PS  (1ull << 7)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

/* Maps [va, va + len) to [pa, pa + len) with 2 MiB read/write supervisor
 * pages in the tables under pml4 (a table pointer).  va, pa and len must be
 * 2 MiB aligned.  Returns 0, or -1 when a table page could not be had or an
 * existing 2 MiB mapping is in the way. */
int pt_map_2m(const struct pt_ops *ops, uint64_t *pml4, uint64_t va,
	      uint64_t pa, uint64_t len);

/* The 2 MiB leaf (PDE) that maps va, or NULL when va is not mapped by one. */
uint64_t *pt_leaf_2m(const struct pt_ops *ops, uint64_t *pml4, uint64_t va);

#endif
