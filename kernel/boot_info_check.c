/*
 * boot_info_check.c - refuse a boot_info that the hypervisor cannot trust.
 *
 * The hypervisor may be started by another loader or an older one: check
 * the magic and version first, then that every array is within its bounds,
 * every string terminated, the memory map sorted and non-overlapping, and
 * the config present.  Region ends are computed with checked arithmetic:
 * a region whose size or end does not fit in 64 bits would otherwise look
 * like it ends below the next one.  Plain C; tested on the host.
 */
#include <stddef.h>
#include <stdio.h>

#include "boot_info_check.h"

static char why_buf[200];

static const char *region_says(const char *what, uint32_t i, const struct boot_mem_region *r)
{
	snprintf(why_buf, sizeof(why_buf), "memory region %u: base 0x%llx + 0x%llx pages %s", i,
		 (unsigned long long)r->base, (unsigned long long)r->pages, what);
	return why_buf;
}

/* NULL and *end = base + pages * 4096, or why region i has no sound end. */
static const char *region_check(const struct boot_mem_region *r, uint32_t i, uint64_t *end)
{
	uint64_t size;

	if (r->base % 4096) {
		snprintf(why_buf, sizeof(why_buf), "memory region %u: base 0x%llx not 4 KiB aligned",
			 i, (unsigned long long)r->base);
		return why_buf;
	}
	if (r->pages == 0) {
		snprintf(why_buf, sizeof(why_buf), "memory region %u: base 0x%llx has no pages", i,
			 (unsigned long long)r->base);
		return why_buf;
	}
	if (r->type < BOOT_MEM_USABLE || r->type > BOOT_MEM_RESERVED) {
		snprintf(why_buf, sizeof(why_buf), "memory region %u: base 0x%llx has unknown type %u",
			 i, (unsigned long long)r->base, r->type);
		return why_buf;
	}
	if (__builtin_mul_overflow(r->pages, (uint64_t)4096, &size))
		return region_says("overflows 64 bits", i, r);
	if (__builtin_add_overflow(r->base, size, end))
		return region_says("wraps past 2^64", i, r);
	if (*end > BOOT_PHYS_LIMIT)
		return region_says("ends beyond the 52-bit physical address space", i, r);
	return NULL;
}

const char *boot_info_check(const struct boot_info *bi, const struct boot_mem_region *r)
{
	uint64_t end, prev_end = 0;
	const char *why;
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
	/* Ascending and each starting at or after the end of the one before:
	 * then no two regions overlap. */
	for (i = 0; i < bi->region_count; i++) {
		if ((why = region_check(&r[i], i, &end)))
			return why;
		if (i && r[i].base < r[i - 1].base) {
			snprintf(why_buf, sizeof(why_buf), "memory region %u (base 0x%llx) is below "
				 "region %u (base 0x%llx): the memory map is unsorted", i,
				 (unsigned long long)r[i].base, i - 1, (unsigned long long)r[i - 1].base);
			return why_buf;
		}
		if (i && r[i].base < prev_end) {
			snprintf(why_buf, sizeof(why_buf), "memory regions %u and %u overlap: "
				 "[0x%llx, 0x%llx) and [0x%llx, 0x%llx)", i - 1, i,
				 (unsigned long long)r[i - 1].base, (unsigned long long)prev_end,
				 (unsigned long long)r[i].base, (unsigned long long)end);
			return why_buf;
		}
		prev_end = end;
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
