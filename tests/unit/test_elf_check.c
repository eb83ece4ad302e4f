/* test_elf_check.c - the loader's ELF checks: a good image loads, each bad one is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <cmocka.h>

#include "elf_check.h"

#define BASE 0xFFFFFFFF80000000ull

/* An image with two PT_LOAD segments: text (file bytes 'T') and data+bss. */
static struct {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	unsigned char text[256];
	unsigned char data[64];
} img;

static void make_good(void)
{
	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_type = ET_EXEC;
	img.eh.e_machine = EM_X86_64;
	img.eh.e_entry = BASE + 0x10;
	img.eh.e_phoff = offsetof(__typeof__(img), ph);
	img.eh.e_phentsize = sizeof(Elf64_Phdr);
	img.eh.e_phnum = 3;
	img.ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(__typeof__(img), text),
				  .p_vaddr = BASE, .p_filesz = 256, .p_memsz = 256 };
	img.ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE };
	img.ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(__typeof__(img), data),
				  .p_vaddr = BASE + 0x3000, .p_filesz = 64, .p_memsz = 0x2000 };
	memset(img.text, 'T', sizeof(img.text));
	memset(img.data, 'D', sizeof(img.data));
}

static void expect_refused(size_t len, const char *fragment)
{
	struct elf_image e;
	const char *why = NULL;
	assert_int_equal(elf_check(&img, len, BASE, &e, &why), -1);
	if (!why || !strstr(why, fragment))
		fail_msg("reason '%s' lacks '%s'", why ? why : "(null)", fragment);
}

static void test_good_image_loads(void **state)
{
	struct elf_image e;
	const char *why;
	unsigned char *dst;
	(void)state;
	make_good();
	assert_int_equal(elf_check(&img, sizeof(img), BASE, &e, &why), 0);
	assert_int_equal(e.entry, BASE + 0x10);
	assert_int_equal(e.vaddr_lo, BASE);
	assert_int_equal(e.vaddr_hi, BASE + (2u << 20));
	assert_int_equal(e.nload, 2);
	dst = malloc(e.vaddr_hi - e.vaddr_lo);
	memset(dst, 0xAA, e.vaddr_hi - e.vaddr_lo);
	elf_load(&img, &e, dst);
	assert_int_equal(dst[0], 'T');
	assert_int_equal(dst[255], 'T');
	assert_int_equal(dst[256], 0);          /* gap zeroed */
	assert_int_equal(dst[0x3000], 'D');
	assert_int_equal(dst[0x3000 + 63], 'D');
	assert_int_equal(dst[0x3000 + 64], 0);  /* bss zeroed */
	assert_int_equal(dst[0x4fff], 0);
	free(dst);
}

static void test_bad_headers(void **state)
{
	(void)state;
	make_good(); expect_refused(10, "too short");
	make_good(); img.eh.e_ident[1] = 'X'; expect_refused(sizeof(img), "bad magic");
	make_good(); img.eh.e_ident[EI_CLASS] = ELFCLASS32; expect_refused(sizeof(img), "64-bit");
	make_good(); img.eh.e_ident[EI_DATA] = ELFDATA2MSB; expect_refused(sizeof(img), "little-endian");
	make_good(); img.eh.e_machine = EM_AARCH64; expect_refused(sizeof(img), "x86-64");
	make_good(); img.eh.e_type = ET_DYN; expect_refused(sizeof(img), "executable");
	make_good(); img.eh.e_phnum = 0; expect_refused(sizeof(img), "program header");
	make_good(); img.eh.e_phoff = 1ull << 40; expect_refused(sizeof(img), "past the end");
}

static void test_bad_segments(void **state)
{
	(void)state;
	/* Truncated: the data segment's bytes are cut off. */
	make_good(); expect_refused(offsetof(__typeof__(img), data) + 10, "past the end");
	make_good(); img.ph[0].p_filesz = 300; expect_refused(sizeof(img), "file size exceeds");
	make_good(); img.ph[0].p_vaddr = 0x100000; expect_refused(sizeof(img), "outside the hypervisor");
	make_good(); img.ph[2].p_memsz = 0xFFFFFFFFFFFF0000ull; img.ph[2].p_filesz = 0;
	expect_refused(sizeof(img), "outside the hypervisor");
	make_good(); img.ph[2].p_memsz = 65u << 20; expect_refused(sizeof(img), "larger than 64 MiB");
	make_good(); img.eh.e_entry = BASE + (4u << 20); expect_refused(sizeof(img), "entry point");
	make_good(); img.ph[2].p_vaddr = BASE + 0x80; expect_refused(sizeof(img), "overlap");
	make_good(); img.ph[0].p_type = PT_NULL; img.ph[2].p_type = PT_NULL;
	expect_refused(sizeof(img), "no loadable");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_image_loads),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_segments),
	};
	return cmocka_run_group_tests_name("elf_check", tests, NULL, NULL);
}
