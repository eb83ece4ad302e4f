/*
 * sharing_audit.c - dedup.audit = 1: after every full scan, every page of
 * every VM checked against what the engine holds it to be.
 *
 * The engine's model test and its fuzzers check the merge protocol against
 * a model of the machine; this checks the machine itself, live: the EPT
 * entries the guests run on and the frame pool.  It runs under the
 * hypervisor lock (the guests on other CPUs go on; exits wait), O(pages):
 * a debugging and teaching aid, off by default.  For each page
 * (dedup_page_view):
 *
 *   private   mapped, by a frame no other page maps;
 *   shared    mapped read-only to its shared frame (not mapped at all in a
 *             same-behaviour domain), and that frame still holds the
 *             content the stable index keys it by (hashed once per frame);
 *   absent    (compressed or patched) not mapped;
 *
 * and every frame a page maps is a guest frame in the pool's metadata
 * (never free, never an EPT table or the hypervisor's).  A frame that two
 * pages map must be a shared one, and no mapping of it writable.  What it
 * finds is printed, the first AUDIT_SAY problems of each audit a line each,
 * and counted (the summary).  It found nothing in the five-VM Linux fleet
 * whose processes crashed because CR2 was not switched (arch/x86_64/
 * vcpu.c): the guests' memory was right; their CPU state was not.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "ept.h"
#include "ept_bits.h"
#include "sharing.h"
#include "sharing_audit.h"

#define AUDIT_SAY 8
#define MAPPED_MASK 0x7F /* a frame's count of mappings, saturating */
#define HASHED      0x80 /* its content was checked in this audit */

static uint8_t *per_frame;   /* frames.npfn bytes: mappings, HASHED */
static uint64_t audits, problems_all;

static void problem(unsigned *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(unsigned *n, const char *fmt, ...)
{
	char line[160];
	va_list ap;

	problems_all++;
	if ((*n)++ >= AUDIT_SAY)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("dedup: audit: problem: %s\n", line);
}

int sharing_audit_init(const struct frame_pool *fp)
{
	per_frame = malloc(fp->npfn ? fp->npfn : 1);
	if (!per_frame)
		return printf("dedup: audit: no memory for %lu frames' counts: no audit\n", fp->npfn), -1;
	printf("dedup: audit after every full scan: every page against the EPT and the frame pool "
	       "(dedup.audit = 1)\n");
	return 0;
}

/* The page's mapping (perms 0: none) into *l. */
static bool mapped(struct vm *vm, uint64_t gfn, struct ept_leaf *l)
{
	return ept_lookup(&vm->ept, gfn << 12, l) == 0 && (l->perms & EPT_RWX);
}

/* One page of pass 1: its mapping against its view; the frame counted. */
static void check_view(const struct frame_pool *fp, struct vm *vm, uint64_t g,
		       const struct dedup_page_view *pv, unsigned *n)
{
	struct ept_leaf l;
	bool m = mapped(vm, g, &l);
	const struct frame *meta;
	uint8_t *c;

	if (m != (pv->kind == DEDUP_VIEW_PRIVATE || (pv->kind == DEDUP_VIEW_SHARED && pv->mapped))) {
		problem(n, "vm %s gfn 0x%lx: %s, but %s", vm->name, g,
			pv->kind == DEDUP_VIEW_PRIVATE ? "private" :
			pv->kind == DEDUP_VIEW_SHARED ? "shared" : "compressed or patched",
			m ? "mapped" : "not mapped");
		return;
	}
	if (!m)
		return;
	if (pv->kind == DEDUP_VIEW_SHARED && ((l.hpa & ~0xFFFull) != pv->frame || (l.perms & EPT_WRITE)))
		problem(n, "vm %s gfn 0x%lx: shared frame 0x%lx, but mapped to 0x%lx with permissions %lx",
			vm->name, g, pv->frame, l.hpa, l.perms);
	meta = frames_meta((struct frame_pool *)fp, l.hpa & ~0xFFFull);
	if (!meta || meta->state != FRAME_GUEST) {
		problem(n, "vm %s gfn 0x%lx: maps 0x%lx, a frame in state %d, not a guest's", vm->name, g,
			l.hpa, meta ? (int)meta->state : -1);
		return;
	}
	c = &per_frame[(l.hpa >> 12) - fp->base_pfn];
	if ((*c & MAPPED_MASK) < MAPPED_MASK)
		(*c)++;
}

/* One page of pass 2: a frame mapped twice is a shared one, read-only
 * everywhere (pass 1); each shared frame holds its content (hashed once).
 * Returns 1 when it hashed a frame. */
static unsigned check_frame(const struct frame_pool *fp, struct vm *vm, uint64_t g,
			    const struct dedup_page_view *pv, unsigned *n)
{
	struct ept_leaf l;
	const struct frame *meta;
	const void *page;
	uint8_t *c;

	if (!mapped(vm, g, &l))
		return 0;
	meta = frames_meta((struct frame_pool *)fp, l.hpa & ~0xFFFull);
	if (!meta || meta->state != FRAME_GUEST)
		return 0; /* said in pass 1 */
	c = &per_frame[(l.hpa >> 12) - fp->base_pfn];
	if ((*c & MAPPED_MASK) > 1 && pv->kind == DEDUP_VIEW_PRIVATE)
		problem(n, "vm %s gfn 0x%lx: private (permissions %lx), but its frame 0x%lx is mapped %u "
			"times", vm->name, g, l.perms, l.hpa, *c & MAPPED_MASK);
	if (pv->kind != DEDUP_VIEW_SHARED || (*c & HASHED))
		return 0;
	*c |= HASHED;
	page = phys_to_virt(l.hpa & ~0xFFFull);
	if (pv->zero ? !dedup_page_zero(page) : (uint32_t)dedup_page_hash(page) != pv->csum)
		problem(n, "vm %s gfn 0x%lx: shared frame 0x%lx no longer holds its content%s", vm->name, g,
			l.hpa, pv->zero ? " (zeros)" : "");
	return 1;
}

/* Every page the engine tracks, through pass 1 (second = false) or 2;
 * returns the pages (pass 1) or the shared frames hashed (pass 2). */
static uint64_t walk(const struct frame_pool *fp, struct vm *vm_list, unsigned n_vms, bool second,
		     unsigned *n)
{
	uint64_t count = 0, g;
	unsigned i;

	for (i = 0; i < n_vms; i++) {
		struct vm *vm = &vm_list[i];
		for (g = 0; vm->in_engine && g < vm->npages; g++) {
			struct dedup_page_view pv;

			if (dedup_page_view(engine, vm->id, g, &pv))
				continue;
			if (second) {
				count += check_frame(fp, vm, g, &pv, n);
			} else {
				check_view(fp, vm, g, &pv, n);
				count++;
			}
		}
	}
	return count;
}

void sharing_audit(const struct frame_pool *fp, struct vm *vm_list, unsigned n_vms, uint64_t full_scans)
{
	unsigned n = 0;
	uint64_t pages, frames;

	if (!per_frame)
		return;
	memset(per_frame, 0, fp->npfn);
	pages = walk(fp, vm_list, n_vms, false, &n);
	frames = walk(fp, vm_list, n_vms, true, &n);
	audits++;
	printf("dedup: audit after full scan %lu: %lu pages, %lu shared frames' content checked, "
	       "%u problems\n", full_scans, pages, frames, n);
}

void sharing_audit_summary(void)
{
	if (per_frame)
		printf("summary: dedup audits: %lu, %lu problems in all\n", audits, problems_all);
}
