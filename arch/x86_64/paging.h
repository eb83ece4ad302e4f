/* paging.h - the hypervisor's own page tables (see paging.c). */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H
#include "boot_info.h"
#include "../../kernel/frames.h"
/* Builds and loads tables of our own; 0, or -1 when frames ran out. */
int paging_init(struct frame_pool *fp, const struct boot_info *bi)
	__attribute__((warn_unused_result));
#endif
