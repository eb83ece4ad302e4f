/*
 * vmexit.h - what the exit handlers of vmexit.c and vmexit_event.c share.
 */
#ifndef ARCH_VMEXIT_H
#define ARCH_VMEXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"

/* Injects hardware exception vector at the next entry (no error code in
 * real mode, where VM entry refuses one). */
void vmexit_inject(unsigned vector, bool has_code, uint32_t code);

/* The exits for events (vmexit_event.c): exceptions and NMIs (basic
 * reason 0), INIT, RDPMC, notify; and a machine check that made VM entry
 * fail (reason 41, which arrives with the failed-entry bit). */
enum arch_exit_action exit_exception_nmi(struct arch_vcpu *v);
enum arch_exit_action exit_init_signal(struct arch_vcpu *v);
enum arch_exit_action exit_rdpmc(struct arch_vcpu *v);
enum arch_exit_action exit_notify(struct arch_vcpu *v);
enum arch_exit_action exit_mce_during_entry(struct arch_vcpu *v);

/* The host's NMIs so far, seen in the host or while a guest ran (trap.c
 * and vmexit_event.c count them). */
extern volatile uint64_t host_nmis;

#endif
