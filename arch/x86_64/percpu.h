/*
 * percpu.h - what each CPU keeps for itself, and the lock they share.
 *
 * Each CPU's struct percpu is reached through its GS base (set once at
 * bring-up; restored by every VM exit from the VMCS host state), so
 * this_cpu() is one instruction.  All hypervisor code runs under one lock
 * (hv_lock), released only while a CPU runs a guest: simple, and enough
 * while exits are short.  INVEPT requests to other CPUs are answered
 * without that lock (see smp.c), so holding it never blocks a shootdown.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#define MAX_CPUS 8

struct percpu {
	struct percpu *self;      /* at %gs:0 */
	unsigned index;           /* 0 = the boot CPU */
	uint32_t apic_id;
	uint64_t current_vmcs;
	volatile uint64_t flush_req;  /* INVEPT requests from other CPUs... */
	volatile uint64_t flush_done; /* ...and how many this CPU has done */
	bool online;
	uint64_t shootdowns_sent;
};

extern struct percpu percpus[MAX_CPUS];
extern unsigned ncpus;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* The hypervisor lock.  While spinning, a CPU still answers INVEPT requests. */
void hv_lock(void);
void hv_unlock(void);

/* Answers pending INVEPT requests (INVEPT all-context); lock not needed. */
void flush_poll(void);

/* INVEPT of eptp on this CPU, and on every other online CPU, waiting for
 * each to acknowledge.  Called with hv_lock held. */
void invept_everywhere(uint64_t eptp);

#endif
