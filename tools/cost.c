/*
 * cost.c - what a timed window of a host tool cost (see cost.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cost.h"

const char *const cost_vmstat_names[COST_NVMSTAT] = {
	"pgfault", "pgmajfault", "thp_fault_alloc", "thp_fault_fallback", "thp_collapse_alloc",
	"thp_split_pmd", "compact_stall", "compact_success", "pgscan_direct",
};

double cost_cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static void mark(struct cost_mark *m)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	m->user = tv(r.ru_utime);
	m->sys = tv(r.ru_stime);
	m->minflt = (uint64_t)r.ru_minflt;
	m->majflt = (uint64_t)r.ru_majflt;
	m->nvcsw = (uint64_t)r.ru_nvcsw;
	m->nivcsw = (uint64_t)r.ru_nivcsw;
	m->cpu = cost_cpu_now(); /* last: the getrusage call itself is outside */
}

void cost_open(struct cost_mark *m)
{
	mark(m);
}

void cost_close(const struct cost_mark *m, struct cost *acc)
{
	struct cost_mark e;
	double cpu = cost_cpu_now();
	mark(&e);
	acc->cpu += cpu - m->cpu;
	acc->user += e.user - m->user;
	acc->sys += e.sys - m->sys;
	acc->minflt += e.minflt - m->minflt;
	acc->majflt += e.majflt - m->majflt;
	acc->nvcsw += e.nvcsw - m->nvcsw;
	acc->nivcsw += e.nivcsw - m->nivcsw;
	acc->opened++;
}

void cost_json(FILE *f, const struct cost *c)
{
	fprintf(f, "{\"cpu_seconds\": %.4f, \"user_seconds\": %.4f, \"sys_seconds\": %.4f, "
		"\"minor_faults\": %llu, \"major_faults\": %llu, \"voluntary_switches\": %llu, "
		"\"involuntary_switches\": %llu, \"calls\": %llu}", c->cpu, c->user, c->sys,
		(unsigned long long)c->minflt, (unsigned long long)c->majflt,
		(unsigned long long)c->nvcsw, (unsigned long long)c->nivcsw,
		(unsigned long long)c->opened);
}

void cost_sys_read(struct cost_sys *s)
{
	char line[256];
	FILE *f = fopen("/proc/vmstat", "r");

	memset(s, 0, sizeof(*s));
	while (f && fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = 0;
		for (unsigned i = 0; i < COST_NVMSTAT; i++)
			if (!strcmp(line, cost_vmstat_names[i]))
				s->v[i] = strtoull(sp + 1, NULL, 10);
	}
	if (f)
		fclose(f);
	/* /proc/stat: "cpu user nice system idle iowait irq softirq steal ..." */
	f = fopen("/proc/stat", "r");
	if (f && fgets(line, sizeof(line), f)) {
		unsigned long long x[8] = { 0 };
		if (sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &x[0], &x[1], &x[2],
			   &x[3], &x[4], &x[5], &x[6], &x[7]) == 8)
			s->steal_ticks = x[7];
	}
	if (f)
		fclose(f);
}

void cost_sys_json(FILE *f, const struct cost_sys *a, const struct cost_sys *b)
{
	long hz = sysconf(_SC_CLK_TCK);
	fprintf(f, "\"vmstat\": {");
	for (unsigned i = 0; i < COST_NVMSTAT; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", cost_vmstat_names[i],
			(unsigned long long)(b->v[i] - a->v[i]));
	fprintf(f, "}, \"steal_seconds\": %.2f", (double)(b->steal_ticks - a->steal_ticks) /
		(double)(hz > 0 ? hz : 100));
}

long cost_thp_kib(const void *p, uint64_t len)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + len;
	char line[512];
	long kib = 0;
	int in = 0, seen = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		long k;
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = s < hi && e > lo; /* a VMA that overlaps the range */
			seen |= in;
		} else if (in && sscanf(line, "AnonHugePages: %ld kB", &k) == 1) {
			kib += k;
		}
	}
	fclose(f);
	return seen ? kib : -1;
}
