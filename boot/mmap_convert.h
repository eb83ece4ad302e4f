/*
 * mmap_convert.h - fold the UEFI memory map into the boot_info region list.
 *
 * Plain C, no firmware calls: it runs after ExitBootServices (when nothing
 * may be allocated any more) and in the host tests.
 */
#ifndef MMAP_CONVERT_H
#define MMAP_CONVERT_H

#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

/* The UEFI descriptor as the spec lays it out (version 1).  The firmware's
 * descriptor stride (DescriptorSize) may be larger: always step by it. */
struct efi_mem_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t pages;
	uint64_t attr;
};

/* UEFI memory types (UEFI 2.x, EFI_MEMORY_TYPE) that the conversion names. */
enum {
	EFI_LOADER_CODE = 1, EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3, EFI_BOOT_SERVICES_DATA = 4,
	EFI_CONVENTIONAL_MEMORY = 7, EFI_ACPI_RECLAIM_MEMORY = 9,
};

/* Maps one UEFI type to a boot_mem_type. */
uint32_t efi_type_to_boot(uint32_t efi_type);

/* Converts the map (count descriptors, each desc_size bytes apart) into out[],
 * sorted by base, adjacent regions of one type merged.  Returns the number of
 * regions written, or -1 if more than max would be needed. */
int mmap_convert(const void *map, size_t count, size_t desc_size,
		 struct boot_mem_region *out, size_t max);

#endif
