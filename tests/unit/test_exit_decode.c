/* test_exit_decode.c - exit qualifications decoded, and what the guest sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exit_decode.h"

static void test_io_decode(void **state)
{
	struct io_access a;
	(void)state;
	a = io_decode(0x03F80000ull | 0);         /* OUT DX, AL to 0x3F8 */
	assert_int_equal(a.size, 1);
	assert_int_equal(a.port, 0x3F8);
	assert_false(a.in || a.string || a.rep);
	a = io_decode(0x03FD0000ull | 8);         /* IN AL, DX from 0x3FD */
	assert_true(a.in);
	assert_int_equal(a.port, 0x3FD);
	a = io_decode(0xCF8ull << 16 | 8 | 3);    /* IN EAX from 0xCF8 */
	assert_int_equal(a.size, 4);
	assert_int_equal(a.port, 0xCF8);
	a = io_decode(0x80ull << 16 | 1 | 16 | 32); /* REP OUTSW */
	assert_int_equal(a.size, 2);
	assert_true(a.string && a.rep && !a.in);
}


static void test_merge_in(void **state)
{
	(void)state;
	assert_int_equal(io_merge_in(0x1122334455667788ull, 1, 0xAB), 0x11223344556677ABull);
	assert_int_equal(io_merge_in(0x1122334455667788ull, 2, 0xABCD), 0x112233445566ABCDull);
	assert_int_equal(io_merge_in(0x1122334455667788ull, 4, 0xDEADBEEF), 0xDEADBEEFull);
}

static void test_cpuid(void **state)
{
	uint32_t r[4] = { 0x000906EA, 0, 0xFFFFFFFFu & ~(1u << 31), 0 };
	(void)state;
	cpuid_adjust(1, 0, r, 0, 1, 50000000);
	assert_int_equal(r[2] & (1u << 5), 0);         /* VMX hidden */
	assert_int_equal(r[2] & (1u << 3), 0);         /* MONITOR/MWAIT hidden (issue 13, 3) */
	assert_int_equal(r[2] & (7u << 26), 0);        /* XSAVE, OSXSAVE, AVX hidden (13, 7) */
	assert_int_equal(r[2] & (1u << 15), 0);        /* PDCM hidden */
	assert_int_equal(r[2] & 0x603, 0x603);         /* SSE3, PCLMUL, SSSE3, ... as the host's */
	assert_int_equal(r[2] & ((1u << 21) | (1u << 24)), 0); /* x2APIC, TSC deadline hidden */
	assert_int_not_equal(r[2] & (1u << 31), 0);    /* hypervisor present */
	assert_int_equal(r[0], 0x000906EA);            /* the rest untouched */
	cpuid_adjust(0x40000000, 0, r, 0, 1, 50000000);
	assert_int_equal(r[0], 0x40000001);
	{
		char sig[13];
		for (int i = 0; i < 12; i++)
			sig[i] = (char)(r[1 + i / 4] >> (8 * (i % 4)));
		sig[12] = 0;
		assert_string_equal(sig, "DedupVisor  ");
	}
	cpuid_adjust(0x40000001, 0, r, 1, 2, 50000000); /* vCPU 1 of 2 */
	assert_int_equal(r[0], 1);
	assert_int_equal(r[1], 2);
	r[0] = 7, r[1] = 8, r[2] = 9, r[3] = 10;
	cpuid_adjust(0x80000002, 0, r, 0, 1, 50000000); /* other leaves: as the host says */
	assert_int_equal(r[0] + r[1] + r[2] + r[3], 34);
	static const uint32_t empty[] = { 5, 6, 0xA, 0xB, 0xD, 0x1F }; /* MONITOR, power, PMU, topology, XSAVE */
	for (unsigned i = 0; i < 6; i++) {
		r[0] = r[1] = r[2] = r[3] = 0xFFFFFFFFu;
		cpuid_adjust(empty[i], 0, r, 0, 1, 50000000);
		assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	}
}

/* What a Linux guest reads: the TSC's measured rate, no local APIC, the
 * leaf-7 features that need nothing of the hypervisor, no RDTSCP. */
static void test_cpuid_linux_policy(void **state)
{
	uint32_t r[4] = { 0, 0, 0, 0 };
	(void)state;
	r[0] = 0xD; /* a host whose highest leaf is 0xD */
	cpuid_adjust(0, 0, r, 0, 1, 50000000);
	assert_true(r[0] >= 0x16);
	cpuid_adjust(0x15, 0, r, 0, 1, 49875000);
	assert_int_equal((uint64_t)r[2] * r[1] / r[0], 49875000);
	cpuid_adjust(0x15, 0, r, 0, 1, 5200000000ull); /* above 32 bits */
	assert_int_equal((uint64_t)r[2] * r[1] / r[0], 5200000000ull);
	cpuid_adjust(0x16, 0, r, 0, 1, 3500000000ull);
	assert_int_equal(r[0], 3500);
	r[0] = 0x000906EA, r[1] = 0x00100800, r[2] = 0, r[3] = 0xFFFFFFFFu;
	cpuid_adjust(1, 0, r, 0, 1, 50000000);
	assert_int_equal(r[3] & (1u << 9), 0);   /* APIC */
	assert_int_equal(r[3] & (1u << 12), 0);  /* MTRR */
	assert_int_equal(r[3] & (1u << 16), 0);  /* PAT */
	assert_int_equal(r[3] & ((1u << 7) | (1u << 14)), 0); /* MCE, MCA */
	assert_int_not_equal(r[3] & (1u << 25), 0); /* SSE stays */
	assert_int_not_equal(r[3] & (1u << 4), 0);  /* TSC stays */
	assert_int_equal((r[1] >> 16) & 0xFF, 0);   /* one logical processor */
	assert_int_equal(r[1] >> 24, 0);            /* vCPU 0's APIC id, not the host's */
	r[1] = 0xFF000800;
	cpuid_adjust(1, 0, r, 3, 4, 50000000);
	assert_int_equal(r[1], 0x03000800);          /* vCPU 3: APIC id 3; CLFLUSH size kept */
	/* A vCPU with a modelled local APIC: APIC and x2APIC offered, TSC
	 * deadline still not; other leaves untouched. */
	r[2] = 0xFFFFFFFFu, r[3] = 0xFFFFFFFFu;
	cpuid_adjust(1, 0, r, 1, 2, 50000000);
	cpuid_offer_lapic(1, r);
	assert_int_not_equal(r[3] & (1u << 9), 0);  /* APIC */
	assert_int_not_equal(r[2] & (1u << 21), 0); /* x2APIC */
	assert_int_equal(r[2] & (1u << 24), 0);     /* TSC deadline */
	r[0] = r[1] = r[2] = r[3] = 0;
	cpuid_offer_lapic(7, r);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	r[0] = 2, r[1] = r[2] = r[3] = 0xFFFFFFFFu;
	cpuid_adjust(7, 0, r, 0, 1, 50000000);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1] & (1u << 5), 0);      /* AVX2 */
	assert_int_equal(r[1] & (1u << 10), 0);     /* INVPCID */
	assert_int_not_equal(r[1] & (1u << 0), 0);  /* FSGSBASE */
	assert_int_equal(r[2] | r[3], 0);
	r[0] = r[1] = r[2] = r[3] = 0xFFFFFFFFu;
	cpuid_adjust(7, 1, r, 0, 1, 50000000);      /* subleaf 1: none offered */
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	r[3] = 0xFFFFFFFFu;
	cpuid_adjust(0x80000001, 0, r, 0, 1, 50000000);
	assert_int_equal(r[3] & (1u << 27), 0);     /* RDTSCP */
	assert_int_not_equal(r[3] & (1u << 29), 0); /* long mode stays */
}

static void test_cr_decode(void **state)
{
	struct cr_access a;
	(void)state;
	a = cr_decode(0x8 | (0u << 4) | (3u << 8)); /* MOV CR8, RBX */
	assert_int_equal(a.cr, 8);
	assert_int_equal(a.type, CR_MOV_TO);
	assert_int_equal(a.gpr, 3);
	a = cr_decode(0x8 | (1u << 4) | (12u << 8)); /* MOV R12, CR8 */
	assert_int_equal(a.type, CR_MOV_FROM);
	assert_int_equal(a.gpr, 12);
	a = cr_decode(0x4 | (0u << 4) | (4u << 8)); /* MOV CR4, RSP */
	assert_int_equal(a.cr, 4);
	assert_int_equal(a.gpr, 4);
}

/* Issue 23, finding 1: #DB and #AC go back to the guest as they came; the
 * host's NMI and #MC are the host's; nothing else is expected. */
static void test_event_decode(void **state)
{
	struct event_exit e;
	(void)state;
	e = event_decode(0x80000B11u, 0);              /* #AC, hardware exception, error code 0 */
	assert_int_equal(e.action, EV_REFLECT);
	assert_int_equal(e.inject, 0x80000B11u);
	assert_true(e.has_code && !e.length);
	e = event_decode(0x80000301u, 0);              /* #DB, hardware exception */
	assert_int_equal(e.action, EV_REFLECT);
	assert_int_equal(e.inject, 0x80000301u);
	assert_false(e.has_code || e.length);
	e = event_decode(0x80000501u, 0);              /* INT1's #DB: privileged software exception */
	assert_int_equal(e.action, EV_REFLECT);
	assert_true(e.length);
	e = event_decode(0x80000202u, 0);              /* NMI */
	assert_int_equal(e.action, EV_HOST_NMI);
	e = event_decode(0x80000312u, 0);              /* #MC */
	assert_int_equal(e.action, EV_HOST_MC);
	e = event_decode(0x80000B0Du, 0);              /* #GP: not intercepted, so unexpected */
	assert_int_equal(e.action, EV_UNEXPECTED);
	e = event_decode(0x00000311u, 0);              /* not valid */
	assert_int_equal(e.action, EV_UNEXPECTED);
}

static void test_dr6_after_db(void **state)
{
	(void)state;
	/* A data breakpoint on DR0: B0 set, B1-B3 replaced, RTM stays 1 (inactive). */
	assert_int_equal(dr6_after_db(0xFFFF0FF0ull | 0xE, 0x1), 0xFFFF0FF1ull);
	/* A single step: BS added, earlier B bits cleared. */
	assert_int_equal(dr6_after_db(0xFFFF0FF3ull, 1ull << 14), 0xFFFF4FF0ull);
	/* RTM in the qualification clears DR6.RTM (active low). */
	assert_int_equal(dr6_after_db(0xFFFF0FF0ull, 1ull << 16), 0xFFFE0FF0ull);
}

static void test_mce_decide(void **state)
{
	uint64_t banks[3] = { 0, 0, 0 };
	(void)state;
	assert_int_equal(mce_decide(1, banks, 3), MCE_RESUME);               /* nothing logged */
	banks[1] = 1ull << 63;                                               /* corrected */
	assert_int_equal(mce_decide(1, banks, 3), MCE_RESUME);
	assert_int_equal(mce_decide(0, banks, 3), MCE_STOP_VM);              /* RIPV clear */
	banks[2] = (1ull << 63) | (1ull << 61);                              /* uncorrected */
	assert_int_equal(mce_decide(1, banks, 3), MCE_STOP_VM);
	banks[0] = (1ull << 63) | (1ull << 61) | (1ull << 57);               /* context corrupt */
	assert_int_equal(mce_decide(1, banks, 3), MCE_FATAL);
	banks[0] = (1ull << 61) | (1ull << 57);                              /* not valid: ignored */
	assert_int_equal(mce_decide(1, banks, 1), MCE_RESUME);
}

/* Issue 23, finding 7: CR0 with NW = 1 and CD = 0 raises #GP on hardware. */
static void test_cr0_write_faults(void **state)
{
	(void)state;
	assert_false(cr0_write_faults(0x80000031ull));         /* PG PE NE ET */
	assert_false(cr0_write_faults(0x60000031ull));         /* CD NW */
	assert_false(cr0_write_faults(0x40000031ull));         /* CD */
	assert_true(cr0_write_faults(0x20000031ull));          /* NW without CD */
	assert_true(cr0_write_faults(0x80000000ull));          /* PG without PE */
	assert_true(cr0_write_faults(0x100000031ull));         /* bit 32 */
}

/* Issue 23, finding 7: PKE and PCE are the hypervisor's, with VMXE and
 * OSXSAVE; the bits a guest may own are not. */
static void test_cr4_host_owned(void **state)
{
	uint64_t m = cr4_host_owned();
	(void)state;
	assert_int_equal(m & (1ull << 22), 1ull << 22);      /* PKE */
	assert_int_equal(m & (1ull << 8), 1ull << 8);        /* PCE */
	assert_int_equal(m & (1ull << 13), 1ull << 13);      /* VMXE */
	assert_int_equal(m & (1ull << 18), 1ull << 18);      /* OSXSAVE */
	assert_int_equal(m & ((1ull << 5) | (1ull << 7) | (1ull << 9) | (1ull << 10)), 0); /* PAE PGE OSFXSR OSXMMEXCPT */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_decode),
		cmocka_unit_test(test_merge_in),
		cmocka_unit_test(test_cpuid),
		cmocka_unit_test(test_cr_decode),
		cmocka_unit_test(test_cpuid_linux_policy),
		cmocka_unit_test(test_event_decode),
		cmocka_unit_test(test_dr6_after_db),
		cmocka_unit_test(test_mce_decide),
		cmocka_unit_test(test_cr0_write_faults),
		cmocka_unit_test(test_cr4_host_owned),
	};
	return cmocka_run_group_tests_name("exit_decode", tests, NULL, NULL);
}
