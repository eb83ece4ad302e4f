/*
 * shootdown.h - which CPUs may hold translations of a VM's EPT, and the
 * invalidation that reaches them (shootdown.c).
 *
 * Plain C with the hardware behind struct sd_hw: smp.c gives it INVEPT,
 * IPIs, INIT and the TSC; the host tests (tests/unit/test_shootdown.c) a
 * model of CPUs with TLBs that turns a missed invalidation into a failure.
 */
#ifndef ARCH_SHOOTDOWN_H
#define ARCH_SHOOTDOWN_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"

/* What each CPU keeps (smp.c: one per CPU). */
struct sd_cpu {
	volatile uint64_t flush_req;   /* invalidation requests posted to it */
	volatile uint64_t flush_done;  /* ...and answered by it (INVEPT all-context) */
	struct arch_ept_cpus *cur;     /* the VM whose vCPU it has loaded (NULL: none yet) */
	bool online;
	bool wedged;                   /* answered neither IPI nor INIT: not waited for */
	uint64_t wedged_req;           /* the request it did not answer */
	/* As the CPU that invalidates: */
	uint64_t ipis;                 /* CPUs asked by IPI and waited for */
	uint64_t posted;               /* CPUs asked without an IPI or a wait (they had left the VM) */
	uint64_t skipped;              /* CPUs not asked (they had flushed since they left it) */
	uint64_t worst_wait;           /* the longest wait for answers, TSC ticks */
	uint64_t slow_waits;           /* waits over slow_ticks */
};

/* What shootdown.c tells about a CPU that keeps a wait going. */
enum sd_event {
	SD_KICKED,  /* no answer in kick_ticks: INIT sent (hw->kick) */
	SD_WEDGED,  /* no answer in wedge_ticks: given up, marked wedged */
	SD_REVIVED, /* a wedged CPU has answered since: waited for again */
};

/* The machine. */
struct sd_hw {
	struct sd_cpu *cpus;
	unsigned ncpus;                /* at most ARCH_MAX_CPUS */
	void (*invept_single)(uint64_t eptp); /* on the calling CPU */
	void (*invept_all)(void);      /* on the calling CPU */
	void (*ipi)(unsigned cpu);     /* the shootdown IPI */
	void (*kick)(unsigned cpu);    /* INIT: a VM exit that no guest can hold off */
	void (*report)(enum sd_event e, unsigned cpu, uint64_t waited);
	uint64_t (*now)(void);         /* TSC */
	void (*relax)(void);
	uint64_t kick_ticks, wedge_ticks, slow_ticks;
};

/* CPU self makes current a vCPU of the VM that t tracks: from now on t
 * counts it among the CPUs that may hold the VM's translations.  Under the
 * core's lock. */
void sd_load(const struct sd_hw *hw, unsigned self, struct arch_ept_cpus *t);

/* Answers the requests posted to CPU self: one INVEPT all-context for all
 * of them.  Any time, no lock needed. */
void sd_poll(const struct sd_hw *hw, unsigned self);

/* Invalidates the translations of eptp (the VM that t tracks) on CPU self
 * and on every CPU that may hold them: those that have one of its vCPUs
 * loaded get an IPI and are waited for; those that ran it since their last
 * flush but have left it get a request without IPI or wait (they answer
 * before they enter any guest again); the others are left alone.  Under
 * the core's lock.  0 when done everywhere; -1 when a CPU that has a vCPU
 * of this VM loaded answered neither the IPI nor INIT (reported, marked
 * wedged and not waited for again until it answers). */
int sd_invalidate(const struct sd_hw *hw, unsigned self, uint64_t eptp, struct arch_ept_cpus *t);

#endif
