/*
 * ptwalk.c - the one walk over 4-level page tables (ptwalk.h).
 */
#include <stddef.h>

#include "ptwalk.h"

uint64_t *pt_walk(const struct pt_tables *t, uint64_t *root, uint64_t va, int level, bool create,
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
