/*
 * sharing_ops.c - the machine under the dedup engine, in the hypervisor.
 *
 * Implements dedup/dedup_ops.h over the core's frame pool and the VMs'
 * EPTs, both reached through ops.ctx (struct sharing_ctx), never through
 * globals.  Frames are physical addresses, reached through phys_to_virt.
 * Guest frames come from the frame pool but never its last reserve_frames:
 * those stay for the hypervisor itself (EPT tables, VMCSs, page tables), so
 * a guest that exhausts memory cannot starve the hypervisor.  Mappings go
 * through the VM's EPT (ept/); invalidation is the architecture's
 * (arch_ept_invalidate: INVEPT for the VM's EPTP here and on every other
 * CPU that may cache it, by IPI and waiting for those in the VM now; it
 * fails when one of those answers nothing, and the engine then frees and
 * shares nothing such a CPU could reach).  A measurement point that holds
 * a page's old content unsaved has its writable mappings made read-only
 * (map, below; kernel/freeze.c).
 */
#include <stdio.h>

#include "arch.h"
#include "freeze.h"
#include "sharing.h"

static void *frame_ptr(void *ctx, uint64_t frame)
{
	(void)ctx;
	return phys_to_virt(frame);
}

static int frame_alloc(void *ctx, uint64_t *frame)
{
	struct sharing_ctx *c = ctx;
	if (c->frames->nfree <= c->reserve_frames)
		return -1;
	return frames_alloc(c->frames, FRAME_GUEST, frame);
}

/*
 * The pool's frames may take the lower half of the reserve (128 of its 256
 * frames): the tier compresses at most 64 pages a scanner step
 * (TIER_PER_STEP), a step's objects fit a few pool frames, and the step's
 * end frees the compressed pages' frames, many more - so the reserve is
 * given back at once, and the hypervisor's own needs (EPT tables, a VMCS)
 * still find the upper half.
 */
static int frame_alloc_pool(void *ctx, uint64_t *frame)
{
	struct sharing_ctx *c = ctx;
	if (c->frames->nfree <= c->reserve_frames / 2)
		return -1;
	return frames_alloc(c->frames, FRAME_GUEST, frame);
}

static void frame_free(void *ctx, uint64_t frame)
{
	struct sharing_ctx *c = ctx;
	if (frames_free(c->frames, frame))
		printf("dedup: frame 0x%lx freed twice (an engine bug)\n", frame);
}

static struct ept *ept_of(void *ctx, unsigned vm)
{
	return &((struct sharing_ctx *)ctx)->vms[vm].ept;
}

static int lookup(void *ctx, unsigned vm, uint64_t gfn, uint64_t *frame)
{
	struct ept_leaf l;
	if (ept_lookup(ept_of(ctx, vm), gfn << 12, &l))
		return -1;
	*frame = l.hpa;
	return 0;
}

/* While a measurement point holds the page's old content unsaved, a
 * writable mapping is made read-only and marked (kernel/freeze.c): its
 * first write faults, and the point saves the page then. */
static int map(void *ctx, unsigned vm, uint64_t gfn, uint64_t frame, bool writable)
{
	struct vm *v = &((struct sharing_ctx *)ctx)->vms[vm];
	bool w = writable && freeze_may_write(v, gfn);
	int r = ept_map(&v->ept, gfn << 12, frame, EPT_4K, w ? EPT_RWX : EPT_READ | EPT_EXECUTE);

	if (r == 0 && writable && !w)
		ept_withhold_write(&v->ept, gfn << 12);
	return r;
}

/* Not present, the tables kept (ept_clear): the cold tier unmaps pages of
 * a running VM, and a table freed before the engine's INVEPT could be
 * reused while another CPU's paging-structure cache still walks it; kept,
 * the page's fault-in maps it again without a table page.  Teardown
 * (ept_destroy) frees them all. */
static void unmap(void *ctx, unsigned vm, uint64_t gfn)
{
	ept_clear(ept_of(ctx, vm), gfn << 12);
}

static int invalidate(void *ctx, unsigned vm)
{
	struct sharing_ctx *c = ctx;
	int r = arch_ept_invalidate(ept_eptp(&c->vms[vm].ept), &c->vms[vm].ept_cpus);

	c->invalidations++;
	if (r)
		c->invalidations_failed++;
	return r;
}

/* The EPT entry's A and D flags (bits 8 and 9) in the engine's terms. */
static int accessed_dirty(void *ctx, unsigned vm, uint64_t gfn)
{
	int r = ept_test_and_clear_ad(ept_of(ctx, vm), gfn << 12);
	if (r < 0)
		return 0;
	return ((uint64_t)r & EPT_ACCESSED ? DEDUP_AD_ACCESSED : 0) |
	       ((uint64_t)r & EPT_DIRTY ? DEDUP_AD_DIRTY : 0);
}

struct dedup_ops sharing_ops(struct sharing_ctx *ctx)
{
	return (struct dedup_ops){ frame_ptr, frame_alloc, frame_free, lookup, map, unmap,
				   invalidate, accessed_dirty, ctx, frame_alloc_pool };
}
