/* hypercall.h - the guest-facing hypercall ABI (include/guest_abi.h). */
#ifndef KERNEL_HYPERCALL_H
#define KERNEL_HYPERCALL_H
#include "vm.h"
/* Handles the VMCALL of v: number in EAX, result into EAX. */
void hypercall(struct vcpu *v);
#endif
