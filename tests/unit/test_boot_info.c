/* test_boot_info.c - the hypervisor refuses every malformed boot_info, naming why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot_info_check.h"

static struct boot_info bi;
static struct boot_mem_region r[3];

static void make_good(void)
{
	memset(&bi, 0, sizeof(bi));
	bi.magic = BOOT_INFO_MAGIC;
	bi.version = BOOT_INFO_VERSION;
	bi.size = sizeof(bi);
	bi.kernel_phys = 0x4000000;
	bi.kernel_size = 0x200000;
	bi.region_count = 3;
	r[0] = (struct boot_mem_region){ 0x100000, 256, BOOT_MEM_USABLE, 0 };
	r[1] = (struct boot_mem_region){ 0x200000, 16, BOOT_MEM_LOADER, 0 };
	r[2] = (struct boot_mem_region){ 0x400000, 1024, BOOT_MEM_USABLE, 0 };
	bi.file_count = 1;
	strcpy(bi.files[0].name, "dedupvisor.cfg");
	bi.files[0].phys = 0x200000;
	bi.files[0].size = 100;
}

static void expect(const char *fragment)
{
	const char *why = boot_info_check(&bi, r);
	if (!why || !strstr(why, fragment))
		fail_msg("got '%s', wanted '%s'", why ? why : "(accepted)", fragment);
}

static void test_good(void **state)
{
	(void)state;
	make_good();
	assert_null(boot_info_check(&bi, r));
	assert_non_null(boot_info_check(NULL, r));
}

static void test_bad(void **state)
{
	(void)state;
	make_good(); bi.magic ^= 1; expect("magic");
	make_good(); bi.version = 2; expect("version");
	make_good(); bi.size -= 8; expect("size");
	make_good(); bi.kernel_phys += 4096; expect("2 MiB aligned");
	make_good(); bi.region_count = 0; expect("memory map empty");
	make_good(); bi.region_count = 100000; expect("memory map empty");
	make_good(); r[1].base = 0x1FF000; expect("memory regions 0 and 1 overlap");
	make_good(); r[2].type = 9; expect("memory region 2: base 0x400000 has unknown type 9");
	make_good(); r[0].base = 0x100800; expect("memory region 0: base 0x100800 not 4 KiB aligned");
	make_good(); r[1].pages = 0; expect("memory region 1: base 0x200000 has no pages");
	make_good(); bi.file_count = 0; expect("no config");
	make_good(); bi.file_count = BOOT_MAX_FILES + 1; expect("too many files");
	make_good(); memset(bi.files[0].name, 'x', BOOT_NAME_MAX); expect("unterminated");
	make_good(); bi.files[0].phys = 0x200010; expect("page aligned");
	make_good(); memset(bi.cmdline, 'c', BOOT_CMDLINE_MAX); expect("command line");
}

/* Region ends are computed with checked arithmetic: a region whose size or
 * end does not fit in 64 bits, or lies beyond the 52-bit physical address
 * space, is refused by index, and overlaps are named by both indices. */
static unsigned failures;

/* Like expect() (fragment NULL: accepted), but reports every miss, not the first. */
static void check(const char *fragment)
{
	const char *why = boot_info_check(&bi, r);
	if (fragment ? why && strstr(why, fragment) : !why)
		return;
	print_error("got '%s', wanted '%s'\n", why ? why : "(accepted)", fragment ? fragment : "(accepted)");
	failures++;
}

static void test_region_arithmetic(void **state)
{
	(void)state;
	failures = 0;
	/* pages * 4096 overflows 64 bits. */
	make_good(); r[2].pages = 1ull << 52;
	check("memory region 2: base 0x400000 + 0x10000000000000 pages overflows");
	/* base + size wraps past 2^64 and so looks like it ends below region 2. */
	make_good(); r[0].pages = 0xFFFFFFFFFFFFFull; /* the most that does not overflow */
	check("memory region 0: base 0x100000 + 0xfffffffffffff pages wraps");
	/* The last region wraps: nothing after it to compare with. */
	make_good(); r[2].base = 0xFFFFFFFFFFE00000ull; r[2].pages = 1024;
	check("memory region 2: base 0xffffffffffe00000 + 0x400 pages wraps");
	/* Beyond the 52-bit physical address limit, without wrapping. */
	make_good(); r[2].base = (1ull << 52) - 4096; r[2].pages = 2;
	check("memory region 2: base 0xffffffffff000 + 0x2 pages ends beyond");
	make_good(); r[2].base = 1ull << 52; r[2].pages = 1;
	check("memory region 2");
	/* Up to the limit exactly is fine. */
	make_good(); r[2].base = (1ull << 52) - 4096 * 1024; check(NULL);
	/* Overlap and order, by index. */
	make_good(); r[2].base = 0x200000 + 15 * 4096; check("memory regions 1 and 2 overlap");
	make_good(); r[2].base = 0x100000; r[2].pages = 16; check("memory region 2 (base 0x100000) is below region 1");
	make_good(); r[1].base = 0xF0000; check("memory region 1 (base 0xf0000) is below region 0");
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_good), cmocka_unit_test(test_bad),
					    cmocka_unit_test(test_region_arithmetic) };
	return cmocka_run_group_tests_name("boot_info", tests, NULL, NULL);
}
