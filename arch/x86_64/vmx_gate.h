/* vmx_gate.h - check and report VT-x on this CPU (see vmx_gate.c). */
#ifndef ARCH_VMX_GATE_H
#define ARCH_VMX_GATE_H
/* Reports each requirement by name; 0 when all are present, else the number missing. */
unsigned vmx_gate(void);
#endif
