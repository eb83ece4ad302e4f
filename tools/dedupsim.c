/*
 * dedupsim - run the dedup/ engine over memory images, beside the oracle.
 *
 *   dedupsim [options] IMAGE...      one image = one VM's raw guest-physical
 *                                    memory (QEMU pmemsave / dump-guest-memory)
 *   --json                JSON on stdout instead of the text report
 *   --plot FILE.png       savings against scan progress, engine vs oracle (gnuplot)
 *   --granularity         also count the oracle at 2 KiB and 1 KiB
 *   --pages-to-scan N     pages per dedup_scan() call (default 10000)
 *   --max-scans N         stop after N full scans (default 10)
 *   --steady-scans N      then N more full scans of the converged, unchanging
 *                         memory, each timed alone: the steady state (default 0)
 *   --no-ad               no EPT A/D bits: KSM's two-visit rule
 *   --first-sight         the merge_first_sight knob
 *   --mechanisms          also the savings by mechanism: zero, identical and
 *                         patched pages (delta/, tools/mechanisms.c)
 *   --tier                then the cold tier on the converged memory, every page
 *                         treated as cold (an image has no accessed bits): savings
 *                         by mechanism, lz4's ratio and classes, the costs
 *                         (tools/tiersim.c)
 *   --patch               with --tier: the tier keeps patches too (dedup/
 *                         tier_patch.c): a page like a reference frame is a patch
 *                         when its slot is smaller than lz4's
 *
 * The engine is compiled from the same dedup/ sources as the hypervisor and runs
 * over the host fake (tests/fake/fake_mem.c), with every image's pages as a
 * VM's private frames.  CPU time is the process's, measured around the
 * engine's calls only.  The run stops when a full scan saved nothing more
 * (after at least two) or at --max-scans.
 *
 * What a timed window may contain (issue 14: the same first scan measured
 * 0.16 to 0.83 CPU-s): only the engine's work.  The frames sit in 2 MiB
 * pages, as in the hypervisor's direct map (the advice used to fail on an
 * unaligned arena, silently); the heap the engine's metadata grows into is
 * made resident beforehand, as the hypervisor's is (heap_resident).  Each
 * full scan reports its own CPU, user and system time, page faults and
 * context switches (tools/cost.c), the run /proc/vmstat's THP and
 * compaction deltas, so what still varies can be told apart: on shared
 * cores it is preemption and cache contention, which no engine change
 * removes; hence make bench's primary figure is instructions, counted by
 * callgrind (client requests below: the engine's calls only, one dump per
 * full scan), and CPU-seconds are a median of several runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Under callgrind (make bench), the engine's calls alone are counted, one
 * dump per full scan (callgrind_marks.h). */
#include "callgrind_marks.h"
#include "cost.h"
#include "dedup.h"
#include "fake_mem.h"
#include "mechanisms.h"
#include "oracle.h"
#include "tiersim.h"

#define MAX_IMAGES 32
#define NSAMPLES_PER_SCAN 20

struct image { const char *path, *name; unsigned char *data; uint64_t size; };

struct scan_row {
	uint64_t full_scans, frames_saved, self, inter, metadata_bytes, pages_scanned;
	uint64_t pages_hashed, merges; /* all time, as pages_scanned */
	double cpu_seconds;      /* all scans so far */
	struct cost window;      /* this scan alone */
};

struct sample { double progress; uint64_t saved; double cpu; };

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, "dedupsim: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n");
	exit(2);
}

static void usage(void)
{
	fprintf(stderr, "usage: dedupsim [--json] [--plot FILE.png] [--granularity] "
		"[--pages-to-scan N] [--max-scans N] [--steady-scans N] [--no-ad] [--first-sight] "
		"[--mechanisms] [--tier [--patch]] IMAGE...\n");
	exit(2);
}

static void load(struct image *im)
{
	struct stat st;
	int fd = open(im->path, O_RDONLY);
	const char *slash = strrchr(im->path, '/');

	im->name = slash ? slash + 1 : im->path;
	if (fd < 0)
		die("%s: cannot open", im->path);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		die("%s: not a regular file", im->path);
	if (st.st_size == 0)
		die("%s: empty image", im->path);
	if (st.st_size % 4096)
		die("%s: size is not a multiple of 4 KiB (not a memory image?)", im->path);
	if ((uint64_t)st.st_size / 4096 > DEDUP_MAX_PAGES)
		die("%s: larger than 64 GiB", im->path);
	im->size = (uint64_t)st.st_size;
	im->data = mmap(NULL, im->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (im->data == MAP_FAILED)
		die("%s: cannot map", im->path);
	close(fd);
}

/*
 * The hypervisor's heap is mapped and resident from boot, sized for the
 * engine's worst case (dedup_metadata_max); the host's malloc maps memory
 * lazily, so every first touch of new metadata would be a page fault, and
 * the first full scan (which grows the indexes) would pay ~800 of them
 * inside its timed window: a cost of the host, not of the engine.  So
 * before the engine and the fake VMs are made, the heap is grown by that
 * much and by the fake's EPT and TLB arrays, and touched, and kept (main()
 * sets it never to be trimmed, and blocks up to 32 MiB to come from it,
 * not from fresh mappings).  What the engine does with its memory - zeroing and
 * copying on a resize - stays inside the window and is counted; the faults
 * the window still sees are reported beside the CPU time.
 */
static void heap_resident(uint64_t bytes)
{
	enum { CHUNK = 1 << 20 };
	size_t n = (size_t)(bytes / CHUNK + 1), i;
	void **p = calloc(n, sizeof(*p));

	for (i = 0; p && i < n; i++) /* in chunks the heap serves, not mmap */
		if ((p[i] = malloc(CHUNK)))
			for (size_t b = 0; b < CHUNK; b += 4096) /* volatile: a store */
				((volatile char *)p[i])[b] = 0;  /* before free() is kept */
	for (i = n; p && i-- > 0;)
		free(p[i]);
	free(p);
}

static struct image *fill_images;
static void fill(unsigned vm, uint64_t gfn, void *page, void *arg)
{
	(void)arg;
	memcpy(page, fill_images[vm].data + gfn * 4096, 4096);
}

/* Bytes in the valid UTF-8 sequence at p (1 to 4), or 0 if there is none:
 * no overlong forms, surrogates or code points above U+10FFFF. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned cp, min;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2, cp = p[0] & 0x1F, min = 0x80;
	else if ((p[0] & 0xF0) == 0xE0)
		n = 3, cp = p[0] & 0x0F, min = 0x800;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (i = 1; i < n; i++) { /* stops at the NUL too */
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* s as a JSON string (RFC 8259): quote and backslash escaped, control
 * characters as \u00XX, and bytes that are not UTF-8 (file names need not
 * be) as U+FFFD, so that the output stays valid JSON text. */
static void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putc('"', f);
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0) {
			fputs("\\ufffd", f);
			p++;
		} else if (n > 1) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			if (*p == '"' || *p == '\\')
				fprintf(f, "\\%c", *p);
			else if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				putc(*p, f);
			p++;
		}
	}
	putc('"', f);
}

/* Whether s can be a gnuplot single-quoted string: no escapes there ('' is
 * a quote) and no backquote or macro substitution, but a line break ends
 * the command, so no control characters. */
static int gnuplot_quotable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* s as a gnuplot single-quoted string; gnuplot_quotable(s) must hold. */
static void gnuplot_string(FILE *g, const char *s)
{
	putc('\'', g);
	for (; *s; s++) {
		if (*s == '\'')
			putc('\'', g);
		putc(*s, g);
	}
	putc('\'', g);
}

/* Copies the file at from to the path to (created or truncated): 0, or -1. */
static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[65536];
	size_t n;
	int bad = 0;

	if (!in)
		return -1;
	out = fopen(to, "wb");
	if (!out) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			bad = 1;
	if (ferror(in))
		bad = 1;
	fclose(in);
	if (fclose(out))
		bad = 1;
	return bad ? -1 : 0;
}

/*
 * gnuplot draws into a temporary file whose name we made (mkstemp: letters
 * and digits under /tmp), which is then copied to png: the user's path never
 * enters the script, so no quote, backslash, backquote, @ or line break in it
 * can end the string or run a command, and any path the C library can open
 * works.  gnuplot's own output goes to stderr, never into --json's stdout.
 */
static void plot(const char *png, const struct sample *s, unsigned ns, uint64_t ideal)
{
	char dat[] = "/tmp/dedupsim-XXXXXX", img[] = "/tmp/dedupsim-XXXXXX";
	int fd = mkstemp(dat), ifd, bad;
	struct stat st;
	FILE *f, *g;

	if (fd < 0 || !(f = fdopen(fd, "w")))
		die("%s: cannot write plot data", png);
	for (unsigned i = 0; i < ns; i++)
		fprintf(f, "%.4f %llu\n", s[i].progress, (unsigned long long)s[i].saved);
	if (fclose(f)) {
		unlink(dat);
		die("%s: cannot write plot data", png);
	}
	ifd = mkstemp(img);
	if (ifd < 0 || !gnuplot_quotable(dat) || !gnuplot_quotable(img)) {
		unlink(dat);
		if (ifd >= 0)
			unlink(img);
		die("%s: cannot create a temporary file for the plot", png);
	}
	close(ifd);
	g = popen("gnuplot 1>&2", "w");
	if (!g) {
		unlink(dat);
		unlink(img);
		die("%s: cannot run gnuplot (apt-get install gnuplot-nox)", png);
	}
	fprintf(g, "set terminal pngcairo size 900,540\nset output ");
	gnuplot_string(g, img);
	fprintf(g, "\nset title 'dedupsim: pages saved against scan progress'\n"
		"set xlabel 'full scans'\nset ylabel 'pages saved'\nset key bottom right\nset grid\nplot ");
	gnuplot_string(g, dat);
	fprintf(g, " using 1:2 with linespoints title 'engine', %llu with lines dt 2 title 'oracle (ideal)'\n",
		(unsigned long long)ideal);
	bad = pclose(g) != 0 || stat(img, &st) || st.st_size == 0;
	unlink(dat);
	if (bad) {
		unlink(img);
		die("%s: gnuplot failed or drew nothing (is gnuplot-nox installed?)", png);
	}
	bad = copy_file(img, png);
	unlink(img);
	if (bad)
		die("%s: cannot write the plot there", png);
}

int main(int argc, char **argv)
{
	struct image im[MAX_IMAGES];
	const unsigned char *data[MAX_IMAGES];
	uint64_t sizes[MAX_IMAGES], pages = 0, pts = 10000, max_scans = 10, nsteady = 0;
	unsigned n = 0, i, nrows = 0, ns = 0;
	int json = 0, gran = 0, ad = 1, first = 0, mech = 0, tier = 0, patch = 0;
	struct mechanisms *mx = NULL;
	struct tiersim ts;
	const char *png = NULL;
	struct dedup_recount o, og[2];
	struct fake_mem m;
	struct dedup_ops ops;
	struct dedup_knobs k;
	struct dedup *d;
	struct scan_row rows[256];
	struct cost steady[256];
	struct sample *smp;
	double cpu = 0, t_oracle;
	struct cost_sys sys0, sys1;
	long arena_thp;
	uint64_t arena_bytes;

	for (i = 1; i < (unsigned)argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json")) json = 1;
		else if (!strcmp(a, "--granularity")) gran = 1;
		else if (!strcmp(a, "--no-ad")) ad = 0;
		else if (!strcmp(a, "--first-sight")) first = 1;
		else if (!strcmp(a, "--mechanisms")) mech = 1;
		else if (!strcmp(a, "--tier")) tier = 1;
		else if (!strcmp(a, "--patch")) patch = 1;
		else if (!strcmp(a, "--plot") && i + 1 < (unsigned)argc) png = argv[++i];
		else if (!strcmp(a, "--pages-to-scan") && i + 1 < (unsigned)argc) pts = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--max-scans") && i + 1 < (unsigned)argc) max_scans = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--steady-scans") && i + 1 < (unsigned)argc) nsteady = strtoull(argv[++i], NULL, 0);
		else if (a[0] == '-') usage();
		else if (n == MAX_IMAGES) die("more than %s images", "32");
		else im[n++].path = a;
	}
	if (n == 0)
		die("%s", "no images given (an empty set has nothing to share)");
	if (pts == 0 || max_scans == 0 || max_scans > 256 || nsteady > 256)
		usage();
	for (i = 0; i < n; i++) {
		load(&im[i]);
		data[i] = im[i].data;
		sizes[i] = im[i].size;
		pages += im[i].size / 4096;
	}

	t_oracle = cost_cpu_now();
	if (oracle_compute(data, sizes, n, 4096, &o))
		die("%s", "oracle: out of memory or a 128-bit hash collision");
	if (gran && (oracle_compute(data, sizes, n, 2048, &og[0]) ||
		     oracle_compute(data, sizes, n, 1024, &og[1])))
		die("%s", "oracle: out of memory or a 128-bit hash collision");
	t_oracle = cost_cpu_now() - t_oracle;
	if (mech && !(mx = mechanisms_measure(n, data, sizes)))
		die("%s", "mechanisms: out of memory");

	mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's most: larger blocks are mmap'd */
	mallopt(M_TRIM_THRESHOLD, -1);       /* never give the heap back */
	/* The engine over the host fake: each image a VM of private frames. */
	fake_init(&m, pages + 64, ad);
	m.poison = false;
	/* The hypervisor reaches frames through a 2 MiB-page direct map (and
	 * ksmd through the kernel's); back the arena likewise, so TLB misses
	 * of 4 KiB host pages do not dominate the measured CPU.  The advice
	 * must come before the arena is first touched (fake_vm_populate), on
	 * its 2 MiB-aligned start (fake_init); how much of it the kernel did
	 * back with huge pages is measured below and reported. */
	arena_bytes = (pages + 64) * 4096;
	if (madvise(m.arena, arena_bytes, MADV_HUGEPAGE))
		fprintf(stderr, "dedupsim: madvise(MADV_HUGEPAGE) on the arena failed: %s\n",
			strerror(errno));
	heap_resident(dedup_metadata_max(pages) + pages * (sizeof(struct fake_pte) + sizeof(struct fake_tlbe)));
	ops = fake_ops(&m);
	k = (struct dedup_knobs){ .pages_to_scan = (uint32_t)pts, .merge_first_sight = first != 0 };
	d = dedup_create(&ops, &k);
	if (!d)
		die("%s", "out of memory");
	fill_images = im;
	for (i = 0; i < n; i++) {
		fake_vm_create(&m, i, im[i].size / 4096);
		fake_vm_populate(&m, i, fill, NULL);
		if (dedup_vm_add(d, i, im[i].size / 4096, 0, false))
			die("%s: the engine refused it", im[i].path);
	}
	arena_thp = cost_thp_kib(m.arena, arena_bytes);
	smp = calloc(max_scans * (NSAMPLES_PER_SCAN + 2) + 2, sizeof(*smp));
	cost_sys_read(&sys0);
	CALLGRIND_START_INSTRUMENTATION;
	smp[ns++] = (struct sample){ 0, 0, 0 };
	while (nrows < max_scans) {
		struct dedup_stats st;
		uint64_t before_scans, step = pages / NSAMPLES_PER_SCAN + 1, visited = 0;
		dedup_get_stats(d, &st);
		before_scans = st.full_scans;
		struct cost win = { 0 };
		do { /* one full scan, sampled NSAMPLES_PER_SCAN times */
			uint64_t want = step < pts ? step : pts, got;
			struct cost_mark mk;
			double c0 = win.cpu;
			cost_open(&mk);
			CALLGRIND_TOGGLE_COLLECT;
			got = dedup_scan(d, want);
			CALLGRIND_TOGGLE_COLLECT;
			cost_close(&mk, &win);
			cpu += win.cpu - c0;
			visited += got;
			dedup_get_stats(d, &st);
			if (visited % step < got || st.full_scans != before_scans)
				smp[ns++] = (struct sample){ before_scans + (double)visited / pages, st.frames_saved, cpu };
		} while (st.full_scans == before_scans);
		rows[nrows++] = (struct scan_row){ st.full_scans, st.frames_saved, st.self_sharing,
						    st.inter_sharing, st.metadata_bytes, st.pages_scanned,
						    st.pages_hashed, st.merges, cpu, win };
		CALLGRIND_DUMP_STATS_AT("dedupsim: one full scan");
		if (nrows >= 2 && rows[nrows - 1].frames_saved == rows[nrows - 2].frames_saved)
			break;
	}
	/* The steady state: full scans of memory that no longer changes. */
	for (i = 0; i < nsteady; i++) {
		struct dedup_stats st;
		uint64_t before_scans;
		steady[i] = (struct cost){ 0 };
		dedup_get_stats(d, &st);
		before_scans = st.full_scans;
		do {
			struct cost_mark mk;
			cost_open(&mk);
			CALLGRIND_TOGGLE_COLLECT;
			dedup_scan(d, pts);
			CALLGRIND_TOGGLE_COLLECT;
			cost_close(&mk, &steady[i]);
			dedup_get_stats(d, &st);
		} while (st.full_scans == before_scans);
		CALLGRIND_DUMP_STATS_AT("dedupsim: one full scan");
	}
	cost_sys_read(&sys1);
	if (tier) {
		uint64_t vpages[MAX_IMAGES];
		for (i = 0; i < n; i++)
			vpages[i] = im[i].size / 4096;
		if (!ad)
			die("%s", "--tier needs A/D bits: without them nothing is ever cold");
		if (tiersim_run(d, &m, n, data, vpages, &o, patch, &ts))
			die("%s", "the cold tier lost content: a page read back other than its image");
	}

	if (json) {
		printf("{\n  \"pages_total\": %llu,\n  \"pages_zero\": %llu,\n  \"pages_unique\": %llu,\n"
		       "  \"sharable\": %llu,\n  \"sharable_nonzero\": %llu,\n  \"self_sharing\": %llu,\n"
		       "  \"inter_sharing\": %llu,\n  \"max_copies\": %llu,\n  \"max_copies_is_zero\": %s,\n",
		       (unsigned long long)o.pages_total, (unsigned long long)o.pages_zero,
		       (unsigned long long)o.pages_unique, (unsigned long long)o.sharable,
		       (unsigned long long)o.sharable_nonzero, (unsigned long long)o.self_sharing,
		       (unsigned long long)o.inter_sharing, (unsigned long long)o.max_copies,
		       o.max_copies_is_zero ? "true" : "false");
		if (gran)
			printf("  \"granularity\": [{\"bytes\": 4096, \"sharable\": %llu, \"chunks\": %llu}, "
			       "{\"bytes\": 2048, \"sharable\": %llu, \"chunks\": %llu}, "
			       "{\"bytes\": 1024, \"sharable\": %llu, \"chunks\": %llu}],\n",
			       (unsigned long long)o.sharable, (unsigned long long)o.pages_total,
			       (unsigned long long)og[0].sharable, (unsigned long long)og[0].pages_total,
			       (unsigned long long)og[1].sharable, (unsigned long long)og[1].pages_total);
		printf("  \"vms\": [");
		for (i = 0; i < n; i++) {
			printf("%s\n    {\"name\": ", i ? "," : "");
			json_string(stdout, im[i].name);
			printf(", \"pages\": %llu, \"zero\": %llu, \"self_sharing\": %llu}",
			       (unsigned long long)o.vm[i].pages, (unsigned long long)o.vm[i].zero,
			       (unsigned long long)o.vm[i].self);
		}
		printf("\n  ],\n  \"engine\": {\"ad_bits\": %s, \"merge_first_sight\": %s, \"pages_to_scan\": %llu, "
		       "\"oracle_cpu_seconds\": %.3f, \"arena_bytes\": %llu, \"arena_thp_kib\": %ld},\n  ",
		       ad ? "true" : "false", first ? "true" : "false", (unsigned long long)pts, t_oracle,
		       (unsigned long long)arena_bytes, arena_thp);
		cost_sys_json(stdout, &sys0, &sys1);
		printf(",\n  \"scans\": [");
		for (i = 0; i < nrows; i++) {
			printf("%s\n    {\"full_scans\": %llu, \"frames_saved\": %llu, \"self\": %llu, \"inter\": %llu, "
			       "\"cpu_seconds\": %.4f, \"metadata_bytes\": %llu, \"pages_scanned\": %llu, "
			       "\"pages_hashed\": %llu, \"merges\": %llu, \"fraction_of_oracle\": %.6f, "
			       "\"window\": ",
			       i ? "," : "", (unsigned long long)rows[i].full_scans,
			       (unsigned long long)rows[i].frames_saved, (unsigned long long)rows[i].self,
			       (unsigned long long)rows[i].inter, rows[i].cpu_seconds,
			       (unsigned long long)rows[i].metadata_bytes, (unsigned long long)rows[i].pages_scanned,
			       (unsigned long long)rows[i].pages_hashed, (unsigned long long)rows[i].merges,
			       o.sharable ? (double)rows[i].frames_saved / o.sharable : 1.0);
			cost_json(stdout, &rows[i].window);
			printf("}");
		}
		printf("\n  ],\n  \"steady\": [");
		for (i = 0; i < nsteady; i++) {
			printf("%s\n    ", i ? "," : "");
			cost_json(stdout, &steady[i]);
		}
		printf("\n  ],\n  \"reach\": [");
		for (i = 0; i < 3; i++) {
			const double frac[] = { 0.5, 0.9, 0.99 };
			unsigned j = 0;
			while (j + 1 < ns && smp[j].saved < frac[i] * rows[nrows - 1].frames_saved)
				j++;
			printf("%s\n    {\"fraction\": %.2f, \"full_scans\": %.2f, \"cpu_seconds\": %.4f}",
			       i ? "," : "", frac[i], smp[j].progress, smp[j].cpu);
		}
		printf("\n  ]");
		if (mx) {
			printf(",\n  ");
			mechanisms_json(stdout, mx);
		}
		if (tier) {
			printf(",\n  \"tier\": ");
			tiersim_json(stdout, &ts);
		}
		printf("\n}\n");
	} else {
		printf("dedupsim: %u images, %llu pages (%.1f MiB)\n", n, (unsigned long long)pages, pages / 256.0);
		printf("oracle (Barker et al.), 4 KiB pages:\n");
		printf("  pages %llu, zero %llu (%.1f%%), distinct contents %llu, most copies of one page %llu%s\n",
		       (unsigned long long)o.pages_total, (unsigned long long)o.pages_zero,
		       100.0 * o.pages_zero / o.pages_total, (unsigned long long)o.pages_unique,
		       (unsigned long long)o.max_copies, o.max_copies_is_zero ? " (zero)" : "");
		printf("  sharable %llu (%.2f%%), without zero pages %llu (%.2f%%)\n",
		       (unsigned long long)o.sharable, 100.0 * o.sharable / o.pages_total,
		       (unsigned long long)o.sharable_nonzero, 100.0 * o.sharable_nonzero / o.pages_total);
		printf("  self-sharing %llu, inter-VM sharing %llu\n", (unsigned long long)o.self_sharing,
		       (unsigned long long)o.inter_sharing);
		for (i = 0; i < n; i++)
			printf("  vm %-16s pages %8llu  zero %8llu  self-sharing %8llu\n", im[i].name,
			       (unsigned long long)o.vm[i].pages, (unsigned long long)o.vm[i].zero,
			       (unsigned long long)o.vm[i].self);
		if (gran)
			printf("  at 2 KiB: %.2f%% sharable; at 1 KiB: %.2f%%\n",
			       100.0 * og[0].sharable / og[0].pages_total, 100.0 * og[1].sharable / og[1].pages_total);
		printf("engine (dedup/, %s A/D bits%s, pages_to_scan %llu):\n", ad ? "with" : "without",
		       first ? ", merge_first_sight" : "", (unsigned long long)pts);
		printf("  %-5s %10s %8s %8s %10s %9s %12s %10s\n", "scan", "saved", "self", "inter",
		       "of oracle", "cpu s", "pages/cpu-s", "meta B/pg");
		for (i = 0; i < nrows; i++)
			printf("  %-5llu %10llu %8llu %8llu %9.3f%% %9.3f %12.0f %10.2f\n",
			       (unsigned long long)rows[i].full_scans, (unsigned long long)rows[i].frames_saved,
			       (unsigned long long)rows[i].self, (unsigned long long)rows[i].inter,
			       o.sharable ? 100.0 * rows[i].frames_saved / o.sharable : 100.0, rows[i].cpu_seconds,
			       rows[i].cpu_seconds > 0 ? rows[i].pages_scanned / rows[i].cpu_seconds : 0,
			       (double)rows[i].metadata_bytes / pages);
		printf("  each scan alone (inside the engine's calls): %-7s %7s %7s %8s %6s %6s %6s\n",
		       "cpu s", "user", "sys", "minflt", "majflt", "vcsw", "ivcsw");
		for (i = 0; i < nrows; i++)
			printf("  scan %-41llu %7.3f %7.3f %7.3f %8llu %6llu %6llu %6llu\n",
			       (unsigned long long)rows[i].full_scans, rows[i].window.cpu, rows[i].window.user,
			       rows[i].window.sys, (unsigned long long)rows[i].window.minflt,
			       (unsigned long long)rows[i].window.majflt, (unsigned long long)rows[i].window.nvcsw,
			       (unsigned long long)rows[i].window.nivcsw);
		for (i = 0; i < nsteady; i++)
			printf("  steady %-39u %7.3f %7.3f %7.3f %8llu %6llu %6llu %6llu\n", i + 1, steady[i].cpu,
			       steady[i].user, steady[i].sys, (unsigned long long)steady[i].minflt,
			       (unsigned long long)steady[i].majflt, (unsigned long long)steady[i].nvcsw,
			       (unsigned long long)steady[i].nivcsw);
		printf("  arena: %llu MiB, %ld MiB of it in transparent huge pages\n",
		       (unsigned long long)(arena_bytes >> 20), arena_thp < 0 ? -1 : arena_thp >> 10);
		if (mx)
			mechanisms_print(stdout, mx);
		if (tier)
			tiersim_print(stdout, &ts, pages);
	}
	if (png)
		plot(png, smp, ns, o.sharable);

	for (i = 0; i < n; i++) {
		dedup_vm_remove(d, i);
		fake_vm_destroy(&m, i);
		munmap(im[i].data, im[i].size);
	}
	dedup_destroy(d);
	fake_fini(&m);
	dedup_recount_free(&o);
	mechanisms_free(mx);
	if (gran) {
		dedup_recount_free(&og[0]);
		dedup_recount_free(&og[1]);
	}
	free(smp);
	return 0;
}
