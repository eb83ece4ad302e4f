/* test_pt_build.c - 2 MiB page-table building over an arena of fake physical pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pt_build.h"

#define NPAGES 16
#define PHYS0 0x100000ull /* fake physical address of arena page 0 */

struct arena { uint64_t (*pages)[512]; unsigned used, limit; };

static uint64_t *alloc_table(void *ctx, uint64_t *phys)
{
	struct arena *a = ctx;
	if (a->used == a->limit)
		return NULL;
	memset(a->pages[a->used], 0, 4096);
	*phys = PHYS0 + 4096ull * a->used;
	return a->pages[a->used++];
}

static uint64_t *table_ptr(void *ctx, uint64_t phys)
{
	struct arena *a = ctx;
	assert_true(phys >= PHYS0 && (phys - PHYS0) / 4096 < a->used);
	return a->pages[(phys - PHYS0) / 4096];
}

/* Walks the tables like the MMU: the physical address va maps to, or ~0. */
static uint64_t translate(struct arena *a, uint64_t *pml4, uint64_t va)
{
	uint64_t e = pml4[(va >> 39) & 511], *t;
	if (!(e & PTE_P)) return ~0ull;
	t = table_ptr(a, e & PTE_ADDR_MASK);
	e = t[(va >> 30) & 511];
	if (!(e & PTE_P)) return ~0ull;
	t = table_ptr(a, e & PTE_ADDR_MASK);
	e = t[(va >> 21) & 511];
	if (!(e & PTE_P) || !(e & PTE_PS) || !(e & PTE_RW)) return ~0ull;
	return (e & PTE_ADDR_MASK & ~((2ull << 20) - 1)) | (va & ((2ull << 20) - 1));
}

static void test_identity_and_high_map(void **state)
{
	struct arena a = { malloc(NPAGES * 4096), 0, NPAGES };
	struct pt_ops ops = { alloc_table, table_ptr, &a };
	uint64_t pml4_phys, *pml4 = alloc_table(&a, &pml4_phys);
	const uint64_t hi = 0xFFFFFFFF80000000ull;
	(void)state;
	assert_int_equal(pt_map_2m(&ops, pml4, 0, 0, 4ull << 30), 0);
	assert_int_equal(a.used, 1 + 1 + 4); /* PML4, PDPT, 4 PDs */
	assert_int_equal(pt_map_2m(&ops, pml4, hi, 0x6000000, 4u << 20), 0);
	assert_int_equal(a.used, 6 + 2);
	assert_int_equal(translate(&a, pml4, 0x12345678), 0x12345678);
	assert_int_equal(translate(&a, pml4, (4ull << 30) - 1), (4ull << 30) - 1);
	assert_int_equal(translate(&a, pml4, 4ull << 30), ~0ull);
	assert_int_equal(translate(&a, pml4, hi + 0x1234), 0x6001234);
	assert_int_equal(translate(&a, pml4, hi + (3u << 20)), 0x6000000 + (3u << 20));
	assert_int_equal(translate(&a, pml4, hi + (4u << 20)), ~0ull);
	/* An existing leaf is never replaced; misaligned requests are refused. */
	assert_int_equal(pt_map_2m(&ops, pml4, 0, 0x40000000, 2u << 20), -1);
	assert_int_equal(translate(&a, pml4, 0x1000), 0x1000);
	assert_int_equal(pt_map_2m(&ops, pml4, 0x1000, 0, 2u << 20), -1);
	/* The same walk finds a leaf again (paging.c makes MMIO uncached so). */
	uint64_t *pde = pt_leaf_2m(&ops, pml4, hi + (3u << 20) + 0x123);
	assert_non_null(pde);
	assert_int_equal(*pde & PTE_ADDR_MASK, 0x6000000 + (2u << 20));
	assert_true(*pde & PTE_PS);
	assert_null(pt_leaf_2m(&ops, pml4, hi + (4u << 20)));  /* not mapped */
	assert_null(pt_leaf_2m(&ops, pml4, 8ull << 30));       /* no PDPT entry */
	assert_int_equal(a.used, 8);                           /* a query makes no table */
	free(a.pages);
}

static void test_out_of_tables(void **state)
{
	struct arena a = { malloc(NPAGES * 4096), 0, 3 };
	struct pt_ops ops = { alloc_table, table_ptr, &a };
	uint64_t pml4_phys, *pml4 = alloc_table(&a, &pml4_phys);
	(void)state;
	assert_int_equal(pt_map_2m(&ops, pml4, 0, 0, 2ull << 30), -1); /* needs 2 PDs */
	free(a.pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_and_high_map),
		cmocka_unit_test(test_out_of_tables),
	};
	return cmocka_run_group_tests_name("pt_build", tests, NULL, NULL);
}
