/*
 * hypercall.c - what a guest may ask of dedupvisor (docs/hypercalls.md).
 *
 * Every pointer a guest passes is guest-physical and checked against its
 * RAM before use: a bad one gets HC_EFAULT, never a host access.  A
 * misbehaving guest can stop itself, never another VM.  What a hypercall
 * reports goes through the VM's console ring (vm_note), as the guest's
 * own lines do: a guest that reports in a loop loses its own lines, not
 * the hypervisor's console or its lock.  The architecture decodes the
 * VMCALL (arch/x86_64/vmexit.c) and calls core_hypercall().
 */
#include <stdio.h>
#include <string.h>

#include "guest_abi.h"
#include "sharing.h"
#include "test_support.h"
#include "upcall.h"

static int32_t hc_console_write(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	char buf[4096];
	uint64_t i;
	if (len > sizeof(buf))
		return HC_EINVAL;
	if (copy_from_guest(v->vm, buf, gpa, len))
		return HC_EFAULT;
	for (i = 0; i < len; i++)
		vm_serial_out(v->vm, buf[i]);
	return HC_OK;
}

static int32_t hc_query_counters(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	struct vm *vm = v->vm;
	struct hc_counters c = { 0 };
	uint64_t n;
	void *dst[2];
	if (len < sizeof(c) || gpa >= vm->npages * 4096 || sizeof(c) > vm->npages * 4096 - gpa)
		return len < sizeof(c) ? HC_EINVAL : HC_EFAULT;
	c.exits = vm_exit_count(vm);
	c.ept_violations = vm->ept_violations;
	/* The engine's fleet-wide counters say whether a page merged with
	 * another VM's: none for a VM of a same-behaviour domain (they stay
	 * 0), whose point is that it cannot tell. */
	{
		struct dedup_stats s;
		struct dedup_vm_stats vs;
		if (dedup_get_vm_stats(engine, vm->id, &vs) == 0)
			c.pages_backed = vs.pages - vs.merged - vs.compressed - vs.patched; /* a frame of their own */
		if (vm->cfg->mode == CONFIG_MODE_SAME)
			memset(&s, 0, sizeof(s));
		else
			dedup_get_stats(engine, &s);
		c.pages_shared = s.pages_shared;
		c.pages_sharing = s.pages_sharing;
		c.ksm_zero_pages = s.ksm_zero_pages;
		c.cow_breaks = s.cow_breaks;
	}
	/* The buffer may straddle two pages: both are made private (COW
	 * broken) before either is written, so that HC_ENOMEM leaves the
	 * guest's memory as it was. */
	n = 4096 - (gpa & 0xFFF);
	if (n > sizeof(c))
		n = sizeof(c);
	dst[0] = vm_gpa_ptr(vm, gpa, n, true);
	dst[1] = n < sizeof(c) ? vm_gpa_ptr(vm, gpa + n, sizeof(c) - n, true) : NULL;
	if (!dst[0] || (n < sizeof(c) && !dst[1])) /* inside RAM (checked above): no frame */
		return HC_ENOMEM;
	memcpy(dst[0], &c, n);
	if (n < sizeof(c))
		memcpy(dst[1], (const char *)&c + n, sizeof(c) - n);
	return HC_OK;
}

int32_t core_hypercall(struct arch_vcpu *av, uint32_t nr, const uint32_t args[4],
		       enum core_action *next)
{
	struct vcpu *v = vcpu_of(av);
	struct vm *vm = v->vm;
	uint32_t a = args[0], b = args[1], c = args[2], d = args[3];
	int32_t ret = HC_OK;

	/* The hypercalls are our test guests' ABI; a kind without them (Linux:
	 * vm.h) gets #UD, as on hardware without a hypervisor. */
	if (!vm->kind->hypercalls) {
		*next = CORE_UNDEFINED;
		return 0;
	}
	switch (nr) {
	case HC_CONSOLE_WRITE:
		ret = hc_console_write(v, a, b);
		if (ret)
			vm_note(vm, "vm %s: console write refused (buffer 0x%x, %u bytes): %s", vm->name,
				a, b, ret == HC_EFAULT ? "outside its RAM" : "too long");
		break;
	case HC_REPORT_PROGRESS: {
		unsigned i;
		v->rounds = a;
		v->errors = b;
		vm->rounds = ~0ull;
		vm->errors = 0;
		for (i = 0; i < vm->nvcpus; i++) { /* the VM's: slowest vCPU, all errors */
			if (vm->vcpu[i].rounds < vm->rounds)
				vm->rounds = vm->vcpu[i].rounds;
			vm->errors += vm->vcpu[i].errors;
		}
		if (vm->nvcpus > 1)
			vm_note(vm, "vm %s vcpu %u: round %u verified %u pages, %u errors", vm->name,
				v->index, a, c, b);
		else
			vm_note(vm, "vm %s: round %u verified %u pages, %u errors", vm->name, a, c, b);
		test_support_after_round(vm, v->index, a);
		break;
	}
	case HC_REPORT_ERROR:
		vm_note(vm, "vm %s: MISMATCH at guest-physical 0x%x offset %u: expected %08x found %08x",
			vm->name, a, b, c, d);
		break;
	case HC_QUERY_COUNTERS:
		ret = hc_query_counters(v, a, b);
		break;
	case HC_POWER_OFF:
		vm->powered_off = true;
		vm->exit_code = a;
		vm_stop(vm, "powered off by the guest, exit code %u", a);
		break;
	default:
		ret = HC_ENOSYS;
		break;
	}
	*next = v->state == VCPU_RUNNABLE ? CORE_RESUME : CORE_YIELD;
	return ret;
}
