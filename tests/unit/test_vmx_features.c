/* test_vmx_features.c - the VT-x gate decides from capability MSR values alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmx_features.h"
#include "msr.h"

/* What Bochs 2.7's corei7_skylake_x reports (allowed-1 halves and caps as
 * read there), reduced to the bits the gate looks at. */
static struct vmx_snapshot skylake(void)
{
	struct vmx_snapshot s = {
		.cpuid_vmx = true,
		.feature_control = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX,
		.basic = VMX_BASIC_TRUE_CTLS | 0x2B,
		.pinbased = (1ull << 6 | 1ull << 0) << 32,
		.procbased = (1ull << 31) << 32,
		.procbased2 = (1ull << 1 | 1ull << 5 | 1ull << 7) << 32,
		.ept_vpid_cap = 1ull << 6 | 1ull << 14 | 1ull << 16 | 1ull << 20 | 1ull << 21 |
				1ull << 25 | 1ull << 32,
	};
	return s;
}

static const struct vmx_feature *find(const struct vmx_feature *f, const char *name)
{
	for (int i = 0; i < VMX_NFEATURES; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	fail_msg("no feature named %s", name);
	return NULL;
}

static void test_all_present(void **state)
{
	struct vmx_snapshot s = skylake();
	struct vmx_feature f[VMX_NFEATURES];
	(void)state;
	assert_int_equal(vmx_check_features(&s, f), 0);
	for (int i = 0; i < VMX_NFEATURES; i++)
		assert_true(f[i].present);
}

static void test_each_missing_is_named(void **state)
{
	static const struct { const char *name; int field; uint64_t bit; } cases[] = {
		{ "EPT", 2, 1ull << (32 + 1) },
		{ "VPID", 2, 1ull << (32 + 5) },
		{ "unrestricted guest", 2, 1ull << (32 + 7) },
		{ "VMX-preemption timer", 0, 1ull << (32 + 6) },
		{ "EPT 4-level page walk", 3, 1ull << 6 },
		{ "EPT write-back memory type", 3, 1ull << 14 },
		{ "EPT 2 MiB pages", 3, 1ull << 16 },
		{ "INVEPT", 3, 1ull << 20 },
		{ "EPT accessed/dirty bits", 3, 1ull << 21 },
		{ "INVEPT single-context", 3, 1ull << 25 },
		{ "INVVPID", 3, 1ull << 32 },
		{ "secondary processor-based controls", 1, 1ull << 63 },
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct vmx_snapshot s = skylake();
		struct vmx_feature f[VMX_NFEATURES];
		uint64_t *fld[] = { &s.pinbased, &s.procbased, &s.procbased2, &s.ept_vpid_cap };
		unsigned missing;
		*fld[cases[c].field] &= ~cases[c].bit;
		missing = vmx_check_features(&s, f);
		assert_true(missing >= 1);
		assert_false(find(f, cases[c].name)->present);
		if (cases[c].field != 1)
			assert_int_equal(missing, 1); /* only that one */
	}
}

static void test_no_vmx_and_feature_control(void **state)
{
	struct vmx_snapshot s = skylake();
	struct vmx_feature f[VMX_NFEATURES];
	(void)state;
	s.cpuid_vmx = false;
	assert_int_equal(vmx_check_features(&s, f), VMX_NFEATURES);
	assert_int_equal(vmx_feature_control_action(0), VMX_FC_ENABLE);  /* OVMF */
	assert_int_equal(vmx_feature_control_action(FEATURE_CONTROL_LOCK), VMX_FC_DISABLED);
	assert_int_equal(vmx_feature_control_action(FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_INSIDE_SMX),
			 VMX_FC_DISABLED);
	assert_int_equal(vmx_feature_control_action(5), VMX_FC_OK);
	s = skylake();
	s.feature_control = FEATURE_CONTROL_LOCK;
	assert_int_equal(vmx_check_features(&s, f), 1);
	assert_false(find(f, "IA32_FEATURE_CONTROL allows VMXON")->present);
	s.feature_control = 0; /* unlocked: we will set it */
	assert_int_equal(vmx_check_features(&s, f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_present),
		cmocka_unit_test(test_each_missing_is_named),
		cmocka_unit_test(test_no_vmx_and_feature_control),
	};
	return cmocka_run_group_tests_name("vmx_features", tests, NULL, NULL);
}
