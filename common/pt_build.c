/*
 * pt_build.c - 2 MiB page mappings in x86-64 4-level page tables.
 *
 *   va bits: 47..39 PML4 | 38..30 PDPT | 29..21 PD | 20..0 offset in 2 MiB
 *
 * The walk descends PML4 -> PDPT -> PD, creating missing tables through
 * ops->alloc_table, and writes a PS leaf in the PD.  It never splits or
 * replaces an existing leaf (that would silently change a live mapping).
 */
#include "pt_build.h"

static uint64_t *next_table(const struct pt_ops *ops, uint64_t *table, unsigned idx)
{
	uint64_t phys;
	uint64_t *t;

	if (table[idx] & PTE_P) {
		if (table[idx] & PTE_PS)
			return 0;
		return ops->table_ptr(ops->ctx, table[idx] & PTE_ADDR_MASK);
	}
	t = ops->alloc_table(ops->ctx, &phys);
	if (!t)
		return 0;
	table[idx] = phys | PTE_P | PTE_RW;
	return t;
}

int pt_map_2m(const struct pt_ops *ops, uint64_t *pml4, uint64_t va,
	      uint64_t pa, uint64_t len)
{
	const uint64_t sz = 2ull << 20;
	uint64_t off;

	if ((va | pa | len) & (sz - 1))
		return -1;
	for (off = 0; off < len; off += sz) {
		uint64_t v = va + off;
		uint64_t *pdpt = next_table(ops, pml4, (v >> 39) & 511);
		uint64_t *pd = pdpt ? next_table(ops, pdpt, (v >> 30) & 511) : 0;
		unsigned i = (v >> 21) & 511;

		if (!pd || (pd[i] & PTE_P))
			return -1;
		pd[i] = (pa + off) | PTE_P | PTE_RW | PTE_PS;
	}
	return 0;
}
