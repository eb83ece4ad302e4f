/*
 * zpool.c - the compressed tier's pool (see zpool.h).
 *
 * Overview
 * --------
 * What it holds: compressed guest pages, one object each, at most 2 KiB.
 * VMware ESX keeps a page compressed only if it fits 2 KiB (and gives 1 KiB
 * slots to those that compress 4:1); below 2:1 a fault's decompression buys
 * too little memory to be worth it.  The engine (dedup/tier.c) does not
 * even try to store what does not fit.
 *
 * Where: in whole 4 KiB frames from the caller's frame ops, each frame cut
 * into n equal slots of one size class.  An object never straddles two
 * frames, so it is read in place (the decompressor takes it as it lies),
 * a freed slot is reused by the next object of its class, and a frame goes
 * back to the frame ops as soon as its last object is freed.  That is the
 * zbud/z3fold idea (Linux: 2 or 3 objects a page) taken to n = 2..64;
 * zsmalloc instead packs objects across "zspages" of up to 4 pages, which
 * wastes less per object (classes every 16 bytes) at the price of objects
 * split over two pages, a mapping step to read one, and compaction to get
 * frames back.  What our choice costs is measured, not assumed: dedupsim
 * prints the pool's frames against the compressed bytes on make bench's
 * corpus (fragmentation, below).
 *
 * The classes: n objects a frame for n in {2, 3, 4, 5, 6, 7, 8, 10, 12, 14,
 * 16, 20, 24, 32, 40, 48, 64}, each slot floor(4096 / n) rounded down to 8
 * bytes (objects stay 8-aligned for their header).  So every class fills
 * its frame but for under 8 bytes a slot, and consecutive classes are
 * within 1.25x of each other except 2 -> 3 a frame (2048 -> 1360 bytes,
 * which no single-frame slot can divide finer) and 32 -> 40 (1.33x): an
 * object wastes at most a third of its slot, usually far less.  n = 64
 * (64-byte slots) takes the nearly empty pages that lz4 turns into a few
 * dozen bytes: 12% of the non-zero pages of the corpus.
 *
 * Bookkeeping: a record per frame held (struct zframe: the frame, a bitmap
 * of used slots, its class), in an array indexed by the handle's frame
 * number, reused through a free list; each class keeps a doubly linked
 * list of its frames that have a free slot, so alloc and free are O(1).
 *
 * Fragmentation: internal (slot bytes - payload bytes; the engine knows
 * the payload) and external (frames x 4096 - slot bytes: the free slots of
 * partly used frames).  There is no compaction: a class fills its partly
 * used frames before it takes a new one, so free slots come only from
 * objects freed since, and are reused first.
 */
#include <stdlib.h>
#include <string.h>

#include "zpool.h"

#define NIL   0xFFFFFFFFu
#define ZFREE 0xFFu /* zframe.cls of a free record */

static const uint8_t per_frame[ZPOOL_NCLASSES] = {
	64, 48, 40, 32, 24, 20, 16, 14, 12, 10, 8, 7, 6, 5, 4, 3, 2,
};

#define SLOT(n) ((ZPOOL_FRAME_SIZE / (n)) & ~7u)
_Static_assert(SLOT(2) == ZPOOL_MAX_OBJECT, "the largest class holds the largest object");
_Static_assert(64 <= (1u << ZPOOL_SLOT_BITS), "a slot number fits the handle's slot bits");
_Static_assert((uint64_t)ZPOOL_MAX_FRAMES << ZPOOL_SLOT_BITS <= (1ull << ZPOOL_HANDLE_BITS),
	       "a handle fits ZPOOL_HANDLE_BITS");
_Static_assert(ZPOOL_MAX_FRAMES < NIL, "a frame number is never NIL");

struct zframe {
	uint64_t frame;
	uint64_t used;        /* bit s: slot s holds an object */
	uint32_t prev, next;  /* the class's list of frames with a free slot; next: free records */
	uint8_t cls;          /* ZFREE: a free record */
	uint8_t nused;
};

struct zclass {
	uint32_t partial;     /* first frame with a free slot, or NIL */
	uint64_t objects, frames;
};

struct zpool {
	struct zpool_ops ops;
	uint64_t max_frames;
	struct zframe *z;     /* records by frame number: cap slots, top used so far */
	uint32_t cap, top, free_head;
	struct zclass cls[ZPOOL_NCLASSES];
	struct zpool_stats st;
};

uint32_t zpool_class_slot(unsigned cls)
{
	return cls < ZPOOL_NCLASSES ? SLOT(per_frame[cls]) : 0;
}

unsigned zpool_class_of(uint32_t size)
{
	unsigned c = 0;
	while (c + 1 < ZPOOL_NCLASSES && SLOT(per_frame[c]) < size)
		c++;
	return c;
}

struct zpool *zpool_create(const struct zpool_ops *ops, uint64_t max_frames)
{
	struct zpool *p = calloc(1, sizeof(*p));
	unsigned c;

	if (!p)
		return NULL;
	p->ops = *ops;
	p->free_head = NIL;
	for (c = 0; c < ZPOOL_NCLASSES; c++)
		p->cls[c].partial = NIL;
	zpool_set_max(p, max_frames);
	return p;
}

void zpool_destroy(struct zpool *p)
{
	uint32_t i;
	if (!p)
		return;
	for (i = 0; i < p->top; i++)
		if (p->z[i].cls != ZFREE)
			p->ops.frame_free(p->ops.ctx, p->z[i].frame);
	free(p->z);
	free(p);
}

void zpool_set_max(struct zpool *p, uint64_t max_frames)
{
	p->max_frames = max_frames > ZPOOL_MAX_FRAMES ? ZPOOL_MAX_FRAMES : max_frames;
}

/* ---- a class's list of frames with a free slot ---- */

static void partial_add(struct zpool *p, uint32_t i)
{
	struct zclass *c = &p->cls[p->z[i].cls];
	p->z[i].prev = NIL;
	p->z[i].next = c->partial;
	if (c->partial != NIL)
		p->z[c->partial].prev = i;
	c->partial = i;
}

static void partial_remove(struct zpool *p, uint32_t i)
{
	struct zframe *f = &p->z[i];
	if (f->prev != NIL)
		p->z[f->prev].next = f->next;
	else
		p->cls[f->cls].partial = f->next;
	if (f->next != NIL)
		p->z[f->next].prev = f->prev;
}

/* ---- records ---- */

/* A free record's number, the array grown if needed; NIL when out of memory. */
static uint32_t record_get(struct zpool *p)
{
	uint32_t i;
	if (p->free_head != NIL) {
		i = p->free_head;
		p->free_head = p->z[i].next;
		return i;
	}
	if (p->top == p->cap) {
		uint32_t ncap = p->cap ? p->cap * 2 : 64;
		struct zframe *n;
		if (ncap > ZPOOL_MAX_FRAMES)
			ncap = ZPOOL_MAX_FRAMES;
		if (ncap == p->cap)
			return NIL;
		n = realloc(p->z, sizeof(*n) * ncap);
		if (!n)
			return NIL;
		p->z = n;
		p->cap = ncap;
	}
	return p->top++;
}

static void record_put(struct zpool *p, uint32_t i)
{
	p->z[i].cls = ZFREE;
	p->z[i].next = p->free_head;
	p->free_head = i;
}

/* The live record a handle names and its slot; NULL if none. */
static struct zframe *lookup(const struct zpool *p, uint32_t handle, unsigned *slot)
{
	uint32_t i = handle >> ZPOOL_SLOT_BITS;
	struct zframe *f;

	*slot = handle & ((1u << ZPOOL_SLOT_BITS) - 1);
	if (handle >> ZPOOL_HANDLE_BITS || i >= p->top)
		return NULL;
	f = &p->z[i];
	if (f->cls == ZFREE || *slot >= per_frame[f->cls] || !(f->used >> *slot & 1))
		return NULL;
	return f;
}

/* ---- objects ---- */

int zpool_has_room(const struct zpool *p, uint32_t size)
{
	if (size == 0 || size > ZPOOL_MAX_OBJECT)
		return 0;
	return p->cls[zpool_class_of(size)].partial != NIL || p->st.frames < p->max_frames;
}

int zpool_alloc(struct zpool *p, uint32_t size, uint32_t *handle)
{
	unsigned c, s;
	uint32_t i;
	struct zframe *f;

	if (size == 0 || size > ZPOOL_MAX_OBJECT)
		return ZPOOL_EINVAL;
	c = zpool_class_of(size);
	i = p->cls[c].partial;
	if (i == NIL) { /* a new frame for the class */
		uint64_t frame;
		if (p->st.frames >= p->max_frames || (i = record_get(p)) == NIL) {
			p->st.enomem++;
			return ZPOOL_ENOMEM;
		}
		if (p->ops.frame_alloc(p->ops.ctx, &frame)) {
			record_put(p, i);
			p->st.enomem++;
			return ZPOOL_ENOMEM;
		}
		p->z[i] = (struct zframe){ .frame = frame, .cls = (uint8_t)c };
		partial_add(p, i);
		p->cls[c].frames++;
		p->st.frames++;
	}
	f = &p->z[i];
	s = (unsigned)__builtin_ctzll(~f->used); /* a free slot: the frame is on the list */
	f->used |= 1ull << s;
	if (++f->nused == per_frame[c])
		partial_remove(p, i);
	p->cls[c].objects++;
	p->st.objects++;
	p->st.slot_bytes += SLOT(per_frame[c]);
	p->st.allocs++;
	*handle = i << ZPOOL_SLOT_BITS | s;
	return 0;
}

int zpool_free(struct zpool *p, uint32_t handle)
{
	unsigned s, c;
	struct zframe *f = lookup(p, handle, &s);
	uint32_t i = handle >> ZPOOL_SLOT_BITS;

	if (!f)
		return ZPOOL_EINVAL;
	c = f->cls;
	if (f->nused == per_frame[c])
		partial_add(p, i); /* it was full: it has a free slot now */
	f->used &= ~(1ull << s);
	f->nused--;
	p->cls[c].objects--;
	p->st.objects--;
	p->st.slot_bytes -= SLOT(per_frame[c]);
	p->st.frees++;
	if (f->nused == 0) { /* empty: the frame goes back at once */
		partial_remove(p, i);
		p->ops.frame_free(p->ops.ctx, f->frame);
		p->cls[c].frames--;
		p->st.frames--;
		record_put(p, i);
	}
	return 0;
}

void *zpool_ptr(const struct zpool *p, uint32_t handle)
{
	unsigned s;
	const struct zframe *f = lookup(p, handle, &s);
	if (!f)
		return NULL;
	return (char *)p->ops.frame_ptr(p->ops.ctx, f->frame) + s * SLOT(per_frame[f->cls]);
}

uint32_t zpool_slot_size(const struct zpool *p, uint32_t handle)
{
	unsigned s;
	const struct zframe *f = lookup(p, handle, &s);
	return f ? SLOT(per_frame[f->cls]) : 0;
}

/* ---- figures ---- */

void zpool_get_stats(const struct zpool *p, struct zpool_stats *s)
{
	*s = p->st;
	s->max_frames = p->max_frames;
	s->metadata_bytes = sizeof(*p) + (uint64_t)p->cap * sizeof(struct zframe);
}

void zpool_get_class(const struct zpool *p, unsigned cls, struct zpool_class_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (cls >= ZPOOL_NCLASSES)
		return;
	s->slot = SLOT(per_frame[cls]);
	s->per_frame = per_frame[cls];
	s->objects = p->cls[cls].objects;
	s->frames = p->cls[cls].frames;
}

/* Records: at most max_frames in use, the array doubled when full: the old
 * and the new array at once during the copy, < 3 x max_frames records. */
uint64_t zpool_metadata_max(uint64_t max_frames)
{
	if (max_frames > ZPOOL_MAX_FRAMES)
		max_frames = ZPOOL_MAX_FRAMES;
	return sizeof(struct zpool) + 3 * (max_frames + 64) * sizeof(struct zframe);
}
