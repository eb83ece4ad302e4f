/*
 * zpool.h - the compressed tier's pool: objects of at most 2 KiB in size
 * classes, in 4 KiB frames taken from the caller's frame ops.
 *
 * Plain C11, like dedup/ and ept/: the frames are the engine's (the
 * hypervisor's frame pool, or the host fake's arena), reached through the
 * ops below; the pool itself never allocates payload memory.  Its own
 * bookkeeping (a 32-byte record per frame it holds) is on the heap.
 * Not thread-safe: the caller serializes, as for the engine.
 *
 * A handle names one object: (pool frame << ZPOOL_SLOT_BITS | slot), at
 * most ZPOOL_HANDLE_BITS bits, so that it fits the engine's page metadata
 * (dedup_internal.h).  The classes, and why these, are in zpool.c.
 */
#ifndef ZPOOL_H
#define ZPOOL_H

#include <stdint.h>

#define ZPOOL_FRAME_SIZE  4096u
#define ZPOOL_MAX_OBJECT  2048u   /* the largest object: half a frame */
#define ZPOOL_SLOT_BITS   6       /* up to 64 objects a frame */
#define ZPOOL_HANDLE_BITS 29
#define ZPOOL_MAX_FRAMES  (1u << (ZPOOL_HANDLE_BITS - ZPOOL_SLOT_BITS)) /* 32 GiB of pool */
#define ZPOOL_NCLASSES    17

#define ZPOOL_ENOMEM (-12) /* the cap, or no frame, or no memory for a record */
#define ZPOOL_EINVAL (-22) /* size 0 or above ZPOOL_MAX_OBJECT; a bad handle */

struct zpool_ops {
	void *(*frame_ptr)(void *ctx, uint64_t frame);
	int (*frame_alloc)(void *ctx, uint64_t *frame); /* non-zero: none free */
	void (*frame_free)(void *ctx, uint64_t frame);
	void *ctx;
};

struct zpool_class_stats {
	uint32_t slot;      /* bytes per object of this class */
	uint32_t per_frame; /* objects a frame holds */
	uint64_t objects, frames;
};

struct zpool_stats {
	uint64_t objects;
	uint64_t slot_bytes;   /* sum of the objects' slot sizes */
	uint64_t frames;       /* frames held: frames x 4096 is what the pool costs */
	uint64_t max_frames;   /* the cap */
	uint64_t allocs, frees, enomem;
	uint64_t metadata_bytes;
};

struct zpool;

/* A pool that holds at most max_frames frames (the cap may change later:
 * zpool_set_max), or NULL when out of memory. */
struct zpool *zpool_create(const struct zpool_ops *ops, uint64_t max_frames);
/* Frees the pool; every object must have been freed (frames still held are
 * given back regardless). */
void zpool_destroy(struct zpool *p);
/* A new cap.  Frames held above it stay until their objects go. */
void zpool_set_max(struct zpool *p, uint64_t max_frames);

/* A new object of size bytes (1..ZPOOL_MAX_OBJECT) in the smallest class
 * that holds it: 0 and *handle, or ZPOOL_EINVAL / ZPOOL_ENOMEM with
 * nothing changed.  Its bytes are undefined until written. */
int zpool_alloc(struct zpool *p, uint32_t size, uint32_t *handle)
	__attribute__((warn_unused_result));
/* Frees an object; a frame left empty goes back to the frame ops at once.
 * 0, or ZPOOL_EINVAL for a handle that names no live object. */
int zpool_free(struct zpool *p, uint32_t handle);
/* The object's bytes (its slot: zpool_slot_size() of them), or NULL for a
 * handle that names no live object. */
void *zpool_ptr(const struct zpool *p, uint32_t handle);
uint32_t zpool_slot_size(const struct zpool *p, uint32_t handle);

/* Whether an object of size bytes could be stored now: a free slot in its
 * class, or a frame below the cap (the frame ops may still refuse one). */
int zpool_has_room(const struct zpool *p, uint32_t size);

void zpool_get_stats(const struct zpool *p, struct zpool_stats *s);
void zpool_get_class(const struct zpool *p, unsigned cls, struct zpool_class_stats *s);
/* The class an object of size bytes goes to (size 1..ZPOOL_MAX_OBJECT),
 * and a class's slot size: for tools that model the pool. */
unsigned zpool_class_of(uint32_t size);
uint32_t zpool_class_slot(unsigned cls);
/* The most heap the pool's records take with a cap of max_frames. */
uint64_t zpool_metadata_max(uint64_t max_frames);

#endif
