/*
 * upcall.h - the only calls arch/ makes into the generic core.
 *
 * arch/ sits below kernel/: it implements arch.h and reaches up only
 * through what is declared here (Jailhouse's include/jailhouse/control.h
 * plays this part).  Each call names the architectural vCPU it is about;
 * the core finds its own struct vcpu around it.  The AP's way into the
 * scheduler is not here: the core hands it to arch_start_cpus() as a
 * function pointer.  `make check-seams` fails if a file of arch/ includes
 * any other header of the core.
 *
 * All but kmain() and core_frame_alloc() during CPU bring-up run under the
 * core's lock.
 */
#ifndef UPCALL_H
#define UPCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_info.h"

struct arch_vcpu;

/* The core's entry, from arch/x86_64/entry.S on the boot CPU. */
void kmain(struct boot_info *bi) __attribute__((noreturn));

/* A zeroed 4 KiB frame for the hypervisor's own use (a VMCS, page tables).
 * 0 and its physical address, or -1 when none is left. */
enum upcall_frame_use { UPCALL_FRAME_DATA, UPCALL_FRAME_PAGETABLE };
int core_frame_alloc(enum upcall_frame_use use, uint64_t *phys)
	__attribute__((warn_unused_result));

/* What an upcall asks of the vCPU's run loop. */
enum core_action {
	CORE_RESUME,  /* enter the guest again */
	CORE_YIELD,   /* the vCPU halted, waits or was stopped: end the slice */
	CORE_UNDEFINED, /* the instruction does not exist for this guest: #UD */
};

/* CPU cpu answered neither an EPT invalidation's IPI nor INIT (smp.c said
 * so): it may still be running running's guest (NULL: no vCPU loaded)
 * with old translations.  Called in the middle of that invalidation, under
 * the lock: the core stops that VM and keeps its memory for good, without
 * calling into the dedup engine (which is mid-operation). */
void core_cpu_wedged(unsigned cpu, struct arch_vcpu *running);

/* Stops the vCPU's VM (all its vCPUs), printing why; the others go on. */
void core_vm_stop(struct arch_vcpu *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The vCPU executed HLT or MWAIT (RIP already past it); interruptible:
 * its interrupt flag was set, so an interrupt may wake it. */
enum core_action core_vcpu_halt(struct arch_vcpu *a, bool interruptible);

/* A hypercall (docs/hypercalls.md): number and arguments decoded from the
 * guest's registers; the return value goes back in its EAX.  *next may be
 * CORE_UNDEFINED: the VM has no hypercalls (a Linux VM), VMCALL is #UD as
 * on a machine without VMX. */
int32_t core_hypercall(struct arch_vcpu *a, uint32_t nr, const uint32_t args[4],
		       enum core_action *next);

/* An access to an I/O port: size 1, 2 or 4; *value is written for an OUT
 * and filled for an IN. */
enum core_action core_port_io(struct arch_vcpu *a, uint16_t port, unsigned size, bool in,
			      uint32_t *value);

/* RDMSR (write false: fills *val) or WRMSR (*val) of an MSR the
 * architecture does not virtualize itself: the VM's devices may (an SMP
 * Linux VM's local APICs: IA32_APIC_BASE and the x2APIC registers).
 * CORE_RESUME: done; CORE_YIELD: done, and the slice ends (an interrupt
 * sent to a vCPU of this CPU, or the VM stopped); CORE_UNDEFINED: #GP. */
enum core_action core_msr(struct arch_vcpu *a, uint32_t msr, bool write, uint64_t *val);

/* Guest-physical gpa faulted in the VM's second-level page tables: access
 * is a mix of the bits below.  A write to guest RAM mapped read-only is
 * the COW entry into dedup/ (hot path: no printing, one frame at most). */
#define UPCALL_ACCESS_READ  1u
#define UPCALL_ACCESS_WRITE 2u
#define UPCALL_ACCESS_EXEC  4u
enum core_action core_guest_mem_fault(struct arch_vcpu *a, uint64_t gpa, unsigned access);

/* The machine is about to stop (a fatal exception, the power-off): from
 * here the console shows everything (what was held while an operator was
 * attached to a VM's console goes out first).  Any CPU, any lock state. */
void core_dying(void);

#endif
