/* vmx_gate.h - check and report VT-x on this CPU (see vmx_gate.c). */
#ifndef ARCH_VMX_GATE_H
#define ARCH_VMX_GATE_H
#include <stdbool.h>
/* IA32_FEATURE_CONTROL left unlocked (OVMF does, on every CPU): locks it
 * with VMX outside SMX allowed.  true if it did; the one place that writes it. */
bool vmx_lock_feature_control(void);
/* Reports each requirement by name; 0 when all are present, else the number missing. */
unsigned vmx_gate(void);
#endif
