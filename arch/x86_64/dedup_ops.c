/*
 * dedup_ops.c - the machine under the dedup engine, in the hypervisor.
 *
 * Frames are physical addresses, reached through the identity map.  Guest
 * frames come from the frame allocator but never its last reserve_frames:
 * those stay for the hypervisor itself (EPT tables, VMCS, heap growth), so
 * a guest that exhausts memory cannot starve the hypervisor.  Mappings go
 * through the VM's EPT (ept/); invalidation is INVEPT single-context for
 * the VM's EPTP - all cached guest-physical and combined translations of
 * that VM, whatever the VPID, here, and on every other online CPU by IPI,
 * waiting for each to acknowledge (smp.c).
 */
#include <stdio.h>

#include "../../dedup/dedup_ops.h"
#include "percpu.h"
#include "vmx.h"
#include "../../kernel/frames.h"
#include "../../kernel/vm.h"

extern struct frame_pool frames;

uint64_t reserve_frames = 256; /* 1 MiB kept for the hypervisor */
uint64_t invept_count;

static void *frame_ptr(void *ctx, uint64_t frame)
{
	(void)ctx;
	return (void *)(uintptr_t)frame;
}

static int frame_alloc(void *ctx, uint64_t *frame)
{
	(void)ctx;
	if (frames.nfree <= reserve_frames)
		return -1;
	return frames_alloc(&frames, FRAME_GUEST, frame);
}

static void frame_free(void *ctx, uint64_t frame)
{
	(void)ctx;
	if (frames_free(&frames, frame))
		printf("dedup: frame 0x%lx freed twice (an engine bug)\n", frame);
}

static int lookup(void *ctx, unsigned vm, uint64_t gfn, uint64_t *frame)
{
	struct ept_leaf l;
	(void)ctx;
	if (ept_lookup(&vms[vm].ept, gfn << 12, &l))
		return -1;
	*frame = l.hpa;
	return 0;
}

static int map(void *ctx, unsigned vm, uint64_t gfn, uint64_t frame, bool writable)
{
	(void)ctx;
	return ept_map(&vms[vm].ept, gfn << 12, frame, EPT_4K,
		       writable ? EPT_RWX : EPT_READ | EPT_EXECUTE);
}

static void unmap(void *ctx, unsigned vm, uint64_t gfn)
{
	(void)ctx;
	ept_unmap(&vms[vm].ept, gfn << 12);
}

static void invalidate(void *ctx, unsigned vm)
{
	(void)ctx;
	invept_everywhere(ept_eptp(&vms[vm].ept));
	invept_count++;
}

static int dirty(void *ctx, unsigned vm, uint64_t gfn)
{
	(void)ctx;
	return ept_test_and_clear_dirty(&vms[vm].ept, gfn << 12) == 1;
}

const struct dedup_ops hv_dedup_ops = {
	frame_ptr, frame_alloc, frame_free, lookup, map, unmap, invalidate, dirty, NULL,
};
