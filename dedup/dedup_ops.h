/*
 * dedup_ops.h - what the page-sharing engine needs from the machine.
 *
 * dedup/ is plain C11 and never touches hardware.  Everything it needs is
 * here, implemented in the hypervisor by the core (kernel/sharing_ops.c:
 * the frame pool, each VM's EPT through ept/, and invalidation through
 * arch_ept_invalidate, which runs INVEPT by IPI on every CPU that runs the
 * VM) and on the host by tests/fake/ (an arena, a fake EPT with a fake
 * TLB, call recording, failure injection).
 *
 * Frames are opaque 64-bit numbers to the engine.  Every guest page the
 * engine tracks is mapped (to a private frame, a shared frame or a zero
 * frame) except those its cold tier holds compressed and, in a
 * same-behaviour domain, those fused (dedup/same.c): those are not
 * present, and an access to one faults (dedup_access_fault).
 */
#ifndef DEDUP_OPS_H
#define DEDUP_OPS_H

#include <stdbool.h>
#include <stdint.h>

struct dedup_ops {
	/* Pointer to a frame's 4 KiB. */
	void *(*frame_ptr)(void *ctx, uint64_t frame);
	/* A new frame (contents undefined).  Non-zero when none is free. */
	int (*frame_alloc)(void *ctx, uint64_t *frame);
	void (*frame_free)(void *ctx, uint64_t frame);
	/* The frame (vm, gfn) is mapped to.  Non-zero if unmapped. */
	int (*lookup)(void *ctx, unsigned vm, uint64_t gfn, uint64_t *frame);
	/* Maps (vm, gfn) to frame, read-only or read-write, with a clear dirty
	 * bit.  Replacing an existing mapping must not fail; a first mapping
	 * may (EPT table pages), returning non-zero. */
	int (*map)(void *ctx, unsigned vm, uint64_t gfn, uint64_t frame, bool writable);
	/* Removes the mapping: VM teardown, and a page the cold tier compressed
	 * (the engine invalidates before it frees the frame).  Never fails. */
	void (*unmap)(void *ctx, unsigned vm, uint64_t gfn);
	/* Drops every cached translation of vm's guest-physical memory on every
	 * CPU that may hold one (INVEPT single-context + shootdown); returns
	 * after all CPUs have done so: 0.  Non-zero when a CPU that may still
	 * hold one did not answer and was given up on (arch/x86_64/smp.c bounds
	 * the wait): it may go on writing through an old translation, so the
	 * engine then frees nothing and shares nothing that such a write could
	 * reach (dedup.h, "When an invalidate fails"). */
	int (*invalidate)(void *ctx, unsigned vm);
	/* EPT A/D, in one walk: DEDUP_AD_ACCESSED if (vm, gfn) was read or
	 * written, DEDUP_AD_DIRTY if written, since the bits were last cleared
	 * (0 for neither, and for a page not mapped); clears both.  A cleared
	 * bit only takes effect for accesses after the next invalidate(): a CPU
	 * may hold a translation with the bit set and not set it again.  NULL
	 * where there are no A/D bits (then the engine sees no working set). */
	int (*test_and_clear_ad)(void *ctx, unsigned vm, uint64_t gfn);
	void *ctx;
	/* A frame for the cold tier's pool (tier/zpool.c), or NULL to use
	 * frame_alloc.  It may dig deeper than a guest's frame may (into a
	 * reserve): each pool frame lets the tier free several (a page
	 * compressed to 512 bytes frees its frame for an eighth of one), so
	 * when memory is short the pool must still grow for the tier to give
	 * frames back - without it, an overcommitted fleet stops a VM while
	 * the tier has cold pages it cannot store. */
	int (*frame_alloc_pool)(void *ctx, uint64_t *frame);
};

#define DEDUP_AD_ACCESSED 1
#define DEDUP_AD_DIRTY    2

#endif
