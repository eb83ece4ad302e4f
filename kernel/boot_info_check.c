/*
 * boot_info_check.c - refuse a boot_info that the hypervisor cannot trust.
 *
 * The hypervisor may be started by another loader or an older one: check
 * the magic and version first, then that every array is within its bounds,
 * every string terminated, the memory map sorted and non-overlapping, and
 * the config present.  Plain C; tested on the host.
 */
#include <stddef.h>

#include "boot_info_check.h"

const char *boot_info_check(const struct boot_info *bi, const struct boot_mem_region *r)
{
	uint32_t i;

	if (!bi || bi->magic != BOOT_INFO_MAGIC)
		return "bad boot_info magic (not started by the dedupvisor loader?)";
	if (bi->version != BOOT_INFO_VERSION)
		return "boot_info version differs from this hypervisor's (rebuild the loader)";
	if (bi->size != sizeof(*bi))
		return "boot_info size differs from this hypervisor's";
	if (bi->kernel_phys % (2u << 20) || bi->kernel_size == 0 || bi->kernel_size % (2u << 20))
		return "hypervisor image not 2 MiB aligned";
	if (bi->region_count == 0 || bi->region_count > 4096 || !r)
		return "memory map empty or absurdly long";
	for (i = 0; i < bi->region_count; i++) {
		if (r[i].base % 4096 || r[i].pages == 0 ||
		    r[i].type < BOOT_MEM_USABLE || r[i].type > BOOT_MEM_RESERVED)
			return "memory map has a malformed region";
		if (i && r[i - 1].base + r[i - 1].pages * 4096 > r[i].base)
			return "memory map is unsorted or has overlapping regions";
	}
	if (bi->file_count == 0 || bi->file_count > BOOT_MAX_FILES)
		return "no config file handed over, or too many files";
	for (i = 0; i < bi->file_count; i++) {
		size_t k;
		for (k = 0; k < BOOT_NAME_MAX && bi->files[i].name[k]; k++)
			;
		if (k == 0 || k == BOOT_NAME_MAX)
			return "a file name is empty or unterminated";
		if (bi->files[i].phys % 4096)
			return "a file is not page aligned";
	}
	for (i = 0; i < BOOT_CMDLINE_MAX && bi->cmdline[i]; i++)
		;
	if (i == BOOT_CMDLINE_MAX)
		return "command line unterminated";
	return NULL;
}
