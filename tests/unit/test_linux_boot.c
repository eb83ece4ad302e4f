/* test_linux_boot.c - recognizing Linux kernels, planning their load, and
 * the boot information they get (devices/linux_boot.c).  The kernels here
 * are synthetic: headers as Debian's 6.1 bzImage and vmlinux carry them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "linux_boot.h"

static void put(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = (v << 8) | p[n];
	return v;
}

#define BZ_SIZE (64 * 1024)
/* A bzImage: 27 setup sectors, protected-mode code to the end. */
static uint8_t *bzimage(void)
{
	uint8_t *f = calloc(1, BZ_SIZE);
	put(f + BP_SETUP_SECTS, 1, 27);
	put(f + BP_SYSSIZE, 4, (BZ_SIZE - 28 * 512) / 16);
	put(f + BP_BOOT_FLAG, 2, 0xAA55);
	put(f + BP_JUMP, 2, 0x66EB);        /* jmp +0x66: the header ends at 0x268 */
	put(f + BP_HEADER, 4, BP_HEADER_MAGIC);
	put(f + BP_VERSION, 2, 0x20F);
	put(f + BP_LOADFLAGS, 1, LOADED_HIGH);
	put(f + BP_CODE32_START, 4, 0x100000);
	put(f + BP_INITRD_ADDR_MAX, 4, 0x7FFFFFFF);
	put(f + BP_KERNEL_ALIGNMENT, 4, 0x200000);
	put(f + BP_RELOCATABLE_KERNEL, 1, 1);
	put(f + BP_XLOADFLAGS, 2, 0x7F);
	put(f + BP_CMDLINE_SIZE, 4, 2047);
	put(f + BP_PREF_ADDRESS, 8, 0x1000000);
	put(f + BP_INIT_SIZE, 4, 0x2000000);
	return f;
}

static void test_bzimage(void **state)
{
	struct lb_kernel k;
	const char *why = NULL;
	uint8_t *f = bzimage();
	(void)state;
	assert_int_equal(lb_parse(f, BZ_SIZE, &k, &why), 0);
	assert_int_equal(k.format, LB_BZIMAGE);
	assert_int_equal(k.entry, 0x100000);
	assert_int_equal(k.nsegs, 1);
	assert_int_equal(k.seg[0].file_off, 28 * 512);
	assert_int_equal(k.seg[0].file_size, BZ_SIZE - 28 * 512);
	assert_int_equal(k.hi, 0x3000000); /* unpacked at pref_address, init_size long */
	assert_int_equal(k.cmdline_max, 2047);
	assert_int_equal(k.initrd_max, 0x80000000ull);
	assert_int_equal(k.protocol, 0x20F);
	free(f);
}

static void expect_refused(uint8_t *f, uint64_t size, const char *words)
{
	struct lb_kernel k;
	const char *why = NULL;
	assert_int_equal(lb_parse(f, size, &k, &why), -1);
	assert_non_null(why);
	if (!strstr(why, words)) {
		free(f);
		fail_msg("reason '%s' does not say '%s'", why, words);
	}
}

static void test_bzimage_refusals(void **state)
{
	uint8_t *f = bzimage();
	(void)state;
	expect_refused(f, BZ_SIZE - 1, "truncated");
	expect_refused(f, 600, "truncated");
	expect_refused(f, 100, "too short");
	{ /* exactly up to the "HdrS" signature: nothing past it may be read */
		uint8_t *g = malloc(BP_HEADER + 4);
		memcpy(g, f, BP_HEADER + 4);
		expect_refused(g, BP_HEADER + 4, "truncated");
		free(g);
	}
	put(f + BP_SYSSIZE, 4, 0);                 /* found by tests/fuzz/fuzz_linux_boot.c */
	expect_refused(f, BZ_SIZE, "without protected-mode code");
	put(f + BP_SYSSIZE, 4, (BZ_SIZE - 28 * 512) / 16);
	put(f + BP_VERSION, 2, 0x203);
	expect_refused(f, BZ_SIZE, "older than 2.12");
	put(f + BP_VERSION, 2, 0x20F);
	put(f + BP_XLOADFLAGS, 2, 0);
	expect_refused(f, BZ_SIZE, "64-bit");
	put(f + BP_XLOADFLAGS, 2, 0x7F);
	put(f + BP_LOADFLAGS, 1, 0);
	expect_refused(f, BZ_SIZE, "zImage");
	put(f + BP_LOADFLAGS, 1, LOADED_HIGH);
	put(f + BP_HEADER, 4, 0x12345678);
	expect_refused(f, BZ_SIZE, "not a Linux kernel");
	memset(f, 0x41, BZ_SIZE); /* a text file */
	expect_refused(f, BZ_SIZE, "not a Linux kernel");
	free(f);
}

#define ELF_SIZE 0x3000
/* A vmlinux: two PT_LOAD segments at 16 MiB and a PT_NOTE with the PVH
 * entry, the layout Debian's vmlinux has (fewer segments). */
static uint8_t *vmlinux(uint32_t pvh_entry)
{
	uint8_t *f = calloc(1, ELF_SIZE), *ph;
	memcpy(f, "\177ELF", 4);
	f[4] = 2, f[5] = 1, f[6] = 1;
	put(f + 16, 2, 2), put(f + 18, 2, 62), put(f + 24, 8, 0x1000000);
	put(f + 32, 8, 64), put(f + 54, 2, 56), put(f + 56, 2, 3);
	ph = f + 64; /* text: file 0x1000.., 0x1000 bytes at 16 MiB */
	put(ph, 4, 1), put(ph + 8, 8, 0x1000), put(ph + 16, 8, 0xffffffff81000000ull);
	put(ph + 24, 8, 0x1000000), put(ph + 32, 8, 0x1000), put(ph + 40, 8, 0x1000);
	ph += 56; /* data+bss: 0x800 in the file, 1 MiB in memory */
	put(ph, 4, 1), put(ph + 8, 8, 0x2000), put(ph + 24, 8, 0x1200000);
	put(ph + 32, 8, 0x800), put(ph + 40, 8, 0x100000);
	ph += 56; /* notes at 0x2800 */
	put(ph, 4, 4), put(ph + 8, 8, 0x2800), put(ph + 32, 8, 2 * 20);
	/* a note of another type first, then XEN_ELFNOTE_PHYS32_ENTRY */
	put(f + 0x2800, 4, 4), put(f + 0x2804, 4, 4), put(f + 0x2808, 4, 6);
	memcpy(f + 0x280C, "Xen", 4), put(f + 0x2810, 4, 0x78756E69);
	put(f + 0x2814, 4, 4), put(f + 0x2818, 4, 4), put(f + 0x281C, 4, XEN_ELFNOTE_PHYS32_ENTRY);
	memcpy(f + 0x2820, "Xen", 4), put(f + 0x2824, 4, pvh_entry);
	return f;
}

static void test_vmlinux(void **state)
{
	struct lb_kernel k;
	const char *why = NULL;
	uint8_t *f = vmlinux(0x1000850);
	(void)state;
	assert_int_equal(lb_parse(f, ELF_SIZE, &k, &why), 0);
	assert_int_equal(k.format, LB_ELF_PVH);
	assert_int_equal(k.entry, 0x1000850);
	assert_int_equal(k.nsegs, 2);
	assert_int_equal(k.seg[1].gpa, 0x1200000);
	assert_int_equal(k.seg[1].file_size, 0x800);
	assert_int_equal(k.seg[1].mem_size, 0x100000);
	assert_int_equal(k.lo, 0x1000000);
	assert_int_equal(k.hi, 0x1300000);
	free(f);
}

static void test_vmlinux_refusals(void **state)
{
	uint8_t *f = vmlinux(0);
	(void)state;
	expect_refused(f, ELF_SIZE, "PVH entry note");
	free(f);
	f = vmlinux(0x5000000);
	expect_refused(f, ELF_SIZE, "outside");
	free(f);
	f = vmlinux(0x1000850);
	expect_refused(f, 0x2000, "truncated");   /* the data segment is cut */
	expect_refused(f, 100, "truncated");      /* program headers cut */
	f[18] = 3;                                 /* i386 */
	expect_refused(f, ELF_SIZE, "x86-64");
	free(f);
}

static void test_place(void **state)
{
	struct lb_kernel k;
	struct lb_layout l;
	const char *why = NULL;
	uint8_t *f = bzimage();
	(void)state;
	assert_int_equal(lb_parse(f, BZ_SIZE, &k, &why), 0);
	assert_int_equal(lb_place(&k, 256 << 20, 1000001, 100, &l, &why), 0);
	assert_int_equal(l.initrd_size, 1000001);
	assert_int_equal(l.initrd_gpa & 0xFFF, 0);
	assert_true(l.initrd_gpa + l.initrd_size <= 256 << 20);
	assert_true(l.initrd_gpa >= k.hi);
	assert_int_equal(l.entry_esi, LB_INFO_GPA);
	assert_int_equal(lb_place(&k, 32 << 20, 0, 100, &l, &why), -1);
	assert_non_null(strstr(why, "RAM too small"));
	assert_int_equal(lb_place(&k, 64 << 20, 40 << 20, 100, &l, &why), -1);
	assert_non_null(strstr(why, "initrd does not fit"));
	assert_int_equal(lb_place(&k, 256 << 20, 0, 2048, &l, &why), -1);
	assert_non_null(strstr(why, "command line"));
	/* The initrd stays below initrd_addr_max on a big VM. */
	put(f + BP_INITRD_ADDR_MAX, 4, 0x37FFFFFF);
	assert_int_equal(lb_parse(f, BZ_SIZE, &k, &why), 0);
	assert_int_equal(lb_place(&k, 2048ull << 20, 1 << 20, 10, &l, &why), 0);
	assert_true(l.initrd_gpa + l.initrd_size <= 0x38000000);
	free(f);
}

static void test_boot_params(void **state)
{
	struct lb_kernel k;
	struct lb_layout l;
	const char *why = NULL;
	uint8_t *f = bzimage(), page[4096];
	struct boot_e820_entry e;
	(void)state;
	assert_int_equal(lb_parse(f, BZ_SIZE, &k, &why), 0);
	assert_int_equal(lb_place(&k, 128 << 20, 8192, 20, &l, &why), 0);
	lb_build_info(&k, f, &l, page);
	assert_int_equal(get(page + BP_HEADER, 4), BP_HEADER_MAGIC);
	assert_int_equal(get(page + BP_VERSION, 2), 0x20F);
	assert_int_equal(get(page + BP_TYPE_OF_LOADER, 1), 0xFF);
	assert_int_equal(get(page + BP_CMD_LINE_PTR, 4), LB_CMDLINE_GPA);
	assert_int_equal(get(page + BP_RAMDISK_IMAGE, 4), l.initrd_gpa);
	assert_int_equal(get(page + BP_RAMDISK_SIZE, 4), 8192);
	assert_int_equal(get(page + BP_E820_ENTRIES, 1), 4);
	memcpy(&e, page + BP_E820_TABLE + 3 * 20, sizeof(e));
	assert_int_equal(e.addr, 0x100000);
	assert_int_equal(e.size, (128 << 20) - 0x100000);
	assert_int_equal(e.type, E820_TYPE_RAM);
	memcpy(&e, page + BP_E820_TABLE + 1 * 20, sizeof(e));
	assert_int_equal(e.type, E820_TYPE_RESERVED);
	free(f);
}

static void test_start_info(void **state)
{
	struct lb_kernel k;
	struct lb_layout l;
	struct hvm_start_info si;
	struct hvm_memmap_table_entry mm;
	struct hvm_modlist_entry mod;
	const char *why = NULL;
	uint8_t *f = vmlinux(0x1000850), page[4096];
	(void)state;
	assert_int_equal(lb_parse(f, ELF_SIZE, &k, &why), 0);
	assert_int_equal(lb_place(&k, 64 << 20, 3 << 20, 30, &l, &why), 0);
	assert_int_equal(l.entry_ebx, LB_INFO_GPA);
	lb_build_info(&k, f, &l, page);
	memcpy(&si, page, sizeof(si));
	assert_int_equal(si.magic, XEN_HVM_START_MAGIC_VALUE);
	assert_int_equal(si.version, 1);
	assert_int_equal(si.cmdline_paddr, LB_CMDLINE_GPA);
	assert_int_equal(si.nr_modules, 1);
	assert_int_equal(si.memmap_entries, 4);
	assert_true(si.memmap_paddr > LB_INFO_GPA && si.memmap_paddr < LB_INFO_GPA + 4096);
	memcpy(&mm, page + (si.memmap_paddr - LB_INFO_GPA) + 3 * sizeof(mm), sizeof(mm));
	assert_int_equal(mm.addr + mm.size, 64 << 20);
	memcpy(&mod, page + (si.modlist_paddr - LB_INFO_GPA), sizeof(mod));
	assert_int_equal(mod.paddr, l.initrd_gpa);
	assert_int_equal(mod.size, 3 << 20);
	assert_true(mod.paddr + mod.size <= 64 << 20);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage),
		cmocka_unit_test(test_bzimage_refusals),
		cmocka_unit_test(test_vmlinux),
		cmocka_unit_test(test_vmlinux_refusals),
		cmocka_unit_test(test_place),
		cmocka_unit_test(test_boot_params),
		cmocka_unit_test(test_start_info),
	};
	return cmocka_run_group_tests_name("linux_boot", tests, NULL, NULL);
}
