/*
 * paging.c - replace the loader's page tables with the hypervisor's own.
 *
 * Same layout as the hand-over (boot_info.h): physical memory identity-
 * mapped up to identity_limit with 2 MiB pages, the image at its link
 * address.  Table pages are the core's frames (core_frame_alloc), so the
 * loader's tables become ordinary reserved loader memory.  The identity
 * map is what makes phys_to_virt() (arch.h) the identity in this kernel.
 *
 * The identity map is write-back, which suits RAM but not a device's
 * registers: paging_map_uncached() makes the 2 MiB pages over a device's
 * MMIO uncacheable (PCD and PWT: PAT entry 3, UC), so reads reach the
 * device and writes are not combined or delayed.
 */
#include <stddef.h>

#include "arch.h"
#include "cpu.h"
#include "paging.h"
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

static uint64_t *pml4;          /* ours, once arch_paging_init is done */
static uint64_t identity_limit;
static const struct pt_ops ops = { alloc_table, table_ptr, NULL };

int arch_paging_init(const struct boot_info *bi)
{
	uint64_t pml4_phys;
	uint64_t *t = alloc_table(NULL, &pml4_phys);

	if (!t || pt_map_2m(&ops, t, 0, 0, bi->identity_limit) ||
	    pt_map_2m(&ops, t, bi->kernel_virt, bi->kernel_phys, bi->kernel_size))
		return -1;
	write_cr3(pml4_phys);
	pml4 = t;
	identity_limit = bi->identity_limit;
	return 0;
}

volatile void *paging_map_uncached(uint64_t phys, uint64_t len)
{
	const uint64_t sz = 2ull << 20;
	uint64_t va;

	if (!pml4 || !len || phys >= identity_limit || len > identity_limit - phys)
		return NULL;
	for (va = phys & ~(sz - 1); va < phys + len; va += sz) {
		uint64_t *pde = pt_leaf_2m(&ops, pml4, va);
		if (!pde)
			return NULL;
		*pde |= PTE_PCD | PTE_PWT;
		invlpg((const void *)(uintptr_t)va);
	}
	return (volatile void *)phys_to_virt(phys);
}
