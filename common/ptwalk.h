/*
 * ptwalk.h - one walk over x86-64's 4-level page tables, for every table
 * the hypervisor builds: its own (common/pt_build.c, by the loader and by
 * arch/x86_64/paging.c) and each VM's EPT (ept/ept.c).
 *
 *   address bits: 47..39 L4 | 38..30 L3 | 29..21 L2 | 20..12 L1 | 11..0 offset
 *
 *   level 4  PML4E --> L3 table
 *   level 3  PDPTE --> L2 table, or a 1 GiB leaf
 *   level 2  PDE   --> L1 table, or a 2 MiB leaf
 *   level 1  PTE   --> 4 KiB leaf
 *
 * The two formats share that shape and differ only in their bits: what
 * makes an entry present (P; in EPT any of R, W, X), a leaf above level 1
 * (PS; EPT's bit 7 too), what an entry that points at a table grants
 * (P|RW; EPT: RWX, the leaves decide).  A format is that small table
 * (struct pt_format), as Jailhouse and NOVA drive host paging and EPT
 * through one walker.  Freestanding C: the loader builds it too.
 */
#ifndef COMMON_PTWALK_H
#define COMMON_PTWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_format {
	uint64_t present;    /* any of these bits: the entry is present */
	uint64_t large;      /* with present, above level 1: a leaf */
	uint64_t table_bits; /* an entry that points at a table: its address | these */
	uint64_t addr_mask;  /* the address bits of an entry */
};

struct pt_tables {
	const struct pt_format *fmt;
	/* A zeroed 4 KiB table page: 0 with its address in *phys, or non-zero
	 * when none is left. */
	int (*alloc)(void *ctx, uint64_t *phys);
	/* The pointer through which the table at phys is read and written. */
	uint64_t *(*ptr)(void *ctx, uint64_t phys);
	/* Replaces the large leaf *entry at level by a table of leaves one
	 * level down that translate the same way: 0, or non-zero (no table
	 * page).  NULL: the format's large leaves are never split. */
	int (*split)(void *ctx, uint64_t *entry, int level);
	void *ctx;
};

#define PT_ENOMEM (-12) /* no table page */
#define PT_EEXIST (-17) /* a leaf lies on the path and is not to be split */

/* The index of va's entry in its level's table. */
static inline unsigned pt_index(uint64_t va, int level)
{
	return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

/* The entry for va at level (1 to 4) under root.  With create, missing
 * tables are made and a large leaf on the path is split (or PT_EEXIST
 * when the format does not split); the entry returned may be empty.
 * Without create: NULL when the path ends early, or the large leaf on the
 * path itself.  *level_out: the level of the entry returned; *err: 0,
 * PT_ENOMEM or PT_EEXIST when NULL comes back with create. */
uint64_t *pt_walk(const struct pt_tables *t, uint64_t *root, uint64_t va, int level, bool create,
		  int *level_out, int *err);

/* The same walk, inline: a caller whose struct pt_tables is a constant gets
 * the format's bits and its functions folded in (ept/ept.c: the scanner
 * walks each page's EPT entry twice a visit, issue 24). */
static inline __attribute__((always_inline)) uint64_t *
pt_walk_inline(const struct pt_tables *t, uint64_t *root, uint64_t va, int level, bool create,
	       int *level_out, int *err)
{
	const struct pt_format *f = t->fmt;
	uint64_t *table = root;
	int l;

	*err = 0;
	for (l = 4; l > level; l--) {
		uint64_t *ent = &table[pt_index(va, l)];
		if ((*ent & f->present) && (*ent & f->large)) {
			if (!create) {
				*level_out = l;
				return ent;
			}
			if (!t->split) {
				*err = PT_EEXIST;
				return NULL;
			}
			if (t->split(t->ctx, ent, l)) {
				*err = PT_ENOMEM;
				return NULL;
			}
		}
		if (!(*ent & f->present)) {
			uint64_t phys;
			if (!create)
				return NULL;
			if (t->alloc(t->ctx, &phys)) {
				*err = PT_ENOMEM;
				return NULL;
			}
			*ent = phys | f->table_bits;
		}
		table = t->ptr(t->ctx, *ent & f->addr_mask);
	}
	*level_out = level;
	return &table[pt_index(va, level)];
}

#endif
