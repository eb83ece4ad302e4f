/*
 * ptwalk.c - the one walk over 4-level page tables (ptwalk.h): its body is
 * pt_walk_inline, in the header, so that a hot caller (ept/ept.c) has it
 * specialised to its format; this is the out-of-line copy for the rest.
 */
#include <stddef.h>

#include "ptwalk.h"

uint64_t *pt_walk(const struct pt_tables *t, uint64_t *root, uint64_t va, int level, bool create,
		  int *level_out, int *err)
{
	return pt_walk_inline(t, root, va, level, create, level_out, err);
}
