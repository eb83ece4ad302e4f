/*
 * vmx_features.h - the VT-x feature gate's decision, in plain C.
 *
 * vmx_gate.c reads the CPU (CPUID, capability MSRs) into a snapshot; this
 * part decides from the snapshot alone, so the host tests can feed it the
 * values of Bochs's corei7_skylake_x, of QEMU TCG, or of a crippled CPU.
 */
#ifndef ARCH_VMX_FEATURES_H
#define ARCH_VMX_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

struct vmx_snapshot {
	bool cpuid_vmx;            /* CPUID.1:ECX[5] */
	uint64_t feature_control;  /* IA32_FEATURE_CONTROL */
	uint64_t basic;            /* IA32_VMX_BASIC */
	uint64_t pinbased;         /* IA32_VMX_(TRUE_)PINBASED_CTLS */
	uint64_t procbased;        /* IA32_VMX_(TRUE_)PROCBASED_CTLS */
	uint64_t procbased2;       /* IA32_VMX_PROCBASED_CTLS2 (0 if not allowed) */
	uint64_t ept_vpid_cap;     /* IA32_VMX_EPT_VPID_CAP (0 if not allowed) */
};

struct vmx_feature {
	const char *name;
	bool present;
};

#define VMX_NFEATURES 14

enum vmx_fc_action {
	VMX_FC_OK,       /* locked with VMX outside SMX enabled */
	VMX_FC_ENABLE,   /* unlocked: write LOCK | VMX_OUTSIDE_SMX ourselves (OVMF) */
	VMX_FC_DISABLED, /* locked without VMX: the firmware forbids VT-x */
};

/* What to do about IA32_FEATURE_CONTROL. */
enum vmx_fc_action vmx_feature_control_action(uint64_t feature_control);

/* Fills out[VMX_NFEATURES] in report order and returns the number missing. */
unsigned vmx_check_features(const struct vmx_snapshot *s, struct vmx_feature out[VMX_NFEATURES]);

#endif
