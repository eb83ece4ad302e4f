/*
 * prom_write.h - Prometheus text exposition (format 0.0.4) into a fixed
 * buffer, for GET /metrics.
 *
 *   # HELP dedupvisor_cow_breaks_total Copies made on writes to shared pages.
 *   # TYPE dedupvisor_cow_breaks_total counter
 *   dedupvisor_cow_breaks_total 42
 *   # HELP dedupvisor_vm_pages Guest pages of a VM by how they are backed.
 *   # TYPE dedupvisor_vm_pages gauge
 *   dedupvisor_vm_pages{vm="alpha",backing="private"} 1200
 *
 * A family (prom_family) writes its HELP and TYPE lines once, then its
 * samples follow.  The writer prefixes every name with PROM_PREFIX and
 * enforces the conventions promtool checks: names and label names of the
 * legal characters, a counter's name ends in "_total" and nothing else's
 * does, no family twice, no sample outside a family.  HELP text escapes
 * backslash and newline; label values escape backslash, quote and newline.
 * Overflow and misuse make prom_ok() false, as in json_write.h.
 */
#ifndef API_PROM_WRITE_H
#define API_PROM_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROM_PREFIX "dedupvisor_"
/* Families one exposition may hold (checked for duplicates). */
#define PROM_MAX_FAMILIES 64u
/* The Content-Type of the exposition. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum prom_type { PROM_COUNTER, PROM_GAUGE };

struct prom_label {
	const char *name;
	const char *value;
};

struct prom_writer {
	char *buf;
	size_t cap, len;        /* as in struct json_writer */
	bool overflow, misuse;
	const char *misuse_why; /* the first misuse, for the caller's log */
	/* The families written, by name (the caller's strings: they must live
	 * as long as the writer; literals do). */
	const char *families[PROM_MAX_FAMILIES];
	unsigned nfamilies;
	enum prom_type type;    /* the current family's */
};

void prom_init(struct prom_writer *w, char *buf, size_t cap);
bool prom_ok(const struct prom_writer *w);

/* Starts family PROM_PREFIX name: its HELP and TYPE lines. */
void prom_family(struct prom_writer *w, const char *name, enum prom_type type, const char *help);

/* A sample of the current family, with nlabels labels (0: none). */
void prom_sample_u64(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		     uint64_t v);
void prom_sample_i64(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		     int64_t v);
/* A sample of milli / 1000, written with three decimals ("1.250"): for a
 * family in a base unit (seconds) measured more finely. */
void prom_sample_milli(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		       uint64_t milli);

#endif
