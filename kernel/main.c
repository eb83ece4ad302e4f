/*
 * main.c - the hypervisor's start: from boot_info to a running system.
 *
 * Order matters: descriptor tables first (so a fault prints instead of
 * triple-faulting), the console, then the memory map is checked, the frame
 * metadata and heap are carved off physical memory, our own page tables are
 * loaded, ACPI is read for power-off and the CPU list, the config is parsed,
 * and the VT-x gate decides whether VMs can run.  Any failure prints what
 * and where, then powers off: nothing half-started.
 */
#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "boot_info_check.h"
#include "config.h"
#include "frames.h"
#include "heap.h"
#include "power.h"
#include "console.h"
#include "sched.h"
#include "sharing.h"
#include "vm.h"
#include "../arch/x86_64/cpu.h"
#include "../arch/x86_64/vcpu.h"
#include "../arch/x86_64/paging.h"
#include "../arch/x86_64/percpu.h"
#include "../arch/x86_64/smp.h"
#include "../arch/x86_64/trap.h"
#include "../arch/x86_64/uart.h"
#include "../arch/x86_64/vmx_gate.h"

#define VERSION "0.1"
#define MIB(x) ((x) >> 20)

struct frame_pool frames;
static struct config cfg;

static void *phys_to_virt(uint64_t phys)
{
	return (void *)(uintptr_t)phys; /* identity-mapped (paging.c) */
}

static void fatal(const char *what, const char *why)
{
	printf("dedupvisor: %s: %s\n", what, why);
	power_off("cannot continue");
}

/* The hypervisor's code (newlib included) may use SSE: enable it.  Guest
 * FPU/SSE state is saved and restored around hypervisor code by the VM
 * exit path, so the hypervisor may clobber those registers freely. */
static void fpu_init(void)
{
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

static void memory_init(struct boot_info *bi)
{
	struct boot_mem_region *r = phys_to_virt(bi->regions_phys);
	uint64_t meta_phys, heap_phys, heap_bytes, meta = frames_meta_bytes(r, bi->region_count);
	const char *why;

	/* Heap: 1/16 of usable RAM, 4 MiB to 256 MiB: VM structures and
	 * dedup metadata (16 B per guest page = 1/256 of guest RAM) fit. */
	heap_bytes = frames_usable_bytes(r, bi->region_count) / 16;
	heap_bytes = heap_bytes < (4u << 20) ? (4u << 20) : heap_bytes > (256u << 20) ? (256u << 20) : heap_bytes;
	heap_bytes &= ~(FRAME_SIZE - 1);
	if (frames_carve(r, bi->region_count, meta, &meta_phys) ||
	    frames_carve(r, bi->region_count, heap_bytes, &heap_phys))
		fatal("memory map", "no room for the frame metadata and the heap");
	if (frames_init(&frames, r, bi->region_count, phys_to_virt(meta_phys), meta, &why))
		fatal("memory map", why);
	heap_init(phys_to_virt(heap_phys), heap_bytes);
	printf("mem: %lu MiB usable RAM, %lu MiB free (%lu frames), metadata %lu KiB, heap %lu MiB\n",
	       MIB(frames.nusable * FRAME_SIZE), MIB(frames.nfree * FRAME_SIZE), frames.nfree,
	       meta >> 10, MIB(heap_bytes));
}

/* Creates each configured VM; a VM that cannot be built is stopped with
 * its reason, and the others still start. */
static void start_vms(const struct boot_info *bi)
{
	unsigned i, f;

	for (i = 0; i < cfg.nvms; i++) {
		const struct vm_config *c = &cfg.vm[i];
		struct vm *vm = &vms[i];
		for (f = 1; f < bi->file_count && strcmp(bi->files[f].name, c->image); f++)
			;
		nvms = i + 1;
		if (f == bi->file_count) {
			memset(vm, 0, sizeof(*vm));
			strncpy(vm->name, c->name, sizeof(vm->name) - 1);
			vm_stop(vm, "image %s was not loaded", c->image);
			continue;
		}
		if (vm_create(i, c, phys_to_virt(bi->files[f].phys), bi->files[f].size))
			continue;
		/* Its vCPUs are set up by the CPUs that will run them (sched.c). */
		for (unsigned j = 0; j < vm->nvcpus; j++) {
			vm->vcpu[j].vm = vm;
			vm->vcpu[j].index = j;
			vm->vcpu[j].state = VCPU_RUNNABLE;
		}
		printf("vm %s: started, %lu MiB, %u vCPUs, image %s (%lu bytes) at 0x%lx\n", vm->name,
		       c->ram >> 20, vm->nvcpus, c->image, bi->files[f].size, c->entry);
	}
}

void kmain(struct boot_info *bi)
{
	struct config_error cerr;
	struct acpi_info acpi;
	bool acpi_ok = false;
	const char *why;
	unsigned i;

	trap_init(0);
	fpu_init();
	uart_init();
	setvbuf(stdout, NULL, _IONBF, 0); /* no malloc before the heap exists */
	printf("\ndedupvisor %s: hypervisor started\n", VERSION);

	why = boot_info_check(bi, bi && bi->magic == BOOT_INFO_MAGIC
				  ? phys_to_virt(bi->regions_phys) : NULL);
	if (why)
		fatal("boot_info", why);
	printf("boot: image at 0x%lx (%lu KiB), %u memory regions, %u files, identity map to %lu GiB\n",
	       bi->kernel_phys, bi->kernel_size >> 10, bi->region_count, bi->file_count,
	       bi->identity_limit >> 30);
	memory_init(bi);
	if (paging_init(&frames, bi))
		fatal("paging", "out of frames for the page tables");

	if (acpi_parse(bi->rsdp, phys_to_virt, &acpi, &why))
		printf("acpi: %s; power-off falls back to fixed ports\n", why);
	else {
		acpi_ok = true;
		power_set_acpi(acpi.pm1a_cnt, acpi.s5_slp_typ);
		printf("acpi: PM1a_CNT 0x%x, S5 type %u, %u CPUs in the MADT\n",
		       acpi.pm1a_cnt, acpi.s5_slp_typ, acpi.ncpus);
	}

	if (config_parse(phys_to_virt(bi->files[0].phys), bi->files[0].size, &cfg, &cerr)) {
		printf("config: %s:%u: %s\n", bi->files[0].name, cerr.line, cerr.msg);
		power_off("configuration refused");
	}
	for (i = 0; i < cfg.nrefused; i++)
		printf("config: %s:%u: VM refused: %s\n", bi->files[0].name, cfg.refused[i].line,
		       cfg.refused[i].msg);
	printf("config: %u VMs; dedup run=%u pages_to_scan=%u sleep_ms=%u\n", cfg.nvms,
	       cfg.dedup_run, cfg.dedup_pages_to_scan, cfg.dedup_sleep_ms);
	for (i = 0; i < cfg.nvms; i++)
		printf("config:   vm %-12s ram %5lu MiB  vcpus %u  image %s  domain %u\n",
		       cfg.vm[i].name, MIB(cfg.vm[i].ram), cfg.vm[i].vcpus, cfg.vm[i].image,
		       cfg.vm[i].domain);

	if (vmx_gate()) {
		printf("dedupvisor: cannot run VMs without VT-x\n");
		power_off("VT-x missing");
	}
	if (vmx_cpu_on())
		power_off("VMX could not be turned on");
	/* No device interrupts are used yet: mask the legacy PIC. */
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	hv_lock(); /* from here on, hypervisor code runs under the lock */
	smp_start(bi, cfg.cpus, acpi_ok ? acpi.ncpus : 0);
	if (sharing_init(&cfg))
		power_off("the dedup engine could not start");
	start_vms(bi);
	sched_place(cfg.dedup_scanner != 0);
	console.scan = cfg.dedup_run != 0;
	console.summary_scans = cfg.dedup_summary_scans;
	printf("console: type 'help' on COM1 for commands\n");
	sched_run();
	sched_report();
	console_run("stats");
	if (console.scan)
		sharing_converge_and_check();
	power_off("all VMs finished");
}
