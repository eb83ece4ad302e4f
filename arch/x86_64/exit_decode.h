/*
 * exit_decode.h - the decisions of VM-exit handling that are plain C:
 * decoding exit qualifications and computing what the guest sees.  No
 * VMCS access here, so the host tests check every case.
 */
#ifndef ARCH_EXIT_DECODE_H
#define ARCH_EXIT_DECODE_H

#include <stdbool.h>
#include <stdint.h>

/* An I/O instruction's exit qualification (SDM 3C Table 28-5). */
struct io_access {
	unsigned size;  /* 1, 2 or 4 bytes */
	unsigned port;
	bool in, string, rep;
};

struct io_access io_decode(uint64_t qualification);

/* RAX after an IN of size bytes: AL, AX or EAX replaced, the rest kept
 * (an IN to EAX clears bits 63:32, as a 32-bit register write does). */
uint64_t io_merge_in(uint64_t rax, unsigned size, uint32_t value);

/* A control-register access's exit qualification (SDM 3C Table 28-3). */
enum { CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3 };
struct cr_access {
	unsigned cr;    /* the control register */
	unsigned type;  /* CR_MOV_TO ... CR_LMSW */
	unsigned gpr;   /* for MOV: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8-15 */
};
struct cr_access cr_decode(uint64_t qualification);

/* An exception or NMI exit (basic reason 0), from its VM-exit
 * interruption information (SDM 3C 25.9.2, Table 25-17) and error code:
 * what the hypervisor does with it.  Only these arrive (the exception
 * bitmap has #DB, #AC and #MC; NMI exiting is on):
 *   #DB and #AC, and INT1's #DB   reflected: delivered to the guest as they
 *                                 came (vmexit_event.c);
 *   NMI                           the host's: run its handler, resume;
 *   #MC                           the host's: mce_decide says what then;
 *   anything else                 unexpected: the VM is stopped. */
enum event_action { EV_REFLECT, EV_HOST_NMI, EV_HOST_MC, EV_UNEXPECTED };
struct event_exit {
	enum event_action action;
	unsigned vector;
	uint32_t inject;     /* EV_REFLECT: the VM-entry interruption information */
	bool has_code;       /* ...with this error code */
	uint32_t code;
	bool length;         /* ...and the exiting instruction's length (INT1) */
};
struct event_exit event_decode(uint32_t intr_info, uint32_t error_code);

/* DR6 as the guest must see it after a #DB whose exit qualification is q
 * (B0-B3, BD, BS, RTM as in the pending-debug-exceptions field, SDM 3C
 * Table 28-1): the processor does not write DR6 when #DB exits (SDM 3C
 * 28.1), so the hypervisor does what it would have: B0-B3 replaced, BD and
 * BS set, RTM (active low in DR6) cleared, bit 12 kept 0. */
uint64_t dr6_after_db(uint64_t dr6, uint64_t q);

/* A machine check that arrived while a guest ran (an #MC exit, or a VM
 * entry that failed for one), from IA32_MCG_STATUS and the banks'
 * IA32_MCi_STATUS (SDM 3B 16.3): resume the guest (corrected, or nothing
 * logged), stop that VM (uncorrected, or the guest cannot restart where it
 * was: RIPV clear), or stop the machine (processor context corrupt, PCC,
 * as Linux does). */
enum mce_action { MCE_RESUME, MCE_STOP_VM, MCE_FATAL };
enum mce_action mce_decide(uint64_t mcg_status, const uint64_t *bank_status, unsigned nbanks);

/* MOV to CR0 of val: would the processor raise #GP (SDM 3A 2.5 and the MOV
 * CR reference)?  Bits 63:32 set, PG without PE, or NW without CD. */
bool cr0_write_faults(uint64_t val);

/* The CR4 bits the hypervisor keeps for itself (the guest/host mask): a
 * guest that sets one exits and gets #GP.  VMXE (VMX needs it), OSXSAVE
 * (XSAVE is not offered: the extended state is not switched), PKE (PKRU is
 * not switched, so it would carry from one VM to the next on a CPU), PCE
 * (no performance counters are offered: RDPMC from ring 3 would read the
 * host's; at CPL 0 it exits and #GPs, vmexit.c). */
uint64_t cr4_host_owned(void);

/* CPUID as the guest sees it: what is not virtualized is not offered (the
 * policy is listed in exit_decode.c) and the hypervisor bit is set; leaf
 * 0x40000000 gives dedupvisor's signature, 0x40000001 the asking vCPU's
 * index (EAX) and the VM's vCPU count (EBX); leaves 0x15/0x16 the TSC's
 * rate, tsc_hz.  out[] holds the host's EAX, EBX, ECX, EDX for the leaf
 * and is adjusted in place. */
void cpuid_adjust(uint32_t leaf, uint32_t subleaf, uint32_t out[4], unsigned vcpu, unsigned nvcpus,
		  uint64_t tsc_hz);
/* Then, for a vCPU whose VM models a local APIC (an SMP Linux VM's, in
 * x2APIC mode: devices/lapic.c): leaf 1 offers the APIC and x2APIC again
 * (TSC deadline stays hidden: the model's timer has no such mode). */
void cpuid_offer_lapic(uint32_t leaf, uint32_t out[4]);

#endif
