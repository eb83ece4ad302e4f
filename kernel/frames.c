/*
 * frames.c - physical frame allocator over the boot memory map.
 *
 * One metadata entry per 4 KiB frame between the lowest and the highest
 * usable frame (holes and reserved frames included, marked RESERVED), and
 * a stack of free frame numbers: allocation and free are O(1) pops and
 * pushes; the stack is filled highest-first so that allocation hands out
 * ascending addresses.  Memory the hypervisor needs in one piece (its own
 * metadata, the heap) is carved off usable regions before the pool is
 * built, so the pool never has to find contiguous runs.
 */
#include "frames.h"

static int usable(const struct boot_mem_region *r)
{
	return r->type == BOOT_MEM_USABLE && r->pages;
}

static void span(const struct boot_mem_region *r, size_t n, uint64_t *lo, uint64_t *hi)
{
	size_t i;
	*lo = UINT64_MAX;
	*hi = 0;
	for (i = 0; i < n; i++) {
		uint64_t a = r[i].base / FRAME_SIZE, b = a + r[i].pages;
		if (!usable(&r[i]) || b <= FRAMES_LOW_LIMIT / FRAME_SIZE)
			continue;
		if (a < FRAMES_LOW_LIMIT / FRAME_SIZE)
			a = FRAMES_LOW_LIMIT / FRAME_SIZE;
		if (a < *lo) *lo = a;
		if (b > *hi) *hi = b;
	}
	if (*hi == 0)
		*lo = 0;
}

uint64_t frames_usable_bytes(const struct boot_mem_region *r, size_t n)
{
	uint64_t sum = 0;
	size_t i;
	for (i = 0; i < n; i++)
		if (usable(&r[i]))
			sum += r[i].pages * FRAME_SIZE;
	return sum;
}

uint64_t frames_meta_bytes(const struct boot_mem_region *r, size_t n)
{
	uint64_t lo, hi;
	span(r, n, &lo, &hi);
	return (hi - lo) * (sizeof(struct frame) + sizeof(uint32_t));
}

int frames_carve(struct boot_mem_region *r, size_t n, uint64_t bytes, uint64_t *phys)
{
	uint64_t pages = (bytes + FRAME_SIZE - 1) / FRAME_SIZE;
	size_t i;

	for (i = n; i-- > 0;) {
		uint64_t end = r[i].base + r[i].pages * FRAME_SIZE;
		if (!usable(&r[i]) || r[i].pages < pages ||
		    end - pages * FRAME_SIZE < FRAMES_LOW_LIMIT ||
		    end - pages * FRAME_SIZE < r[i].base)
			continue;
		r[i].pages -= pages;
		*phys = end - pages * FRAME_SIZE;
		return 0;
	}
	return -1;
}

int frames_init(struct frame_pool *fp, const struct boot_mem_region *r, size_t n,
		void *meta, uint64_t meta_bytes, const char **why)
{
	uint64_t lo, hi, pfn, i;
	size_t k;

	span(r, n, &lo, &hi);
	if (meta_bytes < (hi - lo) * (sizeof(struct frame) + sizeof(uint32_t))) {
		*why = "frame metadata buffer too small";
		return -1;
	}
	fp->base_pfn = lo;
	fp->npfn = hi - lo;
	fp->meta = meta;
	fp->free_stack = (uint32_t *)(fp->meta + fp->npfn);
	fp->nfree = fp->nusable = 0;
	for (i = 0; i < fp->npfn; i++)
		fp->meta[i] = (struct frame){ 0, FRAME_RESERVED, 0 };

	/* Mark usable frames free, then push them highest first. */
	for (k = 0; k < n; k++) {
		uint64_t a = r[k].base / FRAME_SIZE, b = a + r[k].pages;
		if (!usable(&r[k]))
			continue;
		if (a < lo) a = lo;  /* lo is above 1 MiB: low frames stay reserved */
		if (b > hi) b = hi;
		for (pfn = a; pfn < b; pfn++)
			fp->meta[pfn - lo].state = FRAME_FREE;
	}
	for (i = fp->npfn; i-- > 0;)
		if (fp->meta[i].state == FRAME_FREE)
			fp->free_stack[fp->nfree++] = (uint32_t)i;
	fp->nusable = fp->nfree;
	if (fp->nusable * FRAME_SIZE < FRAMES_MIN_USABLE) {
		*why = "memory map too small: less than 16 MiB of usable RAM above 1 MiB";
		return -1;
	}
	return 0;
}

int frames_alloc(struct frame_pool *fp, uint16_t state, uint64_t *phys)
{
	uint32_t idx;
	if (fp->nfree == 0)
		return -1;
	idx = fp->free_stack[--fp->nfree];
	fp->meta[idx] = (struct frame){ 1, state, 0 };
	*phys = (fp->base_pfn + idx) * FRAME_SIZE;
	return 0;
}

struct frame *frames_meta(struct frame_pool *fp, uint64_t phys)
{
	uint64_t pfn = phys / FRAME_SIZE;
	if (phys % FRAME_SIZE || pfn < fp->base_pfn || pfn - fp->base_pfn >= fp->npfn)
		return 0;
	return &fp->meta[pfn - fp->base_pfn];
}

int frames_free(struct frame_pool *fp, uint64_t phys)
{
	struct frame *f = frames_meta(fp, phys);
	if (!f || f->state == FRAME_FREE || f->state == FRAME_RESERVED)
		return -1;
	*f = (struct frame){ 0, FRAME_FREE, 0 };
	fp->free_stack[fp->nfree++] = (uint32_t)(f - fp->meta);
	return 0;
}
