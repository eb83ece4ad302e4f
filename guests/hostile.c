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
 */
#include "guest.h"

void _start(void) __attribute__((noreturn, section(".text.start")));
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
