/*
 * paging.c - replace the loader's page tables with the hypervisor's own.
 *
 * Same layout as the hand-over (boot_info.h): physical memory identity-
 * mapped up to identity_limit with 2 MiB pages, the image at its link
 * address.  Table pages are the core's frames (core_frame_alloc), so the
 * loader's tables become ordinary reserved loader memory.  The identity
 * map is what makes phys_to_virt() (arch.h) the identity in this kernel.
 */
#include <stddef.h>

#include "arch.h"
#include "cpu.h"
#include "pt_build.h"
#include "upcall.h"

static uint64_t *alloc_table(void *ctx, uint64_t *phys)
{
	(void)ctx;
	if (core_frame_alloc(UPCALL_FRAME_PAGETABLE, phys))
		return 0;
	return phys_to_virt(*phys);
}

static uint64_t *table_ptr(void *ctx, uint64_t phys)
{
	(void)ctx;
	return phys_to_virt(phys);
}

int arch_paging_init(const struct boot_info *bi)
{
	struct pt_ops ops = { alloc_table, table_ptr, NULL };
	uint64_t pml4_phys;
	uint64_t *pml4 = alloc_table(NULL, &pml4_phys);

	if (!pml4 || pt_map_2m(&ops, pml4, 0, 0, bi->identity_limit) ||
	    pt_map_2m(&ops, pml4, bi->kernel_virt, bi->kernel_phys, bi->kernel_size))
		return -1;
	write_cr3(pml4_phys);
	return 0;
}
