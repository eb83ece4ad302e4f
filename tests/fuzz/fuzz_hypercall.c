/*
 * fuzz_hypercall.c - the hypercall layer over the real core: hostile guests
 * against kernel/hypercall.c, vm.c, sharing.c, sharing_ops.c, upcall.c's
 * EPT-violation entry, frames.c, ept/ and dedup/, with a checker of every
 * VM's memory.
 *
 * The machine under them: a frame pool (kernel/frames.c) over a malloc'd
 * arena whose addresses serve as physical ones (phys_to_virt is the
 * identity, as in the hypervisor), the arch seam of tests/fake/fake_arch.c,
 * and per vCPU a fake TLB: a guest access uses the translation its vCPU
 * cached, else walks the EPT (setting the dirty bit on a write, as the CPU
 * does), and arch_ept_invalidate() drops the cached translations of every
 * vCPU of the VM whose EPTP it names.  A guest write through a read-only
 * translation is an EPT violation: core_guest_mem_fault() (kernel/upcall.c,
 * the function arch/x86_64/vmexit.c calls), then the write again.
 *
 * Feeds: u8 setup (bit 0: a third VM; bit 1: the fixed scan rate, with
 * u8 pages_to_scan - 1 next, else the governor; bit 2: the cold tier on,
 * a 16-frame pool, pages cold after 20,000 ticks of the fake clock, and
 * page contents that compress; bit 3: measurement points, the operation
 * OP_POINT), then per VM u8 pages, u8
 * shape, u8 image, u8 seed (encoding at make_vms), then operations until the
 * input ends (at most MAX_OPS): an opcode byte, a VM slot byte, and the
 * operation's arguments (encoding below the enum).  The VMs are built by
 * vm_create() from an image of pages that repeat within and across VMs,
 * zero pages and unique ones, with lazily zero pages after the image.
 *
 * Checks, after every operation: every running VM's RAM, read through its
 * EPT (a page the cold tier compressed, not present there, through
 * sharing_read_page, and no vCPU may hold a translation of it), equals a
 * shadow copy byte for byte, and so does what each of its vCPUs would read
 * through the translations it cached (none may be writable where the EPT
 * is not); a guest read or write of a compressed page faults it back
 * through core_guest_mem_fault; each maps frames the pool holds as
 * guest frames; its parameter page is mapped read-only and unchanged.  The
 * shadow changes only by guest writes that completed and by the bytes of
 * struct hc_counters that a successful HC_QUERY_COUNTERS writes at its
 * pointer (each of whose fields must be the value documented).  Each
 * hypercall's result is the one docs/hypercalls.md gives for its
 * arguments: a pointer or length outside RAM, straddling its end, too long
 * or too short gets HC_EFAULT / HC_EINVAL with no byte written and no frame
 * taken; HC_ENOMEM only when the pool was down to the engine's reserve,
 * and with nothing written; a Linux VM gets #UD.  A stopped VM (powered
 * off, stray access, over its limit, or stopped) gives its memory back,
 * and the others read as before.  No kernel message reports a double free,
 * a leak or a failed COW break.  At the end, with frames plentiful: the
 * engine converges (sharing_converge), and its frames_saved, self- and
 * inter-VM sharing equal dedup_recount() over the shadow copies, domain by
 * domain, and sharing_converge_and_check() says "exact"; after every VM is
 * stopped, the only frames in use are the domains' zero frames.
 *
 * Measurement points (kernel/freeze.c, control/point_run.c), with setup
 * bit 3: a point begins (the contents of every running VM held at that
 * instant T, as control/points.c begins one), counts in steps of the fake
 * clock between the other operations, is checked, and gives the regions
 * back in steps.  While it holds them: what freeze_read() gives for every
 * page of a held VM is the page's content at T (a copy of the shadows
 * taken then) whatever the guests, the hypervisor and the engine did
 * since; no vCPU holds a writable translation the walk's permissions -
 * every level's, ANDed - deny.  When it is done: its engine's savings
 * (self, inter) and each VM's PSS and exclusive frames equal
 * dedup_recount() over the T shadows, and so do the recount's own figures;
 * a VM stopped meanwhile gave it up.  Once over: no EPT entry is left
 * frozen or withheld, and check_vm's reads of every byte equal what the
 * guests wrote (before, during and after the point).
 *
 * Kernel output (printf) is captured into a buffer and searched, not
 * printed; FUZZ_TRACE=1 in the environment prints it, and each operation,
 * to stderr.
 */
#include <stdbool.h>
#include <string.h>

#include "console_out.h"
#include "dedup_internal.h"
#include "fake_arch.h"
#include "frames.h"
#include "freeze.h"
#include "fuzz_common.h"
#include "guest_abi.h"
#include "linux_vm.h"
#include "lock.h"
#include "point_run.h"
#include "recount.h"
#include "sharing.h"
#include "upcall.h"
#include "vm.h"

#define MAXVMS   3
#define MINPAGES 8
#define MAXPAGES 40
#define MAX_OPS  250
#define RESERVE  256                   /* sharing.c's reserve_frames */
#define POOL_FRAMES (4096 + 2 * RESERVE) /* frames_init wants 16 MiB at least */
#define EXIT_VMCALL 18                 /* SDM basic exit reasons */
#define EXIT_EPT_VIOLATION 48

struct frame_pool frames; /* kernel/main.c's */

struct tlbe {
	uint64_t hpa;  /* the frame */
	uint32_t gen;  /* valid while equal to its VM's tlb_gen */
	bool writable, dirty;
};

struct hvm {
	struct vm_config cfg;
	unsigned char shadow[MAXPAGES][4096];
	unsigned char tshadow[MAXPAGES][4096]; /* the shadow at a point's instant T */
	bool held;                             /* ... and the point holds this VM */
	struct tlbe tlb[VCPU_MAX][MAXPAGES];
	uint32_t tlb_gen;
	uint64_t exits, faults;  /* what the fake arch counted: the expected counters */
	struct guest_params params;
};

static struct {
	struct config cfg;
	unsigned nvm;
	struct hvm vm[MAXVMS];
	uint64_t hog[POOL_FRAMES];
	unsigned nhog;
	unsigned long long unique;
	bool trace;
	bool tier; /* the cold tier on: contents compress */
	bool points; /* measurement points (OP_POINT) */
	enum { PT_NONE, PT_COUNTING, PT_ENDING } pt; /* the point's stage */
} H;

static unsigned char *arena;
static uint64_t arena_top; /* the highest frame a VM mapped, + 1: what setup() poisons */
static void *meta;
static uint64_t meta_bytes;
static char out[1 << 18];
static FILE *cap;

/* ---- what the linked core calls outside these sources ---- */

/* console_out.c: a stopped Linux VM's last line goes to the (captured)
 * console; no operator attaches to a VM here (the hold is never taken). */
void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}
void console_write_raw(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}
void console_hold(void) { CHECK(0, "console_hold: not reached in this harness"); }
void console_release(void) { CHECK(0, "console_release: not reached in this harness"); }
void console_dying(void) { CHECK(0, "console_dying: not reached in this harness"); }

/* lock.c: only guest_out_drain() calls these; the harness does not. */
void hv_lock(void) { CHECK(0, "hv_lock: not reached in this harness"); }
void hv_unlock(void) { CHECK(0, "hv_unlock: not reached in this harness"); }

/* A VM of a kind without hypercalls, as linux_vm.c makes a Linux VM (its
 * run loop - halt, interrupts - is not reached in this harness). */
static enum core_action no_halt(struct vcpu *v, bool interruptible)
{
	(void)v, (void)interruptible;
	CHECK(0, "a Linux VM's halt: not reached in this harness");
	return CORE_YIELD;
}
static const struct vm_kind linux_like = {
	.name = "Linux", .hypercalls = false, .reads_console = true, .halt = no_halt,
};

/* ---- the kernel's console, captured ---- */

/* Searches what the kernel printed since the last call for the messages
 * that only a bug prints, then forgets it. */
static void check_output(const char *when)
{
	static const char *const bad[] = {
		"freed twice", "was not the VM's to free", "freeing EPT table", "parameter page not freed",
		"frame leak", "COW break at", "the dedup engine refused", "ran out of memory",
		"no memory for", "out of memory registering", "out of memory loading",
		"out of memory for its parameter page",
	};
	long n;
	fflush(cap);
	n = ftell(cap);
	if (n < 0)
		n = 0;
	if (n >= (long)sizeof(out))
		n = sizeof(out) - 1;
	out[n] = 0;
	if (H.trace && n)
		fputs(out, stderr);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!strstr(out, bad[i]), "after %s the kernel printed \"%s\":\n%s", when, bad[i], out);
	rewind(cap);
	memset(out, 0, (size_t)n + 1);
}

/* ---- the fake TLBs and the guest's accesses ---- */

static void on_invalidate(uint64_t eptp)
{
	for (unsigned s = 0; s < H.nvm; s++)
		if (vms[s].ept.pml4 && ept_eptp(&vms[s].ept) == eptp)
			H.vm[s].tlb_gen++;
}

/* The EPT leaf of gpa, walked as the CPU does (4 KiB pages only); *upper:
 * the permissions of the table entries above it, ANDed (SDM 29.3.3: a
 * point's frozen PDE denies W to its 512 pages). */
static uint64_t *leaf_of(struct vm *vm, uint64_t gpa, uint64_t *upper)
{
	uint64_t *t = phys_to_virt(vm->ept.pml4);
	*upper = EPT_RWX;
	for (int level = 3; level > 0; level--) {
		uint64_t e = t[(gpa >> (12 + 9 * level)) & 511];
		if (!(e & EPT_RWX))
			return NULL;
		CHECK(!(e & EPT_LARGE), "a large EPT page at level %d", level);
		*upper &= e & EPT_RWX;
		t = phys_to_virt(e & EPT_ADDR_MASK);
	}
	return &t[(gpa >> 12) & 511];
}

/* vCPU j's translation of gfn: the cached one, else a walk that caches it;
 * NULL when the page is not present (the cold tier's: an EPT violation). */
static struct tlbe *translate(unsigned s, unsigned j, uint64_t gfn)
{
	struct hvm *h = &H.vm[s];
	struct tlbe *t = &h->tlb[j][gfn];
	if (t->gen != h->tlb_gen) {
		uint64_t up, *e = leaf_of(&vms[s], gfn << 12, &up);
		if (!e || !(*e & EPT_READ)) {
			CHECK(dp_state(&engine->vm[vms[s].id].pages[gfn]) == DP_COMPRESSED,
			      "vm %u gfn %llu: RAM not mapped, and not compressed", s, (unsigned long long)gfn);
			return NULL;
		}
		*e |= EPT_ACCESSED;
		*t = (struct tlbe){ *e & EPT_ADDR_MASK, h->tlb_gen, (*e & up & EPT_WRITE) != 0,
				    !!(*e & EPT_DIRTY) };
	}
	return t;
}

/* The vCPU runs again: a WAITING one retries (sched.c's run_round). */
static struct vcpu *vcpu(unsigned s, uint8_t j)
{
	struct vcpu *v = &vms[s].vcpu[j % vms[s].nvcpus];
	if (v->state == VCPU_WAITING)
		v->state = VCPU_RUNNABLE;
	return v;
}

/* A guest write of len bytes at gfn:off by vCPU v, faulting as the CPU does
 * on a read-only translation.  Returns whether it was done. */
static bool guest_write(unsigned s, struct vcpu *v, uint64_t gfn, unsigned off, const void *src,
			unsigned len)
{
	struct vm *vm = &vms[s];
	for (int tries = 0;; tries++) {
		struct tlbe *t = translate(s, v->index, gfn);
		enum core_action a;
		uint64_t own = 0;
		struct dedup_vm_stats vs;
		if (t && t->writable) {
			struct frame *f = frames_meta(&frames, t->hpa);
			CHECK(f && f->state == FRAME_GUEST, "vm %u writes frame 0x%llx, which is not a guest's",
			      s, (unsigned long long)t->hpa);
			if (!t->dirty) { /* the walk that caches D=1 sets it in the EPT */
				uint64_t up, *e = leaf_of(vm, gfn << 12, &up);
				if (e && (*e & EPT_ADDR_MASK) == t->hpa)
					*e |= EPT_DIRTY;
				t->dirty = true;
			}
			memcpy((unsigned char *)phys_to_virt(t->hpa) + off, src, len);
			memcpy(H.vm[s].shadow[gfn] + off, src, len);
			return true;
		}
		CHECK(tries < 2, "vm %u gfn %llu still read-only after an EPT violation", s,
		      (unsigned long long)gfn);
		if (t)
			t->gen = 0; /* the CPU drops the faulting translation */
		if (dedup_get_vm_stats(engine, vm->id, &vs) == 0)
			own = vs.pages - vs.merged - vs.compressed;
		v->arch.exits[EXIT_EPT_VIOLATION]++;
		H.vm[s].exits++;
		H.vm[s].faults++;
		a = core_guest_mem_fault(&v->arch, gfn << 12 | off, UPCALL_ACCESS_WRITE);
		if (a == CORE_RESUME)
			continue;
		if (vm->stopped) {
			CHECK(vm->frame_budget < vm->npages && own >= vm->frame_budget,
			      "vm %u stopped at a write (%s), holding %llu of its %llu frames", s, vm->why,
			      (unsigned long long)own, (unsigned long long)vm->frame_budget);
		} else {
			CHECK(a == CORE_YIELD && v->state == VCPU_WAITING && frames.nfree <= RESERVE,
			      "a write fault yielded with %llu frames free, vCPU state %d",
			      (unsigned long long)frames.nfree, v->state);
		}
		return false;
	}
}

/* A guest read of gfn by vCPU v: a compressed page faults back first
 * (core_guest_mem_fault with a read access), as the CPU's EPT violation. */
static void guest_read(unsigned s, struct vcpu *v, uint64_t gfn)
{
	struct vm *vm = &vms[s];
	const struct tlbe *t;
	enum core_action a;

	while (!(t = translate(s, v->index, gfn))) {
		v->arch.exits[EXIT_EPT_VIOLATION]++;
		H.vm[s].exits++;
		H.vm[s].faults++;
		a = core_guest_mem_fault(&v->arch, gfn << 12, UPCALL_ACCESS_READ);
		if (a == CORE_RESUME)
			continue;
		CHECK(vm->stopped ? vm->frame_budget < vm->npages
				  : v->state == VCPU_WAITING && frames.nfree <= RESERVE,
		      "a read fault on vm %u gfn %llu yielded (%s), with %llu frames free", s,
		      (unsigned long long)gfn, vm->stopped ? vm->why : "running",
		      (unsigned long long)frames.nfree);
		return;
	}
	CHECK(!memcmp(phys_to_virt(t->hpa), H.vm[s].shadow[gfn], 4096), "vm %u vCPU %u reads gfn %llu wrong",
	      s, v->index, (unsigned long long)gfn);
}

/* ---- the checks ---- */

static void check_vm(unsigned s, const char *when)
{
	struct vm *vm = &vms[s];
	struct hvm *h = &H.vm[s];
	struct ept_leaf l;

	for (uint64_t g = 0; g < vm->npages; g++) {
		struct frame *f;
		const unsigned char *p;
		if (ept_lookup(&vm->ept, g << 12, &l)) { /* the cold tier's */
			CHECK(dp_state(&engine->vm[vm->id].pages[g]) == DP_COMPRESSED,
			      "after %s: vm %u gfn %llu unmapped", when, s, (unsigned long long)g);
			p = sharing_read_page(vm, g);
			CHECK(p && !memcmp(p, h->shadow[g], 4096), "after %s: vm %u gfn %llu: compressed, "
			      "and reads other than written", when, s, (unsigned long long)g);
			for (unsigned j = 0; j < vm->nvcpus; j++)
				CHECK(h->tlb[j][g].gen != h->tlb_gen, "after %s: vm %u vCPU %u still holds a "
				      "translation of compressed gfn %llu", when, s, j, (unsigned long long)g);
			continue;
		}
		CHECK(l.perms & EPT_READ, "after %s: vm %u gfn %llu unmapped", when, s, (unsigned long long)g);
		f = frames_meta(&frames, l.hpa & ~0xFFFull);
		CHECK(f && f->state == FRAME_GUEST, "after %s: vm %u gfn %llu maps frame 0x%llx in state %d",
		      when, s, (unsigned long long)g, (unsigned long long)l.hpa, f ? f->state : -1);
		p = phys_to_virt(l.hpa & ~0xFFFull);
		if (p + 4096 - arena > (long)arena_top * 4096)
			arena_top = (uint64_t)(p + 4096 - arena) / 4096;
		if (memcmp(p, h->shadow[g], 4096)) {
			unsigned off = 0;
			while (p[off] == h->shadow[g][off])
				off++;
			CHECK(0, "after %s: vm %u gfn %llu byte %u reads 0x%02x, expected 0x%02x", when, s,
			      (unsigned long long)g, off, p[off], h->shadow[g][off]);
		}
		for (unsigned j = 0; j < vm->nvcpus; j++) {
			const struct tlbe *t = &h->tlb[j][g];
			if (t->gen != h->tlb_gen || t->hpa == (l.hpa & ~0xFFFull))
				continue;
			CHECK(!t->writable, "after %s: vm %u vCPU %u may still write gfn %llu at frame 0x%llx, "
			      "the EPT maps 0x%llx", when, s, j, (unsigned long long)g,
			      (unsigned long long)t->hpa, (unsigned long long)l.hpa);
			f = frames_meta(&frames, t->hpa);
			CHECK(f && f->state == FRAME_GUEST && !memcmp(phys_to_virt(t->hpa), h->shadow[g], 4096),
			      "after %s: vm %u vCPU %u reads gfn %llu through a stale translation", when, s, j,
			      (unsigned long long)g);
		}
		{
			uint64_t up;
			leaf_of(vm, g << 12, &up);
			if (!(l.perms & up & EPT_WRITE))
				for (unsigned j = 0; j < vm->nvcpus; j++)
					CHECK(h->tlb[j][g].gen != h->tlb_gen || !h->tlb[j][g].writable,
					      "after %s: vm %u vCPU %u may write read-only gfn %llu (leaf %s, "
					      "tables above %s)", when, s, j, (unsigned long long)g,
					      l.perms & EPT_WRITE ? "writable" : "read-only",
					      up & EPT_WRITE ? "writable" : "read-only");
			/* A leaf withheld or a region frozen only while a point is on. */
			CHECK(freeze_active() || (!l.withheld && (up & EPT_WRITE)),
			      "after %s: vm %u gfn %llu: %s with no point under way", when, s,
			      (unsigned long long)g, l.withheld ? "write access withheld" : "its region frozen");
		}
	}
	CHECK(ept_lookup(&vm->ept, GUEST_PARAMS_GPA, &l) == 0 && l.perms == EPT_READ &&
	      !memcmp(phys_to_virt(l.hpa), &h->params, sizeof(h->params)),
	      "after %s: vm %u's parameter page changed", when, s);
}

/* While a point holds the contents: every page of a held VM reads, through
 * freeze_read(), as it was at T. */
static void check_held(const char *when)
{
	static unsigned char buf[4096] __attribute__((aligned(4096)));
	for (unsigned s = 0; s < H.nvm; s++) {
		if (!H.vm[s].held || !freeze_holding(&vms[s]))
			continue;
		for (uint64_t g = 0; g < vms[s].npages; g++) {
			const unsigned char *p = freeze_read(&vms[s], g, buf);
			CHECK(p && !memcmp(p, H.vm[s].tshadow[g], 4096), "after %s: vm %u gfn %llu does not "
			      "read as it was at the point's instant", when, s, (unsigned long long)g);
		}
	}
}

static void check_all(const char *when)
{
	check_output(when);
	check_held(when);
	for (unsigned s = 0; s < H.nvm; s++) {
		CHECK(vms[s].stopped != vms[s].in_engine, "vm %u: stopped %d, in the engine %d", s,
		      vms[s].stopped, vms[s].in_engine);
		if (!vms[s].stopped)
			check_vm(s, when);
	}
}

/* ---- hypercalls ---- */

static uint32_t pick_gpa(const struct vm *vm, uint8_t sel, uint32_t raw)
{
	uint32_t ram = (uint32_t)(vm->npages * 4096);
	switch (sel % 10) {
	case 0: return 0;
	case 1: return raw % ram;
	case 2: return ram - (uint32_t)sizeof(struct hc_counters);          /* the last that fits */
	case 3: return ram - 1 - raw % (uint32_t)sizeof(struct hc_counters); /* straddles the end */
	case 4: return ram;
	case 5: return (raw % (uint32_t)vm->npages) * 4096 + 4096 - 1 - (raw >> 16) % 55; /* two pages */
	case 6: return GUEST_PARAMS_GPA + raw % 4096;
	case 7: return 0xFFFFFFFFu - raw % 64;
	case 8: return (uint32_t)(vm->npages - 1) * 4096 + raw % 4096;     /* the last page */
	default: return raw;
	}
}

static uint32_t pick_len(uint8_t sel, uint32_t raw)
{
	switch (sel % 8) {
	case 0: return 0;
	case 1: return sizeof(struct hc_counters);
	case 2: return sizeof(struct hc_counters) - 1;
	case 3: return sizeof(struct hc_counters) + 1 + raw % 64;
	case 4: return 4096;
	case 5: return 4097;
	case 6: return 0xFFFFFFFFu;
	default: return raw;
	}
}

/* Whether [gpa, gpa + len) lies in RAM (docs/hypercalls.md: else HC_EFAULT). */
static bool in_ram(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	return gpa < vm->npages * 4096 && len <= vm->npages * 4096 - gpa;
}

static void hypercall(unsigned s, struct fz *f)
{
	struct vm *vm = &vms[s];
	struct hvm *h = &H.vm[s];
	struct vcpu *v = vcpu(s, fz_u8(f));
	uint8_t nrsel = fz_u8(f), gsel = fz_u8(f), lsel = fz_u8(f);
	uint32_t graw = fz_u32(f), lraw = fz_u32(f);
	uint32_t nr = nrsel < 240 ? 1 + nrsel % 5 : (nrsel & 1 ? fz_u32(f) : 0);
	uint32_t edx = fz_u32(f), esi = fz_u32(f);
	uint32_t args[4] = { pick_gpa(vm, gsel, graw), pick_len(lsel, lraw), edx, esi };
	uint64_t nfree = frames.nfree;
	struct hc_counters want = { 0 };
	struct dedup_stats st;
	struct dedup_vm_stats vs;
	enum core_action next = CORE_RESUME;
	int32_t ret, expect;
	bool may_enomem = false, writes = false;

	/* What the documentation says the call returns. */
	switch (nr) {
	case HC_CONSOLE_WRITE:
		expect = args[1] > 4096 ? HC_EINVAL : in_ram(vm, args[0], args[1]) ? HC_OK : HC_EFAULT;
		break;
	case HC_REPORT_PROGRESS:
	case HC_REPORT_ERROR:
		expect = HC_OK;
		break;
	case HC_QUERY_COUNTERS:
		expect = args[1] < sizeof(struct hc_counters) ? HC_EINVAL
			 : in_ram(vm, args[0], sizeof(struct hc_counters)) ? HC_OK : HC_EFAULT;
		writes = expect == HC_OK;
		/* At most two COW breaks: a frame each, while the pool is above its reserve;
		 * and with a point under way, a copy of each page's old content. */
		may_enomem = writes && frames.nfree <= RESERVE + (freeze_active() ? 4 : 2);
		break;
	case HC_POWER_OFF:
		expect = HC_OK;
		break;
	default:
		expect = HC_ENOSYS;
		break;
	}
	v->arch.exits[EXIT_VMCALL]++;
	h->exits++;
	want.exits = h->exits;
	want.ept_violations = h->faults;
	CHECK(dedup_get_vm_stats(engine, vm->id, &vs) == 0, "vm %u not in the engine", s);
	want.pages_backed = vs.pages - vs.merged - vs.compressed; /* a frame of its own: not compressed */
	dedup_get_stats(engine, &st);
	want.pages_shared = st.pages_shared;
	want.pages_sharing = st.pages_sharing;
	want.ksm_zero_pages = st.ksm_zero_pages;
	want.cow_breaks = st.cow_breaks;

	ret = core_hypercall(&v->arch, nr, args, &next);
	if (H.trace)
		fprintf(stderr, "  hypercall %u (0x%x, 0x%x, 0x%x, 0x%x) by vm %u vcpu %u: %d\n", nr,
			args[0], args[1], args[2], args[3], s, v->index, ret);

	if (!vm->kind->hypercalls) {
		CHECK(next == CORE_UNDEFINED && ret == 0 && !vm->stopped && frames.nfree == nfree,
		      "a Linux VM's VMCALL %u: %d, action %d", nr, ret, next);
		return;
	}
	CHECK(ret == expect || (ret == HC_ENOMEM && may_enomem),
	      "hypercall %u (0x%x, 0x%x) in vm %u (%llu pages): %d, documented %d", nr, args[0], args[1],
	      s, (unsigned long long)vm->npages, ret, expect);
	if (nr == HC_POWER_OFF) {
		CHECK(vm->stopped && vm->powered_off && vm->exit_code == args[0] && next == CORE_YIELD,
		      "power off: stopped %d, exit code %u, action %d", vm->stopped, vm->exit_code, next);
		return;
	}
	CHECK(!vm->stopped && next == CORE_RESUME, "hypercall %u stopped vm %u or yielded (%d)", nr, s,
	      next);
	if (ret != HC_OK || !writes) {
		/* Refused, or a call that writes nothing: no frame taken either,
		 * but by HC_ENOMEM's COW break of the first of two pages, which
		 * gave that page a private copy of the same bytes (no byte may
		 * change: check_all). */
		CHECK(frames.nfree == nfree || (ret == HC_ENOMEM && frames.nfree + 1 == nfree) ||
		      (ret == HC_ENOMEM && freeze_active() && frames.nfree + 2 >= nfree),
		      "hypercall %u returned %d and took %lld frames", nr, ret,
		      (long long)(nfree - frames.nfree));
		return;
	}
	/* HC_QUERY_COUNTERS wrote struct hc_counters at args[0], maybe across two pages. */
	for (uint32_t off = 0; off < sizeof(want);) {
		uint64_t gpa = (uint64_t)args[0] + off;
		uint32_t n = 4096 - (gpa & 0xFFF);
		if (n > sizeof(want) - off)
			n = (uint32_t)sizeof(want) - off;
		memcpy(h->shadow[gpa >> 12] + (gpa & 0xFFF), (const char *)&want + off, n);
		off += n;
	}
}

/* ---- the VMs ---- */

/* Page content c: 0 zero, 1-4 a pool the same in every VM, else unique. */
static void make_content(unsigned c, unsigned char *page)
{
	uint64_t x;
	if (c == 0) {
		memset(page, 0, 4096);
		return;
	}
	x = c <= 4 ? c : 1000 + H.unique++;
	memset(page, 0, 4096);
	for (unsigned i = 0; i < (H.tier ? 1024u : 4096u); i += 8) { /* with the tier: compressible */
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		memcpy(page + i, &x, 8);
	}
}

/*
 * Per VM: u8 pages: MINPAGES + pages % (MAXPAGES - MINPAGES + 1);
 * u8 shape: bit 0 sharing domain, bits 1-2 vCPUs - 1, bits 3-5 == 7 a Linux
 * VM (no hypercalls), bits 6-7 == 3: a limit= of pages / 2 frames;
 * u8 image: bits 0-1 its entry page, bits 2-4 pages left lazily zero after
 * it, bit 5 its last page 100 bytes short, bits 6-7 how often a page repeats
 * (0 rarely .. 3 mostly); u8 seed: the page contents.
 */
static void make_vms(struct fz *f)
{
	static unsigned char image[MAXPAGES * 4096];

	for (unsigned s = 0; s < H.nvm; s++) {
		struct hvm *h = &H.vm[s];
		struct vm_config *c = &h->cfg;
		uint8_t pages = fz_u8(f), shape = fz_u8(f), img = fz_u8(f), seed = fz_u8(f);
		uint64_t n = MINPAGES + pages % (MAXPAGES - MINPAGES + 1), entry = img & 3, len;
		uint64_t lazy = (img >> 2 & 7) < n - entry ? (img >> 2 & 7) : n - entry - 1;
		uint64_t ipages = n - entry - lazy, size;
		struct ept_leaf l;

		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "fz%u", s);
		c->ram = n * 4096;
		c->compress_max = c->ram; /* the parser's default: no ceiling */
		c->limit = (shape >> 6) == 3 ? n / 2 * 4096 : 0;
		c->entry = entry * 4096;
		c->vcpus = 1 + (shape >> 1 & 3);
		c->domain = shape & 1;
		memset(h->shadow, 0, sizeof(h->shadow));
		memset(h->tlb, 0, sizeof(h->tlb));
		h->tlb_gen = 1;
		h->exits = h->faults = 0;
		for (uint64_t g = 0; g < ipages; g++) {
			uint64_t x = (seed * 131 + g * 7919 + s) * 0x9E3779B97F4A7C15ull >> 59; /* 0..31 */
			unsigned cls = x < 8u * (1 + (img >> 6)) ? (unsigned)(x % 5) : 5;
			make_content(cls, image + g * 4096);
		}
		size = ipages * 4096 - (img & 32 ? 100 : 0);
		len = size;
		memcpy(h->shadow[entry], image, len);
		CHECK(vm_create(s, c, image, size) == 0, "vm_create %u: %s", s, vms[s].why);
		for (unsigned j = 0; j < vms[s].nvcpus; j++) { /* as fleet.c */
			vms[s].vcpu[j].vm = &vms[s];
			vms[s].vcpu[j].index = j;
			vms[s].vcpu[j].state = VCPU_RUNNABLE;
		}
		if ((shape >> 3 & 7) == 7)
			vms[s].kind = &linux_like; /* what linux_vm_create sets */
		nvms = s + 1;
		CHECK(ept_lookup(&vms[s].ept, GUEST_PARAMS_GPA, &l) == 0, "no parameter page");
		memcpy(&h->params, phys_to_virt(l.hpa), sizeof(h->params));
		CHECK(h->params.magic == GUEST_PARAMS_MAGIC && h->params.vm_id == s &&
		      h->params.ram_pages == n, "vm %u's parameter page", s);
	}
}

/* ---- the end: converge, recount, stop, count frames ---- */

static const unsigned char *shadow_page(void *ctx, unsigned v, uint64_t p)
{
	const unsigned *slots = ctx;
	return H.vm[slots[v]].shadow[p];
}

static void check_converged(void)
{
	struct dedup_stats st;
	uint64_t saved = 0, self = 0, inter = 0;
	unsigned live = 0;

	for (unsigned s = 0; s < H.nvm; s++)
		live += !vms[s].stopped;
	if (!live)
		return;
	sharing_converge();
	check_all("converge");
	dedup_get_stats(engine, &st);
	for (unsigned dom = 0; dom < 2; dom++) {
		unsigned slots[MAXVMS], n = 0;
		uint64_t pages[MAXVMS];
		struct dedup_recount o;
		for (unsigned s = 0; s < H.nvm; s++)
			if (!vms[s].stopped && H.vm[s].cfg.domain == dom) {
				slots[n] = s;
				pages[n++] = vms[s].npages;
			}
		if (!n)
			continue;
		CHECK(dedup_recount(shadow_page, slots, pages, n, 4096, &o) == 0, "recount failed");
		saved += o.sharable;
		self += o.self_sharing;
		inter += o.inter_sharing;
		for (unsigned i = 0; i < n; i++) {
			struct dedup_vm_stats vs;
			CHECK(dedup_get_vm_stats(engine, slots[i], &vs) == 0, "vm stats");
			CHECK(vs.self_sharing == o.vm[i].self, "converged: vm %u self-sharing %llu, recount %llu",
			      slots[i], (unsigned long long)vs.self_sharing, (unsigned long long)o.vm[i].self);
		}
		dedup_recount_free(&o);
	}
	CHECK(st.frames_saved == saved && st.self_sharing == self && st.inter_sharing == inter,
	      "converged: saved/self/inter %llu/%llu/%llu, recount of the shadows %llu/%llu/%llu",
	      (unsigned long long)st.frames_saved, (unsigned long long)st.self_sharing,
	      (unsigned long long)st.inter_sharing, (unsigned long long)saved,
	      (unsigned long long)self, (unsigned long long)inter);
	/* The hypervisor's own check, which reads the pages through the EPTs. */
	sharing_converge_and_check();
	fflush(cap);
	CHECK(strstr(out, ": exact\n"), "sharing_converge_and_check:\n%s", out);
	check_all("converge and check");
}

/* ---- measurement points ---- */

static const unsigned char *tshadow_page(void *ctx, unsigned v, uint64_t p)
{
	const unsigned *slots = ctx;
	return H.vm[slots[v]].tshadow[p];
}

/* The point's count done: its figures against a recount of the T shadows. */
static void check_point_result(void)
{
	const struct prun_result *r = prun_result();
	uint64_t saved = 0, self = 0, inter = 0;
	bool stopped = false;

	for (unsigned s = 0; s < H.nvm; s++)
		stopped |= H.vm[s].held && vms[s].stopped;
	if (r->failed[0]) {
		CHECK(stopped && freeze_abandoned(), "the point failed: %s", r->failed);
		return;
	}
	CHECK(!stopped, "a VM held by the point stopped, and the point went on");
	CHECK(r->rc_ok, "the point's recount ran out of memory");
	for (unsigned dom = 0; dom < 2; dom++) {
		unsigned slots[MAXVMS], n = 0;
		uint64_t pages[MAXVMS];
		struct dedup_recount o;
		for (unsigned s = 0; s < H.nvm; s++)
			if (H.vm[s].held && H.vm[s].cfg.domain == dom) {
				slots[n] = s;
				pages[n++] = vms[s].npages;
			}
		if (!n)
			continue;
		CHECK(dedup_recount(tshadow_page, slots, pages, n, 4096, &o) == 0, "recount failed");
		for (unsigned i = 0; i < n; i++) {
			const struct prun_vm *v = &r->vm[slots[i]];
			CHECK(v->in && v->ideal.pss == o.vm[i].pss && v->rc_pss == o.vm[i].pss &&
			      v->ideal.exclusive_frames == o.vm[i].exclusive && v->rc_excl == o.vm[i].exclusive &&
			      v->ideal.self_sharing == o.vm[i].self,
			      "point: vm %u: PSS %llu (its recount %llu), exclusive %llu (%llu), self %llu; the "
			      "T shadows' %llu, %llu, %llu", slots[i], (unsigned long long)v->ideal.pss,
			      (unsigned long long)v->rc_pss, (unsigned long long)v->ideal.exclusive_frames,
			      (unsigned long long)v->rc_excl, (unsigned long long)v->ideal.self_sharing,
			      (unsigned long long)o.vm[i].pss, (unsigned long long)o.vm[i].exclusive,
			      (unsigned long long)o.vm[i].self);
		}
		saved += o.sharable;
		self += o.self_sharing;
		inter += o.inter_sharing;
		dedup_recount_free(&o);
	}
	CHECK(r->ideal.frames_saved == saved && r->ideal.self_sharing == self &&
	      r->ideal.inter_sharing == inter && r->rc_saved == saved && r->rc_self == self &&
	      r->rc_inter == inter, "point: saved/self/inter %llu/%llu/%llu (its recount's "
	      "%llu/%llu/%llu), the T shadows' %llu/%llu/%llu", (unsigned long long)r->ideal.frames_saved,
	      (unsigned long long)r->ideal.self_sharing, (unsigned long long)r->ideal.inter_sharing,
	      (unsigned long long)r->rc_saved, (unsigned long long)r->rc_self,
	      (unsigned long long)r->rc_inter, (unsigned long long)saved, (unsigned long long)self,
	      (unsigned long long)inter);
}

/* A point begins; or counts a while (b: how long, in the fake clock's
 * steps); or, done, gives b % 4 + 1 regions back. */
static void op_point(uint8_t b, bool to_the_end)
{
	do {
		switch (H.pt) {
		case PT_NONE: {
			const char *why = NULL;
			if (to_the_end)
				return;
			CHECK(freeze_begin(&why) == 0, "freeze_begin: %s", why);
			for (unsigned s = 0; s < H.nvm; s++) {
				H.vm[s].held = freeze_holding(&vms[s]);
				CHECK(H.vm[s].held == !vms[s].stopped, "vm %u: running %d, held %d", s,
				      !vms[s].stopped, H.vm[s].held);
				if (H.vm[s].held)
					memcpy(H.vm[s].tshadow, H.vm[s].shadow, sizeof(H.vm[s].shadow));
			}
			CHECK(prun_start() == 0, "prun_start: %s", prun_result()->failed);
			H.pt = PT_COUNTING;
			if (H.trace)
				fprintf(stderr, "  point: begun, %u VMs held\n", freeze_stats()->vms);
			return;
		}
		case PT_COUNTING:
			if (prun_step(to_the_end ? ~0ull : fake_arch_time + (1u + b % 64) * 8 * fake_arch_time_step)) {
				check_point_result();
				if (H.trace)
					fprintf(stderr, "  point: counted (%s); %llu pages saved, %llu copies, %llu "
						"waits, %llu withheld, %llu regions thawed\n",
						prun_result()->failed[0] ? prun_result()->failed : "as the T shadows",
						(unsigned long long)freeze_stats()->saved,
						(unsigned long long)freeze_stats()->copies,
						(unsigned long long)freeze_stats()->waits,
						(unsigned long long)freeze_stats()->withheld,
						(unsigned long long)freeze_stats()->thawed);
				freeze_release();
				H.pt = PT_ENDING;
			}
			break;
		case PT_ENDING:
			if (freeze_restore_step(to_the_end ? ~0ull : 1u + b % 4)) {
				prun_stop();
				for (unsigned s = 0; s < H.nvm; s++)
					H.vm[s].held = false;
				H.pt = PT_NONE;
				if (H.trace)
					fprintf(stderr, "  point: over, %llu leaves given W back\n",
						(unsigned long long)freeze_stats()->restored);
			}
			break;
		}
	} while (to_the_end);
}

static void finish(void)
{
	uint64_t zero = 0;

	op_point(0, true); /* a point under way, to its end */
	check_all("the point's end");

	while (H.nhog)
		CHECK(frames_free(&frames, H.hog[--H.nhog]) == 0, "a hogged frame");
	if (H.trace) {
		struct dedup_stats st;
		dedup_get_stats(engine, &st);
		fprintf(stderr, "cold tier: %llu compressions, %llu faults back, %llu compressed now\n",
			(unsigned long long)st.compressions, (unsigned long long)st.decompressions,
			(unsigned long long)st.pages_compressed);
	}
	check_converged();
	for (unsigned s = 0; s < H.nvm; s++)
		vm_stop(&vms[s], "the input ended");
	check_all("the end");
	for (uint32_t i = 0; i < engine->sf_top; i++)
		if ((engine->sf[i].flags & SF_USED)) {
			CHECK(engine->sf[i].flags & SF_ZERO, "shared frame %u outlived every VM", i);
			zero++;
		}
	CHECK(frames.nusable - frames.nfree == zero, "%llu frames in use after every VM stopped, %llu "
	      "zero frames", (unsigned long long)(frames.nusable - frames.nfree),
	      (unsigned long long)zero);
	dedup_destroy(engine);
	engine = NULL;
}

/* ---- operations ---- */

enum op {
	OP_HYPERCALL, OP_HYPERCALL2, OP_WRITE, OP_WRITE2, OP_READ, OP_SCAN, OP_CONVERGE, OP_STOP,
	OP_STRAY, OP_HOG, OP_EVICT, OP_KNOB, OP_POINT, OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
	"hypercall", "hypercall", "write", "write", "read", "scan", "converge", "stop", "stray access",
	"hog frames", "evict", "knob", "point",
};
/*
 * Encoding: op byte % OP_COUNT, slot byte % VMs (operations on a stopped
 * VM's vCPUs are skipped: they never run again), then
 *   HYPERCALL(2)  u8 vCPU, u8 number (< 240: 1 + n % 5; else, odd, u32
 *                 number, even, 0), u8 pointer kind, u8 length kind, u32,
 *                 u32 (their raw values: pick_gpa, pick_len), u32 EDX, u32 ESI
 *   WRITE(2)      u8 vCPU, u8 gfn, u8 kind: % 4 0 zero page, 1 a pool page
 *                 (1 + (kind >> 2) % 5 % 4), 2 bytes: u16 offset % 4096, u8 length
 *                 (1 + n % 8), the bytes (cut at the page's end), 3 a unique page
 *   READ, EVICT   u8 vCPU, u8 gfn
 *   SCAN          u8: 1 + n % 8 scanner steps (sharing_scan_step)
 *   STRAY         u8 vCPU, u8 kind, u32: an access outside RAM or a write to
 *                 the parameter page: the VM stops
 *   HOG           u8: % 6 < 5: take frames until only the reserve + that many
 *                 are free; 5: give them back
 *   KNOB          u8: 0 the governor, else pages_to_scan = n (fixed rate)
 *   POINT         (setup bit 3 only: else the op byte is % OP_POINT) u8: a
 *                 point begins; or counts (1 + n % 64) x 8 clock steps; or,
 *                 counted, gives 1 + n % 4 regions back (op_point)
 *   CONVERGE, STOP: nothing more.
 */

static void op_write(unsigned s, struct fz *f)
{
	struct vcpu *v = vcpu(s, fz_u8(f));
	uint64_t g = fz_u8(f) % vms[s].npages;
	uint8_t kind = fz_u8(f);
	static unsigned char page[4096];

	switch (kind % 4) {
	case 0: make_content(0, page); break;
	case 1: make_content(1 + (kind >> 2) % 5 % 4, page); break;
	case 3: make_content(5, page); break;
	default: {
		unsigned off = fz_u16(f) % 4096, len = 1 + fz_u8(f) % 8;
		unsigned char b[8];
		for (unsigned i = 0; i < len; i++)
			b[i] = fz_u8(f);
		if (len > 4096 - off) /* within the page */
			len = 4096 - off;
		guest_write(s, v, g, off, b, len);
		return;
	}
	}
	guest_write(s, v, g, 0, page, 4096);
}

static void op_stray(unsigned s, struct fz *f)
{
	struct vm *vm = &vms[s];
	struct vcpu *v = vcpu(s, fz_u8(f));
	uint8_t kind = fz_u8(f);
	uint32_t raw = fz_u32(f);
	uint64_t gpa = kind & 1 ? GUEST_PARAMS_GPA + raw % 4096 : vm->npages * 4096 + raw % (1u << 30);
	unsigned access = kind & 1 ? UPCALL_ACCESS_WRITE : 1u << (kind >> 1) % 3;
	enum core_action a;

	v->arch.exits[EXIT_EPT_VIOLATION]++;
	H.vm[s].exits++;
	H.vm[s].faults++;
	a = core_guest_mem_fault(&v->arch, gpa, access);
	CHECK(a == CORE_YIELD && vm->stopped, "a stray access to 0x%llx (access %u) did not stop vm %u",
	      (unsigned long long)gpa, access, s);
}

static void op_hog(uint8_t b)
{
	if (b % 6 == 5) {
		while (H.nhog)
			CHECK(frames_free(&frames, H.hog[--H.nhog]) == 0, "a hogged frame");
		return;
	}
	while (frames.nfree > RESERVE + b % 6) {
		uint64_t p;
		CHECK(frames_alloc(&frames, FRAME_KERNEL, &p) == 0 && H.nhog < POOL_FRAMES, "hog");
		H.hog[H.nhog++] = p;
	}
}

static void setup(void)
{
	struct boot_mem_region r;
	const char *why;

	if (!arena) {
		/* The arena's addresses are its frames' "physical" ones. */
		arena = aligned_alloc(4096, POOL_FRAMES * 4096);
		arena_top = POOL_FRAMES;
		r = (struct boot_mem_region){ .base = (uint64_t)(uintptr_t)arena, .pages = POOL_FRAMES,
					      .type = BOOT_MEM_USABLE };
		meta_bytes = frames_meta_bytes(&r, 1);
		meta = malloc(meta_bytes);
		cap = fmemopen(out, sizeof(out) - 1, "w");
		CHECK(arena && meta && cap, "out of memory");
		stdout = cap;
		H.trace = getenv("FUZZ_TRACE") != NULL;
		fake_arch_on_invalidate = on_invalidate;
	}
	r = (struct boot_mem_region){ .base = (uint64_t)(uintptr_t)arena, .pages = POOL_FRAMES,
					      .type = BOOT_MEM_USABLE };
	CHECK(frames_init(&frames, &r, 1, meta, meta_bytes, &why) == 0, "frames_init: %s", why);
	/* What a frame holds before it is written (the frames the last input's
	 * VMs mapped; all of them, the first time). */
	memset(arena, 0xDD, arena_top * 4096);
	arena_top = 0;
	memset(vms, 0, MAXVMS * sizeof(vms[0]));
	nvms = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t set = fz_u8(&f);
	unsigned ops = 0;

	setup();
	H.nvm = 2 + (set & 1);
	H.nhog = 0;
	H.unique = 0;
	memset(&H.cfg, 0, sizeof(H.cfg));
	for (unsigned k = 0; k < KNOB_COUNT; k++)
		H.cfg.knob[k] = knob_table[k].def;
	H.cfg.knob_given = 0;
	if (set & 2) { /* the fixed rate, as a config giving pages_to_scan */
		H.cfg.knob[KNOB_PAGES_TO_SCAN] = 1 + fz_u8(&f);
		H.cfg.knob_given = 1u << KNOB_PAGES_TO_SCAN;
	}
	H.tier = set & 4;
	H.points = set & 8;
	H.pt = PT_NONE;
	H.cfg.dedup_pool_max = H.tier ? 16 * 4096 : 0;
	H.cfg.dedup_cold_s = 120;
	CHECK(sharing_init(&H.cfg) == 0, "sharing_init");
	if (H.tier) /* 120 s of the fake 1 GHz clock would never come: 20 reads of it */
		dedup_knobs(engine)->cold_ticks = 20000;
	make_vms(&f);
	check_all("vm_create");

	while (f.n && ops++ < MAX_OPS) {
		enum op op = (enum op)(fz_u8(&f) % (H.points ? OP_COUNT : OP_POINT));
		unsigned s = fz_u8(&f) % H.nvm;
		bool running = !vms[s].stopped;

		switch (op) {
		case OP_HYPERCALL:
		case OP_HYPERCALL2:
			if (running)
				hypercall(s, &f);
			break;
		case OP_WRITE:
		case OP_WRITE2:
			if (running)
				op_write(s, &f);
			break;
		case OP_READ: {
			struct vcpu *v = vcpu(s, fz_u8(&f));
			uint64_t g = fz_u8(&f) % vms[s].npages;
			if (running)
				guest_read(s, v, g);
			break;
		}
		case OP_SCAN:
			for (unsigned i = 1 + fz_u8(&f) % 8; i; i--)
				sharing_scan_step();
			break;
		case OP_CONVERGE:
			sharing_converge();
			break;
		case OP_STOP:
			vm_stop(&vms[s], "stopped by the harness");
			break;
		case OP_STRAY:
			if (running)
				op_stray(s, &f);
			break;
		case OP_HOG:
			op_hog(fz_u8(&f));
			break;
		case OP_EVICT: {
			struct vcpu *v = vcpu(s, fz_u8(&f));
			H.vm[s].tlb[v->index][fz_u8(&f) % vms[s].npages].gen = 0;
			break;
		}
		case OP_KNOB: {
			uint8_t b = fz_u8(&f); /* as the console or the API would set it */
			sharing_knob_set(b ? KNOB_PAGES_TO_SCAN : KNOB_SCAN_TARGET_S, b ? b : 10);
			break;
		}
		case OP_POINT:
			op_point(fz_u8(&f), false);
			break;
		default:
			break;
		}
		if (H.trace)
			fprintf(stderr, "op %u: %s vm %u (%s); %llu frames free, %u hogged\n", ops, op_names[op],
				s, vms[s].stopped ? "stopped" : "running", (unsigned long long)frames.nfree,
				H.nhog);
		check_all(op_names[op]);
	}
	finish();
	return 0;
}
