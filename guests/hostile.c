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
	}
	say("hostile: still running: containment failed\n");
	hypercall(HC_POWER_OFF, 2, 0, 0, 0);
	for (;;)
		__asm__ volatile("hlt");
}
