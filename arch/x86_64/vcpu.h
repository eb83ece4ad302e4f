/* vcpu.h - VMX on this CPU (see vcpu.c; the vCPU calls are in arch.h). */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H
/* VMXON on this CPU.  0, or -1 with the reason printed. */
int vmx_cpu_on(void);
#endif
