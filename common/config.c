/*
 * config.c - parse dedupvisor.cfg (format in config.h).
 *
 * One pass over the lines.  Each line is cut into whitespace-separated
 * words; a global line is "KEY = VALUE" (spaces around '=' optional), a VM
 * line starts with the word "vm".  Keys are looked up in small tables that
 * give each value's range, so every check and every message comes from one
 * place.  An error in a vm line refuses that VM (recorded with its line);
 * any other error stops the parse: a half-understood configuration must
 * never start.  No libc (see config.h), hence the small string helpers.
 */
#include "config.h"
#include "guest_abi.h"

/* ---- tiny freestanding helpers ---- */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int str_prefix(const char *p, const char *s)
{
	while (*p && *p == *s)
		p++, s++;
	return !*p;
}

static size_t str_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static void str_copy(char *d, const char *s, size_t max)
{
	size_t i;
	for (i = 0; i + 1 < max && s[i]; i++)
		d[i] = s[i];
	d[i] = 0;
}

/* Message building into err->msg, truncating safely. */
struct sb { char *p; size_t n, max; };

static void sb_str(struct sb *b, const char *s)
{
	while (*s && b->n + 1 < b->max)
		b->p[b->n++] = *s++;
	b->p[b->n] = 0;
}

/* v in decimal into out (at least 21 bytes). */
static const char *u64_str(char *out, uint64_t v)
{
	char tmp[21];
	size_t n = 0, i;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = 0;
	return out;
}

static int fail(struct config_error *err, unsigned line, const char *a,
		const char *b, const char *c)
{
	struct sb s = { err->msg, 0, sizeof(err->msg) };
	err->line = line;
	err->msg[0] = 0;
	sb_str(&s, a);
	if (b) sb_str(&s, b);
	if (c) sb_str(&s, c);
	return -1;
}

static void sb_u32(struct sb *b, uint32_t v)
{
	char d[11];
	unsigned n = 0;
	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n && b->n + 1 < b->max)
		b->p[b->n++] = d[--n];
	b->p[b->n] = 0;
}

/* "'KEY' is out of range (MIN..MAX)". */
static int fail_range(struct config_error *err, unsigned line, const char *key, uint32_t min,
		      uint32_t max)
{
	struct sb s = { err->msg, 0, sizeof(err->msg) };
	fail(err, line, "'", key, "' is out of range (");
	s.n = str_len(err->msg);
	sb_u32(&s, min);
	sb_str(&s, "..");
	sb_u32(&s, max);
	sb_str(&s, ")");
	return -1;
}

/* Parses decimal or 0x-hex, with an optional K/M/G suffix when sized.
 * Returns 0 on success, -1 on junk or overflow. */
static int parse_u64(const char *s, int sized, uint64_t *out)
{
	uint64_t v = 0, base = 10, mul = 1;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	for (; *s; s++) {
		uint64_t d;
		if (*s >= '0' && *s <= '9') d = (uint64_t)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f') d = (uint64_t)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F') d = (uint64_t)(*s - 'A' + 10);
		else break;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
		digits++;
	}
	if (!digits)
		return -1;
	if (sized && *s) {
		switch (*s) {
		case 'K': case 'k': mul = 1ull << 10; break;
		case 'M': case 'm': mul = 1ull << 20; break;
		case 'G': case 'g': mul = 1ull << 30; break;
		default: return -1;
		}
		s++;
	}
	if (*s || (v && mul > UINT64_MAX / v))
		return -1;
	*out = v * mul;
	return 0;
}

/* ---- key tables: name, range, where the value goes ---- */

struct num_key {
	const char *name;
	uint64_t min, max;
	size_t off;  /* offset of a uint32_t field in struct config */
};

#define CFG_OFF(f) __builtin_offsetof(struct config, f)
static const struct num_key global_keys[] = {
	{ "cpus",                0, 256,     CFG_OFF(cpus) },
	{ "dedup.scanner",       0, 1,       CFG_OFF(dedup_scanner) },
	{ "dedup.dump_point",    0, 1000000, CFG_OFF(dedup_dump_point) },
	{ "dedup.cold_s",        1, 86400,   CFG_OFF(dedup_cold_s) },
	{ "dedup.zstd_s",        0, 86400,   CFG_OFF(dedup_zstd_s) },
	{ "dedup.patch",         0, 1,       CFG_OFF(dedup_patch) },
	{ "dedup.audit",         0, 1,       CFG_OFF(dedup_audit) },
	{ "api.linger_s",        0, 86400,   CFG_OFF(api_linger_s) },
	{ "test.lwip_assert",    0, 1000000, CFG_OFF(test_lwip_assert) },
};
/* The scanner's knobs are dedup.NAME, named and ranged by knobs.h's table. */
#define KNOB_PREFIX "dedup."
#define KNOB_PREFIX_LEN 6
#define NGLOBAL (sizeof(global_keys) / sizeof(global_keys[0]))

/* A dotted quad a.b.c.d (each 0-255 in decimal, no leading zeros), in host
 * order.  0, or -1. */
static int parse_ipv4(const char *s, uint32_t *out)
{
	uint32_t ip = 0;
	unsigned part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;
		if (part && *s++ != '.')
			return -1;
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return -1;
		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (!digits || v > 255)
			return -1;
		ip = ip << 8 | v;
	}
	if (*s)
		return -1;
	*out = ip;
	return 0;
}

/* RFC 6750's b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=",
 * of at most CONFIG_TOKEN_MAX - 1 characters in all.  Returns the number
 * before the '=' padding (what CONFIG_TOKEN_MIN counts), or -1. */
static long token_chars(const char *s)
{
	size_t n = 0, chars;
	for (; *s && *s != '='; s++, n++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'))
			return -1;
	}
	chars = n;
	if (!n)
		return -1;
	for (; *s == '='; s++, n++)
		;
	return !*s && n < CONFIG_TOKEN_MAX ? (long)chars : -1;
}

/* The network's keys: 1 when key is one of them (0 and *err set, or -1),
 * 0 when it is not. */
_Static_assert(CONFIG_TOKEN_MIN == 12, "api.token's messages say 12");

static int parse_net(struct config *cfg, const char *key, char *val, unsigned line,
		     struct config_error *err, int *rc)
{
	uint32_t *ip = str_eq(key, "net.ip") ? &cfg->net_ip : str_eq(key, "net.mask") ? &cfg->net_mask
		     : str_eq(key, "net.gw") ? &cfg->net_gw : 0;

	*rc = 0;
	if (str_eq(key, "api.token")) {
		long n = token_chars(val);
		if (n < 0)
			*rc = fail(err, line, "api.token must be 12-63 of A-Z a-z 0-9 - . _ ~ + / "
				   "(then '=' padding), not '", val, "'");
		else if (n < CONFIG_TOKEN_MIN)
			*rc = fail(err, line, "api.token is too short: at least 12 characters (before "
				   "any '=' padding), so that it cannot be guessed", 0, 0);
		else
			str_copy(cfg->api_token, val, sizeof(cfg->api_token));
		return 1;
	}
	if (!ip)
		return 0;
	if (ip == &cfg->net_ip && str_eq(val, "dhcp")) {
		cfg->net_dhcp = 1;
		cfg->net_ip = 0;
		return 1;
	}
	if (ip == &cfg->net_ip)
		cfg->net_dhcp = 0; /* the last net.ip line counts */
	if (parse_ipv4(val, ip))
		*rc = fail(err, line, "'", key, ip == &cfg->net_ip ? "' needs an IPv4 address a.b.c.d, or dhcp"
								 : "' needs an IPv4 address a.b.c.d");
	else if (ip == &cfg->net_mask && (!*ip || (~*ip & (~*ip + 1))))
		*rc = fail(err, line, "net.mask must be contiguous ones then zeros, like 255.255.255.0", 0, 0);
	return 1;
}

/* After the last line: the network's keys agree with each other. */
/* A sharing domain has one mode (config.h): two VMs of one domain whose
 * mode= differ refuse the file, at the later one's line, naming both - a
 * VM put in a domain by mistake would otherwise be shared in another mode
 * than its line says. */
static int check_modes(const struct config *cfg, struct config_error *err)
{
	static const char *const name[] = { "normal", "same" };
	unsigned i, j;

	for (j = 0; j < cfg->nvms; j++)
		for (i = 0; i < j; i++) {
			const struct vm_config *a = &cfg->vm[i], *b = &cfg->vm[j];
			struct sb s = { err->msg, 0, sizeof(err->msg) };
			if (a->domain != b->domain || a->mode == b->mode)
				continue;
			fail(err, b->line, "vm ", b->name, " is mode=");
			s.n = str_len(err->msg);
			sb_str(&s, name[b->mode]);
			sb_str(&s, " but vm ");
			sb_str(&s, a->name);
			sb_str(&s, " (line ");
			sb_u32(&s, a->line);
			sb_str(&s, ") of the same domain ");
			sb_u32(&s, a->domain);
			sb_str(&s, " is mode=");
			sb_str(&s, name[a->mode]);
			sb_str(&s, ": a sharing domain has one mode");
			return -1;
		}
	return 0;
}

static int check_net(struct config *cfg, const unsigned lines[3], struct config_error *err)
{
	uint32_t m;

	if (!lines[0]) {
		if (lines[1] || lines[2])
			return fail(err, lines[1] ? lines[1] : lines[2], "net.mask and net.gw need net.ip", 0, 0);
		return 0;
	}
	if (cfg->net_dhcp) {
		if (lines[1] || lines[2])
			return fail(err, lines[1] ? lines[1] : lines[2],
				    "net.mask and net.gw come from the DHCP server with net.ip = dhcp", 0, 0);
		return 0;
	}
	if (!cfg->net_mask)
		cfg->net_mask = 0xFFFFFF00u;
	m = cfg->net_mask;
	if ((cfg->net_ip & ~m) == 0 || (cfg->net_ip & ~m) == ~m || cfg->net_ip >> 24 == 127 ||
	    cfg->net_ip >> 24 == 0 || cfg->net_ip >> 28 >= 14)
		return fail(err, lines[0], "net.ip is not a host address (its subnet's network or "
			    "broadcast address, loopback, multicast or reserved)", 0, 0);
	if (cfg->net_gw && ((cfg->net_gw & m) != (cfg->net_ip & m) || cfg->net_gw == cfg->net_ip))
		return fail(err, lines[2], "net.gw must be another address in net.ip's subnet", 0, 0);
	return 0;
}

static int parse_global(struct config *cfg, char *key, char *val,
			unsigned line, struct config_error *err)
{
	size_t i;
	uint64_t v;
	int rc;

	if (parse_net(cfg, key, val, line, err, &rc))
		return rc;
	if (str_eq(key, "dedup.pool_max")) { /* a size: the one 64-bit global */
		if (parse_u64(val, 1, &v))
			return fail(err, line, "'", key, "' needs a size (bytes, or with K, M or G)");
		if ((v & 4095) || v > CONFIG_RAM_MAX)
			return fail(err, line, "dedup.pool_max must be a multiple of 4K, at most 64G",
				    0, 0);
		cfg->dedup_pool_max = v;
		return 0;
	}
	if (str_prefix(KNOB_PREFIX, key)) {
		int id = knob_find(key + KNOB_PREFIX_LEN, str_len(key + KNOB_PREFIX_LEN));
		if (id >= 0) {
			if (parse_u64(val, 0, &v))
				return fail(err, line, "'", key, "' needs a number");
			if (v < knob_table[id].min || v > knob_table[id].max)
				return fail_range(err, line, key, knob_table[id].min, knob_table[id].max);
			cfg->knob[id] = (uint32_t)v;
			cfg->knob_given |= 1u << id;
			return 0;
		}
	}
	for (i = 0; i < NGLOBAL; i++) {
		const struct num_key *k = &global_keys[i];
		if (!str_eq(k->name, key))
			continue;
		if (parse_u64(val, 0, &v))
			return fail(err, line, "'", key, "' needs a number");
		if (v < k->min || v > k->max) {
			/* "'KEY' is out of range MIN-MAX" */
			char range[48], lo[21], hi[21];
			struct sb r = { range, 0, sizeof(range) };
			sb_str(&r, "' is out of range ");
			sb_str(&r, u64_str(lo, k->min));
			sb_str(&r, "-");
			sb_str(&r, u64_str(hi, k->max));
			return fail(err, line, "'", key, range);
		}
		*(uint32_t *)(void *)((char *)cfg + k->off) = (uint32_t)v;
		return 0;
	}
	return fail(err, line, "unknown setting '", key,
		    "' (known: cpus, dedup.scanner, .dump_point, .cold_s, .zstd_s, .pool_max, .patch, .audit, net.ip, .mask, "
		    ".gw, api.token, .linger_s, test.lwip_assert, and the knobs dedup.run, .sleep_ms, "
		    ".merge_first_sight, .summary_scans, .max_cpu_pct, .scan_target_s, .measure_s, "
		    ".pages_to_scan)");
}

static int valid_name(const char *s)
{
	size_t n = 0;
	for (; *s; s++, n++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return n > 0 && n < CONFIG_NAME_MAX;
}

static int valid_file(const char *s)
{
	size_t n = 0;
	for (; *s; s++, n++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return n > 0 && n < CONFIG_IMAGE_MAX;
}

static int parse_vm(struct config *cfg, char **w, unsigned nw, unsigned line,
		    struct config_error *err)
{
	struct vm_config *vm;
	unsigned i;
	uint64_t v;
	int has_entry = 0, compress_pct = 100; /* compress_max: N% of ram (-1: a size) */

	if (nw < 2)
		return fail(err, line, "'vm' needs a name: vm NAME ram=SIZE image=FILE", 0, 0);
	if (!valid_name(w[1]))
		return fail(err, line, "bad VM name '", w[1],
			    "' (1-31 of A-Z a-z 0-9 - _)");
	if (config_find_vm(cfg, w[1]))
		return fail(err, line, "duplicate VM name '", w[1], "'");
	if (cfg->nvms == CONFIG_MAX_VMS)
		return fail(err, line, "too many VMs (at most 16)", 0, 0);
	vm = &cfg->vm[cfg->nvms];
	*vm = (struct vm_config){ .vcpus = 1, .entry = 0x1000, .line = line };
	str_copy(vm->name, w[1], sizeof(vm->name));

	for (i = 2; i < nw; i++) {
		char *k = w[i], *val = k;
		while (*val && *val != '=')
			val++;
		if (*val != '=' || val == k || !val[1])
			return fail(err, line, "expected key=value, got '", k, "'");
		*val++ = 0;
		if (str_eq(k, "image") || str_eq(k, "kernel") || str_eq(k, "initrd")) {
			char *dst = str_eq(k, "image") ? vm->image : str_eq(k, "kernel") ? vm->kernel
											  : vm->initrd;
			if (!valid_file(val))
				return fail(err, line, str_eq(k, "image") ? "bad image file name '"
					    : str_eq(k, "kernel") ? "bad kernel file name '"
					    : "bad initrd file name '", val,
					    "' (1-63 of A-Z a-z 0-9 . - _)");
			str_copy(dst, val, CONFIG_IMAGE_MAX);
			continue;
		}
		if (str_eq(k, "start")) {
			if (str_eq(val, "boot"))
				vm->start_late = 0;
			else if (str_eq(val, "late"))
				vm->start_late = 1;
			else
				return fail(err, line, "start must be boot or late, not '", val, "'");
			continue;
		}
		if (str_eq(k, "mode")) { /* its sharing domain's: checked across VMs (check_modes) */
			if (str_eq(val, "normal"))
				vm->mode = CONFIG_MODE_NORMAL;
			else if (str_eq(val, "same"))
				vm->mode = CONFIG_MODE_SAME;
			else
				return fail(err, line, "mode must be normal or same, not '", val, "'");
			continue;
		}
		if (str_eq(k, "cmdline")) {
			size_t n = 0;
			while (val[n])
				n++;
			if (n >= CONFIG_CMDLINE_MAX)
				return fail(err, line, "cmdline longer than 399 characters", 0, 0);
			str_copy(vm->cmdline, val, sizeof(vm->cmdline));
			continue;
		}
		{
			static const char *const recipe[] = { "seed", "rounds", "inter", "dup",
							      "zero", "unique", "ws", "corrupt" };
			uint32_t *field[] = { &vm->seed, &vm->rounds, &vm->inter, &vm->dup,
					      &vm->zero, &vm->unique, &vm->ws, &vm->corrupt };
			unsigned r;
			for (r = 0; r < 8 && !str_eq(k, recipe[r]); r++)
				;
			if (r < 8) {
				if (parse_u64(val, 0, &v) || v > 0xFFFFFFFFu)
					return fail(err, line, "bad number '", val, "'");
				*field[r] = (uint32_t)v;
				continue;
			}
		}
		if (str_eq(k, "compress_max")) { /* a size, or N% of ram (applied below) */
			size_t n = 0;
			while (val[n])
				n++;
			if (n && val[n - 1] == '%') {
				val[n - 1] = 0;
				if (parse_u64(val, 0, &v) || v > 100)
					return fail(err, line, "compress_max must be a size or 0-100%", 0, 0);
				compress_pct = (int)v;
			} else if (parse_u64(val, 1, &v) || (v & 4095)) {
				return fail(err, line, "compress_max must be a size (a multiple of 4K) "
					    "or 0-100%", 0, 0);
			} else {
				vm->compress_max = v;
				compress_pct = -1;
			}
			continue;
		}
		if (!str_eq(k, "ram") && !str_eq(k, "limit") && !str_eq(k, "vcpus") &&
		    !str_eq(k, "entry") && !str_eq(k, "domain"))
			return fail(err, line, "unknown VM key '", k,
				    "' (known: ram, limit, compress_max, vcpus, image, kernel, initrd, "
				    "cmdline, entry, domain, mode, start, seed, rounds, inter, dup, zero, "
				    "unique, ws, corrupt)");
		if (parse_u64(val, str_eq(k, "ram") || str_eq(k, "limit"), &v))
			return fail(err, line, "bad number '", val, "'");
		if (str_eq(k, "ram")) {
			if (v < CONFIG_RAM_MIN || v > CONFIG_RAM_MAX || (v & 4095))
				return fail(err, line, "ram must be a multiple of 4K "
					    "between 1M and 64G", 0, 0);
			vm->ram = v;
		} else if (str_eq(k, "limit")) {
			if (v < 4096 || (v & 4095))
				return fail(err, line, "limit must be a multiple of 4K, at least 4K",
					    0, 0);
			vm->limit = v;
		} else if (str_eq(k, "vcpus")) {
			if (v < 1 || v > CONFIG_VCPUS_MAX)
				return fail(err, line, "vcpus must be 1 to 64", 0, 0);
			vm->vcpus = (uint32_t)v;
		} else if (str_eq(k, "entry")) {
			vm->entry = v;
			has_entry = 1;
		} else {
			if (v > 0xffff)
				return fail(err, line, "domain must be 0 to 65535", 0, 0);
			vm->domain = (uint32_t)v;
		}
	}
	if (!vm->ram)
		return fail(err, line, "VM '", vm->name, "' needs ram=SIZE");
	if (vm->kernel[0]) {
		if (vm->image[0])
			return fail(err, line, "VM '", vm->name,
				    "' names both image= and kernel=: one or the other");
		_Static_assert(GUEST_VCPUS_MAX == 4, "the message below");
		if (vm->vcpus > GUEST_VCPUS_MAX) /* an SMP VM's needs: kernel/linux_smp.c */
			return fail(err, line, "VM '", vm->name, "': a Linux VM has at most 4 vCPUs");
		if (has_entry || vm->seed || vm->rounds || vm->inter || vm->dup || vm->zero ||
		    vm->unique || vm->ws || vm->corrupt)
			return fail(err, line, "VM '", vm->name,
				    "': entry= and the memtest recipe are for image= guests, not kernel=");
	} else {
		if (!vm->image[0])
			return fail(err, line, "VM '", vm->name, "' needs image=FILE or kernel=FILE");
		if (vm->initrd[0] || vm->cmdline[0])
			return fail(err, line, "VM '", vm->name,
				    "': initrd= and cmdline= need kernel=FILE");
	}
	if (vm->entry >= vm->ram)
		return fail(err, line, "VM '", vm->name, "': entry lies outside its ram");
	if (vm->limit > vm->ram)
		return fail(err, line, "VM '", vm->name, "': limit is above its ram");
	if (compress_pct >= 0) /* N% of its ram, whole pages */
		vm->compress_max = vm->ram * (uint64_t)compress_pct / 100 & ~4095ull;
	else if (vm->compress_max > vm->ram)
		return fail(err, line, "VM '", vm->name, "': compress_max is above its ram");
	if ((uint64_t)vm->inter + vm->dup + vm->zero + vm->unique + vm->ws >
	    (vm->ram >> 12) - 256)
		return fail(err, line, "VM '", vm->name,
			    "': recipe pages exceed its ram above the first MiB");
	cfg->nvms++;
	return 0;
}

const struct vm_config *config_find_vm(const struct config *cfg, const char *name)
{
	unsigned i;
	for (i = 0; i < cfg->nvms; i++)
		if (str_eq(cfg->vm[i].name, name))
			return &cfg->vm[i];
	return 0;
}

int config_parse(const char *text, size_t len, struct config *cfg,
		 struct config_error *err)
{
	size_t pos = 0;
	unsigned line = 0;
	unsigned net_lines[3] = { 0, 0, 0 }; /* where net.ip, net.mask, net.gw were set */
	unsigned k;

	*cfg = (struct config){ .knob_given = 0 };
	for (k = 0; k < KNOB_COUNT; k++)
		cfg->knob[k] = knob_table[k].def;
	cfg->dedup_cold_s = 120;
	cfg->dedup_zstd_s = 300;
	err->line = 0;
	err->msg[0] = 0;

	while (pos < len) {
		char buf[CONFIG_LINE_MAX + 1];
		char *w[CONFIG_LINE_MAX / 2];
		size_t n = 0, i;
		unsigned nw = 0;

		line++;
		while (pos < len && text[pos] != '\n') {
			char c = text[pos++];
			if (c == 0 || ((unsigned char)c < 0x20 && c != '\t' && c != '\r'))
				return fail(err, line, "control character in the file "
					    "(is it a text file?)", 0, 0);
			if (n == CONFIG_LINE_MAX)
				return fail(err, line, "line longer than 512 characters", 0, 0);
			buf[n++] = c;
		}
		pos++; /* the '\n' */
		buf[n] = 0;
		for (i = 0; i < n; i++)
			if (buf[i] == '#') { buf[i] = 0; n = i; break; }

		/* Split into words; '=' between words is its own word.  Double
		 * quotes keep spaces inside a word and are dropped; the words are
		 * compacted in place (o never passes i). */
		{
			size_t o = 0;
			int quoted = 0;
			for (i = 0; i < n;) {
				while (i < n && is_space(buf[i]))
					i++;
				if (i == n)
					break;
				w[nw++] = &buf[o];
				while (i < n && (quoted || !is_space(buf[i]))) {
					if (buf[i] == '"')
						quoted = !quoted, i++;
					else
						buf[o++] = buf[i++];
				}
				if (quoted)
					return fail(err, line, "a double quote is not closed", 0, 0);
				buf[o++] = 0;
				i += i < n; /* the space that ended the word */
			}
		}
		if (nw == 0)
			continue;
		if (str_eq(w[0], "vm")) {
			struct config_error ve;
			if (parse_vm(cfg, w, nw, line, &ve)) {
				/* This VM alone is refused; the others stand. */
				if (cfg->nrefused == CONFIG_MAX_VMS)
					return fail(err, line, "too many refused VMs", 0, 0);
				cfg->refused[cfg->nrefused++] = ve;
			}
			continue;
		}
		/* KEY = VALUE: exactly one word on each side of one '='. */
		{
			char *key = w[0], *val = 0, *eq;
			for (eq = w[0]; *eq && *eq != '='; eq++)
				;
			if (*eq == '=') {            /* KEY=VALUE or KEY= VALUE */
				*eq = 0;
				val = eq[1] ? eq + 1 : (nw == 2 ? w[1] : 0);
				if (nw > (eq[1] ? 1u : 2u))
					val = 0;
			} else if (nw >= 2 && w[1][0] == '=') { /* KEY = VALUE or KEY =VALUE */
				val = w[1][1] ? (nw == 2 ? w[1] + 1 : 0)
					      : (nw == 3 ? w[2] : 0);
			}
			if (!val || !key[0])
				return fail(err, line, "expected 'KEY = VALUE' or "
					    "'vm NAME key=value ...', got '", w[0], "'");
			if (parse_global(cfg, key, val, line, err))
				return -1;
			if (str_eq(key, "net.ip") || str_eq(key, "net.mask") || str_eq(key, "net.gw"))
				net_lines[str_eq(key, "net.ip") ? 0 : str_eq(key, "net.mask") ? 1 : 2] = line;
		}
	}
	if (check_modes(cfg, err))
		return -1;
	return check_net(cfg, net_lines, err);
}
