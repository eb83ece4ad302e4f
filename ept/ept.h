/*
 * ept.h - one VM's EPT tables: map, unmap, protect, split, look up.
 *
 * Plain C11: table pages come from, and are reached through, the ops below
 * (the hypervisor's frame allocator and identity map; a malloc'd arena in
 * the host tests).  ept/ never invalidates: after a change that removes or
 * narrows a translation, the caller runs INVEPT on every CPU that may cache
 * this EPTP (arch/).
 */
#ifndef EPT_H
#define EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "ept_bits.h"

#define EPT_4K (1ull << 12)
#define EPT_2M (1ull << 21)
#define EPT_MAX_GPA (1ull << 48)

#define EPT_ENOMEM (-12)
#define EPT_EINVAL (-22)
#define EPT_ENOENT (-2)
#define EPT_EEXIST (-17)

struct ept_ops {
	/* A zeroed 4 KiB table page; 0, or non-zero when none is left. */
	int (*table_alloc)(void *ctx, uint64_t *phys);
	void (*table_free)(void *ctx, uint64_t phys);
	uint64_t *(*table_ptr)(void *ctx, uint64_t phys);
	void *ctx;
};

struct ept {
	struct ept_ops ops;
	uint64_t pml4;    /* physical */
	uint64_t tables;  /* table pages in use, PML4 included */
	bool ad;          /* EPTP enables accessed/dirty flags */
};

/* A lookup's answer. */
struct ept_leaf {
	uint64_t hpa;     /* host-physical address of gpa (offset included) */
	uint64_t perms;   /* EPT_READ | EPT_WRITE | EPT_EXECUTE */
	uint64_t size;    /* EPT_4K or EPT_2M */
	bool dirty;
	bool withheld;    /* W withheld by a measurement point (EPT_SW_WP) */
};

int ept_init(struct ept *e, const struct ept_ops *ops, bool ad) __attribute__((warn_unused_result));
/* Frees every table page (not the frames mapped). */
void ept_destroy(struct ept *e);
/* The value for the VMCS EPT_POINTER field. */
uint64_t ept_eptp(const struct ept *e);

/* Maps [gpa, gpa + size) to hpa with perms, write-back.  size is EPT_4K or
 * EPT_2M, both addresses aligned to it.  A 4 KiB map inside a 2 MiB page
 * splits it first; a 2 MiB map over a table of 4 KiB entries is refused
 * (EPT_EEXIST).  Replacing a 4 KiB mapping never allocates and never fails. */
int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perms)
	__attribute__((warn_unused_result));
/* Removes the 4 KiB mapping of gpa (splitting a 2 MiB page if needed) and
 * frees tables left empty.  EPT_ENOENT if nothing is mapped. */
int ept_unmap(struct ept *e, uint64_t gpa);
/* Makes gpa's 4 KiB leaf not present and keeps every table: for a VM that
 * runs, where a table freed before the INVEPT could still be walked by
 * another CPU's paging-structure cache, and mapping gpa again then needs
 * no table page (it cannot fail).  EPT_ENOENT if nothing is mapped,
 * EPT_EINVAL for a 2 MiB leaf (split it first). */
int ept_clear(struct ept *e, uint64_t gpa);
/* Sets the permissions of gpa's leaf (whatever its size). */
int ept_protect(struct ept *e, uint64_t gpa, uint64_t perms);
/* Splits the 2 MiB page holding gpa into 512 4 KiB entries with identical
 * translations and permissions. */
int ept_split(struct ept *e, uint64_t gpa) __attribute__((warn_unused_result));
int ept_lookup(const struct ept *e, uint64_t gpa, struct ept_leaf *out);
/* The accessed and dirty flags of gpa's leaf as the entry holds them
 * (EPT_ACCESSED, EPT_DIRTY, or both, or 0), both cleared by the same walk:
 * what the scanner reads of each page (the working set and whether its
 * content changed).  EPT_ENOENT if nothing is mapped.  A cleared flag is
 * set again only by an access after the next INVEPT of this EPTP: a CPU
 * may cache a translation with the flag set (SDM Vol. 3C, 29.3.5). */
int ept_test_and_clear_ad(struct ept *e, uint64_t gpa);

/*
 * A measurement point's regions: the 2 MiB a PDE covers (ept.c's header
 * says how they work).  Each takes any gpa inside the region; a region
 * whose PDE is absent is EPT_ENOENT, one mapped by a 2 MiB leaf EPT_EINVAL.
 */
enum { EPT_REGION_NONE, EPT_REGION_FROZEN, EPT_REGION_THAWED };
/* Clears W in the region's PDE and marks it EPT_SW_FROZEN: 0, or
 * EPT_EEXIST when it is in a point already.  The caller then invalidates. */
int ept_region_freeze(struct ept *e, uint64_t gpa);
/* EPT_REGION_NONE (not in a point, or no table there), _FROZEN or _THAWED. */
int ept_region_state(const struct ept *e, uint64_t gpa);
/* A frozen region thawed: every leaf with W but those keep(ctx, its gpa)
 * lets write (keep may be NULL: none) loses W and is marked EPT_SW_WP,
 * then the PDE gets W back.  The leaves marked, or EPT_EINVAL when the
 * region is not frozen. */
int ept_region_thaw(struct ept *e, uint64_t gpa, bool (*keep)(void *ctx, uint64_t gpa), void *ctx);
/* The region's point ends: each EPT_SW_WP leaf gets W back and loses the
 * mark, then the PDE (W set, EPT_SW_FROZEN cleared).  The leaves given W,
 * or EPT_EINVAL when the region is in no point. */
int ept_region_restore(struct ept *e, uint64_t gpa);
/* gpa's 4 KiB leaf loses W and is marked EPT_SW_WP (mapped read-only by the
 * engine's wish to write, while a point holds its old content unsaved):
 * 0, EPT_ENOENT, EPT_EINVAL for a 2 MiB leaf. */
int ept_withhold_write(struct ept *e, uint64_t gpa);
/* A leaf marked EPT_SW_WP gets W back: 1; 0 if it is not marked; EPT_ENOENT. */
int ept_return_write(struct ept *e, uint64_t gpa);

#endif
