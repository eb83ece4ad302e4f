/*
 * hostile.c - guests that misbehave, one way each, chosen by the config's
 * seed (params()->seed).  Each must be contained: stopped with the right
 * reason, or refused, while the other VMs go on.
 *   1  read guest-physical memory beyond its RAM
 *   2  execute VMXON (gets #UD; with no IDT that ends in a triple fault)
 *   3  pass bad pointers and numbers to hypercalls (must all be refused;
 *      powers off with exit code 0 if they were, 1 if not)
 *   4  write to the read-only parameter page
 *   5  triple-fault on purpose (an exception with an empty IDT)
 *   6  MONITOR + MWAIT (must exit and halt it, not sleep the CPU; CPUID
 *      must not offer them)
 *   7  WBINVD (must exit, as a no-op; then powers off with exit code 0)
 *   8  set CR4.OSXSAVE (XSAVE is not offered: #GP, a triple fault here)
 *   9  write DR0, then halt; 10 read DR0 on the same CPU afterwards: it
 *      must read its own 0, not the other guest's value (powers off with
 *      exit code 0 if so, 1 if it leaked)
 *   11 flood the console: 1,000 hypercalls of 4 KiB of lines (4 MB, about
 *      six minutes of a 115200-baud UART); powers off with exit code 0
 *   12 (two vCPUs) vCPU 0 triple-faults, stopping the VM, while vCPU 1
 *      spins: the shootdown IPI that makes vCPU 1 exit is still ended
 *      (EOI), so later shootdowns do not wait for a whole slice
 *   13 fill XMM0-XMM7 with a pattern, spin for about 40 slices (while the
 *      hypervisor scans with SSE2 on this CPU between them), and check the
 *      registers: they must be its own still (powers off with exit code 0,
 *      or 1 with the first register that changed)
 *   14 the #AC loop of Xen's XSA-156 (CVE-2015-5307): ring 3 with CR0.AM
 *      and EFLAGS.AC, a misaligned stack, and the #AC handler in ring 3 at
 *      the same privilege, so delivering #AC pushes on the misaligned stack
 *      and raises #AC again, for ever, without reaching an instruction
 *      boundary; it must not keep its CPU from the hypervisor (it loops
 *      alone, exiting each time; the console stops it)
 *   15 the #DB loop of CVE-2015-8104: long mode, #DB on an IST stack, and a
 *      data breakpoint (DR0/DR7) on that stack, so each delivery of #DB
 *      hits the breakpoint and the next #DB comes before the handler's
 *      first instruction, ahead of every interrupt and the VMX-preemption
 *      timer (debug traps have the higher priority); likewise contained
 *   16 RDPMC at CPL 0 (no performance counters are offered: #GP, a triple
 *      fault here; powers off with exit code 1 if it read a host counter)
 *   17 set CR4.PCE (RDPMC from ring 3: #GP, a triple fault here)
 *   18 write CR0 with NW = 1 and CD = 0, and NE clear so that the write
 *      exits and the hypervisor emulates it: hardware raises #GP (a triple
 *      fault here); exit code 1 if it was accepted
 *   19 set CR4.PKE (PKRU is not switched between VMs: #GP, a triple fault)
 *   20 report 1,000 mismatches with HC_REPORT_ERROR (each a line of about
 *      95 bytes the hypervisor prints: 95 KB, more than the console's
 *      queue), then power off with exit code 0
 *   21-24 hold a value of its own (from the seed) in CR2 and DR1 for about
 *      40 slices, checking them all the while, beside the others on the
 *      same CPU doing the same: neither register is in the VMCS, and a
 *      guest reads both without an exit, so the hypervisor must switch
 *      them between vCPUs (a Linux guest stopped between a page fault and
 *      its handler's read of CR2 got another VM's address, and SIGSEGV).
 *      Powers off with exit code 0, or 1 with the value that it read.
 */
#include "guest.h"

void _start(void) __attribute__((noreturn, section(".text.start")));

/* Where the loops of cases 14 and 15 keep their tables and stacks: fixed
 * places in RAM above the image (the hostile VMs have 2 MiB). */
#define LOOP_PML4   0x100000u
#define LOOP_PDPT   0x101000u
#define LOOP_PD     0x102000u
#define LOOP_GDT    0x103000u
#define LOOP_IDT    0x103100u   /* 32 gates */
#define LOOP_TSS    0x103800u
#define LOOP_STACK  0x105000u   /* top of case 14's ring-3 stack */
#define LOOP_IST    0x106000u   /* top of case 15's #DB stack (IST1) */

struct __attribute__((packed)) dtr32 {
	uint16_t limit;
	uint32_t base;
};

/* A handler that stops where it lands if a loop ever ends: HLT, then a jump
 * back to it (F4 EB FD, the same bytes in 32- and 64-bit code). */
void loop_handler(void);
__asm__(".pushsection .text\n.globl loop_handler\nloop_handler:\n\thlt\n\tjmp loop_handler\n"
	".popsection");

/* Flat 32-bit segments, DPL 0 and 3 (SDM 3A 3.4.5). */
#define DESC_CODE32_DPL0 0x00CF9A000000FFFFull
#define DESC_DATA_DPL0   0x00CF92000000FFFFull
#define DESC_CODE32_DPL3 0x00CFFA000000FFFFull
#define DESC_DATA_DPL3   0x00CFF2000000FFFFull
#define DESC_CODE64_DPL0 0x00AF9A000000FFFFull

/* Case 14: the #AC loop (XSA-156).  Never returns if the loop runs. */
static void ac_loop(void)
{
	volatile uint64_t *gdt = (volatile uint64_t *)(uintptr_t)LOOP_GDT;
	volatile uint32_t *idt = (volatile uint32_t *)(uintptr_t)LOOP_IDT;
	uint32_t h = (uint32_t)(uintptr_t)loop_handler, cr0;
	struct dtr32 g = { 5 * 8 - 1, LOOP_GDT }, i = { 32 * 8 - 1, LOOP_IDT };

	gdt[0] = 0;
	gdt[1] = DESC_CODE32_DPL0; /* 0x08, as CS is now */
	gdt[2] = DESC_DATA_DPL0;   /* 0x10 */
	gdt[3] = DESC_CODE32_DPL3; /* 0x18 */
	gdt[4] = DESC_DATA_DPL3;   /* 0x20 */
	/* #AC (17): a 32-bit interrupt gate to ring-3 code, so no stack switch. */
	idt[17 * 2] = (0x1Bu << 16) | (h & 0xFFFF);
	idt[17 * 2 + 1] = (h & 0xFFFF0000u) | 0xEE00u;
	__asm__ volatile("lgdt %0\n\tlidt %1" :: "m"(g), "m"(i));
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" :: "r"(cr0 | (1u << 18))); /* CR0.AM */
	say("hostile: #AC loop: ring 3, EFLAGS.AC, a misaligned stack\n");
	/* IRET to ring 3 with AC set and ESP misaligned by 3; there the first
	 * push raises #AC, and so does every delivery of it. */
	__asm__ volatile("pushl $0x23\n\t"
			 "pushl %0\n\t"
			 "pushl $0x40002\n\t" /* EFLAGS: AC, and bit 1 */
			 "pushl $0x1B\n\t"
			 "pushl $1f\n\t"
			 "iret\n"
			 "1:\tpushl %%eax\n\t"
			 "jmp 1b"
			 :: "i"(LOOP_STACK - 3) : "memory");
}

/* Case 15: the #DB loop (CVE-2015-8104).  Returns only if it did not start. */
static void db_loop(void)
{
	volatile uint64_t *pml4 = (volatile uint64_t *)(uintptr_t)LOOP_PML4;
	volatile uint64_t *pdpt = (volatile uint64_t *)(uintptr_t)LOOP_PDPT;
	volatile uint64_t *pd = (volatile uint64_t *)(uintptr_t)LOOP_PD;
	volatile uint64_t *gdt = (volatile uint64_t *)(uintptr_t)LOOP_GDT;
	volatile uint64_t *idt = (volatile uint64_t *)(uintptr_t)LOOP_IDT;
	volatile uint32_t *tss = (volatile uint32_t *)(uintptr_t)LOOP_TSS;
	uint64_t h = (uint32_t)(uintptr_t)loop_handler;
	uint32_t cr0, cr4, dr7 = 0x400u | 1u | (1u << 16) | (3u << 18); /* L0, write, 4 bytes */
	struct dtr32 g = { 6 * 8 - 1, LOOP_GDT }, i = { 32 * 16 - 1, LOOP_IDT };

	/* The first 2 MiB mapped 1:1 by one large page. */
	pd[0] = 0x83;              /* present, writable, 2 MiB */
	pdpt[0] = LOOP_PD | 3;
	pml4[0] = LOOP_PDPT | 3;
	gdt[0] = 0;
	gdt[1] = DESC_CODE32_DPL0; /* 0x08, as CS is now: compatibility mode */
	gdt[2] = DESC_DATA_DPL0;   /* 0x10 */
	gdt[3] = DESC_CODE64_DPL0; /* 0x18: the handler's */
	/* 0x20: a 64-bit TSS (16 bytes), its IST1 the #DB stack. */
	gdt[4] = 0x67u | ((uint64_t)(LOOP_TSS & 0xFFFFFF) << 16) | (0x89ull << 40) |
		 ((uint64_t)(LOOP_TSS >> 24) << 56);
	gdt[5] = 0;
	tss[9] = LOOP_IST;         /* IST1, at byte 36 */
	tss[10] = 0;
	tss[25] = 104u << 16;      /* no I/O bitmap */
	/* #DB (1): a 64-bit interrupt gate, IST1. */
	idt[1 * 2] = (h & 0xFFFF) | (0x18ull << 16) | (1ull << 32) | (0x8Eull << 40) |
		     ((h >> 16) << 48);
	idt[1 * 2 + 1] = 0;
	__asm__ volatile("lgdt %0" :: "m"(g));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | (1u << 5))); /* PAE */
	__asm__ volatile("mov %0, %%cr3" :: "r"(LOOP_PML4));
	__asm__ volatile("wrmsr" :: "c"(0xC0000080u), "a"(1u << 8), "d"(0)); /* EFER.LME */
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" :: "r"(cr0 | (1u << 31)) : "memory"); /* IA-32e mode */
	__asm__ volatile("ltr %w0\n\tlidt %1" :: "r"(0x20), "m"(i));
	say("hostile: #DB loop: a write breakpoint on the #DB handler's IST stack\n");
	/* The stack's page written first, so that the write below does not
	 * exit (a COW break of the zero page would), and no exit between
	 * arming DR7 and the write that starts the loop. */
	*(volatile uint32_t *)(uintptr_t)(LOOP_IST - 16) = 0xDB100Fu;
	__asm__ volatile("mov %0, %%dr0\n\t"
			 "mov %1, %%dr7\n\t"
			 "movl $0, (%0)"
			 :: "r"(LOOP_IST - 8), "r"(dr7) : "memory");
	say("hostile: the #DB loop did not start\n");
}

/* Seeds 21-24: CR2 and DR1 must stay this guest's own across ~40 slices. */
static void hold_cr2(uint32_t seed)
{
	uint32_t want = 0xC2000000u | seed << 12 | 0x5A, cr2, dr1, lo, hi;
	uint64_t t0, t;
	char num[12];

	say("hostile: CR2 and DR1 hold my value, spinning\n");
	__asm__ volatile("mov %0, %%cr2\n\tmov %0, %%dr1" :: "r"(want));
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	t0 = (uint64_t)hi << 32 | lo;
	do { /* ~40 slices of 2^20 ticks: the CPU's other guests run between them */
		__asm__ volatile("mov %%cr2, %0\n\tmov %%dr1, %1" : "=r"(cr2), "=r"(dr1));
		if (cr2 != want || dr1 != want) {
			say(cr2 != want ? "hostile: CR2 reads " : "hostile: DR1 reads ");
			say(u32_str(cr2 != want ? cr2 : dr1, num));
			say(": another guest's value leaked\n");
			hypercall(HC_POWER_OFF, 1, 0, 0, 0);
		}
		__asm__ volatile("pause; rdtsc" : "=a"(lo), "=d"(hi));
		t = (uint64_t)hi << 32 | lo;
	} while (t - t0 < (40ull << 20));
	say("hostile: CR2 and DR1 my own after 40 slices\n");
	hypercall(HC_POWER_OFF, 0, 0, 0, 0);
}

void _start(void)
{
	const struct guest_params *p = params();
	uint32_t ram = p->ram_pages * 4096u;

	switch (p->seed) {
	case 1:
		say("hostile: reading beyond my RAM\n");
		(void)*(volatile uint32_t *)(uintptr_t)(ram + 0x1000);
		break;
	case 2:
		say("hostile: executing VMXON\n");
		__asm__ volatile("vmxon (%0)" :: "r"(0x2000) : "memory");
		break;
	case 3: {
		int bad = 0;
		say("hostile: bad hypercalls\n");
		bad |= hypercall(HC_CONSOLE_WRITE, ram - 8, 64, 0, 0) != HC_EFAULT;
		bad |= hypercall(HC_CONSOLE_WRITE, 0xFFFFFFF0u, 16, 0, 0) != HC_EFAULT;
		bad |= hypercall(HC_CONSOLE_WRITE, 0x2000, 1u << 20, 0, 0) != HC_EINVAL;
		bad |= hypercall(HC_QUERY_COUNTERS, ram - 4, 64, 0, 0) != HC_EFAULT;
		bad |= hypercall(HC_QUERY_COUNTERS, 0x2000, 4, 0, 0) != HC_EINVAL;
		bad |= hypercall(0xDEAD, 0, 0, 0, 0) != HC_ENOSYS;
		say(bad ? "hostile: a bad hypercall was accepted\n" : "hostile: all bad hypercalls refused\n");
		hypercall(HC_POWER_OFF, (uint32_t)bad, 0, 0, 0);
		break;
	}
	case 4:
		say("hostile: writing to the read-only parameter page\n");
		*(volatile uint32_t *)(uintptr_t)GUEST_PARAMS_GPA = 0;
		break;
	case 5:
		say("hostile: triple fault\n");
		__asm__ volatile("int3");
		break;
	case 6: {
		uint32_t a, b, c, d;
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
		say(c & (1u << 3) ? "hostile: MONITOR/MWAIT offered\n" : "hostile: MONITOR/MWAIT hidden\n");
		say("hostile: MONITOR + MWAIT\n");
		__asm__ volatile("monitor" :: "a"(0x2000), "c"(0), "d"(0));
		__asm__ volatile("mwait" :: "a"(0xF0), "c"(0)); /* the deepest C-state hint */
		break;
	}
	case 7:
		say("hostile: WBINVD\n");
		__asm__ volatile("wbinvd" ::: "memory");
		say("hostile: WBINVD returned\n");
		hypercall(HC_POWER_OFF, 0, 0, 0, 0);
		break;
	case 8: {
		uint32_t cr4;
		say("hostile: setting CR4.OSXSAVE\n");
		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		cr4 |= 1u << 18;
		__asm__ volatile("mov %0, %%cr4" :: "r"(cr4));
		break;
	}
	case 9:
		say("hostile: DR0 = 0x12345678, then halt\n");
		__asm__ volatile("mov %0, %%dr0" :: "r"(0x12345678u));
		for (;;)
			__asm__ volatile("hlt");
	case 11: {
		char *buf = (char *)(uintptr_t)GUEST_DATA_GPA; /* 4 KiB of its RAM */
		uint32_t i;
		for (i = 0; i < 4096; i++)
			buf[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
		say("hostile: flooding the console\n");
		for (i = 0; i < 1000; i++)
			hypercall(HC_CONSOLE_WRITE, GUEST_DATA_GPA, 4096, 0, 0);
		say("hostile: flood done\n");
		hypercall(HC_POWER_OFF, 0, 0, 0, 0);
		break;
	}
	case 12: {
		uint32_t me, n;
		vcpu_id(&me, &n);
		if (me == 0) {
			say("hostile: vCPU 0 triple-faults while vCPU 1 spins\n");
			__asm__ volatile("int3");
		}
		for (;;)
			__asm__ volatile("pause");
	}
	case 13: {
		static uint8_t in[128] __attribute__((aligned(16))), out[128] __attribute__((aligned(16)));
		uint32_t cr4, lo, hi, i, bad = 0;
		uint64_t t0, t;
		char num[12];
		for (i = 0; i < 128; i++)
			in[i] = (uint8_t)(0xA5 ^ (i * 37 + 11));
		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		__asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | (1u << 9) | (1u << 10))); /* OSFXSR */
		say("hostile: XMM0-7 loaded, spinning\n");
		__asm__ volatile("movdqu 0(%0), %%xmm0\n\tmovdqu 16(%0), %%xmm1\n\t"
				 "movdqu 32(%0), %%xmm2\n\tmovdqu 48(%0), %%xmm3\n\t"
				 "movdqu 64(%0), %%xmm4\n\tmovdqu 80(%0), %%xmm5\n\t"
				 "movdqu 96(%0), %%xmm6\n\tmovdqu 112(%0), %%xmm7"
				 :: "r"(in) : "memory");
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		t0 = (uint64_t)hi << 32 | lo;
		do { /* ~40 slices of 2^20 ticks: the hypervisor runs between them */
			__asm__ volatile("pause; rdtsc" : "=a"(lo), "=d"(hi));
			t = (uint64_t)hi << 32 | lo;
		} while (t - t0 < (40ull << 20));
		__asm__ volatile("movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 16(%0)\n\t"
				 "movdqu %%xmm2, 32(%0)\n\tmovdqu %%xmm3, 48(%0)\n\t"
				 "movdqu %%xmm4, 64(%0)\n\tmovdqu %%xmm5, 80(%0)\n\t"
				 "movdqu %%xmm6, 96(%0)\n\tmovdqu %%xmm7, 112(%0)"
				 :: "r"(out) : "memory");
		for (i = 0; i < 128 && in[i] == out[i]; i++)
			;
		bad = i < 128;
		if (bad) {
			say("hostile: XMM");
			say(u32_str(i / 16, num));
			say(" changed under me\n");
		} else {
			say("hostile: XMM0-7 intact after 40 slices\n");
		}
		hypercall(HC_POWER_OFF, bad, 0, 0, 0);
		break;
	}
	case 14:
		ac_loop();
		break;
	case 15:
		db_loop();
		hypercall(HC_POWER_OFF, 3, 0, 0, 0);
		break;
	case 16: {
		uint32_t lo, hi;
		say("hostile: RDPMC at CPL 0\n");
		__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0));
		say("hostile: RDPMC read a host counter\n");
		hypercall(HC_POWER_OFF, 1, 0, 0, 0);
		break;
	}
	case 17:
	case 19: {
		uint32_t cr4, bit = p->seed == 17 ? 1u << 8 : 1u << 22;
		say(p->seed == 17 ? "hostile: setting CR4.PCE\n" : "hostile: setting CR4.PKE\n");
		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		__asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | bit));
		say("hostile: the CR4 bit was accepted\n");
		hypercall(HC_POWER_OFF, 1, 0, 0, 0);
		break;
	}
	case 18: {
		uint32_t cr0;
		say("hostile: CR0 with NW = 1, CD = 0 (and NE clear: an exit)\n");
		__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
		cr0 = (cr0 | (1u << 29)) & ~((1u << 30) | (1u << 5));
		__asm__ volatile("mov %0, %%cr0" :: "r"(cr0));
		say("hostile: CR0.NW without CD was accepted\n");
		hypercall(HC_POWER_OFF, 1, 0, 0, 0);
		break;
	}
	case 20: {
		uint32_t i;
		say("hostile: 1000 mismatch reports\n");
		for (i = 0; i < 1000; i++)
			hypercall(HC_REPORT_ERROR, GUEST_DATA_GPA + i * 4096u, i, 0x11111111u * (i % 15),
				  ~i);
		say("hostile: reports done\n");
		hypercall(HC_POWER_OFF, 0, 0, 0, 0);
		break;
	}
	case 21: case 22: case 23: case 24:
		hold_cr2(p->seed);
		break;
	case 10: {
		uint32_t dr0;
		char num[12];
		__asm__ volatile("mov %%dr0, %0" : "=r"(dr0));
		say("hostile: DR0 reads ");
		say(u32_str(dr0, num));
		say(dr0 ? ": another guest's value leaked\n" : ": my own\n");
		hypercall(HC_POWER_OFF, dr0 != 0, 0, 0, 0);
		break;
	}
	}
	say("hostile: still running: containment failed\n");
	hypercall(HC_POWER_OFF, 2, 0, 0, 0);
	for (;;)
		__asm__ volatile("hlt");
}
