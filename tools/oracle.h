/*
 * oracle.h - dedupsim's oracle: the engine's exact recount (dedup/recount.h)
 * over whole memory images held in host memory.
 */
#ifndef TOOLS_ORACLE_H
#define TOOLS_ORACLE_H

#include <stdint.h>

#include "recount.h"

/* images[v] holds sizes[v] bytes (whole 4 KiB pages are counted); at most
 * 64 images.  0, or -1 (too many images, out of memory, or a collision). */
int oracle_compute(const unsigned char *const *images, const uint64_t *sizes, unsigned nvm,
		   unsigned chunk, struct dedup_recount *out);

#endif
