/* test_ept.c - EPT tables over an arena, checked by an independent model of
 * the hardware's walk (SDM 29.3.2): every mapping path, splits, permissions,
 * dirty bits, freeing of empty tables, running out of table pages, and a
 * measurement point's regions (freeze, thaw, withheld writes, restore). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ept.h"

#define NPAGES 64
#define PHYS0 0x40000000ull

struct arena { uint64_t (*pg)[512]; uint8_t used[NPAGES]; int budget; };

static int t_alloc(void *ctx, uint64_t *phys)
{
	struct arena *a = ctx;
	if (a->budget == 0)
		return -1;
	for (unsigned i = 0; i < NPAGES; i++)
		if (!a->used[i]) {
			a->used[i] = 1;
			memset(a->pg[i], 0xEE, 4096); /* ept.c must zero it */
			*phys = PHYS0 + 4096ull * i;
			if (a->budget > 0)
				a->budget--;
			return 0;
		}
	return -1;
}

static uint64_t *t_ptr(void *ctx, uint64_t phys)
{
	struct arena *a = ctx;
	assert_true(phys >= PHYS0 && (phys - PHYS0) / 4096 < NPAGES && a->used[(phys - PHYS0) / 4096]);
	return a->pg[(phys - PHYS0) / 4096];
}

static void t_free(void *ctx, uint64_t phys)
{
	struct arena *a = ctx;
	assert_true(a->used[(phys - PHYS0) / 4096]);
	a->used[(phys - PHYS0) / 4096] = 0;
}

static struct arena A;
static struct ept E;

static int setup(void **state)
{
	struct ept_ops ops = { t_alloc, t_free, t_ptr, &A };
	(void)state;
	A.pg = malloc(NPAGES * 4096);
	memset(A.used, 0, sizeof(A.used));
	A.budget = -1;
	return ept_init(&E, &ops, true);
}

static int teardown(void **state)
{
	(void)state;
	ept_destroy(&E);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(A.used[i], 0); /* every table page came back */
	free(A.pg);
	return 0;
}

/* The hardware's view: translate gpa for an access, or ~0 on a violation
 * or a misconfiguration.  Sets A/D like the CPU with EPTP_AD_ENABLE.  The
 * permissions are those of every entry on the walk ANDed (SDM Vol. 3C,
 * 29.3.3): a PDE without W write-protects its whole region (measurement
 * points; until they came every table entry granted RWX, so the leaf
 * alone was checked here). */
static uint64_t hw(uint64_t gpa, int write)
{
	uint64_t *t = t_ptr(&A, ept_eptp(&E) & EPT_ADDR_MASK), e = 0, perms = EPT_RWX;
	assert_int_equal(ept_eptp(&E) & 0x7f, 6 | (3 << 3) | (1 << 6)); /* WB, 4 levels, A/D */
	for (int l = 4; l >= 1; l--) {
		uint64_t *ent = &t[(gpa >> (12 + 9 * (l - 1))) & 511];
		e = *ent;
		if (!(e & EPT_RWX))
			return ~0ull;
		if ((e & EPT_WRITE) && !(e & EPT_READ))
			return ~0ull; /* misconfiguration */
		perms &= e & EPT_RWX;
		if (l == 1 || (l == 2 && (e & EPT_LARGE))) {
			uint64_t size = l == 2 ? EPT_2M : EPT_4K;
			if (write && !(perms & EPT_WRITE))
				return ~0ull;
			if (((e >> 3) & 7) != 6)
				return ~0ull; /* not write-back */
			*ent |= EPT_ACCESSED | (write ? EPT_DIRTY : 0);
			return (e & EPT_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
		}
		assert_false(e & EPT_LARGE); /* no 1 GiB pages */
		t = t_ptr(&A, e & EPT_ADDR_MASK);
	}
	return ~0ull;
}

static void test_map_4k_and_lookup(void **state)
{
	struct ept_leaf l;
	(void)state;
	assert_int_equal(E.tables, 1);
	assert_int_equal(ept_map(&E, 0x1000, 0x123000, EPT_4K, EPT_RWX), 0);
	assert_int_equal(E.tables, 4);
	assert_int_equal(hw(0x1234, 1), 0x123234);
	assert_int_equal(hw(0x2000, 0), ~0ull);
	assert_int_equal(ept_lookup(&E, 0x1fff, &l), 0);
	assert_int_equal(l.hpa, 0x123fff);
	assert_int_equal(l.size, EPT_4K);
	assert_int_equal(l.perms, EPT_RWX);
	assert_true(l.dirty);
	/* High addresses use other upper tables. */
	assert_int_equal(ept_map(&E, 0x7f8000000000ull, 0x5000, EPT_4K, EPT_READ), 0);
	assert_int_equal(E.tables, 7);
	assert_int_equal(hw(0x7f8000000010ull, 0), 0x5010);
	assert_int_equal(hw(0x7f8000000010ull, 1), ~0ull); /* read-only */
	/* Remap in place: no allocation. */
	A.budget = 0;
	assert_int_equal(ept_map(&E, 0x1000, 0x999000, EPT_4K, EPT_READ | EPT_EXECUTE), 0);
	assert_int_equal(hw(0x1000, 0), 0x999000);
	A.budget = -1;
}

static void test_bad_arguments(void **state)
{
	struct ept_leaf l;
	(void)state;
	assert_int_equal(ept_map(&E, 0x1001, 0x1000, EPT_4K, EPT_RWX), EPT_EINVAL);
	assert_int_equal(ept_map(&E, 0x1000, 0x1001, EPT_4K, EPT_RWX), EPT_EINVAL);
	assert_int_equal(ept_map(&E, 0x1000, 0x1000, 8192, EPT_RWX), EPT_EINVAL);
	assert_int_equal(ept_map(&E, 0x1000, 0x1000, EPT_4K, EPT_WRITE), EPT_EINVAL); /* W without R */
	assert_int_equal(ept_map(&E, 0x1000, 0x1000, EPT_4K, 0), EPT_EINVAL);
	assert_int_equal(ept_map(&E, EPT_MAX_GPA, 0x1000, EPT_4K, EPT_RWX), EPT_EINVAL);
	assert_int_equal(ept_map(&E, 0x200000, 0x1000, EPT_2M, EPT_RWX), EPT_EINVAL);
	assert_int_equal(ept_lookup(&E, 0x1000, &l), EPT_ENOENT);
	assert_int_equal(ept_unmap(&E, 0x1000), EPT_ENOENT);
	assert_int_equal(ept_protect(&E, 0x1000, EPT_READ), EPT_ENOENT);
	assert_int_equal(ept_split(&E, 0x1000), EPT_ENOENT);
	assert_int_equal(ept_test_and_clear_ad(&E, 0x1000), EPT_ENOENT);
	assert_int_equal(E.tables, 1); /* lookups and failures created nothing */
}

static void test_2m_split_identical(void **state)
{
	struct ept_leaf l;
	uint64_t before[512];
	(void)state;
	assert_int_equal(ept_map(&E, 0x400000, 0x80000000ull, EPT_2M, EPT_READ | EPT_EXECUTE), 0);
	assert_int_equal(E.tables, 3); /* PML4, PDPT, PD: no PT */
	assert_int_equal(ept_lookup(&E, 0x5ff123, &l), 0);
	assert_int_equal(l.size, EPT_2M);
	assert_int_equal(l.hpa, 0x801ff123ull);
	assert_int_equal(ept_split(&E, 0x4ff000), 0);
	assert_int_equal(ept_split(&E, 0x400000), EPT_EINVAL); /* 4 KiB leaves now */
	for (unsigned i = 0; i < 512; i++) {
		before[i] = 0x80000000ull + i * EPT_4K;
		assert_int_equal(hw(0x400000 + i * EPT_4K + 8, 0), before[i] + 8);
		assert_int_equal(ept_lookup(&E, 0x400000 + i * EPT_4K, &l), 0);
		assert_int_equal(l.size, EPT_4K);
		assert_int_equal(l.perms, EPT_READ | EPT_EXECUTE);
	}
	assert_int_equal(E.tables, 4);
	assert_int_equal(hw(0x400000, 1), ~0ull); /* permissions kept: read-only */
}

static void test_4k_inside_2m_splits(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&E, 0x200000, 0x40000000ull, EPT_2M, EPT_RWX), 0);
	assert_int_equal(hw(0x2000, 1) , ~0ull);
	assert_int_equal(ept_map(&E, 0x203000, 0x7000, EPT_4K, EPT_READ), 0);
	assert_int_equal(hw(0x203000, 0), 0x7000);
	assert_int_equal(hw(0x202000, 1), 0x40002000ull); /* the neighbours unchanged */
	assert_int_equal(hw(0x204000, 1), 0x40004000ull);
	assert_int_equal(hw(0x3ff000, 1), 0x401ff000ull);
	/* A 2 MiB map over 4 KiB entries is refused. */
	assert_int_equal(ept_map(&E, 0x200000, 0x40000000ull, EPT_2M, EPT_RWX), EPT_EEXIST);
	/* Unmapping 4 KiB of a 2 MiB page splits it too. */
	assert_int_equal(ept_map(&E, 0x600000, 0x60000000ull, EPT_2M, EPT_RWX), 0);
	assert_int_equal(ept_unmap(&E, 0x601000), 0);
	assert_int_equal(hw(0x601000, 0), ~0ull);
	assert_int_equal(hw(0x600000, 0), 0x60000000ull);
	assert_int_equal(hw(0x602000, 0), 0x60002000ull);
}

static void test_protect_and_dirty(void **state)
{
	struct ept_leaf l;
	(void)state;
	assert_int_equal(ept_map(&E, 0x5000, 0x9000, EPT_4K, EPT_RWX), 0);
	assert_int_equal(ept_test_and_clear_ad(&E, 0x5000), 0); /* a new mapping: neither */
	assert_int_not_equal(hw(0x5000, 0), ~0ull);
	assert_int_equal(ept_test_and_clear_ad(&E, 0x5000), EPT_ACCESSED); /* a read: accessed */
	assert_int_equal(ept_test_and_clear_ad(&E, 0x5000), 0);            /* ...and cleared */
	assert_int_not_equal(hw(0x5008, 1), ~0ull);
	assert_int_equal(ept_test_and_clear_ad(&E, 0x5000), EPT_ACCESSED | EPT_DIRTY);
	assert_int_equal(ept_test_and_clear_ad(&E, 0x5000), 0);
	assert_int_equal(ept_protect(&E, 0x5000, EPT_READ | EPT_EXECUTE), 0);
	assert_int_equal(hw(0x5000, 1), ~0ull);
	assert_int_equal(hw(0x5000, 0), 0x9000);
	assert_int_equal(ept_protect(&E, 0x5000, EPT_WRITE), EPT_EINVAL);
	assert_int_equal(ept_protect(&E, 0x5000, EPT_RWX), 0);
	assert_int_equal(hw(0x5000, 1), 0x9000);
	assert_int_equal(ept_lookup(&E, 0x5000, &l), 0);
	assert_true(l.dirty);
}

static void test_unmap_frees_empty_tables(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&E, 0x1000, 0x1000, EPT_4K, EPT_RWX), 0);
	assert_int_equal(ept_map(&E, 0x2000, 0x2000, EPT_4K, EPT_RWX), 0);
	assert_int_equal(ept_map(&E, 0x8000000000ull, 0x3000, EPT_4K, EPT_RWX), 0);
	assert_int_equal(E.tables, 7);
	assert_int_equal(ept_unmap(&E, 0x1000), 0);
	assert_int_equal(E.tables, 7); /* the PT still holds 0x2000 */
	assert_int_equal(hw(0x2000, 0), 0x2000);
	assert_int_equal(ept_unmap(&E, 0x2000), 0);
	assert_int_equal(E.tables, 4);
	assert_int_equal(ept_unmap(&E, 0x8000000000ull), 0);
	assert_int_equal(E.tables, 1);
}

/* Clearing a leaf keeps the tables: nothing is freed while the VM may run,
 * and mapping the page again takes no table page, even with none left. */
static void test_clear_keeps_tables(void **state)
{
	struct ept_leaf l;
	(void)state;
	assert_int_equal(ept_map(&E, 0x1000, 0x1000, EPT_4K, EPT_RWX), 0);
	assert_int_equal(E.tables, 4);
	assert_int_equal(ept_clear(&E, 0x1000), 0);
	assert_int_equal(E.tables, 4);
	assert_int_equal(hw(0x1000, 0), ~0ull);             /* not present */
	assert_int_equal(ept_lookup(&E, 0x1000, &l), EPT_ENOENT);
	assert_int_equal(ept_clear(&E, 0x1000), EPT_ENOENT);
	assert_int_equal(ept_test_and_clear_ad(&E, 0x1000), EPT_ENOENT);
	A.budget = 0;
	assert_int_equal(ept_map(&E, 0x1000, 0x7000, EPT_4K, EPT_RWX), 0);
	A.budget = -1;
	assert_int_equal(hw(0x1000, 1), 0x7000);
	assert_int_equal(ept_map(&E, 0x200000, 0x200000, EPT_2M, EPT_RWX), 0);
	assert_int_equal(ept_clear(&E, 0x201000), EPT_EINVAL);  /* a 2 MiB leaf */
	assert_int_equal(hw(0x201000, 0), 0x201000);
}

static void test_out_of_table_pages(void **state)
{
	(void)state;
	A.budget = 2; /* a 4 KiB map at a new place needs 3 */
	assert_int_equal(ept_map(&E, 0x1000, 0x1000, EPT_4K, EPT_RWX), EPT_ENOMEM);
	assert_int_equal(hw(0x1000, 0), ~0ull);
	A.budget = -1;
	assert_int_equal(ept_map(&E, 0x1000, 0x1000, EPT_4K, EPT_RWX), 0);
	assert_int_equal(ept_map(&E, 0x200000, 0x200000, EPT_2M, EPT_RWX), 0);
	A.budget = 0; /* the split needs a page */
	assert_int_equal(ept_split(&E, 0x200000), EPT_ENOMEM);
	assert_int_equal(hw(0x3ff000, 1), 0x3ff000); /* still the whole 2 MiB page */
	A.budget = -1;
}

/* A measurement point's regions (kernel/freeze.c): one PDE write freezes
 * 512 pages; the first write thaws the region page by page, withholding W
 * from every writable leaf the caller did not let; the end gives W back
 * exactly where it was withheld, and nowhere the engine remapped since. */
static bool keep_page_4(void *ctx, uint64_t gpa)
{
	(*(unsigned *)ctx)++;
	return gpa == 4 * EPT_4K;
}

static void test_region_freeze_thaw_restore(void **state)
{
	struct ept_leaf l;
	unsigned asked = 0, writable = 0;
	(void)state;
	/* Region 0: pages 0..599 spill into region 1; odd pages read-only,
	 * page 8 not present (a compressed page), page 2 written (dirty). */
	for (uint64_t g = 0; g < 600; g++)
		assert_int_equal(ept_map(&E, g * EPT_4K, 0x100000000ull + g * EPT_4K, EPT_4K,
					 g & 1 ? EPT_READ | EPT_EXECUTE : EPT_RWX), 0);
	assert_int_equal(ept_clear(&E, 8 * EPT_4K), 0);
	assert_int_not_equal(hw(2 * EPT_4K, 1), ~0ull);
	for (uint64_t g = 0; g < 512; g++)
		writable += !(g & 1) && g != 8;
	assert_int_equal(ept_region_state(&E, 0), EPT_REGION_NONE);
	assert_int_equal(ept_region_freeze(&E, 0x1234), 0);
	assert_int_equal(ept_region_freeze(&E, EPT_2M + 5), 0);
	assert_int_equal(ept_region_freeze(&E, 0), EPT_EEXIST);
	assert_int_equal(ept_region_state(&E, 0x1ff000), EPT_REGION_FROZEN);
	for (uint64_t g = 0; g < 600; g++) {
		assert_int_equal(hw(g * EPT_4K, 1), ~0ull);     /* nothing writes ... */
		if (g != 8)                                     /* ... everything reads */
			assert_int_equal(hw(g * EPT_4K, 0), 0x100000000ull + g * EPT_4K);
	}
	assert_int_equal(ept_lookup(&E, 0, &l), 0);
	assert_int_equal(l.perms, EPT_RWX); /* the leaf is untouched by a freeze */
	assert_false(l.withheld);
	/* The thaw: every writable leaf of region 0 but page 4 withheld. */
	assert_int_equal(ept_region_thaw(&E, 0x5000, keep_page_4, &asked), (int)writable - 1);
	assert_int_equal(asked, writable);                       /* asked of writable leaves only */
	assert_int_equal(ept_region_thaw(&E, 0x5000, NULL, NULL), EPT_EINVAL); /* thawed already */
	assert_int_equal(ept_region_state(&E, 0), EPT_REGION_THAWED);
	assert_int_equal(hw(4 * EPT_4K, 1), 0x100004000ull);     /* let */
	assert_int_equal(hw(12 * EPT_4K, 1), ~0ull);             /* withheld */
	assert_int_equal(hw(5 * EPT_4K, 1), ~0ull);              /* read-only as before */
	assert_int_equal(hw(513 * EPT_4K + 8, 0), 0x100201008ull);
	assert_int_equal(hw(512 * EPT_4K, 1), ~0ull);            /* region 1 still frozen */
	assert_int_equal(ept_lookup(&E, 12 * EPT_4K, &l), 0);
	assert_true(l.withheld);
	assert_int_equal(l.perms, EPT_READ | EPT_EXECUTE);
	assert_int_equal(ept_lookup(&E, 4 * EPT_4K, &l), 0);
	assert_false(l.withheld);
	assert_int_equal(ept_lookup(&E, 2 * EPT_4K, &l), 0);
	assert_true(l.dirty);                                    /* A/D kept */
	assert_int_equal(ept_lookup(&E, 5 * EPT_4K, &l), 0);
	assert_false(l.withheld);
	/* Page by page: W back where withheld, nowhere else. */
	assert_int_equal(ept_return_write(&E, 12 * EPT_4K), 1);
	assert_int_equal(hw(12 * EPT_4K, 1), 0x10000c000ull);
	assert_int_equal(ept_return_write(&E, 12 * EPT_4K), 0);
	assert_int_equal(ept_return_write(&E, 5 * EPT_4K), 0);
	assert_int_equal(hw(5 * EPT_4K, 1), ~0ull);
	assert_int_equal(ept_return_write(&E, 8 * EPT_4K), EPT_ENOENT);
	/* The engine remaps page 6 read-only (a merge): its mark goes with the
	 * old entry, and the end gives it no W.  Page 10 it remaps writable,
	 * and the point withholds that (ept_withhold_write). */
	assert_int_equal(ept_map(&E, 6 * EPT_4K, 0x7000, EPT_4K, EPT_READ | EPT_EXECUTE), 0);
	assert_int_equal(ept_lookup(&E, 6 * EPT_4K, &l), 0);
	assert_false(l.withheld);
	assert_int_equal(ept_map(&E, 10 * EPT_4K, 0x9000, EPT_4K, EPT_RWX), 0);
	assert_int_equal(ept_withhold_write(&E, 10 * EPT_4K), 0);
	assert_int_equal(hw(10 * EPT_4K, 1), ~0ull);
	assert_int_equal(ept_withhold_write(&E, 8 * EPT_4K), EPT_ENOENT);
	/* The end: region 0 and the still frozen region 1. */
	/* Withheld at the end: all thawed but page 4 (kept), 12 (returned) and
	 * 6 (remapped); 10's mark is its new entry's. */
	assert_int_equal(ept_region_restore(&E, 0), (int)writable - 3);
	assert_int_equal(ept_region_restore(&E, 0), EPT_EINVAL);
	assert_int_equal(ept_region_restore(&E, EPT_2M), 0);
	for (uint64_t g = 0; g < 600; g++) {
		struct ept_leaf m;
		if (g == 8)
			continue;
		assert_int_equal(ept_lookup(&E, g * EPT_4K, &m), 0);
		assert_false(m.withheld);
		if (g == 6 || (g & 1))
			assert_int_equal(hw(g * EPT_4K, 1), ~0ull);
		else
			assert_int_not_equal(hw(g * EPT_4K, 1), ~0ull);
	}
	assert_int_equal(ept_region_state(&E, 0), EPT_REGION_NONE);
	assert_int_equal(ept_region_state(&E, EPT_2M), EPT_REGION_NONE);
	for (uint64_t g = 0; g < 600; g++)
		if (g != 8)
			assert_int_equal(ept_unmap(&E, g * EPT_4K), 0);
}

/* What a region cannot be: a 2 MiB leaf (never split by a point), or
 * nothing at all. */
static void test_region_refused(void **state)
{
	(void)state;
	assert_int_equal(ept_region_freeze(&E, 0), EPT_ENOENT);
	assert_int_equal(ept_region_thaw(&E, 0, NULL, NULL), EPT_ENOENT);
	assert_int_equal(ept_region_restore(&E, 0), EPT_ENOENT);
	assert_int_equal(ept_map(&E, 0x400000, 0x400000, EPT_2M, EPT_RWX), 0);
	assert_int_equal(ept_region_freeze(&E, 0x400000), EPT_EINVAL);
	assert_int_equal(ept_region_state(&E, 0x400000), EPT_REGION_NONE);
	assert_int_equal(ept_withhold_write(&E, 0x401000), EPT_EINVAL);
	assert_int_equal(hw(0x401000, 1), 0x401000);
	assert_int_equal(ept_region_freeze(&E, EPT_MAX_GPA), EPT_EINVAL);
	assert_int_equal(E.tables, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_4k_and_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_2m_split_identical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4k_inside_2m_splits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protect_and_dirty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_frees_empty_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear_keeps_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_table_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_freeze_thaw_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_refused, setup, teardown),
	};
	return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}
