/*
 * fuzz_config.c - common/config.c's config_parse() over arbitrary bytes.
 *
 * Feeds: the input as the text of dedupvisor.cfg (any bytes, any length).
 * Checks: a refused file comes back as -1 with a terminated, non-empty
 * message; an accepted one keeps every promise of config.h: at most 16 VMs
 * and 16 refused lines, globals within their ranges, each VM's name and
 * image terminated and made of the allowed characters, RAM a multiple of
 * 4 KiB in [1 MiB, 64 GiB], a limit of 0 (its RAM) or a multiple of 4 KiB
 * in [4 KiB, RAM], the entry inside RAM, 1-64 vCPUs, a domain of
 * 16 bits, the memtest recipe fitting above the first MiB, lines ascending
 * and within the file, names unique and found by config_find_vm.  Then the
 * accepted configuration is written back as text and parsed again: the
 * result must be the same configuration (the parser's reading of a value is
 * the value).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fuzz_common.h"

static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

static bool name_char(char c, bool dot)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || (dot && c == '.');
}

static void check_error(const struct config_error *e, unsigned lines, const char *what)
{
	size_t n = bounded_len(e->msg, sizeof(e->msg));
	CHECK(n < sizeof(e->msg), "%s: message not terminated", what);
	CHECK(n > 0, "%s: empty message", what);
	CHECK(e->line <= lines, "%s: line %u of a file of %u lines", what, e->line, lines);
}

static void check_config(const struct config *c, unsigned lines)
{
	unsigned i, j, prev = 0;

	CHECK(c->nvms <= CONFIG_MAX_VMS, "nvms %u", c->nvms);
	CHECK(c->nrefused <= CONFIG_MAX_VMS, "nrefused %u", c->nrefused);
	CHECK(c->cpus <= 256, "cpus %u", c->cpus);
	CHECK(c->dedup_run <= 1, "dedup.run %u", c->dedup_run);
	/* 0: not given (the governor's); given, 1 to 2^24. */
	CHECK(c->dedup_pages_to_scan <= CONFIG_PAGES_TO_SCAN_MAX, "pages_to_scan %u", c->dedup_pages_to_scan);
	CHECK(c->dedup_scan_target_s >= 1 && c->dedup_scan_target_s <= 86400,
	      "scan_target_s %u", c->dedup_scan_target_s);
	CHECK(c->dedup_sleep_ms <= 60000, "sleep_ms %u", c->dedup_sleep_ms);
	CHECK(c->dedup_summary_scans <= 1000000, "summary_scans %u", c->dedup_summary_scans);
	CHECK(c->dedup_scanner <= 1, "scanner %u", c->dedup_scanner);
	for (i = 0; i < c->nvms; i++) {
		const struct vm_config *v = &c->vm[i];
		size_t nl = bounded_len(v->name, sizeof(v->name));
		size_t il = bounded_len(v->image, sizeof(v->image));
		uint64_t recipe = (uint64_t)v->inter + v->dup + v->zero + v->unique + v->ws;

		CHECK(nl > 0 && nl < CONFIG_NAME_MAX, "vm %u: name length %zu", i, nl);
		CHECK(il > 0 && il < CONFIG_IMAGE_MAX, "vm %u: image length %zu", i, il);
		for (j = 0; j < nl; j++)
			CHECK(name_char(v->name[j], false), "vm %u: name byte 0x%02x", i,
			      (unsigned char)v->name[j]);
		for (j = 0; j < il; j++)
			CHECK(name_char(v->image[j], true), "vm %u: image byte 0x%02x", i,
			      (unsigned char)v->image[j]);
		CHECK(v->ram >= CONFIG_RAM_MIN && v->ram <= CONFIG_RAM_MAX && !(v->ram & 4095),
		      "vm %s: ram %llu", v->name, (unsigned long long)v->ram);
		CHECK(!v->limit || (v->limit >= 4096 && !(v->limit & 4095) && v->limit <= v->ram),
		      "vm %s: limit %llu, ram %llu", v->name, (unsigned long long)v->limit,
		      (unsigned long long)v->ram);
		CHECK(v->entry < v->ram, "vm %s: entry 0x%llx, ram 0x%llx", v->name,
		      (unsigned long long)v->entry, (unsigned long long)v->ram);
		CHECK(v->vcpus >= 1 && v->vcpus <= CONFIG_VCPUS_MAX, "vm %s: vcpus %u", v->name,
		      v->vcpus);
		CHECK(v->domain <= 0xffff, "vm %s: domain %u", v->name, v->domain);
		CHECK(recipe <= (v->ram >> 12) - 256, "vm %s: recipe %llu pages in %llu", v->name,
		      (unsigned long long)recipe, (unsigned long long)(v->ram >> 12));
		CHECK(v->line > prev && v->line <= lines, "vm %s: line %u after %u (of %u)",
		      v->name, v->line, prev, lines);
		prev = v->line;
		CHECK(config_find_vm(c, v->name) == v, "vm %s: not found by name", v->name);
		for (j = 0; j < i; j++)
			CHECK(strcmp(c->vm[j].name, v->name), "vm name %s twice", v->name);
	}
	for (i = 0; i < c->nrefused; i++)
		check_error(&c->refused[i], lines, "refused vm");
}

/* Appends "fmt" to a line; false when the line outgrew the parser's limit. */
static bool add(char *line, size_t *n, const char *key, unsigned long long v, bool hex)
{
	int k = snprintf(line + *n, CONFIG_LINE_MAX + 1 - *n, hex ? " %s=0x%llx" : " %s=%llu",
			 key, v);
	if (k < 0 || (size_t)k >= CONFIG_LINE_MAX + 1 - *n)
		return false;
	*n += (size_t)k;
	return true;
}

/* The accepted configuration as text; false when a VM's line would be too long. */
static bool write_back(const struct config *c, char *out, size_t cap, size_t *len)
{
	size_t n = 0;
	unsigned i;
	int k = snprintf(out, cap,
			 "cpus = %u\ndedup.run=%u\ndedup.sleep_ms= %u\n"
			 "dedup.summary_scans = 0x%x\ndedup.scanner = %u # comment\n"
			 "dedup.scan_target_s=%u\n",
			 c->cpus, c->dedup_run, c->dedup_sleep_ms,
			 c->dedup_summary_scans, c->dedup_scanner, c->dedup_scan_target_s);
	if (k < 0 || (size_t)k >= cap)
		return false;
	n = (size_t)k;
	if (c->dedup_pages_to_scan) { /* absent stays absent: the governor's */
		k = snprintf(out + n, cap - n, "dedup.pages_to_scan =%u\n", c->dedup_pages_to_scan);
		if (k < 0 || (size_t)k >= cap - n)
			return false;
		n += (size_t)k;
	}
	for (i = 0; i < c->nvms; i++) {
		const struct vm_config *v = &c->vm[i];
		char line[CONFIG_LINE_MAX + 1];
		size_t ln = (size_t)snprintf(line, sizeof(line), "vm %s\timage=%s", v->name, v->image);
		bool ok = ln < sizeof(line);
		/* RAM with a suffix where it divides, as people write it. */
		if (ok && !(v->ram & ((1ull << 30) - 1))) {
			int r = snprintf(line + ln, sizeof(line) - ln, " ram=%lluG",
					 (unsigned long long)(v->ram >> 30));
			ok = r > 0 && (size_t)r < sizeof(line) - ln;
			ln += ok ? (size_t)r : 0;
		} else if (ok && !(v->ram & ((1ull << 20) - 1))) {
			int r = snprintf(line + ln, sizeof(line) - ln, " ram=%llum",
					 (unsigned long long)(v->ram >> 20));
			ok = r > 0 && (size_t)r < sizeof(line) - ln;
			ln += ok ? (size_t)r : 0;
		} else if (ok) {
			ok = add(line, &ln, "ram", v->ram >> 10, false) && ln < CONFIG_LINE_MAX &&
			     (line[ln++] = 'K', line[ln] = 0, true);
		}
		ok = ok && (!v->limit || (add(line, &ln, "limit", v->limit >> 10, false) &&
					  ln < CONFIG_LINE_MAX && (line[ln++] = 'k', line[ln] = 0, true)));
		ok = ok && (v->vcpus == 1 || add(line, &ln, "vcpus", v->vcpus, false));
		ok = ok && (v->entry == 0x1000 || add(line, &ln, "entry", v->entry, true));
		ok = ok && (!v->domain || add(line, &ln, "domain", v->domain, false));
		ok = ok && (!v->seed || add(line, &ln, "seed", v->seed, true));
		ok = ok && (!v->rounds || add(line, &ln, "rounds", v->rounds, false));
		ok = ok && (!v->inter || add(line, &ln, "inter", v->inter, false));
		ok = ok && (!v->dup || add(line, &ln, "dup", v->dup, false));
		ok = ok && (!v->zero || add(line, &ln, "zero", v->zero, false));
		ok = ok && (!v->unique || add(line, &ln, "unique", v->unique, false));
		ok = ok && (!v->ws || add(line, &ln, "ws", v->ws, false));
		ok = ok && (!v->corrupt || add(line, &ln, "corrupt", v->corrupt, false));
		if (!ok || ln > CONFIG_LINE_MAX || n + ln + 1 >= cap)
			return false;
		memcpy(out + n, line, ln);
		n += ln;
		out[n++] = '\n';
	}
	*len = n;
	return true;
}

static void check_same(const struct config *a, const struct config *b)
{
	unsigned i;
	CHECK(a->cpus == b->cpus && a->dedup_run == b->dedup_run &&
	      a->dedup_pages_to_scan == b->dedup_pages_to_scan &&
	      a->dedup_sleep_ms == b->dedup_sleep_ms &&
	      a->dedup_summary_scans == b->dedup_summary_scans &&
	      a->dedup_scanner == b->dedup_scanner &&
	      a->dedup_scan_target_s == b->dedup_scan_target_s, "globals differ after a round trip");
	CHECK(a->nvms == b->nvms && b->nrefused == 0, "round trip: %u VMs became %u (+%u refused)",
	      a->nvms, b->nvms, b->nrefused);
	for (i = 0; i < a->nvms; i++) {
		const struct vm_config *x = &a->vm[i], *y = &b->vm[i];
		CHECK(!strcmp(x->name, y->name) && !strcmp(x->image, y->image) &&
		      x->ram == y->ram && x->limit == y->limit && x->entry == y->entry &&
		      x->vcpus == y->vcpus &&
		      x->domain == y->domain && x->seed == y->seed && x->rounds == y->rounds &&
		      x->inter == y->inter && x->dup == y->dup && x->zero == y->zero &&
		      x->unique == y->unique && x->ws == y->ws && x->corrupt == y->corrupt,
		      "vm %s differs after a round trip", x->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg, again;
	static char text[(CONFIG_MAX_VMS + 8) * (CONFIG_LINE_MAX + 2)];
	struct config_error err, err2;
	unsigned lines = 1;
	size_t i, len;
	int r;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	memset(&err, 0x5a, sizeof(err));
	r = config_parse((const char *)data, size, &cfg, &err);
	if (r) {
		CHECK(r == -1, "config_parse returned %d", r);
		check_error(&err, lines, "refused file");
		return 0;
	}
	CHECK(bounded_len(err.msg, sizeof(err.msg)) == 0, "accepted, with an error message");
	check_config(&cfg, lines);

	if (write_back(&cfg, text, sizeof(text), &len)) {
		r = config_parse(text, len, &again, &err2);
		CHECK(r == 0, "written back, refused at line %u: %s\n%.*s", err2.line, err2.msg,
		      (int)len, text);
		check_same(&cfg, &again);
	}
	return 0;
}
