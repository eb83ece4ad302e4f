/*
 * paging.h - the hypervisor's own page tables, inside arch/ (paging.c).
 */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <stdint.h>

/* Makes [phys, phys + len) of the identity map uncacheable (a device's
 * registers), whole 2 MiB pages at a time, on this CPU; call before other
 * CPUs start (they load the same tables).  Its address, or NULL when the
 * range is outside the identity map. */
volatile void *paging_map_uncached(uint64_t phys, uint64_t len);

#endif
