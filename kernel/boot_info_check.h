/* boot_info_check.h - validate what the loader handed over (see .c). */
#ifndef KERNEL_BOOT_INFO_CHECK_H
#define KERNEL_BOOT_INFO_CHECK_H
#include "boot_info.h"
/* NULL when bi (and its regions, reached through regions) is sound, else why not. */
const char *boot_info_check(const struct boot_info *bi, const struct boot_mem_region *regions);
#endif
