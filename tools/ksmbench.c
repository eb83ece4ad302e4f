/*
 * ksmbench - run Linux KSM over memory images and measure it, for make bench.
 *
 *   ksmbench [--pages-to-scan N] [--sleep-ms N] [--use-zero-pages 0|1]
 *            [--timeout S] [--steady-scans N] IMAGE...
 *
 * Copies each image into its own anonymous mapping (THP off on it: with huge
 * pages this kernel's KSM counters were measured wrong), marks it
 * MADV_MERGEABLE, sets KSM's knobs, starts ksmd and samples
 * /sys/kernel/mm/ksm and ksmd's CPU time (/proc/PID/schedstat, in ns; else
 * /proc/PID/stat, in clock ticks) every 10 ms until the savings
 * (pages_sharing + ksm_zero_pages) have not changed for two full scans and
 * then --steady-scans (default 3) more full scans over that converged,
 * unchanging memory, or the timeout.  Prints one JSON document: final
 * savings, full scans and CPU-seconds to reach 50/90/99% of them, the CPU of
 * the first full scan and of a full scan of converged memory (the steady
 * state: the mean over the steady scans, from the first completed after the
 * last change), pages per CPU-second, metadata bytes (saved bytes -
 * general_profit), and the MemFree change as a cross-check of the counters.
 * KSM's smart_scan (skip pages that keep failing to merge) is reported, and
 * left as it is.
 *
 * Every knob written is recorded first and restored at exit, on failure and
 * on SIGINT/SIGTERM; KSM is unmerged (run=2) and left as it was (normally
 * off).  Without /sys/kernel/mm/ksm or root it says why and exits 3.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KSM "/sys/kernel/mm/ksm/"
#define MAX_IMAGES 32

static const char *const knobs[] = { "pages_to_scan", "sleep_millisecs", "use_zero_pages", "run" };
#define NKNOBS 4
static long saved_knob[NKNOBS];
static int have_saved;

static long rd(const char *name)
{
	char path[128], buf[64];
	FILE *f;
	long v = -1;
	snprintf(path, sizeof(path), KSM "%s", name);
	if ((f = fopen(path, "r"))) {
		if (fgets(buf, sizeof(buf), f))
			v = strtol(buf, NULL, 10);
		fclose(f);
	}
	return v;
}

static int wr(const char *name, long v)
{
	char path[128];
	FILE *f;
	int ok;
	snprintf(path, sizeof(path), KSM "%s", name);
	if (!(f = fopen(path, "w")))
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void restore(void)
{
	if (!have_saved)
		return;
	have_saved = 0;
	wr("run", 2); /* unmerge everything we merged */
	for (int i = 0; i < NKNOBS; i++)
		if (strcmp(knobs[i], "run"))
			wr(knobs[i], saved_knob[i]);
	wr("run", saved_knob[NKNOBS - 1]);
}

static void on_signal(int sig)
{
	restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static pid_t find_ksmd(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t pid = 0;
	while (d && (e = readdir(d)) && !pid) {
		char path[300], comm[32] = "";
		FILE *f;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "ksmd\n"))
				pid = (pid_t)atoi(e->d_name);
			fclose(f);
		}
	}
	if (d)
		closedir(d);
	return pid;
}

static int cpu_from_schedstat = 1;

/* ksmd's CPU time in seconds: schedstat's runtime (ns), else utime + stime. */
static double ksmd_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	unsigned long long ns;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if (cpu_from_schedstat && (f = fopen(path, "r"))) {
		int ok = fscanf(f, "%llu", &ns) == 1;
		fclose(f);
		if (ok)
			return (double)ns / 1e9;
	}
	cpu_from_schedstat = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (!fgets(buf, sizeof(buf), f)) buf[0] = 0;
	fclose(f);
	p = strrchr(buf, ')');
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
		return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static long memfree_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

struct sample { double t, cpu; long scans, saved; };

static void fail(const char *what)
{
	fprintf(stderr, "ksmbench: %s\n", what);
	restore();
	exit(1);
}

int main(int argc, char **argv)
{
	long pts = 10000, sleep_ms = 0, uzp = 1, timeout = 300, pages = 0, steady = 3;
	const char *img[MAX_IMAGES];
	unsigned n = 0, ns = 0, cap = 4096;
	struct sample *s = malloc(cap * sizeof(*s));
	long scans0, mem0, mem1, last_change_scans = 0, last_saved = -1, pages_scanned0;
	double t0, cpu0;
	pid_t ksmd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pages-to-scan") && i + 1 < argc) pts = atol(argv[++i]);
		else if (!strcmp(argv[i], "--sleep-ms") && i + 1 < argc) sleep_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--use-zero-pages") && i + 1 < argc) uzp = atol(argv[++i]);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) timeout = atol(argv[++i]);
		else if (!strcmp(argv[i], "--steady-scans") && i + 1 < argc) steady = atol(argv[++i]);
		else if (argv[i][0] == '-' || n == MAX_IMAGES || steady < 1) {
			fprintf(stderr, "usage: ksmbench [--pages-to-scan N] [--sleep-ms N] "
				"[--use-zero-pages 0|1] [--timeout S] [--steady-scans N>=1] IMAGE...\n");
			return 2;
		} else img[n++] = argv[i];
	}
	if (!n) {
		fprintf(stderr, "ksmbench: no images\n");
		return 2;
	}
	if (access(KSM "run", F_OK)) {
		printf("{\"available\": false, \"why\": \"no /sys/kernel/mm/ksm (kernel without KSM)\"}\n");
		return 3;
	}
	if (geteuid() != 0 || access(KSM "run", W_OK)) {
		printf("{\"available\": false, \"why\": \"KSM needs root (cannot write /sys/kernel/mm/ksm/run)\"}\n");
		return 3;
	}
	if (!(ksmd = find_ksmd())) {
		printf("{\"available\": false, \"why\": \"no ksmd thread found\"}\n");
		return 3;
	}
	for (int i = 0; i < NKNOBS; i++)
		saved_knob[i] = rd(knobs[i]);
	have_saved = 1;
	atexit(restore);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (wr("run", 2))
		fail("cannot write run=2");

	/* The images, each in its own anonymous mapping. */
	for (unsigned i = 0; i < n; i++) {
		int fd = open(img[i], O_RDONLY);
		struct stat st;
		unsigned char *p;
		if (fd < 0 || fstat(fd, &st) || st.st_size == 0 || st.st_size % 4096)
			fail("cannot read an image (missing, empty or not a multiple of 4 KiB)");
		p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			fail("out of memory");
		madvise(p, (size_t)st.st_size, MADV_NOHUGEPAGE);
		for (off_t o = 0; o < st.st_size;) {
			ssize_t r = read(fd, p + o, (size_t)(st.st_size - o));
			if (r <= 0)
				fail("read error");
			o += r;
		}
		close(fd);
		if (madvise(p, (size_t)st.st_size, MADV_MERGEABLE))
			fail("madvise(MADV_MERGEABLE) failed");
		pages += st.st_size / 4096;
	}

	if (wr("pages_to_scan", pts) || wr("sleep_millisecs", sleep_ms) || wr("use_zero_pages", uzp))
		fail("cannot set KSM's knobs");
	sleep(1);
	scans0 = rd("full_scans");
	pages_scanned0 = rd("pages_scanned");
	mem0 = memfree_kib();
	cpu0 = ksmd_cpu(ksmd);
	t0 = now();
	if (wr("run", 1))
		fail("cannot start ksmd");
	for (;;) {
		struct sample x;
		usleep(10000);
		x.t = now() - t0;
		x.cpu = ksmd_cpu(ksmd) - cpu0;
		x.scans = rd("full_scans") - scans0;
		x.saved = rd("pages_sharing") + (uzp ? rd("ksm_zero_pages") : 0);
		if (ns == cap)
			s = realloc(s, (cap *= 2) * sizeof(*s));
		s[ns++] = x;
		if (x.saved != last_saved) {
			last_saved = x.saved;
			last_change_scans = x.scans;
		}
		/* The last change came during scan last_change_scans + 1; after
		 * it, `steady` whole scans of unchanging memory. */
		if (x.scans >= 3 && x.scans - last_change_scans >= 1 + steady)
			break;
		if (x.t > timeout)
			break;
	}
	mem1 = memfree_kib();
	{
		struct sample *f = &s[ns - 1];
		long shared = rd("pages_shared"), sharing = rd("pages_sharing"), zero = rd("ksm_zero_pages");
		long profit = rd("general_profit"), scanned = rd("pages_scanned") - pages_scanned0;
		double meta = (double)f->saved * 4096 - (double)profit, first = -1, steady_cpu = -1;
		unsigned a = 0, b;
		while (a < ns && s[a].scans < 1)
			a++;
		if (a < ns)
			first = s[a].cpu;
		/* The steady window: from the first sample after scan L+1 ended to
		 * the first after scan L+1+steady ended (L = last_change_scans). */
		a = 0;
		while (a < ns && s[a].scans < last_change_scans + 1)
			a++;
		for (b = a; b < ns && s[b].scans < last_change_scans + 1 + steady; b++)
			;
		if (b < ns && s[b].scans > s[a].scans)
			steady_cpu = (s[b].cpu - s[a].cpu) / (double)(s[b].scans - s[a].scans);
		printf("{\n  \"available\": true,\n  \"pages\": %ld,\n  \"pages_to_scan\": %ld,\n"
		       "  \"sleep_millisecs\": %ld,\n  \"use_zero_pages\": %ld,\n  \"converged\": %s,\n"
		       "  \"seconds\": %.2f,\n  \"full_scans\": %ld,\n  \"cpu_seconds\": %.4f,\n"
		       "  \"saved\": %ld,\n  \"pages_shared\": %ld,\n  \"pages_sharing\": %ld,\n"
		       "  \"ksm_zero_pages\": %ld,\n  \"pages_scanned\": %ld,\n  \"pages_per_cpu_second\": %.0f,\n"
		       "  \"metadata_bytes_per_page\": %.2f,\n  \"memfree_gain_pages\": %ld,\n"
		       "  \"cpu_clock\": \"%s\",\n  \"smart_scan\": %ld,\n  \"first_scan_cpu_seconds\": %.4f,\n"
		       "  \"steady_scans\": %ld,\n  \"steady_cpu_seconds_per_scan\": %.4f,\n  \"reach\": [",
		       pages, pts, sleep_ms, uzp, f->t <= timeout ? "true" : "false", f->t, f->scans, f->cpu,
		       f->saved, shared, sharing, zero, scanned, f->cpu > 0 ? scanned / f->cpu : 0.0,
		       meta / pages, (mem1 - mem0) / 4, cpu_from_schedstat ? "schedstat" : "stat",
		       rd("smart_scan"), first, steady, steady_cpu);
		for (int q = 0; q < 3; q++) {
			const double frac[] = { 0.5, 0.9, 0.99 };
			unsigned i = 0;
			while (i < ns && s[i].saved < frac[q] * f->saved)
				i++;
			if (i == ns) i = ns - 1;
			printf("%s\n    {\"fraction\": %.2f, \"seconds\": %.2f, \"full_scans\": %ld, \"cpu_seconds\": %.4f}",
			       q ? "," : "", frac[q], s[i].t, s[i].scans, s[i].cpu);
		}
		printf("\n  ]\n}\n");
	}
	restore();
	return 0;
}
