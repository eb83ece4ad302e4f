/*
 * pt_build.c - 2 MiB page mappings in x86-64 4-level page tables.
 *
 *   va bits: 47..39 PML4 | 38..30 PDPT | 29..21 PD | 20..0 offset in 2 MiB
 *
 * The walk (common/ptwalk.c, the same that EPT uses) descends PML4 -> PDPT
 * -> PD, creating missing tables through ops->alloc_table; a PS leaf is
 * written in the PD.  It never splits or replaces an existing leaf (that
 * would silently change a live mapping).  pt_leaf_2m finds such a leaf
 * again (arch/x86_64/paging.c makes MMIO uncached with it).
 */
#include <stddef.h>

#include "pt_build.h"
#include "ptwalk.h"

static const struct pt_format x86_format = {
	.present = PTE_P,
	.large = PTE_PS,
	.table_bits = PTE_P | PTE_RW, /* supervisor; the leaves decide */
	.addr_mask = PTE_ADDR_MASK,
};

static int alloc(void *ctx, uint64_t *phys)
{
	const struct pt_ops *ops = ctx;
	return ops->alloc_table(ops->ctx, phys) ? 0 : -1;
}

static uint64_t *ptr(void *ctx, uint64_t phys)
{
	const struct pt_ops *ops = ctx;
	return ops->table_ptr(ops->ctx, phys);
}

int pt_map_2m(const struct pt_ops *ops, uint64_t *pml4, uint64_t va,
	      uint64_t pa, uint64_t len)
{
	const struct pt_tables t = { &x86_format, alloc, ptr, NULL, (void *)(uintptr_t)ops };
	const uint64_t sz = 2ull << 20;
	uint64_t off;

	if ((va | pa | len) & (sz - 1))
		return -1;
	for (off = 0; off < len; off += sz) {
		int level, err;
		uint64_t *pde = pt_walk(&t, pml4, va + off, 2, true, &level, &err);

		if (!pde || (*pde & PTE_P))
			return -1;
		*pde = (pa + off) | PTE_P | PTE_RW | PTE_PS;
	}
	return 0;
}

uint64_t *pt_leaf_2m(const struct pt_ops *ops, uint64_t *pml4, uint64_t va)
{
	const struct pt_tables t = { &x86_format, alloc, ptr, NULL, (void *)(uintptr_t)ops };
	int level, err;
	uint64_t *e = pt_walk(&t, pml4, va, 1, false, &level, &err);

	return e && level == 2 && (*e & PTE_P) ? e : NULL;
}
