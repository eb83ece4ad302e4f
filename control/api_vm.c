/*
 * api_vm.c - the API's VM actions: pause, resume, stop, and a VM's
 * guest-physical memory as a raw image (docs/api.md).
 *
 * Like api_serve.c, it runs on the boot CPU under the core's lock, from
 * the HTTP server's callbacks (net_poll).
 *
 * Pause and resume.  A paused VM keeps its memory and its place; its
 * vCPUs enter no guest (sched_pause_vm) until it is resumed.  The pause
 * returns once none of them is in the guest, so the answer means what it
 * says: the VM's memory no longer changes.  Both are idempotent: pausing
 * a paused VM, or resuming a running one, answers its state and does
 * nothing.  The dedup scanner goes on: it may merge a paused VM's pages,
 * which changes where they live, never what they hold.
 *
 * The memory image.  GET /api/vms/NAME/memory answers the VM's RAM, guest
 * physical address 0 first, every page, as application/octet-stream: the
 * raw image dedupsim and ksmbench read.  The image is taken at one
 * consistent point: the stream holds a pause of its own from the request
 * to its last byte (or to the connection's end), so no byte changes while
 * it is read, and the VM runs again afterwards unless it was paused
 * through the API too.  Pages are read through the VM's EPT one buffer at
 * a time as TCP takes them (copy_from_guest): nothing is written, no page
 * is made private, and no hypervisor memory but the VM's own RAM is read.
 * A VM stopped meanwhile gave its memory back: the stream is then cut (a
 * reset), and the client sees a body short of its Content-Length.
 */
#include <stdio.h>
#include <string.h>

#include "api_vm.h"
#include "sched.h"
#include "vm.h"

#define PAGE_BYTES 4096u

/* The VM called name, or NULL with the error answer set. */
static struct vm *find_vm(const char *name, struct http_answer *a)
{
	struct vm *vm = vm_by_name(name);
	if (!vm) {
		a->status = 404;
		a->reason = "no such VM";
	}
	return vm;
}

/* 0 when vm has memory to pause or read; else the 409 answer is set. */
static int check_live(const struct vm *vm, struct http_answer *a)
{
	if (vm->pending) {
		a->status = 409;
		a->reason = "the VM has not started (start=late): it has no memory yet";
		return -1;
	}
	if (vm->stopped) {
		a->status = 409;
		a->reason = "the VM was stopped: its memory was given back";
		return -1;
	}
	return 0;
}

static void answer_state(const struct vm *vm, struct http_answer *a)
{
	a->len = (size_t)snprintf(a->body, a->cap, "{\"name\":\"%s\",\"paused\":%s}", vm->name,
				  vm->api_paused ? "true" : "false");
}

void api_vm_pause(const char *name, struct http_answer *a)
{
	struct vm *vm = find_vm(name, a);
	if (!vm || check_live(vm, a))
		return;
	if (!vm->api_paused) {
		vm->api_paused = true;
		sched_pause_vm(vm);
		if (vm->stopped) { /* while its vCPUs were leaving the guest */
			a->status = 409;
			a->reason = "the VM was stopped while it was being paused";
			return;
		}
		printf("api: vm %s paused\n", vm->name);
	}
	answer_state(vm, a);
}

void api_vm_resume(const char *name, struct http_answer *a)
{
	struct vm *vm = find_vm(name, a);
	if (!vm || check_live(vm, a))
		return;
	if (vm->api_paused) {
		vm->api_paused = false;
		sched_resume_vm(vm);
		printf("api: vm %s resumed%s\n", vm->name,
		       vm->pause_holds ? " (it stays paused while its memory image is read)" : "");
	}
	answer_state(vm, a);
}

void api_vm_stop(const char *name, struct http_answer *a)
{
	struct vm *vm = find_vm(name, a);
	if (!vm || check_live(vm, a))
		return;
	vm_stop(vm, "stopped through the API");
	a->status = 202;
	a->len = (size_t)snprintf(a->body, a->cap, "{\"name\":\"%s\",\"stopped\":true}", vm->name);
}

static int image_read(void *ctx, uint64_t off, void *buf, size_t n)
{
	struct vm *vm = ctx;
	if (vm->stopped) /* its frames were given back: nothing left to read */
		return -1;
	return copy_from_guest(vm, buf, off, n);
}

static void image_end(void *ctx, bool complete, uint64_t sent)
{
	struct vm *vm = ctx;
	sched_resume_vm(vm);
	if (complete && !sent && vm->npages)
		printf("api: vm %s: memory image: its head only (HEAD)\n", vm->name);
	else if (complete)
		printf("api: vm %s: memory image sent (%lu bytes)\n", vm->name, sent);
	else
		printf("api: vm %s: memory image cut after %lu of %lu bytes%s\n", vm->name, sent,
		       vm->npages * PAGE_BYTES, vm->stopped ? " (the VM was stopped)" : "");
}

void api_vm_memory(const char *name, struct http_answer *a)
{
	struct vm *vm = find_vm(name, a);
	if (!vm || check_live(vm, a))
		return;
	sched_pause_vm(vm);
	a->content_type = "application/octet-stream";
	a->stream = (struct http_stream){ .length = vm->npages * PAGE_BYTES, .read = image_read,
					  .end = image_end, .ctx = vm };
	/* From here the server calls image_end once, whatever happens. */
	if (vm->stopped) {
		a->status = 409;
		a->reason = "the VM was stopped while it was being paused";
		return;
	}
	printf("api: vm %s: memory image of %lu bytes, the VM paused while it is read\n", vm->name,
	       vm->npages * PAGE_BYTES);
}
