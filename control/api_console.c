/*
 * api_console.c - a VM's serial console over the API (docs/api.md): what
 * it wrote lately, and typing to it.
 *
 * GET /api/vms/NAME/console answers the last VMCON_OUT_BYTES bytes the VM
 * wrote to its console (kernel/vm_console.c), oldest first, raw: the
 * guest's "\r\n", prompts without a newline and terminal escapes as it
 * sent them, as text/plain.  A stopped VM keeps its ring: its last words
 * stay readable.  No token: the dashboard shows it as it shows the rest.
 *
 * POST /api/vms/NAME/console types its body (up to HTTP_MAX_BODY bytes,
 * any bytes: "\r" is Enter to a shell on a serial line) into the VM's
 * input queue, all or nothing: a body the queue cannot take whole is 503
 * with the room it has, so that a client never has half a command typed.
 * It needs the token (router.c): typing is acting inside the guest.  The
 * console says what was typed where, as it says a knob set through the
 * API.  Both run on the boot CPU under the core's lock (net_poll).
 */
#include <stdio.h>
#include <string.h>

#include "api_console.h"
#include "vm.h"
#include "vm_console.h"

#define CT_TEXT "text/plain; charset=utf-8"

/* The VM called name, or NULL with the 404 or 409 answer set. */
static struct vm *find_vm(const char *name, struct http_answer *a)
{
	struct vm *vm = vm_by_name(name);

	if (!vm) {
		a->status = 404;
		a->reason = "no such VM";
	} else if (vm->pending) {
		a->status = 409;
		a->reason = "the VM has not started (start=late): it has no console yet";
		vm = NULL;
	}
	return vm;
}

void api_vm_console_get(const char *name, struct http_answer *a)
{
	struct vm *vm = find_vm(name, a);
	uint64_t from = 0;

	if (!vm)
		return;
	a->content_type = CT_TEXT;
	a->len = vmcon_out_read(&vm->con, &from, a->body, a->cap);
}

void api_vm_console_type(const char *name, const struct http_request *req, struct http_answer *a)
{
	static char reason[128];
	struct vm *vm = find_vm(name, a);
	unsigned n = (unsigned)req->content_length, room;
	int typed;

	if (!vm)
		return;
	if (!vm->kind->reads_console || vm->stopped) {
		a->status = 409;
		a->reason = vm->stopped ? "the VM was stopped: nothing reads its console"
					: "the VM runs a test image: it reads no serial console";
		return;
	}
	room = vmcon_in_room(&vm->con);
	if (n > room) {
		snprintf(reason, sizeof(reason), "the VM's console input queue has room for %u bytes "
			 "of these %u (it has not read what was typed before); nothing typed", room, n);
		a->status = 503;
		a->reason = reason;
		return;
	}
	typed = vm_console_type(vm, req->body, n);
	printf("api: typed %d bytes to vm %s's console\n", typed, vm->name);
	a->status = 202;
	a->len = (size_t)snprintf(a->body, a->cap, "{\"name\":\"%s\",\"typed\":%d}", vm->name, typed);
}
