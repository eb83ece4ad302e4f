/*
 * config.h - the dedupvisor.cfg format and its parser.
 *
 * The file is line-oriented text; '#' starts a comment.  Two kinds of line:
 *
 *   KEY = VALUE                       a hypervisor-wide setting
 *   vm NAME key=value key=value ...   one guest VM
 *
 * Global keys: cpus (CPUs to run on, 0 = all), dedup.scanner (0: the
 * scanner runs between vCPU slices on the boot CPU; 1: on a CPU of its
 * own, the last), the scanner's knobs as dedup.NAME, named and ranged by
 * common/knobs.h's table (run, sleep_ms, merge_first_sight, summary_scans,
 * max_cpu_pct, scan_target_s, measure_s - a measurement point every N
 * seconds, 0 = none, the default: control/points.c - and pages_to_scan:
 * the same table the console and the API use; the rate governor,
 * dedup/governor.h, is the default, and an explicit dedup.pages_to_scan
 * selects the fixed rate instead), dedup.dump_point (at that point, every VM's
 * memory goes out through Bochs's debugger: control/memdump.c,
 * scripts/memdump.sh; 0 = never).  The cold tier (dedup/tier.c):
 * dedup.pool_max (bytes with optional K/M/G suffix, a multiple of 4 KiB, at
 * most 64G: the host memory its compressed pool may hold; 0, the default,
 * turns the tier off), dedup.cold_s (1-86400, default 120: a private page
 * not accessed for that long is compressed), dedup.patch (0, the default,
 * or 1: the tier also keeps a cold page nearly the same as a reference
 * frame as a patch against it, when that takes less of the pool than lz4:
 * dedup/tier_patch.c).  The network API (docs/api.md):
 * net.ip (the hypervisor's own IPv4 address, dotted quad; without it the
 * NIC is left alone), net.mask (default 255.255.255.0), net.gw (a router in
 * that subnet; default none), api.token (the bearer token of the API's
 * routes that change something: 12-63 characters of RFC 6750's b64token,
 * A-Z a-z 0-9 - . _ ~ + / and then '=' padding, at least 12 before the
 * padding (CONFIG_TOKEN_MIN); default none, and those routes answer 403).  VM keys: ram (required; bytes with
 * optional K/M/G suffix, multiple of 4 KiB), limit (the host memory it may
 * hold in frames of its own, at most ram; default ram: see kernel/upcall.c),
 * compress_max (the most of its RAM the cold tier may hold compressed: a
 * size as ram's, or N% of ram for N 0-100; default all of it),
 * vcpus (default 1), image
 * (required; a file in the ESP's \dedupvisor\ folder), entry (guest-physical
 * entry point, default 0x1000), domain (sharing domain, default 0), mode
 * (its domain's sharing mode: normal, the default, or same - same-behaviour,
 * dedup/same.c, docs/security.md; every VM of a domain must say the same,
 * or the whole file is refused: a domain has one mode), start
 * (boot, the default, or late: the VM joins the running fleet at its next
 * measurement point, for the cost of an added VM), and the
 * memtest guest's recipe (docs/hypercalls.md): seed, rounds, and page
 * counts inter, dup, zero, unique, ws (identical across VMs, duplicated
 * within the VM, zero, unique, rewritten each round), which must fit in the
 * RAM above the first MiB.  corrupt=N (a test of the memtest oracle) makes
 * the hypervisor flip one byte of data page N-1 after the guest's round 1.
 * Numbers are decimal or 0x-hex.
 *
 * A Linux VM names kernel=FILE (a bzImage, or the uncompressed vmlinux with
 * its PVH entry note) instead of image=, with optional initrd=FILE and
 * cmdline="..." (double quotes keep spaces in one value; at most 399
 * characters; '#' starts a comment even inside quotes); it has one vCPU (vcpus above 1 is refused until SMP guests
 * are supported) and takes no entry= or memtest recipe.
 *
 * Test support: test.lwip_assert = N (an lwIP assertion injected once the
 * API has answered N requests: the network stack's recovery, control/net.c).
 *
 * A bad vm line refuses that VM and no other; a bad global line, a
 * non-text file or more bad VMs than fit refuse the whole file.
 *
 * The parser is freestanding C (no libc): the UEFI loader uses it to find
 * the guest images and to refuse a bad file before anything starts, the
 * hypervisor to build its VMs, the host tests to check every error.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "knobs.h"

#define CONFIG_MAX_VMS   16
#define CONFIG_NAME_MAX  32
#define CONFIG_IMAGE_MAX 64
#define CONFIG_LINE_MAX  512
#define CONFIG_CMDLINE_MAX 400 /* a Linux VM's command line, NUL included */
#define CONFIG_RAM_MIN   (1ull << 20)
#define CONFIG_RAM_MAX   (64ull << 30)
#define CONFIG_VCPUS_MAX 64
#define CONFIG_TOKEN_MAX 64 /* api.token, NUL included */
/* api.token at least, '=' padding not counted (it adds nothing to guess).
 * Why 12: ~72 bits if drawn at random from b64token's 66 characters, and
 * even a 12-letter lowercase word (~56 bits) is out of reach of a guesser
 * the server slows down (a peer's wrong tokens, api/auth_throttle.h); a
 * person can still type it (the demo's "dedupvisor-demo" is 15).  Issue
 * 23: a 1-character token was accepted. */
#define CONFIG_TOKEN_MIN 12

struct vm_config {
	char name[CONFIG_NAME_MAX];
	char image[CONFIG_IMAGE_MAX];  /* a flat guest image, or: */
	char kernel[CONFIG_IMAGE_MAX]; /* a Linux kernel (bzImage or vmlinux), */
	char initrd[CONFIG_IMAGE_MAX]; /* its initrd (optional) */
	char cmdline[CONFIG_CMDLINE_MAX]; /* and its command line */
	uint64_t ram;     /* bytes, multiple of 4 KiB */
	uint64_t limit;   /* host memory it may hold, bytes (0: its ram) */
	uint64_t entry;   /* guest-physical entry point */
	uint32_t vcpus;
	uint32_t domain;  /* sharing domain */
	uint32_t mode;    /* its domain's: CONFIG_MODE_NORMAL or CONFIG_MODE_SAME */
	uint32_t seed, rounds;
	uint32_t inter, dup, zero, unique, ws; /* memtest recipe, in pages */
	uint32_t corrupt; /* test: flip a byte of data page corrupt-1 after round 1 */
	uint32_t start_late; /* start=late: joins the fleet at its next measurement point */
	uint64_t compress_max; /* the most of its RAM held compressed, bytes (default: ram) */
	unsigned line;    /* where it was defined */
};

enum { CONFIG_MODE_NORMAL, CONFIG_MODE_SAME };

struct config_error {
	unsigned line;  /* 1-based; 0 when the error is about the whole file */
	char msg[384]; /* the longest, an unknown key with every known one listed, fits */
};

struct config {
	uint32_t cpus;
	/* The scanner's knobs (knobs.h), defaults where the file gives none;
	 * bit id of knob_given: the file gave knob id. */
	uint32_t knob[KNOB_COUNT];
	uint32_t knob_given;
	uint32_t dedup_scanner;  /* 0: between vCPU slices on the boot CPU; 1: a CPU of its own */
	uint32_t dedup_dump_point;  /* at this measurement point, dump VMs' memory (0: never) */
	uint32_t dedup_cold_s;      /* the cold tier: idle this long, a page is compressed */
	uint32_t dedup_zstd_s;      /* idle this long, its lz4 object remade in zstd (0: no zstd) */
	uint64_t dedup_pool_max;    /* the cold tier's pool at most, bytes (0: the tier off) */
	uint32_t dedup_patch;       /* the cold tier keeps patches too (1) */
	uint32_t dedup_audit;       /* every page checked after every full scan (1) */
	/* IPv4 addresses in host order (10.0.2.15 is 0x0A00020F); net_ip 0: no
	 * network, unless net_dhcp ("net.ip = dhcp": the address, mask and
	 * gateway come from a DHCP server). */
	uint32_t net_ip, net_mask, net_gw;
	uint32_t net_dhcp;
	char api_token[CONFIG_TOKEN_MAX]; /* "" when none */
	uint32_t api_linger_s; /* the API serves this long after the VMs finish (0: power off at once) */
	uint32_t test_lwip_assert; /* test: an lwIP assertion after this many API answers (0: never) */
	unsigned nvms;
	struct vm_config vm[CONFIG_MAX_VMS];
	unsigned nrefused;                        /* bad vm lines, left out */
	struct config_error refused[CONFIG_MAX_VMS];
};

/* Parses text[0..len) into *cfg (defaults first).  A bad vm line refuses
 * that VM alone (cfg->refused names its line and why) and the others
 * stand; any other error refuses the whole file: -1 with the line and the
 * message in *err, and *cfg is then not to be used. */
int config_parse(const char *text, size_t len, struct config *cfg,
		 struct config_error *err);

/* The VM named name, or NULL. */
const struct vm_config *config_find_vm(const struct config *cfg, const char *name);

#endif
