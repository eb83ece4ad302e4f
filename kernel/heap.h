/* heap.h - the region sbrk() serves (libc_glue.c). */
#ifndef KERNEL_HEAP_H
#define KERNEL_HEAP_H
#include <stddef.h>
void heap_init(void *base, size_t size);
#endif
