/*
 * freeze.c - a measurement point's instant T, held while the guests run.
 *
 * A point (control/points.c) needs the fleet's memory as it was at one
 * instant T, for minutes of counting (the point engine, the recount), and
 * must not hold the guests that long (Linux reports an RCU stall after
 * 21 s).  So the contents are frozen at T, not the guests:
 *
 *   freeze   with every vCPU out of its guest: for each running VM, W
 *            cleared in the PDE of each 2 MiB region of its RAM (the CPU
 *            ANDs the permissions down the walk: 64 entries write-protect
 *            128 MiB; ept.c, ept_region_freeze), then one invalidate per
 *            VM.  O(VMs + regions), whatever the pages; the guests resume.
 *   thaw     a write into a frozen region faults (freeze_write, from
 *            kernel/upcall.c and before the hypervisor's own writes): the
 *            region is thawed - every leaf that may write loses W and is
 *            marked EPT_SW_WP, then the PDE gets W back - so that from then
 *            on each page faults on its own first write;
 *   save     a page's first write since T saves its content at T first -
 *            its content now, as nothing has written it since - into a
 *            frame of the point's (a zero page needs none, only its bit),
 *            and only then does the write go on (its W given back, or the
 *            COW break after);
 *   read     the T view of (vm, gfn) is that copy if one was saved, else
 *            the page's content now (freeze_read);
 *   end      the marked leaves and the regions get W back (raising a
 *            permission needs no invalidate), region by region in bounded
 *            steps; then the copies are freed.
 *
 * Why "not written since T" means "as at T": everything the engine does
 * to a page after T keeps its content - a merge maps it to a frame of the
 * same bytes (compared), a COW break copies them, the cold tier
 * compresses and decompresses them (checked), a fault-in brings them back
 * - and every write goes through a fault or freeze_write.  The one rule
 * that keeps it so: while a VM is held, no leaf of a thawed region may
 * become writable unless its page is saved: the engine's own writable
 * mappings (sharing_ops.c's map: a COW break's, a fault-in's, a merge
 * undone) ask freeze_may_write() and are made read-only and marked
 * instead (ept_withhold_write), so that the first write still faults.  In
 * a region still frozen they may be writable: the PDE denies the write,
 * and the thaw marks them.
 *
 * No frame for a copy (the pool at its reserve): the writer waits
 * (DEDUP_ENOMEM: VCPU_WAITING, retried every round, as the COW break's)
 * until frames come back - at the latest when the point ends.  A VM whose
 * memory goes back during the hold (it stopped) gives the hold up: the
 * readers would read freed frames.  A CPU that does not answer the
 * freeze's invalidation could go on writing through an old translation:
 * the hold is refused, nothing frozen.  A page that cannot be read when
 * it is saved (a compressed page failing its checksum) gives the hold up
 * too: its T content is lost.
 *
 * Cost: the freeze, 64 PDE writes and an invalidate per 128 MiB VM; a
 * thaw, 512 leaf reads and the writes of the writable ones, once per
 * region written during the hold; a save, a zero check and at most a 4 KiB
 * copy per page written; the end, 512 leaf reads per thawed region and a
 * PDE write per region.  Memory: a bit a page (4 KiB per 128 MiB VM) and
 * 16 B per copy in a hash table, besides the copies' frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "freeze.h"
#include "frames.h"
#include "sharing.h"
#include "vm.h"

extern struct frame_pool frames;

#define REGION (512 * 4096ull) /* the 2 MiB a PDE covers */

enum phase { IDLE, HOLDING, ENDING };

/* A copy: (vm, gfn) as key + 1 (0: empty), and its frame. */
struct copy {
	uint32_t key;
	uint64_t frame;
};

static struct {
	enum phase phase;
	struct {
		bool held;        /* in the hold: frozen at T, its memory still there */
		uint64_t npages;
		uint64_t *saved;  /* a bit a page: its T content saved */
	} vm[VM_MAX];
	struct copy *tab;     /* open addressing, linear probes */
	uint32_t mask, used;
	unsigned rvm;         /* the end's cursor: VM index and region */
	uint64_t rgpa;
	char why[160];        /* given up: why ("": not) */
	struct freeze_stats st;
} fz;

static const unsigned char zero_page[4096] __attribute__((aligned(4096)));

static uint32_t key_of(const struct vm *vm, uint64_t gfn)
{
	return ((uint32_t)vm->id << 24 | (uint32_t)gfn) + 1;
}

static uint32_t slot_of(uint32_t key, uint32_t mask)
{
	return (key * 2654435761u) & mask;
}

static struct copy *copy_find(uint32_t key)
{
	uint32_t i;
	if (!fz.tab)
		return NULL;
	for (i = slot_of(key, fz.mask); fz.tab[i].key; i = (i + 1) & fz.mask)
		if (fz.tab[i].key == key)
			return &fz.tab[i];
	return NULL;
}

/* Room for one more copy (the table at most half full).  0, or -1. */
static int copy_reserve(void)
{
	struct copy *t;
	uint32_t n, i;

	if (fz.tab && (fz.used + 1) * 2 <= fz.mask + 1)
		return 0;
	n = fz.tab ? (fz.mask + 1) * 2 : 256;
	t = calloc(n, sizeof(*t));
	if (!t)
		return -1;
	for (i = 0; fz.tab && i <= fz.mask; i++)
		if (fz.tab[i].key) {
			uint32_t j = slot_of(fz.tab[i].key, n - 1);
			while (t[j].key)
				j = (j + 1) & (n - 1);
			t[j] = fz.tab[i];
		}
	free(fz.tab);
	fz.tab = t;
	fz.mask = n - 1;
	return 0;
}

static bool held(const struct vm *vm)
{
	return fz.phase == HOLDING && vm->id < VM_MAX && fz.vm[vm->id].held;
}

static bool is_saved(const struct vm *vm, uint64_t gfn)
{
	return fz.vm[vm->id].saved[gfn / 64] >> (gfn % 64) & 1;
}

static bool keep_saved(void *ctx, uint64_t gpa)
{
	return is_saved(ctx, gpa >> 12);
}

/* Gives the hold up (the readers may no longer read): why is kept. */
static void give_up(const char *why)
{
	if (fz.phase != HOLDING)
		return;
	snprintf(fz.why, sizeof(fz.why), "%s", why);
	fz.phase = ENDING;
}

/* Every region of vm back as it was (the end, or a freeze undone). */
static void restore_vm(struct vm *vm)
{
	uint64_t gpa;
	for (gpa = 0; gpa < vm->npages * 4096; gpa += REGION) {
		int n = ept_region_restore(&vm->ept, gpa);
		if (n > 0)
			fz.st.restored += (uint64_t)n;
	}
}

static void forget_all(void)
{
	unsigned i;
	for (i = 0; fz.tab && i <= fz.mask; i++)
		if (fz.tab[i].key && frames_free(&frames, fz.tab[i].frame))
			printf("measure: a copy's frame 0x%lx was not the point's to free\n",
			       fz.tab[i].frame);
	free(fz.tab);
	fz.tab = NULL;
	fz.mask = fz.used = 0;
	for (i = 0; i < VM_MAX; i++) {
		free(fz.vm[i].saved);
		fz.vm[i].saved = NULL;
		fz.vm[i].held = false;
	}
	fz.phase = IDLE;
}

int freeze_begin(const char **why)
{
	unsigned i;
	uint64_t gpa;

	if (fz.phase != IDLE)
		return *why = "a point holds the contents already", -1;
	memset(&fz.st, 0, sizeof(fz.st));
	fz.why[0] = 0;
	fz.rvm = 0;
	fz.rgpa = 0;
	for (i = 0; i < nvms; i++) {
		struct vm *vm = &vms[i];
		if (!vm->in_engine || vm->stopped || vm->memory_held)
			continue;
		fz.vm[i].saved = calloc((vm->npages + 63) / 64, 8);
		if (!fz.vm[i].saved) {
			forget_all();
			return *why = "no memory for the bookkeeping of the pages written meanwhile", -1;
		}
		fz.vm[i].held = true;
		fz.vm[i].npages = vm->npages;
		fz.st.vms++;
	}
	fz.phase = HOLDING;
	for (i = 0; i < nvms; i++) {
		struct vm *vm = &vms[i];
		if (!fz.vm[i].held)
			continue;
		for (gpa = 0; gpa < vm->npages * 4096; gpa += REGION)
			fz.st.regions += ept_region_freeze(&vm->ept, gpa) == 0;
	}
	/* One invalidate per VM: after it, no CPU writes its RAM without a
	 * fault.  One that fails (a CPU that did not answer) could: T would
	 * not hold. */
	for (i = 0; i < nvms; i++)
		if (fz.vm[i].held &&
		    arch_ept_invalidate(ept_eptp(&vms[i].ept), &vms[i].ept_cpus)) {
			unsigned j;
			for (j = 0; j < nvms; j++)
				if (fz.vm[j].held)
					restore_vm(&vms[j]);
			forget_all();
			return *why = "a CPU did not answer the invalidation that freezes the contents", -1;
		}
	return 0;
}

bool freeze_active(void)
{
	return fz.phase != IDLE;
}

bool freeze_holding(const struct vm *vm)
{
	return held(vm);
}

const char *freeze_abandoned(void)
{
	return fz.why[0] ? fz.why : NULL;
}

/* Whether p is 4 KiB of zeros (word by word: the core is built without SSE). */
static bool page_zero(const void *p)
{
	const uint64_t *w = p;
	unsigned i;
	for (i = 0; i < 512; i += 8)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			return false;
	return true;
}

/* Saves (vm, gfn)'s content at T - its content now.  0, DEDUP_ENOMEM (no
 * frame or table room: nothing changed), or 1: it cannot be read (the hold
 * is given up). */
static int save(struct vm *vm, uint64_t gfn)
{
	const void *p = sharing_read_page(vm, gfn);
	struct copy *c;
	uint64_t f;

	if (!p) {
		char why[sizeof(fz.why)];
		snprintf(why, sizeof(why), "vm %s: its page at 0x%lx cannot be read (a compressed page "
			 "that fails its checksum): its content at the point's instant is lost", vm->name,
			 gfn << 12);
		give_up(why);
		return 1;
	}
	if (!page_zero(p)) {
		if (frames.nfree <= SHARING_RESERVE_FRAMES || copy_reserve() ||
		    frames_alloc(&frames, FRAME_KERNEL, &f)) {
			fz.st.waits++;
			return DEDUP_ENOMEM;
		}
		memcpy(phys_to_virt(f), p, 4096);
		for (c = &fz.tab[slot_of(key_of(vm, gfn), fz.mask)]; c->key;
		     c = &fz.tab[(uint32_t)(c - fz.tab + 1) & fz.mask])
			;
		c->key = key_of(vm, gfn);
		c->frame = f;
		fz.used++;
		fz.st.copies++;
	}
	fz.vm[vm->id].saved[gfn / 64] |= 1ull << (gfn % 64);
	fz.st.saved++;
	return 0;
}

int freeze_write(struct vm *vm, uint64_t gfn)
{
	uint64_t gpa = gfn << 12;
	struct ept_leaf l;
	int r;

	if (fz.phase == IDLE || vm->id >= VM_MAX || !fz.vm[vm->id].held || gfn >= vm->npages)
		return 0;
	if (fz.phase == HOLDING) {
		if (ept_region_state(&vm->ept, gpa) == EPT_REGION_FROZEN) {
			ept_region_thaw(&vm->ept, gpa, keep_saved, vm);
			fz.st.thawed++;
		}
		if (!is_saved(vm, gfn) && (r = save(vm, gfn)) < 0)
			return r;
	}
	if (fz.phase == ENDING) {
		/* The readers are done (or gave up): the region back at once. */
		r = ept_region_restore(&vm->ept, gpa);
		if (r > 0)
			fz.st.restored += (uint64_t)r;
	}
	ept_return_write(&vm->ept, gpa);
	return ept_lookup(&vm->ept, gpa, &l) == 0 && (l.perms & EPT_WRITE);
}

bool freeze_may_write(const struct vm *vm, uint64_t gfn)
{
	if (!held(vm) || gfn >= vm->npages || is_saved(vm, gfn) ||
	    ept_region_state(&vm->ept, gfn << 12) == EPT_REGION_FROZEN)
		return true;
	fz.st.withheld++;
	return false;
}

void freeze_vm_gone(struct vm *vm)
{
	char why[sizeof(fz.why)];

	if (fz.phase == IDLE || vm->id >= VM_MAX || !fz.vm[vm->id].held)
		return;
	snprintf(why, sizeof(why), "vm %s stopped during the point: its memory went back", vm->name);
	give_up(why);
	fz.vm[vm->id].held = false; /* its EPT goes: the end does not touch it */
}

const void *freeze_read(struct vm *vm, uint64_t gfn, void *buf)
{
	const struct copy *c;

	if (!held(vm) || gfn >= vm->npages)
		return NULL;
	if (!is_saved(vm, gfn))
		return dedup_page_read(engine, vm->id, gfn, buf);
	c = copy_find(key_of(vm, gfn));
	return c ? phys_to_virt(c->frame) : zero_page;
}

void freeze_release(void)
{
	if (fz.phase == HOLDING)
		fz.phase = ENDING;
}

bool freeze_restore_step(uint64_t max_regions)
{
	if (fz.phase == IDLE)
		return true;
	freeze_release();
	while (max_regions && fz.rvm < VM_MAX) {
		struct vm *vm = &vms[fz.rvm];
		int n;
		if (fz.rvm >= nvms || !fz.vm[fz.rvm].held || fz.rgpa >= vm->npages * 4096) {
			fz.rvm++;
			fz.rgpa = 0;
			continue;
		}
		n = ept_region_restore(&vm->ept, fz.rgpa);
		if (n > 0)
			fz.st.restored += (uint64_t)n;
		fz.rgpa += REGION;
		max_regions--;
	}
	if (fz.rvm < VM_MAX)
		return false;
	forget_all();
	return true;
}

const struct freeze_stats *freeze_stats(void)
{
	return &fz.st;
}
