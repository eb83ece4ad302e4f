/*
 * fake_mem.c - host memory, EPT and TLB for the dedup engine's tests (see .h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_mem.h"

static void die(const char *what, uint64_t a, uint64_t b)
{
	fprintf(stderr, "fake_mem: %s (%llu, %llu)\n", what, (unsigned long long)a,
		(unsigned long long)b);
	abort();
}

static void record(struct fake_mem *m, enum fake_op op, unsigned vm, uint64_t gfn, uint64_t frame)
{
	if (!m->logging)
		return;
	if (m->nlog == m->log_cap) {
		m->log_cap = m->log_cap ? m->log_cap * 2 : 1024;
		m->log = realloc(m->log, m->log_cap * sizeof(*m->log));
		if (!m->log)
			die("out of memory for the log", 0, 0);
	}
	m->log[m->nlog++] = (struct fake_event){ op, vm, gfn, frame };
}

void fake_init(struct fake_mem *m, uint64_t nframes, bool ad_bits)
{
	memset(m, 0, sizeof(*m));
	m->nframes = nframes;
	/* 2 MiB-aligned and a whole number of 2 MiB pages, so that a tool can
	 * ask for huge pages over all of it (madvise needs an aligned start). */
	m->arena = aligned_alloc(1u << 21, (nframes * 4096 + (1u << 21) - 1) & ~(uint64_t)((1u << 21) - 1));
	m->free_stack = malloc(nframes * sizeof(uint64_t));
	m->allocated = calloc(nframes, 1);
	m->mapcount = calloc(nframes, sizeof(uint32_t));
	if (!m->arena || !m->free_stack || !m->allocated || !m->mapcount)
		die("out of memory", nframes, 0);
	for (uint64_t i = 0; i < nframes; i++)
		m->free_stack[m->nfree++] = nframes - 1 - i;
	m->ad_bits = ad_bits;
	m->poison = true;
	m->alloc_budget = -1;
}

void fake_fini(struct fake_mem *m)
{
	for (unsigned v = 0; v < FAKE_MAX_VMS; v++) {
		free(m->vm[v].ept);
		free(m->vm[v].tlb);
	}
	free(m->arena);
	free(m->free_stack);
	free(m->allocated);
	free(m->mapcount);
	free(m->log);
	memset(m, 0, sizeof(*m));
}

void *fake_frame_ptr(struct fake_mem *m, uint64_t frame)
{
	if (frame >= m->nframes || !m->allocated[frame])
		die("frame_ptr on a frame not allocated", frame, 0);
	return m->arena + frame * 4096;
}

static struct fake_pte *pte(struct fake_mem *m, unsigned vm, uint64_t gfn)
{
	if (vm >= FAKE_MAX_VMS || !m->vm[vm].ept || gfn >= m->vm[vm].npages)
		die("bad vm/gfn", vm, gfn);
	return &m->vm[vm].ept[gfn];
}

/* ---- dedup_ops ---- */

static void *op_frame_ptr(void *ctx, uint64_t frame)
{
	struct fake_mem *m = ctx;
	record(m, EV_PTR, 0, 0, frame);
	return fake_frame_ptr(m, frame);
}

static int op_frame_alloc(void *ctx, uint64_t *frame)
{
	struct fake_mem *m = ctx;
	if (m->alloc_budget == 0 || m->nfree == 0)
		return -1;
	if (m->alloc_budget > 0)
		m->alloc_budget--;
	*frame = m->free_stack[--m->nfree];
	m->allocated[*frame] = 1;
	if (m->poison)
		memset(m->arena + *frame * 4096, 0xA5, 4096); /* contents undefined */
	m->n_alloc++;
	record(m, EV_ALLOC, 0, 0, *frame);
	return 0;
}

/* A valid cached translation to frame (a writable one only, if writable),
 * other than (vm, gfn)'s own; 1 if there is one. */
static int cached_elsewhere(const struct fake_mem *m, uint64_t frame, bool writable, unsigned vm,
			    uint64_t gfn)
{
	for (unsigned v = 0; v < FAKE_MAX_VMS; v++) {
		const struct fake_vm *x = &m->vm[v];
		for (uint64_t g = 0; x->tlb && g < x->npages; g++) {
			const struct fake_tlbe *t = &x->tlb[g];
			if (t->gen == x->tlb_gen && t->frame == frame && (t->writable || !writable) &&
			    !(v == vm && g == gfn))
				return 1;
		}
	}
	return 0;
}

static void op_frame_free(void *ctx, uint64_t frame)
{
	struct fake_mem *m = ctx;
	if (frame >= m->nframes || !m->allocated[frame])
		die("double free or stray frame", frame, 0);
	if (m->check_stale && cached_elsewhere(m, frame, false, ~0u, 0))
		die("freeing a frame that a cached translation still reaches", frame, 0);
	if (m->mapcount[frame])
		die("freeing a frame that is still mapped (frame, mappings)", frame, m->mapcount[frame]);
	m->allocated[frame] = 0;
	if (m->poison)
		memset(m->arena + frame * 4096, 0xDD, 4096); /* stale readers see it */
	m->free_stack[m->nfree++] = frame;
	m->n_free++;
	record(m, EV_FREE, 0, 0, frame);
}

static int op_lookup(void *ctx, unsigned vm, uint64_t gfn, uint64_t *frame)
{
	struct fake_pte *e = pte(ctx, vm, gfn);
	if (!e->present)
		return -1;
	*frame = e->frame;
	return 0;
}

static int op_map(void *ctx, unsigned vm, uint64_t gfn, uint64_t frame, bool writable)
{
	struct fake_mem *m = ctx;
	struct fake_pte *e = pte(m, vm, gfn);
	if (m->on_map)
		m->on_map(m, vm, gfn, writable, m->on_invalidate_arg);
	if (!e->present && m->fail_new_maps)
		return -1;
	if (frame >= m->nframes || !m->allocated[frame])
		die("mapping a frame not allocated", frame, gfn);
	if (m->check_stale && !writable && cached_elsewhere(m, frame, true, vm, gfn))
		die("sharing a frame that a cached writable translation still reaches", frame, gfn);
	if (e->present)
		m->mapcount[e->frame]--;
	m->mapcount[frame]++;
	*e = (struct fake_pte){ .frame = frame, .present = true, .writable = writable }; /* A, D clear */
	m->n_map++;
	record(m, writable ? EV_MAP_RW : EV_MAP_RO, vm, gfn, frame);
	return 0;
}

static void op_unmap(void *ctx, unsigned vm, uint64_t gfn)
{
	struct fake_mem *m = ctx;
	struct fake_pte *e = pte(m, vm, gfn);
	if (m->on_unmap)
		m->on_unmap(m, vm, gfn, m->on_invalidate_arg);
	if (e->present)
		m->mapcount[e->frame]--;
	*e = (struct fake_pte){ 0 };
	record(m, EV_UNMAP, vm, gfn, 0);
}

static int op_invalidate(void *ctx, unsigned vm)
{
	struct fake_mem *m = ctx;
	if (m->on_invalidate)
		m->on_invalidate(m, vm, m->on_invalidate_arg);
	m->n_invalidate++;
	record(m, EV_INVALIDATE, vm, 0, 0);
	if (m->fail_invalidate && m->fail_invalidate(m, vm, m->fail_invalidate_arg))
		return -1;
	m->vm[vm].tlb_gen++;
	return 0;
}

static int op_ad(void *ctx, unsigned vm, uint64_t gfn)
{
	struct fake_mem *m = ctx;
	struct fake_pte *e = pte(m, vm, gfn);
	int ad = (e->accessed ? DEDUP_AD_ACCESSED : 0) | (e->dirty ? DEDUP_AD_DIRTY : 0);
	e->accessed = e->dirty = false;
	record(m, EV_AD, vm, gfn, (uint64_t)ad);
	return ad;
}

struct dedup_ops fake_ops(struct fake_mem *m)
{
	struct dedup_ops o = { op_frame_ptr, op_frame_alloc, op_frame_free, op_lookup, op_map,
			       op_unmap, op_invalidate, m->ad_bits ? op_ad : NULL, m, NULL };
	return o;
}

/* ---- VMs and guest accesses ---- */

void fake_vm_create(struct fake_mem *m, unsigned vm, uint64_t npages)
{
	struct fake_vm *v = &m->vm[vm];
	if (v->ept)
		die("vm exists", vm, 0);
	v->npages = npages;
	v->tlb_gen = 1; /* calloc'd entries (gen 0) start invalid */
	v->ept = calloc(npages, sizeof(*v->ept));
	v->tlb = calloc(npages, sizeof(*v->tlb));
}

void fake_vm_destroy(struct fake_mem *m, unsigned vm)
{
	struct fake_vm *v = &m->vm[vm];
	for (uint64_t g = 0; g < v->npages; g++)
		if (v->ept[g].present) {
			uint64_t f = v->ept[g].frame;
			v->ept[g].present = false;
			if (--m->mapcount[f] == 0)
				op_frame_free(m, f);
		}
	free(v->ept);
	free(v->tlb);
	memset(v, 0, sizeof(*v));
}

void fake_vm_populate(struct fake_mem *m, unsigned vm,
		      void (*fill)(unsigned vm, uint64_t gfn, void *page, void *arg), void *arg)
{
	struct fake_vm *v = &m->vm[vm];
	int64_t budget = m->alloc_budget; /* the harness's own memory: not rationed */
	m->alloc_budget = -1;
	for (uint64_t g = 0; g < v->npages; g++) {
		uint64_t f;
		if (op_frame_alloc(m, &f))
			die("populate: out of frames", vm, g);
		fill(vm, g, m->arena + f * 4096, arg);
		op_map(m, vm, g, f, true);
	}
	m->alloc_budget = budget;
}

/* The translation a guest access uses: the cached one, else a walk; NULL
 * when the entry is not present (an EPT violation: nothing is cached).
 * set_a: the walk sets A, as a CPU's does (a harness's peek does not). */
static struct fake_tlbe *translate_a(struct fake_mem *m, unsigned vm, uint64_t gfn, bool set_a)
{
	struct fake_tlbe *t = &m->vm[vm].tlb[gfn];
	if (t->gen != m->vm[vm].tlb_gen) {
		struct fake_pte *e = pte(m, vm, gfn);
		if (!e->present)
			return NULL;
		if (set_a)
			e->accessed = true; /* the walk that caches it sets A */
		*t = (struct fake_tlbe){ e->frame, m->vm[vm].tlb_gen, e->writable, e->dirty };
	}
	return t;
}

static struct fake_tlbe *translate(struct fake_mem *m, unsigned vm, uint64_t gfn)
{
	return translate_a(m, vm, gfn, true);
}

int fake_guest_write(struct fake_mem *m, unsigned vm, uint64_t gfn, unsigned off,
		     const void *src, unsigned len)
{
	struct fake_tlbe *t = translate(m, vm, gfn);
	if (!t)
		return -1;
	if (!t->writable) {
		t->gen = 0; /* an EPT violation drops the faulting translation */
		return -1;
	}
	if (!t->dirty) { /* the walk that caches D=1 sets it in the EPT entry */
		struct fake_pte *e = pte(m, vm, gfn);
		if (e->present && e->frame == t->frame)
			e->dirty = true;
		t->dirty = true;
	}
	if (!m->allocated[t->frame])
		die("guest write to a freed frame through a stale translation", vm, gfn);
	memcpy(m->arena + t->frame * 4096 + off, src, len);
	return 0;
}

int fake_guest_read(struct fake_mem *m, unsigned vm, uint64_t gfn, unsigned off,
		    void *dst, unsigned len)
{
	struct fake_tlbe *t = translate(m, vm, gfn);
	if (!t)
		return -1;
	if (!m->allocated[t->frame])
		die("guest read of a freed frame through a stale translation", vm, gfn);
	memcpy(dst, m->arena + t->frame * 4096 + off, len);
	return 0;
}

int fake_guest_peek(struct fake_mem *m, unsigned vm, uint64_t gfn, unsigned off,
		    void *dst, unsigned len)
{
	struct fake_tlbe *t = translate_a(m, vm, gfn, false);
	if (!t)
		return -1;
	if (!m->allocated[t->frame])
		die("peek at a freed frame through a stale translation", vm, gfn);
	memcpy(dst, m->arena + t->frame * 4096 + off, len);
	return 0;
}

void fake_tlb_evict(struct fake_mem *m, unsigned vm, uint64_t gfn)
{
	m->vm[vm].tlb[gfn].gen = 0;
}

uint64_t fake_frames_in_use(const struct fake_mem *m)
{
	return m->nframes - m->nfree;
}

uint64_t fake_count(const struct fake_mem *m, enum fake_op op, unsigned vm)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < m->nlog; i++)
		if (m->log[i].op == op && (vm == ~0u || m->log[i].vm == vm))
			n++;
	return n;
}

void fake_log_clear(struct fake_mem *m)
{
	m->nlog = 0;
}

long fake_find_back(const struct fake_mem *m, long before, enum fake_op op, unsigned vm, uint64_t gfn,
		    uint64_t frame)
{
	for (long i = before; i >= 0; i--) {
		const struct fake_event *e = &m->log[i];
		if (e->op == op && (vm == ~0u || e->vm == vm) && (gfn == ~0ull || e->gfn == gfn) &&
		    (frame == ~0ull || e->frame == frame))
			return i;
	}
	return -1;
}
