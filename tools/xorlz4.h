/*
 * xorlz4.h - XOR-then-lz4 patches, a format compared with delta/'s in
 * patchbench (not used by the hypervisor).
 */
#ifndef TOOLS_XORLZ4_H
#define TOOLS_XORLZ4_H

#include <stddef.h>

#include "delta.h"

/* As delta_encode/delta_decode (patchsim's encoder signature; ctx unused). */
int xorlz4_encode(void *ctx, const void *page, const void *ref, void *out, size_t cap);
int xorlz4_decode(const void *ref, const void *patch, size_t len, void *out);

#endif
