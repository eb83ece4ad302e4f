/*
 * upcall.c - the core's side of the upcalls that arch/ makes
 * (kernel/include/upcall.h), those that are not another file's concern:
 * stopping a VM, a halted vCPU (its VM's kind decides), the hypervisor's
 * frames, port I/O (to the VM's board: vm_port_io), MSRs of its devices
 * (its kind's), faults on guest-physical memory (a measurement point's
 * hold first: freeze.c), and a dying machine's console (console_out.c).
 * (Hypercalls: hypercall.c.)
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "console_out.h"
#include "freeze.h"
#include "frames.h"
#include "sharing.h"
#include "upcall.h"
#include "vm.h"

extern struct frame_pool frames;

void core_vm_stop(struct arch_vcpu *a, const char *fmt, ...)
{
	char why[sizeof(((struct vm *)0)->why)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vm_stop(vcpu_of(a)->vm, "%s", why);
}

enum core_action core_vcpu_halt(struct arch_vcpu *a, bool interruptible)
{
	struct vcpu *v = vcpu_of(a);
	return v->vm->kind->halt(v, interruptible);
}

enum core_action core_port_io(struct arch_vcpu *a, uint16_t port, unsigned size, bool in,
			      uint32_t *value)
{
	return vm_port_io(vcpu_of(a), port, size, in, value);
}

int core_frame_alloc(enum upcall_frame_use use, uint64_t *phys)
{
	if (frames_alloc(&frames, use == UPCALL_FRAME_PAGETABLE ? FRAME_PAGETABLE : FRAME_KERNEL,
			 phys))
		return -1;
	memset(phys_to_virt(*phys), 0, FRAME_SIZE);
	return 0;
}

/* No frame now: the vCPU waits and retries its access later. */
static enum core_action wait_for_frames(struct vcpu *v)
{
	if (!v->vm->warned_oom)
		printf("vm %s: out of memory: waiting for free frames\n", v->vm->name);
	v->vm->warned_oom = true;
	v->state = VCPU_WAITING;
	return CORE_YIELD;
}

enum core_action core_guest_mem_fault(struct arch_vcpu *a, uint64_t gpa, unsigned access)
{
	struct vcpu *v = vcpu_of(a);
	struct vm *vm = v->vm;
	struct ept_leaf leaf;
	int r;

	vm->ept_violations++;
	if (gpa < vm->npages * 4096 && ept_lookup(&vm->ept, gpa, &leaf)) {
		/* Not present: a page the cold tier compressed or keeps as a
		 * patch, or a fused page of a same-behaviour domain, whatever
		 * the access.  Its frame is charged like a COW copy's. */
		if (vm->frame_budget < vm->npages && sharing_private_frames(vm) >= vm->frame_budget) {
			vm_stop(vm, "over its memory limit of %lu KiB in frames of its own",
				vm->frame_budget * 4);
			return CORE_YIELD;
		}
		/* A write: a measurement point holding its old content saves it
		 * first (freeze.c), so that it comes back writable. */
		if ((access & UPCALL_ACCESS_WRITE) && freeze_write(vm, gpa >> 12) == DEDUP_ENOMEM)
			return wait_for_frames(v);
		r = sharing_fault_in(vm, gpa >> 12, access & UPCALL_ACCESS_WRITE);
		if (r == 0 && ept_lookup(&vm->ept, gpa, &leaf) == 0)
			return CORE_RESUME;
		if (r == DEDUP_ENOMEM)
			return wait_for_frames(v);
		if (r == DEDUP_EIO) {
			vm_stop(vm, "its compressed or patched page at 0x%lx fails its checksum: the "
				"content is lost", gpa & ~0xFFFul);
			return CORE_YIELD;
		}
		/* Not compressed either: unmapped RAM, below. */
	} else if (gpa < vm->npages * 4096 && (access & UPCALL_ACCESS_WRITE)) {
		/* A measurement point holding the page's old content (freeze.c):
		 * saved, and write access back if the point withheld it. */
		r = freeze_write(vm, gpa >> 12);
		if (r > 0)
			return CORE_RESUME;
		if (r == DEDUP_ENOMEM)
			return wait_for_frames(v);
		/* The COW entry into dedup/: RAM mapped read-only (shared or zero).
		 * A copy is charged to the VM that writes: one over its budget
		 * (limit=) is stopped, not given a frame another VM may need. */
		if (vm->frame_budget < vm->npages && sharing_private_frames(vm) >= vm->frame_budget &&
		    !(ept_lookup(&vm->ept, gpa, &leaf) == 0 && (leaf.perms & EPT_WRITE))) {
			vm_stop(vm, "over its memory limit of %lu KiB in frames of its own",
				vm->frame_budget * 4);
			return CORE_YIELD;
		}
		r = sharing_write_fault(vm, gpa >> 12);
		if (r == 0)
			return CORE_RESUME;
		if (r == DEDUP_ENOMEM)
			return wait_for_frames(v);
		vm_stop(vm, "COW break at 0x%lx failed (%d)", gpa, r);
		return CORE_YIELD;
	}
	arch_vcpu_dump(a);
	if (ept_lookup(&vm->ept, gpa, &leaf) == 0)
		vm_stop(vm, "write to read-only guest memory at 0x%lx", gpa);
	else if (gpa >= vm->npages * 4096)
		vm_stop(vm, "%s guest-physical 0x%lx, outside its %lu MiB of RAM",
			access & UPCALL_ACCESS_WRITE ? "wrote" : access & UPCALL_ACCESS_EXEC ? "fetched"
			: "read", gpa, vm->npages >> 8);
	else
		vm_stop(vm, "EPT violation at unmapped RAM 0x%lx (access %s%s%s)", gpa,
			access & UPCALL_ACCESS_READ ? "r" : "", access & UPCALL_ACCESS_WRITE ? "w" : "",
			access & UPCALL_ACCESS_EXEC ? "x" : "");
	return CORE_YIELD;
}

void core_dying(void)
{
	console_dying();
}

enum core_action core_msr(struct arch_vcpu *a, uint32_t msr, bool write, uint64_t *val)
{
	struct vcpu *v = vcpu_of(a);
	return v->vm->kind->msr ? v->vm->kind->msr(v, msr, write, val) : CORE_UNDEFINED;
}
