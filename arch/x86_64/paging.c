/*
 * paging.c - replace the loader's page tables with the hypervisor's own.
 *
 * Same layout as the hand-over (boot_info.h): physical memory identity-
 * mapped up to identity_limit with 2 MiB pages, the image at its link
 * address.  Table pages come from the frame allocator (FRAME_PAGETABLE),
 * so the loader's tables become ordinary reserved loader memory.  The
 * identity map is what makes phys_to_virt() the identity in this kernel.
 */
#include <string.h>

#include "cpu.h"
#include "paging.h"
#include "pt_build.h"

static uint64_t *alloc_table(void *ctx, uint64_t *phys)
{
	uint64_t *t;
	if (frames_alloc(ctx, FRAME_PAGETABLE, phys))
		return 0;
	t = (uint64_t *)(uintptr_t)*phys;
	memset(t, 0, 4096);
	return t;
}

static uint64_t *table_ptr(void *ctx, uint64_t phys)
{
	(void)ctx;
	return (uint64_t *)(uintptr_t)phys;
}

int paging_init(struct frame_pool *fp, const struct boot_info *bi)
{
	struct pt_ops ops = { alloc_table, table_ptr, fp };
	uint64_t pml4_phys;
	uint64_t *pml4 = alloc_table(fp, &pml4_phys);

	if (!pml4 || pt_map_2m(&ops, pml4, 0, 0, bi->identity_limit) ||
	    pt_map_2m(&ops, pml4, bi->kernel_virt, bi->kernel_phys, bi->kernel_size))
		return -1;
	write_cr3(pml4_phys);
	return 0;
}
