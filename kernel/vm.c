/*
 * vm.c - guest VMs: creation from the config, guest memory, the console.
 *
 * A VM's RAM is guest-physical [0, ram), registered with the dedup engine
 * (sharing.c): every page reads as zeros through the domain's zero frame
 * until the guest writes it, so nothing is allocated up front but the EPT,
 * the guest image's pages and the parameter page, which lies outside RAM
 * (GUEST_PARAMS_GPA) and is mapped read-only.  Touching memory outside RAM
 * stops the VM.  A stopped VM says why, once, never runs again and gives its
 * memory back; the others are not affected.  Port I/O goes to the VM's
 * board (devices/vplatform.c), whatever its kind (vm.h: struct vm_kind);
 * what a VM writes to its console and what is typed to it pass through
 * its console buffers (vm_console.c).
 */
#include <stdio.h>
#include <string.h>

#include "frames.h"
#include "guest_abi.h"
#include "sharing.h"
#include "test_support.h"
#include "uart_16550.h"
#include "vm.h"

extern struct frame_pool frames;

struct vm vms[VM_MAX];
unsigned nvms;

static int ept_table_alloc(void *ctx, uint64_t *phys)
{
	(void)ctx;
	return frames_alloc(&frames, FRAME_EPT, phys);
}

static void ept_table_free(void *ctx, uint64_t phys)
{
	(void)ctx;
	if (frames_free(&frames, phys))
		printf("vm: freeing EPT table %lx failed\n", phys);
}

static uint64_t *ept_table_ptr(void *ctx, uint64_t phys)
{
	(void)ctx;
	return phys_to_virt(phys);
}

static const struct ept_ops vm_ept_ops = { ept_table_alloc, ept_table_free, ept_table_ptr, NULL };

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	unsigned i;

	if (vm->stopped)
		return;
	vm->stopped = true;
	vm->ended = arch_time_now();
	va_start(ap, fmt);
	vsnprintf(vm->why, sizeof(vm->why), fmt, ap);
	va_end(ap);
	for (i = 0; i < vm->nvcpus; i++) /* before any shootdown: see vcpu_run_slice */
		__atomic_store_n(&vm->vcpu[i].state, VCPU_DONE, __ATOMIC_RELEASE);
	if (guest_out_focused() == vm) /* its last bytes; the console is the operator's again */
		(void)guest_out_focus(NULL);
	/* Its last lines first, then the line that says it stopped (into the
	 * console's queue: no wait, the lock held or not). */
	guest_out_flush_vm(&vm->out, vm->name);
	printf("vm %s: stopped: %s\n", vm->name, vm->why);
	if (vm->in_engine && !vm->memory_held) {
		/* The engine invalidates on every CPU before it frees anything;
		 * the parameter page goes last, after that.  If a CPU did not
		 * answer, nothing is freed (sharing_remove_vm). */
		struct ept_leaf l;
		bool params = ept_lookup(&vm->ept, GUEST_PARAMS_GPA, &l) == 0;
		if (sharing_remove_vm(vm))
			vm->memory_held = true;
		vm->in_engine = false;
		if (params && !vm->memory_held && frames_free(&frames, l.hpa))
			printf("vm %s: parameter page not freed\n", vm->name);
	}
}

void *vm_gpa_ptr(struct vm *vm, uint64_t gpa, uint64_t len, bool back)
{
	struct ept_leaf leaf;
	uint8_t *page;

	if (gpa >= vm->npages * 4096 || len > 4096 - (gpa & 0xFFF))
		return NULL;
	if (back) {
		page = sharing_private_page(vm, gpa);
		return page ? page + (gpa & 0xFFF) : NULL;
	}
	if (ept_lookup(&vm->ept, gpa, &leaf)) {
		/* Not present: a page the cold tier holds compressed is read
		 * decompressed (a copy, valid until the next read), not faulted
		 * back: readers change nothing. */
		const uint8_t *c = vm->in_engine ? sharing_read_page(vm, gpa >> 12) : NULL;
		return c ? (uint8_t *)(uintptr_t)c + (gpa & 0xFFF) : NULL;
	}
	return phys_to_virt(leaf.hpa);
}

/* Copies len bytes between guest-physical gpa and host, page by page; to:
 * into the guest (each page made private first). */
static int copy_guest(struct vm *vm, uint64_t gpa, void *host, uint64_t len, bool to)
{
	uint8_t *h = host;
	if (gpa >= vm->npages * 4096 || len > vm->npages * 4096 - gpa)
		return -1;
	while (len) {
		uint64_t n = 4096 - (gpa & 0xFFF);
		uint8_t *g;
		if (n > len)
			n = len;
		g = vm_gpa_ptr(vm, gpa, n, to);
		if (!g)
			return -1;
		if (to)
			memcpy(g, h, n);
		else
			memcpy(h, g, n);
		h += n, gpa += n, len -= n;
	}
	return 0;
}

int copy_from_guest(struct vm *vm, void *dst, uint64_t gpa, uint64_t len)
{
	return copy_guest(vm, gpa, dst, len, false);
}

int copy_to_guest(struct vm *vm, uint64_t gpa, const void *src, uint64_t len)
{
	return copy_guest(vm, gpa, (void *)(uintptr_t)src, len, true);
}

struct vm *vm_by_name(const char *name)
{
	unsigned i;
	for (i = 0; i < nvms; i++)
		if (!strcmp(vms[i].name, name))
			return &vms[i];
	return NULL;
}

uint64_t vm_exit_count(const struct vm *vm)
{
	uint64_t n = 0;
	unsigned i;
	for (i = 0; i < vm->nvcpus; i++)
		n += arch_vcpu_exits(&vm->vcpu[i].arch);
	return n;
}

void vm_serial_out(struct vm *vm, char c)
{
	vmcon_out(&vm->con, (uint8_t)c);
	guest_out_byte(&vm->out, vm->name, c);
}

void vm_note(struct vm *vm, const char *fmt, ...)
{
	char line[GUEST_OUT_LINE + CONFIG_NAME_MAX + 8];
	int n;
	va_list ap;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	guest_out_line(&vm->out, line, (uint32_t)n);
}

int vm_console_type(struct vm *vm, const void *s, unsigned n)
{
	unsigned taken, i;

	if (!vm->kind || !vm->kind->reads_console || vm->pending || vm->stopped)
		return -1;
	taken = vmcon_type(&vm->con, s, n);
	/* A vCPU halted until its next timer edge takes the UART's interrupt
	 * now (the kind's prepare feeds the UART before its entry). */
	for (i = 0; i < vm->nvcpus && taken; i++)
		if (vm->vcpu[i].state == VCPU_BLOCKED)
			vm->vcpu[i].wake = 0;
	return (int)taken;
}

enum core_action vm_port_io(struct vcpu *v, uint16_t port, unsigned size, bool in,
			    uint32_t *value)
{
	struct vm *vm = v->vm;
	int tx;

	vplat_port_io(&vm->plat, arch_time_now(), port, size, in, value, &tx);
	if (tx >= 0) {
		vm_serial_out(vm, (char)tx);
		if (guest_out_busy(vm))
			uart_set_tx_busy(&vm->plat.uart, 1);
	}
	/* Waiting for the transmitter while the console is behind: end the
	 * slice, so that the boot CPU sends what waits (guest_out.c). */
	if (in && port == COM1_BASE + UART_LSR && vm->plat.uart.tx_busy)
		return CORE_YIELD;
	if (vm->kind->io_done)
		vm->kind->io_done(v);
	if (vm->plat.reset) {
		vm_stop(vm, "the guest asked for a reset (keyboard controller); restarting a VM is "
			"not supported yet");
		return CORE_YIELD;
	}
	return CORE_RESUME;
}

/* An image VM's HLT: our test images have no interrupts, nothing can wake
 * them; the VM is done. */
static enum core_action image_halt(struct vcpu *v, bool interruptible)
{
	(void)interruptible;
	v->state = VCPU_HALTED;
	return CORE_YIELD;
}

const struct vm_kind image_vm_kind = {
	.name = "image", .hypercalls = true, .stack_below_entry = true,
	.prepare = NULL, .halt = image_halt, .report = NULL,
};

/* Maps a fresh frame at gpa with perms and returns its host pointer. */
static void *map_new(struct vm *vm, uint64_t gpa, uint64_t perms)
{
	uint64_t f;
	if (frames_alloc(&frames, FRAME_GUEST, &f))
		return NULL;
	memset(phys_to_virt(f), 0, 4096);
	if (ept_map(&vm->ept, gpa, f, EPT_4K, perms)) {
		if (frames_free(&frames, f))
			printf("vm: frame leak at %lx\n", f);
		return NULL;
	}
	return phys_to_virt(f);
}

int vm_create(unsigned id, const struct vm_config *cfg, const void *image, uint64_t size)
{
	struct vm *vm = &vms[id];
	struct guest_params *gp;
	uint64_t off;

	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	vm->cfg = cfg;
	strncpy(vm->name, cfg->name, sizeof(vm->name) - 1);
	vm->npages = cfg->ram / 4096;
	vm->frame_budget = cfg->limit ? cfg->limit / 4096 : vm->npages;
	vm->vpid = (uint16_t)(id + 1);
	vm->nvcpus = cfg->vcpus > VCPU_MAX ? VCPU_MAX : cfg->vcpus;
	vm->entry = cfg->entry;
	vm->kind = &image_vm_kind; /* linux_vm_create makes it a Linux VM after */
	vplat_init_image(&vm->plat);
	vmcon_init(&vm->con);
	if (ept_init(&vm->ept, &vm_ept_ops, true)) {
		vm_stop(vm, "no memory for its EPT");
		return -1;
	}
	if (cfg->ram > GUEST_PARAMS_GPA) {
		vm_stop(vm, "more RAM than the 32-bit guest ABI allows (below 0x%x)", GUEST_PARAMS_GPA);
		return -1;
	}
	if (cfg->entry + size > cfg->ram) {
		vm_stop(vm, "image (%lu bytes at 0x%lx) leaves its RAM", size, cfg->entry);
		return -1;
	}
	if (sharing_add_vm(vm)) {
		vm_stop(vm, "out of memory registering its RAM");
		return -1;
	}
	vm->in_engine = true;
	for (off = 0; off < size; off += 4096 - ((cfg->entry + off) & 0xFFF)) {
		uint64_t gpa = cfg->entry + off, n = 4096 - (gpa & 0xFFF);
		uint8_t *dst = vm_gpa_ptr(vm, gpa, n > size - off ? size - off : n, true);
		if (!dst) {
			vm_stop(vm, "out of memory loading its image");
			return -1;
		}
		memcpy(dst, (const uint8_t *)image + off, n > size - off ? size - off : n);
	}
	/* The parameter page, outside RAM and read-only to the guest. */
	gp = map_new(vm, GUEST_PARAMS_GPA, EPT_READ);
	if (!gp) {
		vm_stop(vm, "out of memory for its parameter page");
		return -1;
	}
	test_support_params(gp, cfg, id, vm->npages);
	return 0;
}
