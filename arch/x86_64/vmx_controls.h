/* vmx_controls.h - apply a capability MSR to wanted VMX controls (see .c). */
#ifndef ARCH_VMX_CONTROLS_H
#define ARCH_VMX_CONTROLS_H
#include <stdint.h>
/* Returns the control value: wanted bits plus those the CPU requires (its
 * allowed-0 settings).  *missing gets the wanted bits the CPU cannot set
 * (allowed-1 clear): non-zero means the setting is impossible. */
uint32_t vmx_adjust_controls(uint32_t want, uint64_t cap_msr, uint32_t *missing);
#endif
