/*
 * mmap_convert.c - fold the UEFI memory map into boot_info regions.
 *
 * After ExitBootServices the boot-services code and data are free memory;
 * the loader's own code is too (the hypervisor never returns into it), but
 * EfiLoaderData holds what was handed over (image, files, boot_info, page
 * tables) and stays reserved.  Runtime services, ACPI NVS and MMIO stay
 * reserved for good; ACPI reclaim is kept apart so the hypervisor can parse
 * the tables first.  Sorting is an insertion sort: maps have ~100 entries
 * and this runs once, with no allocator.
 */
#include "mmap_convert.h"

uint32_t efi_type_to_boot(uint32_t t)
{
	switch (t) {
	case EFI_LOADER_CODE:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL_MEMORY:
		return BOOT_MEM_USABLE;
	case EFI_LOADER_DATA:
		return BOOT_MEM_LOADER;
	case EFI_ACPI_RECLAIM_MEMORY:
		return BOOT_MEM_ACPI_RECLAIM;
	default:
		return BOOT_MEM_RESERVED;
	}
}

int mmap_convert(const void *map, size_t count, size_t desc_size,
		 struct boot_mem_region *out, size_t max)
{
	const unsigned char *p = map;
	size_t i, n = 0;

	for (i = 0; i < count; i++, p += desc_size) {
		const struct efi_mem_desc *d = (const void *)p;
		struct boot_mem_region r = { d->phys_start, d->pages,
					     efi_type_to_boot(d->type), 0 };
		size_t j;

		if (r.pages == 0)
			continue;
		if (n == max)
			return -1;
		for (j = n; j > 0 && out[j - 1].base > r.base; j--)
			out[j] = out[j - 1];
		out[j] = r;
		n++;
	}
	/* Merge neighbours of one type that touch. */
	if (n == 0)
		return 0;
	{
		size_t w = 0;
		for (i = 1; i < n; i++) {
			struct boot_mem_region *last = &out[w];
			if (out[i].type == last->type &&
			    last->base + last->pages * 4096 == out[i].base)
				last->pages += out[i].pages;
			else
				out[++w] = out[i];
		}
		n = w + 1;
	}
	return (int)n;
}
