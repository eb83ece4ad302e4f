/* boot_info_check.h - validate what the loader handed over (see .c). */
#ifndef KERNEL_BOOT_INFO_CHECK_H
#define KERNEL_BOOT_INFO_CHECK_H
#include "boot_info.h"
#define BOOT_PHYS_LIMIT (1ull << 52) /* no memory region may end above this */
/* NULL when bi (and its regions, reached through regions) is sound, else why
 * not: a constant string, or for a memory region one formatted into a
 * static buffer (valid until the next call; boot CPU only). */
const char *boot_info_check(const struct boot_info *bi, const struct boot_mem_region *regions);
#endif
