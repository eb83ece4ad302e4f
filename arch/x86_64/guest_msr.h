/* guest_msr.h - the MSRs a guest may read and write (guest_msr.c). */
#ifndef ARCH_GUEST_MSR_H
#define ARCH_GUEST_MSR_H

#include <stdbool.h>
#include <stdint.h>

struct arch_vcpu;

/* RDMSR/WRMSR of msr by the vCPU current on this CPU (its VMCS loaded, the
 * CPU-held MSRs its own): true and done, or false: the guest gets #GP. */
bool guest_msr_read(struct arch_vcpu *v, uint32_t msr, uint64_t *val);
bool guest_msr_write(struct arch_vcpu *v, uint32_t msr, uint64_t val);

/* Puts the vCPU's CPU-held MSRs into this CPU, or takes them back. */
void guest_msr_load(const struct arch_vcpu *v);
void guest_msr_save(struct arch_vcpu *v);

#endif
