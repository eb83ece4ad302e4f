/*
 * main.c - the hypervisor's start: from boot_info to a running system.
 *
 * Order matters: descriptor tables first (so a fault prints instead of
 * triple-faulting), the console, then the memory map is checked and the
 * config parsed (its VMs size the heap), the frame metadata and heap are
 * carved off physical memory, our own page tables are loaded, ACPI is read
 * for power-off and the CPU list, the operator's side (control/: the
 * console, measurement points, the network API when the config asks for
 * it) is started, and the VT-x gate decides whether VMs can run; without
 * VT-x but with the network, the API is served alone.  Everything below
 * the core is reached through arch.h.  This file puts the system
 * together: it alone of the core knows control/ (control.h), and hands its
 * hook to the scheduler.  Any failure prints what and where, then powers
 * off: nothing half-started.
 */
#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "arch.h"
#include "boot_info_check.h"
#include "config.h"
#include "control.h"
#include "fleet.h"
#include "frames.h"
#include "heap.h"
#include "linux_vm.h"
#include "lock.h"
#include "recount.h"
#include "sched.h"
#include "sharing.h"
#include "upcall.h"
#include "vm.h"

#define VERSION "0.1"
#define MIB(x) ((x) >> 20)

struct frame_pool frames;
static struct config cfg;
static uint64_t t_run; /* TSC when the VMs started */

static void fatal(const char *what, const char *why)
{
	printf("dedupvisor: %s: %s\n", what, why);
	arch_power_off("cannot continue");
}

/* acpi_parse reaches tables through this. */
static void *acpi_ptr(uint64_t phys)
{
	return phys_to_virt(phys);
}

/*
 * The heap (newlib's malloc) holds what the hypervisor allocates at run
 * time; its size is derived from the configured guest RAM, P pages in all:
 *   the engine's metadata     dedup_metadata_max(P): <= 132 B a page at its
 *                             worst moment, ~13 B measured; with the cold
 *                             tier dedup_tier_metadata_max(P, pool frames):
 *                             12 B a page and 96 B a pool frame at most;
 *                             with patches dedup_patch_metadata_max: the
 *                             similarity index, < 16 B a page
 *                             (sharing_patch_refs_max), and 20 KiB
 *   a measurement point       (control/point_run.c, kernel/freeze.c) the
 *                             larger of its engine's metadata
 *                             (dedup_metadata_max(P) again) with its table
 *                             (4 B a page), and the recount after it
 *                             (dedup_recount_bytes(P): 24 B a page, one
 *                             domain at a time, all VMs in one at most);
 *                             and while it holds the contents, a bit a page
 *                             and its copies' table, 32 B per page written
 *                             meanwhile (all of them at worst).  The final
 *                             check's recount is no larger
 *   x 2                       newlib's nano-malloc is first-fit and keeps
 *                             the freed halves of doubled arrays as holes
 *   + HEAP_FIXED              AP stacks (ARCH_MAX_CPUS x 16 KiB), newlib's
 *                             stdio and reentrancy data, VM and console
 *                             buffers, the same-behaviour domains' record
 *                             (dedup/same.c, ~1.2 KiB): well under 1 MiB;
 *                             2 MiB.
 * For the default three 16 MiB VMs that is 2 + 7.1 MiB.  Guest RAM is
 * backed lazily, so a config may name more RAM than the machine has: the
 * heap then takes at most a quarter of usable RAM (HEAP_MAX_SHARE), says
 * so, and the engine's allocations can fail (DEDUP_ENOMEM, handled; a
 * point says it ran out of memory) long before the guests could touch that
 * much.  VM structures and the frame metadata are not on the heap (static,
 * and carved apart).
 */
#define HEAP_FIXED     (2ull << 20)
#define HEAP_MAX_SHARE 4 /* at most 1/4 of usable RAM */

static uint64_t heap_size(const struct config *c)
{
	uint64_t pages = 0, point_engine, recount;
	unsigned i;
	for (i = 0; i < c->nvms; i++)
		pages += c->vm[i].ram / FRAME_SIZE;
	point_engine = dedup_metadata_max(pages) + 4 * pages;
	recount = dedup_recount_bytes(pages, DEDUP_PAGE_SIZE, c->nvms);
	return HEAP_FIXED + 2 * (dedup_metadata_max(pages) +
				 (c->dedup_pool_max ? dedup_tier_metadata_max(pages, c->dedup_pool_max / FRAME_SIZE) : 0) +
				 dedup_patch_metadata_max(sharing_patch_refs_max(c)) +
				 (point_engine > recount ? point_engine : recount) + pages / 8 + 32 * pages);
}

static void memory_init(struct boot_info *bi)
{
	struct boot_mem_region *r = phys_to_virt(bi->regions_phys);
	uint64_t meta_phys, heap_phys, heap_bytes, meta = frames_meta_bytes(r, bi->region_count);
	const char *why = frames_map_check(r, bi->region_count);

	if (why)
		fatal("memory map", why);
	heap_bytes = (heap_size(&cfg) + FRAME_SIZE - 1) & ~(FRAME_SIZE - 1);
	if (heap_bytes > frames_usable_bytes(r, bi->region_count) / HEAP_MAX_SHARE) {
		heap_bytes = (frames_usable_bytes(r, bi->region_count) / HEAP_MAX_SHARE) &
			     ~(FRAME_SIZE - 1);
		printf("mem: the configured guest RAM would want a heap of %lu KiB; capped at %lu KiB "
		       "(1/%u of RAM)\n", (heap_size(&cfg) + 1023) >> 10, heap_bytes >> 10,
		       HEAP_MAX_SHARE);
	}
	if (frames_carve(r, bi->region_count, meta, &meta_phys) ||
	    frames_carve(r, bi->region_count, heap_bytes, &heap_phys))
		fatal("memory map", "no room for the frame metadata and the heap");
	if (frames_init(&frames, r, bi->region_count, phys_to_virt(meta_phys), meta, &why))
		fatal("memory map", why);
	heap_init(phys_to_virt(heap_phys), heap_bytes);
	printf("mem: %lu MiB usable RAM, %lu MiB free (%lu frames), metadata %lu KiB, heap %lu KiB\n",
	       MIB(frames.nusable * FRAME_SIZE), MIB(frames.nfree * FRAME_SIZE), frames.nfree,
	       meta >> 10, heap_bytes >> 10);
}

void kmain(struct boot_info *bi)
{
	struct config_error cerr;
	struct acpi_info acpi;
	bool acpi_ok = false;
	const char *why;
	unsigned i;

	arch_boot_cpu_init();
	setvbuf(stdout, NULL, _IONBF, 0); /* no malloc before the heap exists */
	printf("\ndedupvisor %s: hypervisor started\n", VERSION);

	why = boot_info_check(bi, bi && bi->magic == BOOT_INFO_MAGIC
				  ? phys_to_virt(bi->regions_phys) : NULL);
	if (why)
		fatal("boot_info", why);
	printf("boot: image at 0x%lx (%lu KiB), %u memory regions, %u files, identity map to %lu GiB\n",
	       bi->kernel_phys, bi->kernel_size >> 10, bi->region_count, bi->file_count,
	       bi->identity_limit >> 30);
	if (config_parse(phys_to_virt(bi->files[0].phys), bi->files[0].size, &cfg, &cerr)) {
		printf("config: %s:%u: %s\n", bi->files[0].name, cerr.line, cerr.msg);
		arch_power_off("configuration refused");
	}
	for (i = 0; i < cfg.nrefused; i++)
		printf("config: %s:%u: VM refused: %s\n", bi->files[0].name, cfg.refused[i].line,
		       cfg.refused[i].msg);
	if (cfg.knob_given >> KNOB_PAGES_TO_SCAN & 1)
		printf("config: %u VMs; dedup run=%u pages_to_scan=%u (fixed rate) sleep_ms=%u\n",
		       cfg.nvms, cfg.knob[KNOB_RUN], cfg.knob[KNOB_PAGES_TO_SCAN], cfg.knob[KNOB_SLEEP_MS]);
	else
		printf("config: %u VMs; dedup run=%u governed: a full scan in %u s, sleep_ms=%u\n",
		       cfg.nvms, cfg.knob[KNOB_RUN], cfg.knob[KNOB_SCAN_TARGET_S],
		       cfg.knob[KNOB_SLEEP_MS]);
	for (i = 0; i < cfg.nvms; i++) {
		const struct vm_config *c = &cfg.vm[i];
		if (c->kernel[0])
			printf("config:   vm %-12s ram %5lu MiB  vcpus %u  kernel %s  initrd %s  domain %u%s\n",
			       c->name, MIB(c->ram), c->vcpus, c->kernel, c->initrd[0] ? c->initrd : "-",
			       c->domain, c->mode == CONFIG_MODE_SAME ? " (same)" : "");
		else
			printf("config:   vm %-12s ram %5lu MiB  vcpus %u  image %s  domain %u%s\n",
			       c->name, MIB(c->ram), c->vcpus, c->image, c->domain,
			       c->mode == CONFIG_MODE_SAME ? " (same)" : "");
	}
	/* Linux VMs' kernels, checked before anything starts, so that a file
	 * the kernel cannot use is named even on a machine without VT-x. */
	fleet_check_kernels(&cfg, bi);

	memory_init(bi);
	if (arch_paging_init(bi))
		fatal("paging", "out of frames for the page tables");

	if (acpi_parse(bi->rsdp, acpi_ptr, &acpi, &why))
		printf("acpi: %s; power-off falls back to fixed ports\n", why);
	else {
		acpi_ok = true;
		arch_power_set_acpi(acpi.pm1a_cnt, acpi.s5_slp_typ);
		printf("acpi: PM1a_CNT 0x%x, S5 type %u, %u CPUs in the MADT\n",
		       acpi.pm1a_cnt, acpi.s5_slp_typ, acpi.ncpus);
	}

	/* The operator's side before the VT-x gate: its API serves without VMs too. */
	control_start(&cfg);
	if (arch_virt_check()) {
		printf("dedupvisor: cannot run VMs without VT-x\n");
		control_without_vms();
		arch_power_off("VT-x missing");
	}
	if (arch_virt_cpu_on())
		arch_power_off("VMX could not be turned on");
	arch_mask_legacy_irqs();
	arch_nic_irq_on(); /* guests will run: the NIC's interrupt makes them exit (issue 24) */
	sched_set_cpus(arch_start_cpus(bi, cfg.cpus, acpi_ok ? acpi.ncpus : 0, ap_work));
	hv_lock(); /* from here on, hypervisor code runs under the lock */
	if (sharing_init(&cfg))
		arch_power_off("the dedup engine could not start");
	fleet_start_vms();
	sched_place(cfg.dedup_scanner != 0);
	printf("console: type 'help' on COM1 for commands\n");
	t_run = arch_time_now();
	sched_run(control_between_rounds, fleet_when_idle, control_nic_ready);
	sched_report();
	control_report(arch_time_now() - t_run);
	if (sharing_knobs()->v[KNOB_RUN])
		sharing_converge_and_check();
	control_linger();
	arch_power_off("all VMs finished");
}
