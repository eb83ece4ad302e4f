/* test_acpi.c - RSDP -> XSDT -> FADT/DSDT/MADT over synthetic tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "acpi.h"

static uint8_t mem[8192]; /* fake physical memory: phys = offset */

static void *to_ptr(uint64_t phys) { assert_true(phys < sizeof(mem)); return mem + phys; }

static void fix_checksum(uint8_t *p, size_t len, size_t at)
{
	uint8_t s = 0;
	p[at] = 0;
	for (size_t i = 0; i < len; i++) s = (uint8_t)(s + p[i]);
	p[at] = (uint8_t)-s;
}

static void header(uint64_t at, const char *sig, uint32_t len)
{
	memcpy(mem + at, sig, 4);
	memcpy(mem + at + 4, &len, 4);
}

#define RSDP 0x40

/* RSDP at 0x40, XSDT at 0x100 -> FADT 0x200, MADT 0x400; DSDT at 0x600. */
static void build(const uint8_t *s5, size_t s5len)
{
	uint64_t e[2] = { 0x200, 0x400 };
	uint32_t pm1a = 0xB004, dsdt = 0x600, xsdt_len = 36 + 16, madt_len = 44 + 8 * 3;
	uint32_t flags;
	memset(mem, 0, sizeof(mem));
	memcpy(mem + RSDP, "RSD PTR ", 8);
	mem[RSDP + 15] = 2;
	uint64_t x = 0x100;
	memcpy(mem + RSDP + 24, &x, 8);
	fix_checksum(mem + RSDP, 20, 8);
	header(0x100, "XSDT", xsdt_len);
	memcpy(mem + 0x100 + 36, e, 16);
	fix_checksum(mem + 0x100, xsdt_len, 9);
	header(0x200, "FACP", 116);
	memcpy(mem + 0x200 + 40, &dsdt, 4);
	memcpy(mem + 0x200 + 64, &pm1a, 4);
	fix_checksum(mem + 0x200, 116, 9);
	header(0x400, "APIC", madt_len);
	for (int i = 0; i < 3; i++) { /* two enabled CPUs (APIC ids 0, 2), one disabled */
		uint8_t *l = mem + 0x400 + 44 + 8 * i;
		l[0] = 0; l[1] = 8; l[2] = (uint8_t)i; l[3] = (uint8_t)(2 * i);
		flags = i == 2 ? 0 : 1;
		memcpy(l + 4, &flags, 4);
	}
	fix_checksum(mem + 0x400, madt_len, 9);
	header(0x600, "DSDT", (uint32_t)(36 + s5len));
	memcpy(mem + 0x600 + 36, s5, s5len);
	fix_checksum(mem + 0x600, 36 + s5len, 9);
}

static void test_tables(void **state)
{
	/* Name(_S5, Package(4){ 0x05, 0x05, 0, 0 }) */
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x0A, 0x04,
				      0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00 };
	struct acpi_info ai;
	const char *why;
	(void)state;
	build(s5, sizeof(s5));
	assert_int_equal(acpi_parse(RSDP, to_ptr, &ai, &why), 0);
	assert_int_equal(ai.pm1a_cnt, 0xB004);
	assert_int_equal(ai.s5_slp_typ, 5);
	assert_int_equal(ai.ncpus, 2);
	assert_int_equal(ai.apic_id[0], 0);
	assert_int_equal(ai.apic_id[1], 2);
	/* A table with a bad checksum is ignored. */
	mem[0x400 + 50] ^= 0xFF;
	assert_int_equal(acpi_parse(RSDP, to_ptr, &ai, &why), 0);
	assert_int_equal(ai.ncpus, 0);
	assert_int_equal(ai.pm1a_cnt, 0xB004);
}

static void test_bad_rsdp_and_s5_forms(void **state)
{
	static const uint8_t zero_op[] = { '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00 };
	static const uint8_t none[] = { '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x00, 0x00 };
	struct acpi_info ai;
	const char *why = NULL;
	(void)state;
	assert_int_equal(acpi_find_s5(zero_op, sizeof(zero_op) + 0), 0);
	assert_int_equal(acpi_find_s5(none, sizeof(none)), -1);
	build(zero_op, sizeof(zero_op));
	mem[RSDP + 3] = 'X';
	assert_int_equal(acpi_parse(0, to_ptr, &ai, &why), -1);
	assert_non_null(strstr(why, "no ACPI RSDP"));
	assert_int_equal(acpi_parse(RSDP, to_ptr, &ai, &why), -1);
	assert_non_null(strstr(why, "RSDP"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_bad_rsdp_and_s5_forms),
	};
	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
