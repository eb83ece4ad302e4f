/*
 * patchbench - the measurements that choose sub-page patching's design
 * (docs/patching.md), over memory images (one image = one VM's RAM).
 *
 *   patchbench [--xdelta N] [--candidates N] [--cost-only] IMAGE...
 *
 * 1. Whole-page sharing first (tools/patchsim.c): zero pages, identical
 *    pages, and the frames left: what patching works on.
 * 2. Similarity keys: for each scheme (and all of them together, the best
 *    any key finds), the greedy patching run of patchsim with delta/'s
 *    format and the 2 KiB size class: frames that found a candidate,
 *    frames patched, mean patch, net pages saved, index bytes per frame,
 *    key and lookup cost per frame.
 * 3. Formats, pairwise on the same pairs: for N pages (evenly spread) with
 *    a candidate from all the keys together, the size of the patch against
 *    its best candidate in delta/'s copy/insert format, XOR-then-lz4
 *    (tools/xorlz4.c) and Debian's xdelta3 (VCDIFF, `xdelta3 -e -9 -S none
 *    -A -n`: no secondary compressor, application header or checksum, the
 *    smallest it makes; -B and -W at their least, which changes no size
 *    and saves the 64 MiB it would clear per run), each without a bound:
 *    the share within 2 KiB and their mean.  xdelta3 runs as a program (one per pair); without it the
 *    column is skipped.
 *    Then the greedy run of 2 with the default keys, once per built-in
 *    format, each choosing its own best candidate: pages patched, net.
 * 4. Cost per page, on the pages the default scheme patched: encode (the
 *    chosen candidate) and decode, host microseconds (the least of 5 runs,
 *    process CPU clock), for both built-in formats; every decode is checked
 *    against the page.  Instructions: run under callgrind with
 *    --toggle-collect=delta_encode (or delta_decode) and divide by the
 *    count printed here (--cost-only skips 2 and 3 for that).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "patchsim.h"
#include "xorlz4.h"

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "patchbench: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static const unsigned char *load(const char *path, uint64_t *pages)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	void *m;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		die("cannot open a regular file", path);
	if (st.st_size == 0 || st.st_size % DELTA_PAGE_SIZE)
		die("size is not a positive multiple of 4 KiB (not a memory image?)", path);
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		die("cannot map", path);
	close(fd);
	*pages = (uint64_t)st.st_size / DELTA_PAGE_SIZE;
	return m;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

struct named { const char *name; struct delta_sim_scheme s; };

#define B(k, n, ...) { .kind = DELTA_SIM_BLOCKS, .nkeys = k, .blocks = n, .skip_uniform = 1, \
		       .offset = __VA_ARGS__ }
static const struct named schemes[] = {
	{ "2 blocks -> 1 key @1K,3K (DE, the issue)", B(1, 2, { { 1024, 3072 } }) },
	{ "  same, uniform blocks keyed too", { .kind = DELTA_SIM_BLOCKS, .nkeys = 1, .blocks = 2,
						.offset = { { 1024, 3072 } } } },
	{ "2 blocks -> 1 key @0,2K", B(1, 2, { { 0, 2048 } }) },
	{ "1 block -> 1 key @2K", B(1, 1, { { 2048 } }) },
	{ "1 block each, 2 keys @1K,3K", B(2, 1, { { 1024 }, { 3072 } }) },
	{ "1 block each, 4 keys @512+1K*i", B(4, 1, { { 512 }, { 1536 }, { 2560 }, { 3584 } }) },
	{ "1 block each, 8 keys @256+512*i", B(8, 1, { { 256 }, { 768 }, { 1280 }, { 1792 },
						      { 2304 }, { 2816 }, { 3328 }, { 3840 } }) },
	{ "4 blocks -> 1 key @0,1K,2K,3K", B(1, 4, { { 0, 1024, 2048, 3072 } }) },
	{ "min-hash of 8-byte words, 1 key", { .kind = DELTA_SIM_MINHASH, .nkeys = 1, .skip_uniform = 1 } },
	{ "min-hash of 8-byte words, 2 keys", { .kind = DELTA_SIM_MINHASH, .nkeys = 2, .skip_uniform = 1 } },
	{ "min-hash of 8-byte words, 4 keys", { .kind = DELTA_SIM_MINHASH, .nkeys = 4, .skip_uniform = 1 } },
	{ "min-hash of 8-byte words, 8 keys", { .kind = DELTA_SIM_MINHASH, .nkeys = 8, .skip_uniform = 1 } },
};
#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

static struct delta_work work;

static void scheme_row(const struct patch_corpus *c, const char *name, const struct delta_sim_scheme *s,
		       unsigned ns, unsigned cands)
{
	struct patch_sim p = { .schemes = s, .nschemes = ns, .max_candidates = cands,
			       .enc = patch_encode_copyins, .enc_ctx = &work, .cap = DELTA_MAX_PATCH };
	if (patch_sim_run(c, &p))
		die("out of memory or a bad scheme", name);
	printf("  %-42s %6.2f%% %7llu %6.2f%% %6.0f %9.0f %6.1f %6.2f %6.2f\n", name,
	       100.0 * p.with_candidate / c->distinct, (unsigned long long)p.patched,
	       100.0 * p.patched / c->distinct, p.patched ? (double)p.patch_bytes / p.patched : 0,
	       patch_sim_saved_pages(&p), (double)p.index_bytes / c->distinct,
	       1e6 * p.seconds_keys / c->distinct, 1e6 * p.seconds_encode / c->distinct);
	fflush(stdout);
}

/* xdelta3's patch size for page against ref, or -1. */
static long xdelta3_size(const char *dir, const void *page, const void *ref)
{
	char a[256], b[256], o[256];
	struct stat st;
	FILE *f;
	pid_t pid;
	int status;

	snprintf(a, sizeof(a), "%s/ref", dir);
	snprintf(b, sizeof(b), "%s/page", dir);
	snprintf(o, sizeof(o), "%s/out", dir);
	if (!(f = fopen(a, "wb")) || fwrite(ref, DELTA_PAGE_SIZE, 1, f) != 1 || fclose(f))
		return -1;
	if (!(f = fopen(b, "wb")) || fwrite(page, DELTA_PAGE_SIZE, 1, f) != 1 || fclose(f))
		return -1;
	/* vfork, not fork: no copy of this process's page tables (the images;
	 * posix_spawn's <sched.h> is shadowed by kernel/sched.h here) */
	pid = vfork();
	if (pid == 0) {
		execlp("xdelta3", "xdelta3", "-e", "-9", "-B", "524288", "-W", "16384", "-S", "none", "-A",
		       "-n", "-f", "-s", a, b, o, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return stat(o, &st) ? -1 : (long)st.st_size;
}

struct fmt_acc { uint64_t n, fit, fit_bytes, all_bytes; };

static void fmt_add(struct fmt_acc *a, long len)
{
	a->n++;
	if (len < 0)
		len = DELTA_PAGE_SIZE; /* no patch: the page itself */
	a->all_bytes += (uint64_t)len;
	if (len <= (long)DELTA_MAX_PATCH) {
		a->fit++;
		a->fit_bytes += (uint64_t)len;
	}
}

static void fmt_row(const char *name, const struct fmt_acc *a)
{
	if (!a->n)
		return;
	printf("  %-34s %8.2f%% %10.0f %12.0f\n", name, 100.0 * a->fit / a->n,
	       a->fit ? (double)a->fit_bytes / a->fit : 0, (double)a->all_bytes / a->n);
}

static void formats(const struct patch_corpus *c, unsigned nsample, unsigned cands)
{
	static struct delta_sim_scheme all[NSCHEMES];
	struct patch_sim p = { .schemes = all, .nschemes = NSCHEMES, .max_candidates = cands,
			       .enc = patch_encode_copyins, .enc_ctx = &work, .cap = DELTA_PAGE_SIZE,
			       .keep_pairs = 1 };
	struct fmt_acc ci = { 0 }, xl = { 0 }, xd = { 0 };
	unsigned char buf[2 * DELTA_PAGE_SIZE];
	char dir[] = "/tmp/patchbench-XXXXXX";
	int have_xd;

	for (unsigned i = 0; i < NSCHEMES; i++)
		all[i] = schemes[i].s;
	if (patch_sim_run(c, &p))
		die("out of memory", NULL);
	have_xd = mkdtemp(dir) != NULL && xdelta3_size(dir, patch_page(c, 0, 0), patch_page(c, 0, 0)) >= 0;
	if (nsample > p.npairs)
		nsample = (unsigned)p.npairs;
	printf("\nFormats, pairwise: %u of the %llu pages whose best candidate (all keys together) gives a\n"
	       "copy/insert patch under 4 KiB, each page against that candidate, no size bound:\n",
	       nsample, (unsigned long long)p.npairs);
	printf("  %-34s %9s %10s %12s\n", "", "<= 2 KiB", "mean of those", "mean, 4096 if none");
	for (unsigned i = 0; i < nsample; i++) {
		const struct patch_pair *q = &p.pairs[(uint64_t)i * p.npairs / nsample];
		const unsigned char *pg = patch_page(c, q->vm, q->gfn), *rf = patch_page(c, q->ref_vm, q->ref_gfn);
		fmt_add(&ci, delta_encode(&work, pg, rf, buf, sizeof(buf)));
		fmt_add(&xl, xorlz4_encode(NULL, pg, rf, buf, sizeof(buf)));
		if (have_xd)
			fmt_add(&xd, xdelta3_size(dir, pg, rf));
	}
	fmt_row("copy/insert (delta/)", &ci);
	fmt_row("XOR, then lz4", &xl);
	if (have_xd)
		fmt_row("xdelta3 -9 (VCDIFF), bare", &xd);
	else
		printf("  xdelta3: not run (apt-get install xdelta3)\n");
	if (have_xd) {
		char path[300];
		const char *f[] = { "ref", "page", "out" };
		for (unsigned i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, f[i]);
			unlink(path);
		}
		rmdir(dir);
	}
	free(p.pairs);

	/* The same greedy run as the key table's, each format choosing its
	 * own best candidate: what the engine would save with it. */
	printf("\nFormats in the greedy run (the default keys, <= %u B):\n", DELTA_MAX_PATCH);
	printf("  %-34s %8s %8s %10s\n", "", "patched", "mean B", "net saved");
	for (unsigned f = 0; f < 2; f++) {
		struct patch_sim g = { .schemes = &delta_sim_default, .nschemes = 1, .max_candidates = cands,
				       .enc = f ? xorlz4_encode : patch_encode_copyins, .enc_ctx = &work,
				       .cap = DELTA_MAX_PATCH };
		if (patch_sim_run(c, &g))
			die("out of memory", NULL);
		printf("  %-34s %8llu %8.0f %10.0f\n", f ? "XOR, then lz4" : "copy/insert (delta/)",
		       (unsigned long long)g.patched, g.patched ? (double)g.patch_bytes / g.patched : 0,
		       patch_sim_saved_pages(&g));
	}
}

typedef int (*decoder)(const void *ref, const void *patch, size_t len, void *out);
static uint64_t decodes;
static int dec_copyins(const void *ref, const void *patch, size_t len, void *out)
{
	decodes++;
	return delta_decode(ref, patch, len, out);
}

/* Encode all pairs (timed), then decode all (timed: one window, no clock
 * read per page), the least of 5 runs each; every decode checked after. */
static void cost_row(const struct patch_corpus *c, const struct patch_pair *pr, uint64_t n, const char *name,
		     patch_encoder enc, decoder dec)
{
	unsigned char *patch = malloc(n * DELTA_MAX_PATCH + 1), *out = malloc(n * DELTA_PAGE_SIZE + 1);
	uint32_t *len = malloc(n * sizeof(*len) + 1);
	double te = 1e9, td = 1e9;
	uint64_t bytes = 0, fit = 0;

	if (!patch || !out || !len)
		die("out of memory", name);
	for (int r = 0; r < 5; r++) {
		double t0 = now(), t;
		for (uint64_t i = 0; i < n; i++) {
			int l = enc(&work, patch_page(c, pr[i].vm, pr[i].gfn),
				    patch_page(c, pr[i].ref_vm, pr[i].ref_gfn), patch + i * DELTA_MAX_PATCH,
				    DELTA_MAX_PATCH);
			len[i] = l > 0 ? (uint32_t)l : 0;
		}
		t = now() - t0;
		te = t < te ? t : te;
	}
	for (uint64_t i = 0; i < n; i++)
		if (len[i]) {
			fit++;
			bytes += len[i];
		}
	for (int r = 0; r < 5; r++) {
		double t0 = now(), t;
		for (uint64_t i = 0; i < n; i++)
			if (len[i] && dec(patch_page(c, pr[i].ref_vm, pr[i].ref_gfn), patch + i * DELTA_MAX_PATCH,
					  len[i], out + i * DELTA_PAGE_SIZE))
				die("a patch did not decode", name);
		t = now() - t0;
		td = t < td ? t : td;
	}
	for (uint64_t i = 0; i < n; i++)
		if (len[i] && memcmp(out + i * DELTA_PAGE_SIZE, patch_page(c, pr[i].vm, pr[i].gfn), DELTA_PAGE_SIZE))
			die("a patch decoded to another page", name);
	printf("  %-24s %8llu %9.0f %12.2f %12.2f\n", name, (unsigned long long)fit,
	       fit ? (double)bytes / fit : 0, n ? 1e6 * te / n : 0, fit ? 1e6 * td / fit : 0);
	free(patch);
	free(out);
	free(len);
}

int main(int argc, char **argv)
{
	const unsigned char *img[PATCHSIM_MAX_IMAGES];
	uint64_t pages[PATCHSIM_MAX_IMAGES];
	unsigned n = 0, nsample = 1000, cands = 4;
	int cost_only = 0;
	struct patch_corpus c;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--xdelta") && i + 1 < argc)
			nsample = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--candidates") && i + 1 < argc)
			cands = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--cost-only"))
			cost_only = 1;
		else if (argv[i][0] == '-')
			die("usage: patchbench [--xdelta N] [--candidates N] [--cost-only] IMAGE...", NULL);
		else if (n == PATCHSIM_MAX_IMAGES)
			die("more than 32 images", NULL);
		else {
			img[n] = load(argv[i], &pages[n]);
			n++;
		}
	}
	if (!n)
		die("no images given", NULL);
	if (patch_corpus_init(&c, n, img, pages))
		die("out of memory", NULL);
	printf("patchbench: %u images, %llu pages: zero %llu, identical to an earlier page %llu, "
	       "frames left %llu (distinct non-zero contents)\n", n, (unsigned long long)c.total,
	       (unsigned long long)c.zero, (unsigned long long)c.identical, (unsigned long long)c.distinct);

	if (!cost_only) {
		printf("\nSimilarity keys (greedy in scan order; up to %u candidates a frame; delta/'s format, "
		       "<= %u B):\n", cands, DELTA_MAX_PATCH);
		printf("  %-42s %7s %7s %7s %6s %9s %6s %6s %6s\n", "scheme", "w/cand", "patched", "of left",
		       "mean B", "net saved", "idx B", "key us", "enc us");
		for (unsigned i = 0; i < NSCHEMES; i++)
			scheme_row(&c, schemes[i].name, &schemes[i].s, 1, cands);
		{
			struct delta_sim_scheme all[NSCHEMES];
			for (unsigned i = 0; i < NSCHEMES; i++)
				all[i] = schemes[i].s;
			scheme_row(&c, "all of the above together", all, NSCHEMES, 2 * cands);
		}
		printf("  (w/cand: frames with a candidate; of left: patched / frames left; net saved: pages,\n"
		       "   patches' bytes deducted; idx B: the index's bytes per frame left; per frame: key =\n"
		       "   keys, lookup and insert, enc = patch attempts)\n");
		formats(&c, nsample, cands);
	}

	/* Cost per page on the default scheme's patched pages. */
	{
		struct patch_sim p = { .schemes = &delta_sim_default, .nschemes = 1, .max_candidates = cands,
				       .enc = patch_encode_copyins, .enc_ctx = &work, .cap = DELTA_MAX_PATCH,
				       .keep_pairs = 1 };
		if (patch_sim_run(&c, &p))
			die("out of memory", NULL);
		printf("\nCost per page on the %llu pages the default scheme patched (host CPU, least of 5 runs):\n",
		       (unsigned long long)p.npairs);
		printf("  %-24s %8s %9s %12s %12s\n", "format", "fit", "mean B", "encode us", "decode us");
		cost_row(&c, p.pairs, p.npairs, "copy/insert (delta/)", patch_encode_copyins, dec_copyins);
		cost_row(&c, p.pairs, p.npairs, "XOR, then lz4", xorlz4_encode, xorlz4_decode);
		printf("  calls, all told (for callgrind --toggle-collect): delta_encode %llu, delta_decode %llu\n",
		       (unsigned long long)patchsim_encodes, (unsigned long long)decodes);
		free(p.pairs);
	}
	patch_corpus_free(&c);
	return 0;
}
