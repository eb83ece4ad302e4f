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
 *
 * While ctx->cost.on (sharing.c turns it on for the first full scans, to
 * say what a scan costs here and where it goes), every op but frame_ptr
 * (an addition) counts its calls and the TSC ticks inside it: under Bochs
 * emulated instructions, the EPT walks and INVEPT included.  Off, an op
 * reads no TSC: one test of a flag.
 */
#include <stdio.h>

#include "arch.h"
#include "freeze.h"
#include "sharing.h"

static inline uint64_t cost_begin(const struct sharing_ctx *c)
{
	return c->cost.on ? arch_time_now() : 0;
}

static inline void cost_end(struct sharing_ctx *c, unsigned op, uint64_t t0)
{
	if (c->cost.on) {
		c->cost.ticks[op] += arch_time_now() - t0;
		c->cost.calls[op]++;
	}
}

static void *frame_ptr(void *ctx, uint64_t frame)
{
	(void)ctx;
	return phys_to_virt(frame);
}

static int frame_alloc(void *ctx, uint64_t *frame)
{
	struct sharing_ctx *c = ctx;
	uint64_t t0 = cost_begin(c);
	int r = c->frames->nfree <= c->reserve_frames ? -1 : frames_alloc(c->frames, FRAME_GUEST, frame);

	cost_end(c, SOP_ALLOC, t0);
	return r;
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
	uint64_t t0 = cost_begin(c);

	if (frames_free(c->frames, frame))
		printf("dedup: frame 0x%lx freed twice (an engine bug)\n", frame);
	cost_end(c, SOP_FREE, t0);
}

static struct ept *ept_of(void *ctx, unsigned vm)
{
	return &((struct sharing_ctx *)ctx)->vms[vm].ept;
}

static int lookup(void *ctx, unsigned vm, uint64_t gfn, uint64_t *frame)
{
	uint64_t t0 = cost_begin(ctx);
	struct ept_leaf l;
	int r = ept_lookup(ept_of(ctx, vm), gfn << 12, &l) ? -1 : 0;

	if (r == 0)
		*frame = l.hpa;
	cost_end(ctx, SOP_LOOKUP, t0);
	return r;
}

/* While a measurement point holds the page's old content unsaved, a
 * writable mapping is made read-only and marked (kernel/freeze.c): its
 * first write faults, and the point saves the page then. */
static int map(void *ctx, unsigned vm, uint64_t gfn, uint64_t frame, bool writable)
{
	uint64_t t0 = cost_begin(ctx);
	struct vm *v = &((struct sharing_ctx *)ctx)->vms[vm];
	bool w = writable && freeze_may_write(v, gfn);
	int r = ept_map(&v->ept, gfn << 12, frame, EPT_4K, w ? EPT_RWX : EPT_READ | EPT_EXECUTE);

	if (r == 0 && writable && !w)
		ept_withhold_write(&v->ept, gfn << 12);
	cost_end(ctx, SOP_MAP, t0);
	return r;
}

/* Not present, the tables kept (ept_clear): the cold tier unmaps pages of
 * a running VM, and a table freed before the engine's INVEPT could be
 * reused while another CPU's paging-structure cache still walks it; kept,
 * the page's fault-in maps it again without a table page.  Teardown
 * (ept_destroy) frees them all. */
static void unmap(void *ctx, unsigned vm, uint64_t gfn)
{
	uint64_t t0 = cost_begin(ctx);

	ept_clear(ept_of(ctx, vm), gfn << 12);
	cost_end(ctx, SOP_UNMAP, t0);
}

static int invalidate(void *ctx, unsigned vm)
{
	struct sharing_ctx *c = ctx;
	uint64_t t0 = cost_begin(c);
	int r = arch_ept_invalidate(ept_eptp(&c->vms[vm].ept), &c->vms[vm].ept_cpus);

	c->invalidations++;
	if (r)
		c->invalidations_failed++;
	cost_end(c, SOP_INVALIDATE, t0);
	return r;
}

/* The EPT entry's A and D flags (bits 8 and 9) in the engine's terms. */
static int accessed_dirty(void *ctx, unsigned vm, uint64_t gfn)
{
	uint64_t t0 = cost_begin(ctx);
	int r = ept_test_and_clear_ad(ept_of(ctx, vm), gfn << 12);

	cost_end(ctx, SOP_AD, t0);
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

/* What timing a call adds (sharing.c subtracts it from its figures): the
 * ticks between an op's two TSC reads of an empty call (*inside: in that
 * op's figure) and in all (*all: in the scan's), over 16 calls. */
void sharing_cost_overhead(struct sharing_ctx *c, uint64_t *inside, uint64_t *all)
{
	struct sharing_op_cost saved = c->cost;
	uint64_t t0, t1;
	unsigned i;

	c->cost.on = true;
	c->cost.ticks[SOP_AD] = c->cost.calls[SOP_AD] = 0;
	t0 = arch_time_now();
	for (i = 0; i < 16; i++) {
		uint64_t t = cost_begin(c);
		__asm__ volatile("" ::: "memory"); /* one call's body, empty */
		cost_end(c, SOP_AD, t);
	}
	t1 = arch_time_now();
	*inside = c->cost.ticks[SOP_AD] / 16;
	*all = (t1 - t0) / 16;
	c->cost = saved;
}
