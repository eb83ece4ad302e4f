/*
 * ept_bits.h - EPT entry and EPTP bits, named as in the Intel SDM Vol. 3C
 * (29.3.2 "EPT Translation Mechanism", 25.6.11 "Extended-Page-Table Pointer").
 * Only the bits dedupvisor uses.
 */
#ifndef EPT_BITS_H
#define EPT_BITS_H

#include <stdint.h>

/* Every EPT paging-structure entry. */
#define EPT_READ          (1ull << 0)
#define EPT_WRITE         (1ull << 1)
#define EPT_EXECUTE       (1ull << 2)
#define EPT_RWX           (EPT_READ | EPT_WRITE | EPT_EXECUTE)
/* Leaf entries (PTE, or PDE/PDPTE with EPT_LARGE). */
#define EPT_MEMTYPE_SHIFT 3
#define EPT_MEMTYPE_WB    (6ull << EPT_MEMTYPE_SHIFT)
#define EPT_IGNORE_PAT    (1ull << 6)
#define EPT_LARGE         (1ull << 7)   /* PDE: 2 MiB page; PDPTE: 1 GiB page */
#define EPT_ACCESSED      (1ull << 8)   /* with EPTP_AD_ENABLE */
#define EPT_DIRTY         (1ull << 9)   /* leaf, with EPTP_AD_ENABLE */
#define EPT_ADDR_MASK     0x000FFFFFFFFFF000ull
/* Bits 62:52 of every entry are ignored by the CPU (SDM Vol. 3C, 29.3.2,
 * Tables 29-2 to 29-6; 60, 61 and 63 only mean something with shadow-stack,
 * sub-page or #VE controls, which dedupvisor leaves off): software's.
 * Ours, for measurement points (kernel/freeze.c, ept.c's ept_region_*): */
#define EPT_SW_WP         (1ull << 52)  /* leaf: write access withheld by a point (W clear):
                                         * given back when its region's point ends */
#define EPT_SW_FROZEN     (1ull << 53)  /* PDE: its 2 MiB region is in a point - frozen
                                         * (W clear) or thawed (W set, leaves EPT_SW_WP) */

/* The EPT pointer (VMCS field EPT_POINTER). */
#define EPTP_MEMTYPE_WB   6ull
#define EPTP_WALK_4       (3ull << 3)   /* page-walk length - 1 */
#define EPTP_AD_ENABLE    (1ull << 6)

#endif
