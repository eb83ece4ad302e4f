/* test_mptable.c - the MP tables (devices/mptable.c) read back as Linux's
 * arch/x86/kernel/mpparse.c reads them: smp_scan_config finds the floating
 * pointer on a 16-byte boundary in the last KiB of base memory and checks
 * its checksum and revision; smp_read_mpc checks the table's signature,
 * checksum, revision and local APIC address, then takes each entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mp_spec.h"
#include "mptable.h"

/* A guest's memory from 0x9F000 to 0xA0000, the tables written into it. */
#define LOW  0x9F000u
static uint8_t mem[0x1000];

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static unsigned sum(const uint8_t *p, size_t n)
{
	unsigned s = 0;
	while (n--)
		s += *p++;
	return s & 0xFF;
}

struct parsed {
	unsigned cpus, bsp_id, buses, extint_lint0, nmi_lint1, entries;
	uint8_t ids[MPTABLE_MAX_CPUS];
};

/* What Linux takes from the tables, or fails the test. */
static struct parsed parse(void)
{
	struct parsed r = { 0 };
	const uint8_t *mpf = NULL, *mpc, *e, *end;
	uint32_t at;

	/* smp_scan_config(639 * 0x400, 0x400) */
	for (at = 639 * 0x400; at < 640 * 0x400; at += 16)
		if (!memcmp(mem + at - LOW, MPF_SIGNATURE, 4) && mem[at - LOW + MPF_OFF_LENGTH] == 1 &&
		    !sum(mem + at - LOW, 16) &&
		    (mem[at - LOW + MPF_OFF_SPEC_REV] == 1 || mem[at - LOW + MPF_OFF_SPEC_REV] == 4)) {
			mpf = mem + at - LOW;
			break;
		}
	assert_non_null(mpf);
	assert_int_equal(mpf[MPF_OFF_FEATURE1], 0);           /* a table, not a default config */
	at = get32(mpf + MPF_OFF_PHYSPTR);
	assert_true(at >= LOW && at + MPC_HEADER_LENGTH <= LOW + sizeof(mem));
	mpc = mem + at - LOW;
	/* smp_check_mpc */
	assert_memory_equal(mpc, MPC_SIGNATURE, 4);
	assert_true(at + get16(mpc + MPC_OFF_LENGTH) <= 0xA0000);  /* inside the reserved KiB */
	assert_int_equal(sum(mpc, get16(mpc + MPC_OFF_LENGTH)), 0);
	assert_int_equal(mpc[MPC_OFF_SPEC_REV], 4);
	assert_int_equal(get32(mpc + MPC_OFF_LAPIC_ADDR), 0xFEE00000u);
	e = mpc + MPC_HEADER_LENGTH;
	end = mpc + get16(mpc + MPC_OFF_LENGTH);
	while (e < end) {
		r.entries++;
		switch (e[0]) {
		case MPC_PROCESSOR:
			assert_true(e[3] & MPC_CPU_ENABLED);
			if (e[3] & MPC_CPU_BOOTPROCESSOR)
				r.bsp_id = e[1];
			assert_true(r.cpus < MPTABLE_MAX_CPUS);
			r.ids[r.cpus++] = e[1];
			assert_int_equal(e[2], 0x14);
			assert_int_equal(get32(e + 8), 0x201);
			e += MPC_PROCESSOR_LENGTH;
			break;
		case MPC_BUS:
			assert_memory_equal(e + 2, "ISA   ", 6);
			r.buses++;
			e += MPC_ENTRY_LENGTH;
			break;
		case MPC_LINTSRC:
			if (e[1] == MP_EXTINT && e[6] == 0 && e[7] == 0)
				r.extint_lint0++;
			if (e[1] == MP_NMI && e[6] == MP_APIC_ALL && e[7] == 1)
				r.nmi_lint1++;
			e += MPC_ENTRY_LENGTH;
			break;
		default:
			fail_msg("an entry of type %u (no IO-APIC is listed)", e[0]);
		}
	}
	assert_ptr_equal(e, end);
	assert_int_equal(r.entries, get16(mpc + MPC_OFF_ENTRY_COUNT));
	return r;
}

static void test_two_cpus(void **state)
{
	struct parsed r;
	size_t n;

	(void)state;
	memset(mem, 0xAA, sizeof(mem));
	n = mptable_build(mem + MPTABLE_GPA - LOW, MPTABLE_GPA, 2, 0x50654, 0x201);
	assert_true(n > 0 && n <= MPTABLE_MAX);
	r = parse();
	assert_int_equal(r.cpus, 2);
	assert_int_equal(r.ids[0], 0);
	assert_int_equal(r.ids[1], 1);
	assert_int_equal(r.bsp_id, 0);
	assert_int_equal(r.buses, 1);
	assert_int_equal(r.extint_lint0, 1);
	assert_int_equal(r.nmi_lint1, 1);
	assert_int_equal(get32(mem + MPTABLE_GPA - LOW + MPF_LENGTH + MPC_HEADER_LENGTH + 4), 0x50654);
	/* Nothing written past what it returned, nor before the KiB. */
	assert_int_equal(mem[MPTABLE_GPA - LOW - 1], 0xAA);
}

static void test_bounds(void **state)
{
	struct parsed r;
	uint8_t buf[MPTABLE_MAX];

	(void)state;
	assert_int_equal(mptable_build(buf, MPTABLE_GPA, 0, 0, 0), 0);
	assert_int_equal(mptable_build(buf, MPTABLE_GPA, MPTABLE_MAX_CPUS + 1, 0, 0), 0);
	memset(mem, 0, sizeof(mem));
	assert_true(mptable_build(mem + MPTABLE_GPA - LOW, MPTABLE_GPA, MPTABLE_MAX_CPUS, 0, 0x201) <=
		    MPTABLE_MAX);
	r = parse();
	assert_int_equal(r.cpus, MPTABLE_MAX_CPUS);
	for (unsigned i = 0; i < MPTABLE_MAX_CPUS; i++)
		assert_int_equal(r.ids[i], i);
	/* One CPU is a valid table too. */
	memset(mem, 0, sizeof(mem));
	mptable_build(mem + MPTABLE_GPA - LOW, MPTABLE_GPA, 1, 0, 0x201);
	assert_int_equal(parse().cpus, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_cpus),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests_name("mptable", tests, NULL, NULL);
}
