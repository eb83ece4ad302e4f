/* test_mmap_convert.c - folding a UEFI memory map into boot_info regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mmap_convert.h"

/* Firmware descriptors may be larger than the struct: use a 48-byte stride. */
struct fat_desc { struct efi_mem_desc d; uint64_t extra; };

static void test_fold_sort_merge(void **state)
{
	struct fat_desc m[] = {
		{ { EFI_CONVENTIONAL_MEMORY, 0, 0x200000, 0, 16, 0 }, 0 },
		{ { EFI_BOOT_SERVICES_DATA, 0, 0x100000, 0, 256, 0 }, 0 }, /* before it, touching */
		{ { EFI_LOADER_DATA, 0, 0x210000, 0, 4, 0 }, 0 },
		{ { EFI_LOADER_CODE, 0, 0x214000, 0, 4, 0 }, 0 },
		{ { 11 /* MMIO */, 0, 0xFEC00000, 0, 1, 0 }, 0 },
		{ { EFI_ACPI_RECLAIM_MEMORY, 0, 0x300000, 0, 2, 0 }, 0 },
		{ { 10 /* ACPI NVS */, 0, 0x302000, 0, 2, 0 }, 0 },
		{ { 5 /* runtime code */, 0, 0x400000, 0, 0, 0 }, 0 },      /* empty: dropped */
	};
	struct boot_mem_region out[16];
	int n;
	(void)state;
	assert_int_equal(sizeof(struct fat_desc), 48);
	n = mmap_convert(m, 8, sizeof(struct fat_desc), out, 16);
	assert_int_equal(n, 6);
	assert_int_equal(out[0].base, 0x100000);    /* sorted, and merged with 0x200000 */
	assert_int_equal(out[0].pages, 256 + 16);
	assert_int_equal(out[0].type, BOOT_MEM_USABLE);
	assert_int_equal(out[1].base, 0x210000);
	assert_int_equal(out[1].type, BOOT_MEM_LOADER);
	assert_int_equal(out[2].base, 0x214000);
	assert_int_equal(out[2].type, BOOT_MEM_USABLE); /* loader code is free after the jump */
	assert_int_equal(out[3].type, BOOT_MEM_ACPI_RECLAIM);
	assert_int_equal(out[4].type, BOOT_MEM_RESERVED);
	assert_int_equal(out[5].base, 0xFEC00000);
	assert_int_equal(out[5].type, BOOT_MEM_RESERVED);
	/* Too many descriptors for the output: refused, not truncated. */
	assert_int_equal(mmap_convert(m, 8, sizeof(struct fat_desc), out, 3), -1);
	assert_int_equal(mmap_convert(m, 0, sizeof(struct fat_desc), out, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_fold_sort_merge) };
	return cmocka_run_group_tests_name("mmap_convert", tests, NULL, NULL);
}
