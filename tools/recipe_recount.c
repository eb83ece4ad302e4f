/*
 * recipe_recount.c - the sharing a set of memtest VMs must converge to,
 * computed by the engine's own exact recount rather than typed by hand.
 *
 *   recipe_recount CONFIG GUESTDIR
 *
 * Reads a dedupvisor.cfg with the hypervisor's parser (common/config.c),
 * rebuilds every VM's RAM as it stands when all the memtest guests have
 * halted, and runs dedup_recount() (dedup/recount.c, the check the
 * hypervisor prints at convergence) per sharing domain, summing the
 * domains as the hypervisor does.  Prints one line,
 *   saved N (self S, inter I)
 * the figures the hypervisor's "dedup: after ... scans: saved N (self S,
 * inter I); recount ...: exact" line must show; the system tests
 * (tests/system/run.sh) put it in place of an expect file's @RECOUNT@.
 * Exits 0; 2 on bad input, with a message naming the file or the VM: a
 * config that does not parse or refuses a VM (the hypervisor would run
 * without it: surely not what a test means), a VM that is not a memtest
 * guest or has no recipe, a missing image; 1 if the recount itself fails.
 *
 * The model of a VM's final memory (ram / 4096 pages, all zero at first):
 *  - the image GUESTDIR/<image>, which must be memtest.bin, is copied to
 *    guest-physical `entry`, as kernel/vm.c's vm_create() does;
 *  - the vCPUs' stacks: vCPU k starts with ESP = entry - 0x400 * k (1 KiB
 *    each, arch/x86_64/vcpu.c; at most 4 vCPUs, kernel/vm.h's VCPU_MAX),
 *    and memtest's locals there derive from the VM's seed.  ASSUMPTION:
 *    each page holding the top of a vCPU's stack (with entry = 0x1000: the
 *    page below entry) is unique to its VM; it is modelled as a page that
 *    matches nothing else.  Its real bytes depend on the compiled guest and
 *    are not modelled;
 *  - the data pages from GUEST_DATA_GPA follow the recipe (memtest_recipe.h,
 *    the guest's own code) with the working set at generation `rounds`,
 *    the last one written; seed and rounds default as the hypervisor sets
 *    them (kernel/test_support.c: 0x1000 + the VM's index, 3), and
 *    shared_seed is its constant;
 *  - corrupt=N flips the byte the hypervisor flips after round 1 (offset
 *    1234 of data page N-1), unless a later round rewrites that page (a
 *    working-set page with rounds >= 2; with rounds = 1 and several vCPUs
 *    a race the model does not follow);
 *  - everything else is zero, the parameter page lies outside RAM.
 * Test support: a guest build that broke this model (a stack deeper than a
 * page, say) shows up as a mismatch in the system tests;
 * tests/tools/test_recipe_recount.sh checks the model against figures the
 * hypervisor measured.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "guest_abi.h"
#include "memtest_recipe.h"
#include "recount.h"

#define PAGE 4096u
#define MEMTEST_IMAGE "memtest.bin"
/* As the hypervisor sets them (include/guest_abi.h, one home for both). */
#define HV_SHARED_SEED GUEST_SHARED_SEED
#define HV_DEFAULT_SEED(id) GUEST_DEFAULT_SEED(id)
#define HV_DEFAULT_ROUNDS GUEST_DEFAULT_ROUNDS
#define HV_VCPU_MAX GUEST_VCPUS_MAX
#define HV_STACK_BYTES GUEST_STACK_PER_VCPU

/* One VM's final memory: page p reads from pg[p], which points to
 * zero_page, into data (the recipe's pages) or into extra (the pages
 * written otherwise: image, stacks, a corrupted one). */
struct vm_mem {
	uint64_t npages;
	const unsigned char **pg;
	unsigned char *data, *extra;
	size_t nextra, used;
};

static const char *prog = "recipe_recount";
static const unsigned char zero_page[PAGE];

static void die(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void die(int status, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		die(1, "out of memory");
	return p;
}

/* The whole file; *len its size.  Exits 2 if it cannot be read. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		die(2, "%s: %s", path, strerror(errno));
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				die(1, "out of memory reading %s", path);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		die(2, "%s: read error", path);
	fclose(f);
	*len = n;
	return buf;
}

/* Page p made private (from extra), holding what it held. */
static unsigned char *own_page(struct vm_mem *m, uint64_t p)
{
	unsigned char *c;
	if (m->used == m->nextra)
		die(1, "internal error: out of extra pages");
	c = m->extra + m->used++ * PAGE;
	memcpy(c, m->pg[p], PAGE);
	m->pg[p] = c;
	return c;
}

/* Page p as a page unique to VM `id`: it matches no memtest page, no other
 * page of this VM and no other VM's. */
static void stack_page(struct vm_mem *m, unsigned id, const char *name, uint64_t p)
{
	unsigned char *c = own_page(m, p);
	memset(c, 0xA5, PAGE);
	snprintf((char *)c, 128, "recipe_recount: stack page 0x%llx of vm %u %s",
		 (unsigned long long)p, id, name);
}

static void free_vm(struct vm_mem *m)
{
	free(m->pg);
	free(m->data);
	free(m->extra);
}

static void build_vm(struct vm_mem *m, const char *cfgpath, unsigned id,
		     const struct vm_config *vc, const unsigned char *image, size_t size,
		     const char *imgpath)
{
	struct guest_params gp = {
		.magic = GUEST_PARAMS_MAGIC, .vm_id = id, .ram_pages = (uint32_t)(vc->ram / PAGE),
		.seed = vc->seed ? vc->seed : HV_DEFAULT_SEED(id), .shared_seed = HV_SHARED_SEED,
		.rounds = vc->rounds ? vc->rounds : HV_DEFAULT_ROUNDS, .inter = vc->inter,
		.dup = vc->dup, .zero = vc->zero, .unique = vc->unique, .ws = vc->ws,
	};
	struct layout l;
	uint32_t total = layout_of(&gp, &l), i;
	unsigned nvcpus = vc->vcpus > HV_VCPU_MAX ? HV_VCPU_MAX : vc->vcpus, k;
	uint64_t off, p, stack[HV_VCPU_MAX];

	if (vc->ram > GUEST_PARAMS_GPA)
		die(2, "%s:%u: vm %s: more RAM than the 32-bit guest ABI allows", cfgpath,
		    vc->line, vc->name);
	if (vc->entry + size > vc->ram)
		die(2, "%s:%u: vm %s: image %s (%zu bytes at 0x%llx) leaves its RAM", cfgpath,
		    vc->line, vc->name, imgpath, size, (unsigned long long)vc->entry);
	if (vc->entry < (uint64_t)HV_STACK_BYTES * nvcpus)
		die(2, "%s:%u: vm %s: entry 0x%llx leaves no room for %u stacks of 1 KiB below it",
		    cfgpath, vc->line, vc->name, (unsigned long long)vc->entry, nvcpus);

	m->npages = vc->ram / PAGE;
	m->pg = xcalloc(m->npages, sizeof(*m->pg));
	m->nextra = size / PAGE + 2 + nvcpus + 1; /* image, stacks, corrupt= */
	m->extra = xcalloc(m->nextra, PAGE);
	for (p = 0; p < m->npages; p++)
		m->pg[p] = zero_page;

	/* The image, at entry. */
	for (off = 0; off < size;) {
		uint64_t gpa = vc->entry + off, n = PAGE - (gpa & (PAGE - 1));
		if (n > size - off)
			n = size - off;
		p = gpa / PAGE;
		if (m->pg[p] == zero_page)
			own_page(m, p);
		memcpy((unsigned char *)m->pg[p] + (gpa & (PAGE - 1)), image + off, n);
		off += n;
	}
	/* The stacks: each page holding the top of one is this VM's alone (so
	 * too when it also holds the image's first bytes: entry not aligned). */
	for (k = 0; k < nvcpus; k++) {
		uint64_t sp = vc->entry - (uint64_t)HV_STACK_BYTES * k;
		unsigned j;
		p = (sp - 1) / PAGE;
		for (j = 0; j < k && stack[j] != p; j++)
			;
		stack[k] = p;
		if (j < k)
			continue; /* a second stack in the same page */
		stack_page(m, id, vc->name, p);
	}
	/* The data pages, as the guest leaves them (the parser checked that
	 * they fit the RAM above 1 MiB; checked again: this writes pg[]). */
	if (GUEST_DATA_GPA / PAGE + (uint64_t)total > m->npages)
		die(2, "vm %s: the recipe's %u pages do not fit its RAM above 1 MiB", vc->name, total);
	m->data = xcalloc(total, PAGE);
	for (i = 0; i < total; i++) {
		int zero;
		uint32_t key = key_of(&gp, &l, i, gp.rounds, &zero);
		fill((uint32_t *)(void *)(m->data + (size_t)i * PAGE), key, zero);
		m->pg[GUEST_DATA_GPA / PAGE + i] = m->data + (size_t)i * PAGE;
	}
	/* corrupt=N: kernel/test_support.c flips this byte after round 1; only a
	 * working-set page is written again, in round 2 and later. */
	if (vc->corrupt) {
		uint32_t page = vc->corrupt - 1;
		uint64_t gpa = GUEST_DATA_GPA + (uint64_t)page * PAGE + 1234;
		int rewritten = page >= l.start[C_WS] && page < total && gp.rounds >= 2;
		if (gpa < vc->ram && !rewritten) {
			unsigned char *c = page < total ? m->data + (size_t)page * PAGE
							: own_page(m, gpa / PAGE);
			c[gpa % PAGE] ^= 0x40;
		}
	}
}

struct domain_ctx {
	struct vm_mem **vm;
};

static const unsigned char *page_of(void *ctx, unsigned v, uint64_t p)
{
	const struct domain_ctx *d = ctx;
	return d->vm[v]->pg[p];
}

int main(int argc, char **argv)
{
	static struct config cfg;
	struct config_error err;
	struct vm_mem *mem;
	unsigned char *image = NULL;
	char *text, imgpath[4096];
	size_t len, isize = 0;
	uint64_t sharable = 0, self = 0, inter = 0;
	unsigned i, done = 0;
	long dom;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CONFIG GUESTDIR\n"
			"  the sharing the memtest VMs of CONFIG converge to, recounted exactly\n"
			"  (GUESTDIR holds memtest.bin, e.g. build/guests)\n", prog);
		return 2;
	}
	text = read_file(argv[1], &len);
	if (config_parse(text, len, &cfg, &err)) {
		if (err.line)
			die(2, "%s:%u: %s", argv[1], err.line, err.msg);
		die(2, "%s: %s", argv[1], err.msg);
	}
	free(text);
	if (cfg.nrefused)
		die(2, "%s:%u: VM refused: %s (the hypervisor would leave it out)", argv[1],
		    cfg.refused[0].line, cfg.refused[0].msg);
	if (!cfg.nvms)
		die(2, "%s: no VMs", argv[1]);
	for (i = 0; i < cfg.nvms; i++) {
		const struct vm_config *vc = &cfg.vm[i];
		if (strcmp(vc->image, MEMTEST_IMAGE))
			die(2, "%s:%u: vm %s: image %s is not %s: only memtest VMs can be modelled",
			    argv[1], vc->line, vc->name, vc->image, MEMTEST_IMAGE);
		if (!((uint64_t)vc->inter + vc->dup + vc->zero + vc->unique + vc->ws))
			die(2, "%s:%u: vm %s: no recipe (inter, dup, zero, unique, ws all 0)", argv[1],
			    vc->line, vc->name);
	}
	if ((size_t)snprintf(imgpath, sizeof(imgpath), "%s/%s", argv[2], MEMTEST_IMAGE) >=
	    sizeof(imgpath))
		die(2, "%s: path too long", argv[2]);
	image = (unsigned char *)read_file(imgpath, &isize);

	mem = xcalloc(cfg.nvms, sizeof(*mem));
	for (i = 0; i < cfg.nvms; i++)
		build_vm(&mem[i], argv[1], i, &cfg.vm[i], image, isize, imgpath);
	free(image);

	/* Domain by domain, as kernel/sharing.c: frames are never shared across. */
	for (dom = 0; dom <= 0xFFFF && done < cfg.nvms; dom++) {
		struct vm_mem *vms[CONFIG_MAX_VMS];
		uint64_t pages[CONFIG_MAX_VMS];
		struct domain_ctx ctx = { vms };
		struct dedup_recount o;
		unsigned k = 0;
		for (i = 0; i < cfg.nvms; i++)
			if (cfg.vm[i].domain == (uint32_t)dom) {
				vms[k] = &mem[i];
				pages[k++] = mem[i].npages;
			}
		if (!k)
			continue;
		if (dedup_recount(page_of, &ctx, pages, k, PAGE, &o))
			die(1, "%s: the recount of domain %ld failed (out of memory or a hash collision)",
			    argv[1], dom);
		sharable += o.sharable;
		self += o.self_sharing;
		inter += o.inter_sharing;
		dedup_recount_free(&o);
		done += k;
	}
	for (i = 0; i < cfg.nvms; i++)
		free_vm(&mem[i]);
	free(mem);
	printf("saved %llu (self %llu, inter %llu)\n", (unsigned long long)sharable,
	       (unsigned long long)self, (unsigned long long)inter);
	return 0;
}
