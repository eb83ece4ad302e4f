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
