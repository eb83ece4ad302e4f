/* test_acpi_tables.c - the ACPI tables an SMP guest is given
 * (devices/acpi_tables.c), found as Linux finds them (the RSDP on a
 * 16-byte boundary in 0xE0000-0xFFFFF, both its checksums) and read by the
 * hypervisor's own ACPI reader (kernel/acpi.c, which checks every table's
 * checksum and lists the MADT's enabled local APICs), plus what that reader
 * does not look at: the RSDT, the MADT's flags and its NMI entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "acpi.h"
#include "acpi_spec.h"
#include "acpi_tables.h"

#define LOW 0xE0000u
static uint8_t mem[0x20000];   /* guest-physical 0xE0000..0xFFFFF */

static void *to_ptr(uint64_t phys)
{
	assert_true(phys >= LOW && phys < LOW + sizeof(mem));
	return mem + (phys - LOW);
}

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static unsigned sum(const uint8_t *p, size_t n)
{
	unsigned s = 0;
	while (n--)
		s += *p++;
	return s & 0xFF;
}

/* Linux's acpi_find_root_pointer over the BIOS area: the RSDP's address. */
static uint32_t scan(void)
{
	for (uint32_t a = RSDP_SCAN_FIRST; a < RSDP_SCAN_LAST; a += 16) {
		const uint8_t *p = to_ptr(a);
		if (memcmp(p, RSDP_SIGNATURE, 8) || sum(p, 20))
			continue;
		if (p[RSDP_OFF_REVISION] >= 2 && sum(p, get32(p + RSDP_OFF_LENGTH)))
			continue;
		return a;
	}
	return 0;
}

static void test_two_cpus(void **state)
{
	struct acpi_info info;
	const char *why = NULL;
	const uint8_t *rsdp, *rsdt, *madt, *e;
	size_t n;

	(void)state;
	memset(mem, 0xAA, sizeof(mem));
	n = acpi_tables_build(to_ptr(ACPI_TABLES_GPA), ACPI_TABLES_GPA, 2);
	assert_true(n > 0 && n <= ACPI_TABLES_MAX);
	assert_int_equal(scan(), ACPI_TABLES_GPA);
	assert_int_equal(acpi_parse(ACPI_TABLES_GPA, to_ptr, &info, &why), 0);
	assert_int_equal(info.ncpus, 2);
	assert_int_equal(info.apic_id[0], 0);
	assert_int_equal(info.apic_id[1], 1);
	assert_int_equal(info.pm1a_cnt, 0);        /* no FADT */
	/* The RSDT says the same as the XSDT, checksummed. */
	rsdp = to_ptr(ACPI_TABLES_GPA);
	rsdt = to_ptr(get32(rsdp + RSDP_OFF_RSDT_ADDRESS));
	assert_memory_equal(rsdt, "RSDT", 4);
	assert_int_equal(sum(rsdt, get32(rsdt + SDT_OFF_LENGTH)), 0);
	madt = to_ptr(get32(rsdt + SDT_HEADER_LENGTH));
	assert_memory_equal(madt, MADT_SIGNATURE, 4);
	assert_int_equal(get32(madt + MADT_OFF_LAPIC_ADDRESS), 0xFEE00000u);
	assert_int_equal(get32(madt + MADT_OFF_FLAGS), MADT_PCAT_COMPAT);
	/* After the two Local APIC entries: LINT1 is NMI on every CPU. */
	e = madt + MADT_HEADER_LENGTH + 2 * MADT_LOCAL_APIC_LENGTH;
	assert_int_equal(e[0], MADT_TYPE_LOCAL_APIC_NMI);
	assert_int_equal(e[2], MADT_UID_ALL);
	assert_int_equal(e[5], 1);
	assert_int_equal(get32(madt + SDT_OFF_LENGTH),
			 (uint32_t)(e + MADT_LOCAL_APIC_NMI_LENGTH - madt));
	/* Nothing written past what it said, nor before. */
	assert_int_equal(mem[ACPI_TABLES_GPA - LOW - 1], 0xAA);
	assert_int_equal(mem[ACPI_TABLES_GPA - LOW + ACPI_TABLES_MAX], 0xAA);
}

static void test_bounds(void **state)
{
	struct acpi_info info;
	const char *why = NULL;
	uint8_t buf[ACPI_TABLES_MAX];

	(void)state;
	assert_int_equal(acpi_tables_build(buf, ACPI_TABLES_GPA, 0), 0);
	assert_int_equal(acpi_tables_build(buf, ACPI_TABLES_GPA, ACPI_TABLES_MAX_CPUS + 1), 0);
	memset(mem, 0, sizeof(mem));
	assert_true(acpi_tables_build(to_ptr(ACPI_TABLES_GPA), ACPI_TABLES_GPA, ACPI_TABLES_MAX_CPUS) <=
		    ACPI_TABLES_MAX);
	assert_int_equal(acpi_parse(scan(), to_ptr, &info, &why), 0);
	assert_int_equal(info.ncpus, ACPI_TABLES_MAX_CPUS);
	for (unsigned i = 0; i < ACPI_TABLES_MAX_CPUS; i++)
		assert_int_equal(info.apic_id[i], i);
	memset(mem, 0, sizeof(mem));
	acpi_tables_build(to_ptr(ACPI_TABLES_GPA), ACPI_TABLES_GPA, 1);
	assert_int_equal(acpi_parse(scan(), to_ptr, &info, &why), 0);
	assert_int_equal(info.ncpus, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_cpus),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests_name("acpi_tables", tests, NULL, NULL);
}
