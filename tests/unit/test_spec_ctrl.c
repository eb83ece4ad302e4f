/*
 * test_spec_ctrl.c - what is flushed between VMs (arch/x86_64/spec_ctrl.c)
 * for CPUs as they describe themselves (issue 23, finding 7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuid_bits.h"
#include "msr.h"
#include "spec_ctrl.h"

#define ALL_EDX (CPUID_7_EDX_MD_CLEAR | CPUID_7_EDX_SPEC_CTRL | CPUID_7_EDX_L1D_FLUSH | \
		 CPUID_7_EDX_ARCH_CAPABILITIES)

/* Skylake-class, patched microcode: exposed to L1TF and MDS, all offered:
 * IBPB on a VM switch and the L1D flush, which covers the buffers too. */
static void test_skylake_with_microcode(void **state)
{
	struct spec_caps c = { true, CPUID_7_EBX_RTM, ALL_EDX, 0 };
	struct spec_plan p = spec_plan(&c);
	(void)state;
	assert_true(p.ibpb && p.l1d_flush);
	assert_false(p.verw);
}

/* Without IA32_FLUSH_CMD but with MD_CLEAR (L1TF not fixed in microcode):
 * VERW, and the L1TF exposure said. */
static void test_verw_without_flush_cmd(void **state)
{
	struct spec_caps c = { true, 0, CPUID_7_EDX_MD_CLEAR | CPUID_7_EDX_SPEC_CTRL, 0 };
	struct spec_plan p = spec_plan(&c);
	(void)state;
	assert_true(p.ibpb && p.verw);
	assert_false(p.l1d_flush);
	assert_string_equal(p.l1d_why, "L1TF exposed, but no IA32_FLUSH_CMD on this CPU: not done");
}

/* A CPU that says RDCL_NO and MDS_NO (Cascade Lake and later) and has no
 * TSX: only the IBPB. */
static void test_not_exposed(void **state)
{
	struct spec_caps c = { true, 0, ALL_EDX, ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO };
	struct spec_plan p = spec_plan(&c);
	(void)state;
	assert_true(p.ibpb);
	assert_false(p.l1d_flush || p.verw);
}

/* MDS_NO but TSX without TAA_NO: TAA, so VERW (no L1TF: no flush). */
static void test_taa(void **state)
{
	struct spec_caps c = { true, CPUID_7_EBX_RTM, ALL_EDX, ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO };
	struct spec_plan p = spec_plan(&c);
	(void)state;
	assert_true(p.verw);
	c.arch_caps |= ARCH_CAP_TAA_NO;
	p = spec_plan(&c);
	assert_false(p.verw);
}

/* Nested under a hypervisor that flushes L1D itself: no flush here. */
static void test_skip_l1d_flush(void **state)
{
	struct spec_caps c = { true, 0, ALL_EDX, ARCH_CAP_SKIP_L1DFL_VMENTRY };
	struct spec_plan p = spec_plan(&c);
	(void)state;
	assert_false(p.l1d_flush);
	assert_true(p.verw); /* MDS still: VERW */
}

/* ARCH_CAPABILITIES not offered: its bits are not believed. */
static void test_arch_caps_only_if_offered(void **state)
{
	struct spec_caps c = { true, 0, CPUID_7_EDX_L1D_FLUSH, ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO };
	struct spec_plan p = spec_plan(&c);
	(void)state;
	assert_true(p.l1d_flush);
	assert_false(p.ibpb);
}

/* Bochs's corei7_skylake_x offers none of it: the exposure is said. */
static void test_nothing_offered(void **state)
{
	struct spec_caps c = { true, 0, 0, 0 };
	struct spec_plan p = spec_plan(&c);
	(void)state;
	assert_false(p.ibpb || p.l1d_flush || p.verw);
	assert_string_equal(p.ibpb_why, "not offered by this CPU");
}

/* Not Intel: no L1TF or MDS; the IBPB if offered. */
static void test_not_intel(void **state)
{
	struct spec_caps c = { false, 0, CPUID_7_EDX_SPEC_CTRL, 0 };
	struct spec_plan p = spec_plan(&c);
	(void)state;
	assert_true(p.ibpb);
	assert_false(p.l1d_flush || p.verw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skylake_with_microcode),
		cmocka_unit_test(test_verw_without_flush_cmd),
		cmocka_unit_test(test_not_exposed),
		cmocka_unit_test(test_taa),
		cmocka_unit_test(test_skip_l1d_flush),
		cmocka_unit_test(test_arch_caps_only_if_offered),
		cmocka_unit_test(test_nothing_offered),
		cmocka_unit_test(test_not_intel),
	};
	return cmocka_run_group_tests_name("spec_ctrl", tests, NULL, NULL);
}
