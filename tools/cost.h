/*
 * cost.h - what a timed window of a host tool cost, beyond its CPU seconds.
 *
 * CPU-seconds alone vary several-fold run to run on a shared machine (issue
 * 14).  To say where the variable part goes, a window records, besides the
 * process's CPU clock, getrusage()'s user and system time, minor and major
 * page faults and voluntary/involuntary context switches, summed over every
 * time the window was open; a whole run also takes /proc/vmstat deltas
 * (transparent huge pages, compaction, faults system-wide) and /proc/stat's
 * steal time.  Used by dedupsim around the engine's calls only.
 */
#ifndef TOOLS_COST_H
#define TOOLS_COST_H

#include <stdint.h>
#include <stdio.h>

struct cost {
	double cpu, user, sys;           /* seconds */
	uint64_t minflt, majflt, nvcsw, nivcsw;
	uint64_t opened;                 /* how many times the window was open */
};

struct cost_mark { double cpu, user, sys; uint64_t minflt, majflt, nvcsw, nivcsw; };

/* The process's CPU clock (CLOCK_PROCESS_CPUTIME_ID), in seconds. */
double cost_cpu_now(void);
/* Opens a window: remembers where the counters stand. */
void cost_open(struct cost_mark *m);
/* Closes it: adds what happened since cost_open(m) to *acc. */
void cost_close(const struct cost_mark *m, struct cost *acc);

/* System-wide counters that say what the kernel did meanwhile. */
#define COST_NVMSTAT 9
struct cost_sys { uint64_t v[COST_NVMSTAT]; uint64_t steal_ticks; };
extern const char *const cost_vmstat_names[COST_NVMSTAT];
void cost_sys_read(struct cost_sys *s);
/* The JSON members "vmstat": {...}, "steal_seconds": x for b - a (no braces
 * around them, no trailing comma). */
void cost_sys_json(FILE *f, const struct cost_sys *a, const struct cost_sys *b);

/* The JSON object of one window's figures. */
void cost_json(FILE *f, const struct cost *c);

/* KiB of [p, p + len) that /proc/self/smaps says are backed by
 * transparent huge pages, or -1 when it cannot tell. */
long cost_thp_kib(const void *p, uint64_t len);

#endif
