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
	make_good(); r[1].base = 0x1FF000; expect("overlapping");
	make_good(); r[2].type = 9; expect("malformed region");
	make_good(); r[0].base = 0x100800; expect("malformed region");
	make_good(); bi.file_count = 0; expect("no config");
	make_good(); bi.file_count = BOOT_MAX_FILES + 1; expect("too many files");
	make_good(); memset(bi.files[0].name, 'x', BOOT_NAME_MAX); expect("unterminated");
	make_good(); bi.files[0].phys = 0x200010; expect("page aligned");
	make_good(); memset(bi.cmdline, 'c', BOOT_CMDLINE_MAX); expect("command line");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_good), cmocka_unit_test(test_bad) };
	return cmocka_run_group_tests_name("boot_info", tests, NULL, NULL);
}
