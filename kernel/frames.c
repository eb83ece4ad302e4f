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
#include <stdio.h>

#include "boot_info_check.h"
#include "frames.h"

_Static_assert(FRAMES_PHYS_LIMIT == BOOT_PHYS_LIMIT, "one physical address limit");

#define LOW_PFN (FRAMES_LOW_LIMIT / FRAME_SIZE)
#define MAX_NPFN (1ull << 32) /* free_stack holds 32-bit frame indices */

/* frames_map_check()'s answer; the allocator is set up on the boot CPU only. */
static char why_buf[200];

static int usable(const struct boot_mem_region *r)
{
	return r->type == BOOT_MEM_USABLE && r->pages;
}

static const char *say(const char *fmt, unsigned long i, unsigned long long x, unsigned long long y)
{
	snprintf(why_buf, sizeof(why_buf), fmt, i, x, y);
	return why_buf;
}

/* The end of region i, base + pages * 4096, computed without overflow. */
static const char *region_end(const struct boot_mem_region *r, size_t i, uint64_t *end)
{
	uint64_t size;

	if (r->base % FRAME_SIZE)
		return say("memory region %lu: base 0x%llx not 4 KiB aligned", i, r->base, 0);
	if (__builtin_mul_overflow(r->pages, FRAME_SIZE, &size))
		return say("memory region %lu: base 0x%llx + 0x%llx pages overflows 64 bits", i,
			   r->base, r->pages);
	if (__builtin_add_overflow(r->base, size, end))
		return say("memory region %lu: base 0x%llx + 0x%llx pages wraps past 2^64", i,
			   r->base, r->pages);
	if (*end > FRAMES_PHYS_LIMIT)
		return say("memory region %lu: base 0x%llx + 0x%llx pages ends beyond the 52-bit "
			   "physical address space", i, r->base, r->pages);
	return NULL;
}

/*
 * Every entry point checks the map first, so that no size below wraps: each
 * non-empty region aligned, its end within 52 bits, regions in ascending
 * order and disjoint (a frame in two regions would be counted twice, and a
 * carve from one would leave the carved frames free in the other), and the
 * managed frames [*lo, *hi) few enough for 32-bit indices.  Empty regions
 * (frames_carve may leave some) are skipped.
 */
static const char *check(const struct boot_mem_region *r, size_t n, uint64_t *lo, uint64_t *hi)
{
	uint64_t end, prev_end = 0;
	size_t i, prev = n;
	const char *why;

	*lo = UINT64_MAX;
	*hi = 0;
	for (i = 0; i < n; i++) {
		uint64_t a, b;
		if (r[i].pages == 0)
			continue;
		if ((why = region_end(&r[i], i, &end)))
			return why;
		if (prev < n && r[i].base < r[prev].base) {
			snprintf(why_buf, sizeof(why_buf), "memory region %lu (base 0x%llx) is below "
				 "region %lu (base 0x%llx): the memory map is unsorted", (unsigned long)i,
				 (unsigned long long)r[i].base, (unsigned long)prev,
				 (unsigned long long)r[prev].base);
			return why_buf;
		}
		if (prev < n && r[i].base < prev_end) {
			snprintf(why_buf, sizeof(why_buf), "memory regions %lu and %lu overlap: "
				 "[0x%llx, 0x%llx) and [0x%llx, 0x%llx)", (unsigned long)prev,
				 (unsigned long)i, (unsigned long long)r[prev].base,
				 (unsigned long long)prev_end, (unsigned long long)r[i].base,
				 (unsigned long long)end);
			return why_buf;
		}
		prev = i;
		prev_end = end;
		a = r[i].base / FRAME_SIZE;
		b = end / FRAME_SIZE;
		if (!usable(&r[i]) || b <= LOW_PFN)
			continue;
		if (a < LOW_PFN)
			a = LOW_PFN;
		if (a < *lo) *lo = a;
		if (b > *hi) *hi = b;
	}
	if (*hi == 0)
		*lo = 0;
	if (*hi - *lo > MAX_NPFN)
		return say("usable memory in the %lu regions spans [0x%llx, 0x%llx): more than 16 TiB, "
			   "more frames than the allocator indexes", n, *lo * FRAME_SIZE, *hi * FRAME_SIZE);
	return NULL;
}

const char *frames_map_check(const struct boot_mem_region *r, size_t n)
{
	uint64_t lo, hi;
	return check(r, n, &lo, &hi);
}

uint64_t frames_usable_bytes(const struct boot_mem_region *r, size_t n)
{
	uint64_t sum = 0, lo, hi;
	size_t i;
	if (check(r, n, &lo, &hi))
		return 0;
	for (i = 0; i < n; i++) /* disjoint, below 2^52: no overflow */
		if (usable(&r[i]))
			sum += r[i].pages * FRAME_SIZE;
	return sum;
}

uint64_t frames_meta_bytes(const struct boot_mem_region *r, size_t n)
{
	uint64_t lo, hi;
	if (check(r, n, &lo, &hi))
		return 0;
	return (hi - lo) * (sizeof(struct frame) + sizeof(uint32_t)); /* at most 48 GiB */
}

int frames_carve(struct boot_mem_region *r, size_t n, uint64_t bytes, uint64_t *phys)
{
	uint64_t pages = bytes / FRAME_SIZE + (bytes % FRAME_SIZE != 0), lo, hi;
	size_t i;

	if (check(r, n, &lo, &hi))
		return -1;
	for (i = n; i-- > 0;) {
		uint64_t end, start;
		if (!usable(&r[i]) || r[i].pages < pages)
			continue;
		/* Checked above: base + pages * 4096 fits, and start >= base. */
		end = r[i].base + r[i].pages * FRAME_SIZE;
		start = end - pages * FRAME_SIZE;
		if (start < FRAMES_LOW_LIMIT)
			continue;
		r[i].pages -= pages;
		*phys = start;
		return 0;
	}
	return -1;
}

int frames_init(struct frame_pool *fp, const struct boot_mem_region *r, size_t n,
		void *meta, uint64_t meta_bytes, const char **why)
{
	uint64_t lo, hi, pfn, i;
	const char *bad;
	size_t k;

	if ((bad = check(r, n, &lo, &hi))) {
		*why = bad;
		return -1;
	}
	if (meta_bytes < (hi - lo) * (sizeof(struct frame) + sizeof(uint32_t)) || (hi > lo && !meta)) {
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
