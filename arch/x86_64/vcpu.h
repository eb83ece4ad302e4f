/* vcpu.h - VMX on this CPU (see vcpu.c; the vCPU calls are in arch.h). */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H
/* VMXON on this CPU.  0, or -1 with the reason printed. */
int vmx_cpu_on(void);
#include <stdint.h>
/* The CR0 bits VMX fixes for a guest (the host's, in the guest/host mask),
 * and the real CR0 for the value val a guest writes. */
uint64_t vmx_cr0_host_owned(void);
uint64_t vmx_cr0_real(uint64_t val);
#endif
