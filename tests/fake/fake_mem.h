/*
 * fake_mem.h - the host's implementation of dedup_ops: memory, EPT and TLB.
 *
 * Frames are 4 KiB slots of one malloc'd arena.  Each VM has a fake EPT
 * (per gfn: frame, writable, dirty) and a fake TLB that caches
 * translations the way a CPU may: a guest access uses the cached
 * translation if there is one, so a missing invalidate() shows up as a
 * stale read or a write to the wrong frame.  Guest accesses that hit a
 * read-only mapping report a fault, as an EPT violation would.
 *
 * Every ops call can be recorded in an event log (for ordering tests) and
 * frame allocation or first mappings can be made to fail.
 */
#ifndef FAKE_MEM_H
#define FAKE_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "dedup_ops.h"

enum fake_op { EV_ALLOC, EV_FREE, EV_MAP_RO, EV_MAP_RW, EV_UNMAP, EV_INVALIDATE,
	       EV_PTR, EV_AD };

struct fake_event {
	enum fake_op op;
	unsigned vm;
	uint64_t gfn, frame;
};

/* accessed and dirty as EPT A/D: accessed is set by the walk that caches a
 * translation, dirty by the first write through a cached translation that
 * does not have it yet; neither again while that translation is cached. */
struct fake_pte { uint64_t frame; bool present, writable, dirty, accessed; };
/* A cached translation is valid while its gen equals the VM's tlb_gen:
 * invalidate() bumps tlb_gen, dropping them all in O(1). */
struct fake_tlbe { uint64_t frame; uint64_t gen; bool writable, dirty; };

struct fake_vm {
	uint64_t npages;
	struct fake_pte *ept;
	struct fake_tlbe *tlb;
	uint64_t tlb_gen;
};

#define FAKE_MAX_VMS 63

struct fake_mem {
	unsigned char *arena;
	uint64_t nframes;
	uint64_t *free_stack, nfree;
	uint8_t *allocated;       /* per frame */
	uint32_t *mapcount;       /* per frame: EPT entries pointing at it */
	struct fake_vm vm[FAKE_MAX_VMS];
	bool ad_bits;             /* offer test_and_clear_ad */
	bool poison;              /* fill allocated/freed frames with a pattern (default) */
	int64_t alloc_budget;     /* <0: unlimited; else allocations left */
	bool fail_new_maps;       /* first mappings fail (EPT table exhaustion) */
	/* Called at the start of each invalidate(), before it takes effect:
	 * lets a test write "through a stale TLB entry" at the worst moment. */
	void (*on_invalidate)(struct fake_mem *m, unsigned vm, void *arg);
	void *on_invalidate_arg;
	/* Called by each invalidate(); non-zero makes it fail, as when a CPU
	 * does not answer: the VM's cached translations stay valid and
	 * invalidate() returns -1.  NULL: never fails. */
	int (*fail_invalidate)(struct fake_mem *m, unsigned vm, void *arg);
	void *fail_invalidate_arg;
	/* Checks that a failed invalidate must make hold (slow: every TLB is
	 * searched): no frame is freed while a valid cached translation
	 * reaches it, and none is mapped read-only (shared) while a valid
	 * writable one of another page does. */
	bool check_stale;
	/* Called at the start of each map(), before the entry changes. */
	void (*on_map)(struct fake_mem *m, unsigned vm, uint64_t gfn, bool writable, void *arg);
	/* Called at the start of each unmap(), before the entry goes. */
	void (*on_unmap)(struct fake_mem *m, unsigned vm, uint64_t gfn, void *arg);
	/* Event log. */
	bool logging;
	struct fake_event *log;
	uint64_t nlog, log_cap;
	uint64_t n_invalidate, n_alloc, n_free, n_map;
};

void fake_init(struct fake_mem *m, uint64_t nframes, bool ad_bits);
void fake_fini(struct fake_mem *m);
struct dedup_ops fake_ops(struct fake_mem *m);

void fake_vm_create(struct fake_mem *m, unsigned vm, uint64_t npages);
/* Unmaps everything; frees the frames no other VM maps (what dedup_vm_remove
 * left mapped: the VM's private frames). */
void fake_vm_destroy(struct fake_mem *m, unsigned vm);
/* Gives every gfn a private writable frame filled by fill(gfn, page). */
void fake_vm_populate(struct fake_mem *m, unsigned vm,
		      void (*fill)(unsigned vm, uint64_t gfn, void *page, void *arg), void *arg);

/* Guest accesses through TLB and EPT.  Return 0, or -1 for a fault (an EPT
 * violation: a write to a read-only mapping, whose TLB entry is dropped as
 * the CPU does, or any access to a gfn not present - a page the engine's
 * cold tier compressed; not-present entries are never cached). */
int fake_guest_write(struct fake_mem *m, unsigned vm, uint64_t gfn, unsigned off,
		     const void *src, unsigned len);
int fake_guest_read(struct fake_mem *m, unsigned vm, uint64_t gfn, unsigned off,
		    void *dst, unsigned len);
/* A test's own read of guest memory through the same TLB and EPT (so a
 * stale translation still shows), which sets no accessed bit: checking
 * every page after every operation must not make every page look used. */
int fake_guest_peek(struct fake_mem *m, unsigned vm, uint64_t gfn, unsigned off,
		    void *dst, unsigned len);
/* Drops one cached translation (the CPU may do so at any time). */
void fake_tlb_evict(struct fake_mem *m, unsigned vm, uint64_t gfn);

uint64_t fake_frames_in_use(const struct fake_mem *m);
void *fake_frame_ptr(struct fake_mem *m, uint64_t frame);
/* Counts log events of one kind (vm ~0u: any). */
uint64_t fake_count(const struct fake_mem *m, enum fake_op op, unsigned vm);
void fake_log_clear(struct fake_mem *m);
/* Index of the last log event at or before `before` of kind op (and vm,
 * gfn, frame where not ~0); -1 if none. */
long fake_find_back(const struct fake_mem *m, long before, enum fake_op op, unsigned vm, uint64_t gfn,
		    uint64_t frame);

#endif
