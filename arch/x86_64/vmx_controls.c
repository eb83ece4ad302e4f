/*
 * vmx_controls.c - the one place VMX control fields are derived.
 *
 * Each control field has a capability MSR: its low 32 bits are the
 * allowed-0 settings (a 1 there means the bit must be 1), its high 32 bits
 * the allowed-1 settings (a 0 there means the bit must be 0) (SDM 3D A.3).
 * No control value is ever hard-coded: it is what we want, adjusted here.
 */
#include "vmx_controls.h"

uint32_t vmx_adjust_controls(uint32_t want, uint64_t cap_msr, uint32_t *missing)
{
	uint32_t must = (uint32_t)cap_msr, may = (uint32_t)(cap_msr >> 32);
	*missing = want & ~may;
	return (want | must) & may;
}
