/*
 * ept.c - EPT page tables for one VM, through one walker.
 *
 *   gpa bits: 47..39 PML4 | 38..30 PDPT | 29..21 PD | 20..12 PT | 11..0 offset
 *
 *   level 4  PML4E --> PDPT page
 *   level 3  PDPTE --> PD page                  (1 GiB leaves: not used)
 *   level 2  PDE   --> PT page, or a 2 MiB leaf (EPT_LARGE)
 *   level 1  PTE   --> 4 KiB leaf
 *
 * walk() descends from the PML4 to the requested level and returns that
 * entry, creating missing tables when asked and splitting a 2 MiB leaf that
 * lies in the way (so a 4 KiB change never alters the neighbouring 511
 * translations).  The descent is common/ptwalk.c's, the one walker of
 * every page table the hypervisor builds; EPT's bits are ept_format.
 * Every operation below is a walk plus a few bit changes.  Unmapping frees
 * each table it leaves empty, bottom up.
 *
 * Regions (ept_region_*, ept_withhold_write, ept_return_write): a
 * measurement point holds a VM's memory as it was at one instant
 * (kernel/freeze.c).  The CPU ANDs the permissions of every entry on the
 * walk (SDM Vol. 3C, 29.3.3), so clearing W in one PDE write-protects the
 * 512 pages of its 2 MiB region, whatever their leaves say: a point
 * freezes a 128 MiB VM with 64 entry writes.  A region is thawed at its
 * first write: each leaf that may write and has not been let (keep())
 * loses W and gets EPT_SW_WP, then the PDE gets W back, so that from then
 * on a fault is taken page by page; at the point's end the marked leaves
 * and the PDE get W back.  Raising a permission needs no INVEPT; the
 * freeze itself does (the caller's), and a thaw none: no translation that
 * writes through a frozen PDE can be cached, so none of the leaves it
 * narrows is.  ept_map() writes a whole entry, marks included: a leaf the
 * engine remaps is the engine's to say.
 */
#include <string.h>

#include "ept.h"
#include "ptwalk.h"

#define LEAF_FLAGS (EPT_MEMTYPE_WB | EPT_IGNORE_PAT)

static const struct pt_format ept_format = {
	.present = EPT_RWX,      /* any permission: present (none: not present) */
	.large = EPT_LARGE,
	.table_bits = EPT_RWX,   /* non-leaf entries grant all; leaves decide */
	.addr_mask = EPT_ADDR_MASK,
};

static unsigned idx(uint64_t gpa, int level)
{
	return pt_index(gpa, level);
}

static uint64_t *table(const struct ept *e, uint64_t entry)
{
	return e->ops.table_ptr(e->ops.ctx, entry & EPT_ADDR_MASK);
}

static int present(uint64_t entry)
{
	return (entry & EPT_RWX) != 0;
}

static int new_table(struct ept *e, uint64_t *phys)
{
	if (e->ops.table_alloc(e->ops.ctx, phys))
		return EPT_ENOMEM;
	memset(e->ops.table_ptr(e->ops.ctx, *phys), 0, 4096);
	e->tables++;
	return 0;
}

/* Replaces the 2 MiB leaf *pde by a table of 512 4 KiB leaves mapping the
 * same frames with the same permissions and dirty state. */
static int split_pde(struct ept *e, uint64_t *pde)
{
	uint64_t phys, *pt, base = *pde & EPT_ADDR_MASK & ~(EPT_2M - 1);
	uint64_t keep = *pde & (EPT_RWX | LEAF_FLAGS | EPT_ACCESSED | EPT_DIRTY);
	int r = new_table(e, &phys);
	unsigned i;

	if (r)
		return r;
	pt = e->ops.table_ptr(e->ops.ctx, phys);
	for (i = 0; i < 512; i++)
		pt[i] = (base + i * EPT_4K) | keep;
	*pde = phys | EPT_RWX; /* non-leaf entries grant all; leaves decide */
	return 0;
}

/* ptwalk's view of this EPT: its table pages, and 2 MiB leaves split. */
static int pt_alloc(void *ctx, uint64_t *phys)
{
	return new_table(ctx, phys);
}

static uint64_t *pt_ptr(void *ctx, uint64_t phys)
{
	const struct ept *e = ctx;
	return e->ops.table_ptr(e->ops.ctx, phys);
}

static int pt_split(void *ctx, uint64_t *entry, int level)
{
	return level == 2 ? split_pde(ctx, entry) : EPT_EINVAL; /* no 1 GiB leaves here */
}

/* The entry for gpa at level (1 = PTE, 2 = PDE).  With create, missing
 * tables are made and a 2 MiB leaf above a level-1 target is split; without,
 * NULL when the path ends early, or the 2 MiB leaf itself (*level_out = 2). */
static uint64_t *walk(struct ept *e, uint64_t gpa, int level, bool create, int *level_out, int *err)
{
	const struct pt_tables t = { &ept_format, pt_alloc, pt_ptr, pt_split, e };
	return pt_walk_inline(&t, e->ops.table_ptr(e->ops.ctx, e->pml4), gpa, level, create, level_out,
			      err);
}

int ept_init(struct ept *e, const struct ept_ops *ops, bool ad)
{
	memset(e, 0, sizeof(*e));
	e->ops = *ops;
	e->ad = ad;
	return new_table(e, &e->pml4);
}

static void free_level(struct ept *e, uint64_t phys, int level)
{
	uint64_t *t = e->ops.table_ptr(e->ops.ctx, phys);
	unsigned i;
	if (level > 1)
		for (i = 0; i < 512; i++)
			if (present(t[i]) && !(t[i] & EPT_LARGE))
				free_level(e, t[i] & EPT_ADDR_MASK, level - 1);
	e->ops.table_free(e->ops.ctx, phys);
	e->tables--;
}

void ept_destroy(struct ept *e)
{
	if (e->pml4)
		free_level(e, e->pml4, 4);
	e->pml4 = 0;
}

uint64_t ept_eptp(const struct ept *e)
{
	return e->pml4 | EPTP_MEMTYPE_WB | EPTP_WALK_4 | (e->ad ? EPTP_AD_ENABLE : 0);
}

static int bad_args(uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perms)
{
	return (size != EPT_4K && size != EPT_2M) || (gpa | hpa) & (size - 1) ||
	       gpa >= EPT_MAX_GPA || (hpa & ~EPT_ADDR_MASK) || (perms & ~EPT_RWX) ||
	       (!(perms & EPT_READ) && (perms & EPT_WRITE)); /* W without R: misconfigured */
}

int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perms)
{
	int level = size == EPT_2M ? 2 : 1, got, err;
	uint64_t *ent;

	if (bad_args(gpa, hpa, size, perms) || !(perms & EPT_RWX))
		return EPT_EINVAL;
	ent = walk(e, gpa, level, true, &got, &err);
	if (!ent)
		return err;
	if (level == 2 && present(*ent) && !(*ent & EPT_LARGE))
		return EPT_EEXIST; /* 4 KiB mappings below: unmap them first */
	*ent = hpa | perms | LEAF_FLAGS | (level == 2 ? EPT_LARGE : 0);
	return 0;
}

/* Frees the tables on gpa's path that hold no entry any more, bottom up. */
static void prune(struct ept *e, uint64_t gpa)
{
	uint64_t *path[5], phys[5];
	int l;

	path[4] = e->ops.table_ptr(e->ops.ctx, e->pml4);
	phys[4] = e->pml4;
	for (l = 4; l > 1; l--) {
		uint64_t ent = path[l][idx(gpa, l)];
		if (!present(ent) || (ent & EPT_LARGE))
			return;
		phys[l - 1] = ent & EPT_ADDR_MASK;
		path[l - 1] = table(e, ent);
	}
	for (l = 1; l < 4; l++) {
		unsigned i;
		for (i = 0; i < 512; i++)
			if (path[l][i])
				return;
		path[l + 1][idx(gpa, l + 1)] = 0;
		e->ops.table_free(e->ops.ctx, phys[l]);
		e->tables--;
	}
}

static uint64_t *leaf(const struct ept *e, uint64_t gpa, int *level);

int ept_unmap(struct ept *e, uint64_t gpa)
{
	int got, err;
	uint64_t *ent;

	if (gpa >= EPT_MAX_GPA)
		return EPT_EINVAL;
	if (!(ent = leaf(e, gpa, &got)))
		return EPT_ENOENT;
	if (got == 2 && (ent = walk(e, gpa, 1, true, &got, &err)) == NULL)
		return err; /* split a 2 MiB page to unmap 4 KiB of it */
	*ent = 0;
	prune(e, gpa);
	return 0;
}

/* The present leaf (4 KiB, or 2 MiB when *level = 2) mapping gpa, or NULL.
 * A query only: it never creates or splits anything. */
static uint64_t *leaf(const struct ept *e, uint64_t gpa, int *level)
{
	int err;
	uint64_t *ent;

	if (gpa >= EPT_MAX_GPA)
		return NULL;
	ent = walk((struct ept *)e, gpa, 1, false, level, &err);
	return ent && present(*ent) ? ent : NULL;
}

/* gpa's present 4 KiB leaf, or NULL with *err EPT_ENOENT (nothing there)
 * or EPT_EINVAL (a larger page). */
static uint64_t *leaf_4k(const struct ept *e, uint64_t gpa, int *err)
{
	int level;
	uint64_t *ent = leaf(e, gpa, &level);

	*err = !ent ? EPT_ENOENT : level != 1 ? EPT_EINVAL : 0;
	return *err ? NULL : ent;
}

int ept_clear(struct ept *e, uint64_t gpa)
{
	int err;
	uint64_t *ent = leaf_4k(e, gpa, &err);

	if (!ent)
		return err;
	*ent = 0;
	return 0;
}

int ept_protect(struct ept *e, uint64_t gpa, uint64_t perms)
{
	int level;
	uint64_t *ent;

	if (gpa >= EPT_MAX_GPA || bad_args(gpa & ~(EPT_4K - 1), 0, EPT_4K, perms) || !perms)
		return EPT_EINVAL;
	if (!(ent = leaf(e, gpa, &level)))
		return EPT_ENOENT;
	*ent = (*ent & ~EPT_RWX) | perms;
	return 0;
}

int ept_split(struct ept *e, uint64_t gpa)
{
	int level;
	uint64_t *ent = leaf(e, gpa, &level);

	if (!ent)
		return EPT_ENOENT;
	if (level != 2)
		return EPT_EINVAL; /* not a 2 MiB page */
	return split_pde(e, ent);
}

int ept_lookup(const struct ept *e, uint64_t gpa, struct ept_leaf *out)
{
	int level;
	uint64_t *ent, size;

	if (gpa >= EPT_MAX_GPA)
		return EPT_EINVAL;
	if (!(ent = leaf(e, gpa, &level)))
		return EPT_ENOENT;
	size = level == 2 ? EPT_2M : EPT_4K;
	out->hpa = (*ent & EPT_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
	out->perms = *ent & EPT_RWX;
	out->size = size;
	out->dirty = (*ent & EPT_DIRTY) != 0;
	out->withheld = (*ent & EPT_SW_WP) != 0;
	return 0;
}

int ept_test_and_clear_ad(struct ept *e, uint64_t gpa)
{
	int level;
	uint64_t *ent = leaf(e, gpa, &level), ad;

	if (!ent)
		return EPT_ENOENT;
	ad = *ent & (EPT_ACCESSED | EPT_DIRTY);
	if (ad)
		*ent &= ~(EPT_ACCESSED | EPT_DIRTY);
	return (int)ad;
}

/* ---- regions in a measurement point (the header comment's last part) ---- */

/* The PDE over gpa when it points at a table of leaves, else NULL (*err:
 * EPT_ENOENT for nothing there, EPT_EINVAL for a 2 MiB leaf). */
static uint64_t *region_pde(const struct ept *e, uint64_t gpa, int *err)
{
	int level, werr;
	uint64_t *pde;

	*err = EPT_ENOENT;
	if (gpa >= EPT_MAX_GPA)
		return *err = EPT_EINVAL, NULL;
	pde = walk((struct ept *)e, gpa, 2, false, &level, &werr);
	if (!pde || !present(*pde))
		return NULL;
	if (level != 2 || (*pde & EPT_LARGE))
		return *err = EPT_EINVAL, NULL;
	return pde;
}

int ept_region_freeze(struct ept *e, uint64_t gpa)
{
	int err;
	uint64_t *pde = region_pde(e, gpa, &err);

	if (!pde)
		return err;
	if (*pde & EPT_SW_FROZEN)
		return EPT_EEXIST;
	*pde = (*pde & ~EPT_WRITE) | EPT_SW_FROZEN;
	return 0;
}

int ept_region_state(const struct ept *e, uint64_t gpa)
{
	int err;
	const uint64_t *pde = region_pde(e, gpa, &err);

	if (!pde || !(*pde & EPT_SW_FROZEN))
		return EPT_REGION_NONE;
	return *pde & EPT_WRITE ? EPT_REGION_THAWED : EPT_REGION_FROZEN;
}

int ept_region_thaw(struct ept *e, uint64_t gpa, bool (*keep)(void *ctx, uint64_t gpa), void *ctx)
{
	int err, n = 0;
	uint64_t *pde = region_pde(e, gpa, &err), *pt, base = gpa & ~(EPT_2M - 1);
	unsigned i;

	if (!pde)
		return err;
	if ((*pde & (EPT_SW_FROZEN | EPT_WRITE)) != EPT_SW_FROZEN)
		return EPT_EINVAL; /* not frozen */
	pt = table(e, *pde);
	for (i = 0; i < 512; i++)
		if ((pt[i] & EPT_WRITE) && !(keep && keep(ctx, base + i * EPT_4K))) {
			pt[i] = (pt[i] & ~EPT_WRITE) | EPT_SW_WP;
			n++;
		}
	*pde |= EPT_WRITE; /* after the leaves: a raised permission, no INVEPT */
	return n;
}

int ept_region_restore(struct ept *e, uint64_t gpa)
{
	int err, n = 0;
	uint64_t *pde = region_pde(e, gpa, &err), *pt;
	unsigned i;

	if (!pde)
		return err;
	if (!(*pde & EPT_SW_FROZEN))
		return EPT_EINVAL;
	pt = table(e, *pde);
	for (i = 0; i < 512; i++)
		if (pt[i] & EPT_SW_WP) {
			pt[i] = (pt[i] & ~EPT_SW_WP) | EPT_WRITE;
			n++;
		}
	*pde = (*pde & ~EPT_SW_FROZEN) | EPT_WRITE;
	return n;
}

int ept_withhold_write(struct ept *e, uint64_t gpa)
{
	int err;
	uint64_t *ent = leaf_4k(e, gpa, &err);

	if (!ent)
		return err;
	*ent = (*ent & ~EPT_WRITE) | EPT_SW_WP;
	return 0;
}

int ept_return_write(struct ept *e, uint64_t gpa)
{
	int level;
	uint64_t *ent = leaf(e, gpa, &level);

	if (!ent)
		return EPT_ENOENT;
	if (!(*ent & EPT_SW_WP))
		return 0;
	*ent = (*ent & ~EPT_SW_WP) | EPT_WRITE;
	return 1;
}
