/* test_config.c - the config parser: every accepted form, every refusal names its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static struct config cfg;
static struct config_error err;

static int parse(const char *s)
{
	return config_parse(s, strlen(s), &cfg, &err);
}

static void expect_error(const char *text, unsigned line, const char *fragment)
{
	assert_int_equal(parse(text), -1);
	assert_int_equal(err.line, line);
	if (!strstr(err.msg, fragment))
		fail_msg("message '%s' lacks '%s'", err.msg, fragment);
}

/* A bad vm line: that VM alone is refused, naming its line. */
static void expect_refused(const char *text, unsigned line, const char *fragment)
{
	assert_int_equal(parse(text), 0);
	assert_int_equal(cfg.nrefused, 1);
	assert_int_equal(cfg.refused[0].line, line);
	if (!strstr(cfg.refused[0].msg, fragment))
		fail_msg("message '%s' lacks '%s'", cfg.refused[0].msg, fragment);
}

static void test_defaults_and_globals(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(cfg.nvms, 0);
	/* Every knob at its table default, none given: the governed rate. */
	for (unsigned i = 0; i < KNOB_COUNT; i++)
		assert_int_equal(cfg.knob[i], knob_table[i].def);
	assert_int_equal(cfg.knob_given, 0);
	assert_int_equal(cfg.knob[KNOB_RUN], 1);
	assert_int_equal(cfg.knob[KNOB_SCAN_TARGET_S], 10);
	assert_int_equal(cfg.knob[KNOB_SLEEP_MS], 20);
	assert_int_equal(parse("# comment\n\ncpus = 2\ndedup.pages_to_scan=0x400 # trailing\n"
			       "dedup.sleep_ms =5\r\ndedup.run= 0"), 0);
	assert_int_equal(cfg.cpus, 2);
	assert_int_equal(cfg.knob[KNOB_PAGES_TO_SCAN], 1024);
	assert_int_equal(cfg.knob[KNOB_SLEEP_MS], 5);
	assert_int_equal(cfg.knob[KNOB_RUN], 0);
	assert_int_equal(cfg.knob[KNOB_MAX_CPU_PCT], 25);
	assert_int_equal(cfg.knob_given,
			 1u << KNOB_PAGES_TO_SCAN | 1u << KNOB_SLEEP_MS | 1u << KNOB_RUN);
	assert_int_equal(parse("dedup.max_cpu_pct = 100\n"), 0);
	assert_int_equal(cfg.knob[KNOB_MAX_CPU_PCT], 100);
	expect_error("dedup.max_cpu_pct = 0\n", 1, "out of range (1..100)");
	expect_error("dedup.max_cpu_pct = 101\n", 1, "out of range");
	assert_int_equal(parse("dedup.scan_target_s = 120\n"), 0);
	assert_int_equal(cfg.knob[KNOB_SCAN_TARGET_S], 120);
	assert_int_equal(cfg.knob_given, 1u << KNOB_SCAN_TARGET_S);
	expect_error("dedup.scan_target_s = 0\n", 1, "out of range");
	expect_error("dedup.scan_target_s = 86401\n", 1, "out of range");
	/* A step holds the lock: no more than the governor's largest (knobs.h). */
	assert_int_equal(parse("dedup.pages_to_scan = 16384\n"), 0);
	expect_error("dedup.pages_to_scan = 16385\n", 1, "out of range (1..16384)");
	expect_error("dedup.pages_to_scan = 16777216\n", 1, "out of range");
	assert_int_equal(parse("dedup.merge_first_sight = 1\n"), 0);
	assert_int_equal(cfg.knob[KNOB_MERGE_FIRST_SIGHT], 1);
	expect_error("dedup.merge_first_sight = 2\n", 1, "out of range (0..1)");
	expect_error("dedup.no_such_knob = 2\n", 1, "unknown setting 'dedup.no_such_knob'");
	expect_error("dedup. = 2\n", 1, "unknown setting");
	assert_int_equal(parse("api.linger_s = 300\n"), 0);
	assert_int_equal(cfg.api_linger_s, 300);
	assert_int_equal(parse("cpus = 1\n"), 0);
	assert_int_equal(cfg.api_linger_s, 0); /* power off at once unless asked */
	expect_error("api.linger_s = 86401\n", 1, "out of range");
	expect_error("api.linger_s = soon\n", 1, "needs a number");
}

static void test_vm_lines(void **state)
{
	const struct vm_config *a, *b;
	(void)state;
	assert_int_equal(parse("vm alpha ram=32M image=memtest.bin\n"
			       "\tvm beta-2 ram=0x200000 vcpus=2 image=g.img entry=0x7c00 domain=3\n"), 0);
	assert_int_equal(cfg.nvms, 2);
	a = config_find_vm(&cfg, "alpha");
	b = config_find_vm(&cfg, "beta-2");
	assert_non_null(a);
	assert_non_null(b);
	assert_null(config_find_vm(&cfg, "gamma"));
	assert_int_equal(a->ram, 32u << 20);
	assert_int_equal(a->vcpus, 1);
	assert_int_equal(a->entry, 0x1000);
	assert_int_equal(a->domain, 0);
	assert_string_equal(a->image, "memtest.bin");
	assert_int_equal(a->line, 1);
	assert_int_equal(b->ram, 2u << 20);
	assert_int_equal(b->vcpus, 2);
	assert_int_equal(b->entry, 0x7c00);
	assert_int_equal(b->domain, 3);
	assert_int_equal(b->line, 2);
	assert_int_equal(parse("vm m ram=2M image=t seed=7 rounds=3 inter=100 dup=50 zero=50 unique=40 ws=16 corrupt=5"), 0);
	assert_int_equal(cfg.vm[0].corrupt, 5);
	assert_int_equal(cfg.vm[0].seed, 7);
	assert_int_equal(cfg.vm[0].rounds, 3);
	assert_int_equal(cfg.vm[0].inter + cfg.vm[0].dup + cfg.vm[0].zero + cfg.vm[0].unique + cfg.vm[0].ws, 256);
	assert_int_equal(parse("vm big ram=1G image=x\nvm k ram=4096K image=y"), 0);
	assert_int_equal(cfg.vm[0].ram, 1u << 30);
	assert_int_equal(cfg.vm[1].ram, 4u << 20);
}

static void test_global_errors(void **state)
{
	(void)state;
	expect_error("cpus = 2\nfoo = 1\n", 2, "unknown setting 'foo'");
	expect_error("foo = 1\n", 1, ".cold_s, .zstd_s, .pool_max, .patch, .audit, net.ip, .mask, .gw, api.token, .linger_s");
	/* The whole list fits the message: it ends with its last knob. */
	expect_error("foo = 1\n", 1, ".measure_s, .pages_to_scan)");
	expect_error("cpus = two", 1, "'cpus' needs a number");
	expect_error("cpus = 2 3", 1, "expected 'KEY = VALUE'");
	expect_error("cpus 2", 1, "expected 'KEY = VALUE'");
	expect_error("cpus =", 1, "expected 'KEY = VALUE'");
	expect_error("= 3", 1, "expected 'KEY = VALUE'");
	expect_error("\n\ncpus = 999", 3, "out of range");
	expect_error("dedup.pages_to_scan = 0", 1, "'dedup.pages_to_scan' is out of range (1..16384)");
	/* Issue 23: 2^24 pages a step held every CPU for seconds; a step is
	 * bound by the scanner's maximum (KNOB_STEP_MAX_PAGES). */
	expect_error("dedup.pages_to_scan = 16385", 1, "'dedup.pages_to_scan' is out of range (1..16384)");
	expect_error("dedup.pages_to_scan = 16777216", 1, "out of range (1..16384)");
	assert_int_equal(parse("dedup.pages_to_scan = 16384"), 0);
	assert_int_equal(cfg.knob[KNOB_PAGES_TO_SCAN], 16384);
	expect_error("cpus = 99999999999999999999999", 1, "needs a number");
	expect_error("dedup.sleep_ms = 12abc", 1, "needs a number");
	expect_error("dedup.measure_s = 86401", 1, "out of range");
}

/* start=late and dedup.measure_s: the fleet's measurement points. */
static void test_fleet_keys(void **state)
{
	(void)state;
	assert_int_equal(parse("dedup.measure_s = 90\nvm a ram=1M image=x\n"
			       "vm b ram=1M image=x start=late\nvm c ram=1M image=x start=boot"), 0);
	assert_int_equal(cfg.knob[KNOB_MEASURE_S], 90);
	assert_int_equal(cfg.dedup_dump_point, 0);
	assert_int_equal(cfg.vm[0].start_late, 0);
	assert_int_equal(cfg.vm[1].start_late, 1);
	assert_int_equal(cfg.vm[2].start_late, 0);
	assert_int_equal(parse("vm a ram=1M image=x"), 0);
	assert_int_equal(cfg.knob[KNOB_MEASURE_S], 0); /* off unless asked for */
}

/* The cold tier's keys: dedup.cold_s, dedup.zstd_s, dedup.pool_max, dedup.patch, a VM's
 * compress_max. */
static void test_tier_keys(void **state)
{
	(void)state;
	assert_int_equal(parse("vm a ram=8M image=x"), 0);
	assert_int_equal(cfg.dedup_cold_s, 120);
	assert_int_equal(cfg.dedup_pool_max, 0);             /* the tier off unless asked for */
	assert_int_equal(cfg.vm[0].compress_max, 8u << 20);  /* no ceiling: all its RAM */
	assert_int_equal(cfg.dedup_patch, 0);                /* patches off unless asked for */
	assert_int_equal(cfg.dedup_zstd_s, 300);             /* zstd for pages idle 5 minutes */
	assert_int_equal(parse("dedup.cold_s = 20\ndedup.zstd_s = 0\ndedup.pool_max = 64M\ndedup.patch = 1\n"
			       "vm a ram=8M image=x compress_max=2M\nvm b ram=8M image=x compress_max=25%\n"
			       "vm c ram=1036K image=x compress_max=50%\nvm d ram=8M image=x compress_max=0"), 0);
	assert_int_equal(cfg.dedup_cold_s, 20);
	assert_int_equal(cfg.dedup_zstd_s, 0);
	assert_int_equal(cfg.dedup_pool_max, 64u << 20);
	assert_int_equal(cfg.dedup_patch, 1);
	assert_int_equal(cfg.vm[0].compress_max, 2u << 20);
	assert_int_equal(cfg.vm[1].compress_max, 2u << 20);
	assert_int_equal(cfg.vm[2].compress_max, 129 * 4096); /* 129.5 pages: whole ones */
	assert_int_equal(cfg.vm[3].compress_max, 0);
	assert_int_equal(parse("dedup.pool_max = 0x1000"), 0);
	assert_int_equal(cfg.dedup_pool_max, 4096);
	expect_error("dedup.cold_s = 0", 1, "out of range");
	expect_error("dedup.cold_s = 86401", 1, "out of range");
	expect_error("dedup.patch = 2", 1, "'dedup.patch' is out of range 0-1");
	expect_error("dedup.zstd_s = 86401", 1, "'dedup.zstd_s' is out of range 0-86400");
	expect_error("dedup.zstd_s = soon", 1, "dedup.zstd_s");
	/* dedup.audit (kernel/sharing_audit.c): off unless asked for, 0 or 1. */
	assert_int_equal(parse("vm a ram=8M image=x"), 0);
	assert_int_equal(cfg.dedup_audit, 0);
	assert_int_equal(parse("dedup.audit = 1\nvm a ram=8M image=x"), 0);
	assert_int_equal(cfg.dedup_audit, 1);
	expect_error("dedup.audit = 2", 1, "'dedup.audit' is out of range 0-1");
	expect_error("cpus = 1\ndedup.pool_max = 1000", 2, "multiple of 4K");
	expect_error("dedup.pool_max = 65G", 1, "at most 64G");
	expect_error("dedup.pool_max = lots", 1, "needs a size");
	expect_refused("vm a ram=8M image=x compress_max=9M", 1, "compress_max is above its ram");
	expect_refused("vm a ram=8M image=x compress_max=101%", 1, "compress_max must be a size or 0-100%");
	expect_refused("vm a ram=8M image=x compress_max=5000", 1, "multiple of 4K");
	expect_refused("vm a ram=8M image=x compress_max=%", 1, "compress_max must be");
}

static void test_vm_errors(void **state)
{
	(void)state;
	/* The others stand: a good VM before and after the bad line. */
	assert_int_equal(parse("vm a ram=1M image=x\nvm b ram=9Q image=y\nvm c ram=1M image=z"), 0);
	assert_int_equal(cfg.nvms, 2);
	assert_non_null(config_find_vm(&cfg, "a"));
	assert_non_null(config_find_vm(&cfg, "c"));
	assert_null(config_find_vm(&cfg, "b"));
	assert_int_equal(cfg.nrefused, 1);
	assert_int_equal(cfg.refused[0].line, 2);
	expect_refused("vm", 1, "needs a name");
	expect_refused("vm a/b ram=1M image=x", 1, "bad VM name");
	expect_refused("vm a ram=1M image=x\nvm a ram=1M image=y", 2, "duplicate VM name 'a'");
	expect_refused("vm a image=x", 1, "needs ram=");
	expect_refused("vm a ram=1M", 1, "needs image=");
	expect_refused("vm a ram=1M image=../etc", 1, "bad image file name");
	expect_refused("vm a ram=1M image=x color=red", 1, "unknown VM key 'color'");
	expect_refused("vm a ram=1M image=x start=soon", 1, "start must be boot or late, not 'soon'");
	expect_refused("vm a ram=1M image=x vcpus", 1, "expected key=value");
	expect_refused("vm a ram=1M image=x vcpus=", 1, "expected key=value");
	expect_refused("vm a ram=12Q image=x", 1, "bad number '12Q'");
	expect_refused("vm a ram=1000 image=x", 1, "multiple of 4K");
	expect_refused("vm a ram=512K image=x", 1, "between 1M and 64G");
	expect_refused("vm a ram=65G image=x", 1, "between 1M and 64G");
	expect_refused("vm a ram=99999999999G image=x", 1, "bad number");
	expect_refused("vm a ram=1M image=x vcpus=0", 1, "vcpus must be 1 to 64");
	expect_refused("vm a ram=1M image=x vcpus=65", 1, "vcpus must be 1 to 64");
	expect_refused("vm a ram=1M image=x domain=70000", 1, "domain must be");
	expect_refused("vm a ram=1M image=x entry=0x100000", 1, "entry lies outside");
	expect_refused("vm a ram=2M image=x inter=200 ws=57", 1, "recipe pages exceed");
	expect_refused("vm a ram=2M image=x rounds=abc", 1, "bad number 'abc'");
	expect_refused("vm a ram=2M image=x limit=3M", 1, "limit is above its ram");
	expect_refused("vm a ram=2M image=x limit=1000", 1, "limit must be a multiple of 4K");
	expect_refused("vm a ram=2M image=x limit=0", 1, "limit must be");
	assert_int_equal(parse("vm a ram=4M limit=1M image=x"), 0);
	assert_int_equal(cfg.vm[0].limit, 1ull << 20);
}

static void test_file_errors(void **state)
{
	char buf[600];
	int i;
	(void)state;
	expect_error("cpus = 1\n\x01\x02", 2, "control character");
	{
		const char nul[] = "cpus = 1\nvm a\0 ram=1M";
		assert_int_equal(config_parse(nul, sizeof(nul) - 1, &cfg, &err), -1);
		assert_int_equal(err.line, 2);
	}
	memset(buf, 'x', sizeof(buf));
	buf[sizeof(buf) - 1] = 0;
	expect_error(buf, 1, "longer than 512");
	/* 17 VMs: the 17th is refused, naming its line. */
	buf[0] = 0;
	for (i = 0; i < 17; i++) {
		char l[40];
		snprintf(l, sizeof(l), "vm v%d ram=1M image=x\n", i);
		strcat(buf, l);
	}
	expect_refused(buf, 17, "too many VMs");
	assert_int_equal(cfg.nvms, 16);
}

/* Linux VMs: kernel=, initrd=, a quoted cmdline=, one vCPU. */
/* The network API's keys: addresses, the mask's default and shape, the
 * gateway in the subnet, the token's characters; each refusal names its line. */
static void test_net_keys(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(cfg.net_ip, 0);
	assert_string_equal(cfg.api_token, "");
	assert_int_equal(parse("net.ip = 10.0.2.15\n"), 0);
	assert_int_equal(cfg.net_ip, 0x0A00020F);
	assert_int_equal(cfg.net_mask, 0xFFFFFF00u);
	assert_int_equal(cfg.net_gw, 0);
	assert_int_equal(parse("net.gw = 192.168.7.1\nnet.ip=192.168.4.200\nnet.mask = 255.255.248.0\n"
			       "api.token = s3cr.T-_~+/0==\n"), 0);
	assert_int_equal(cfg.net_ip, 0xC0A804C8u);
	assert_int_equal(cfg.net_mask, 0xFFFFF800u);
	assert_int_equal(cfg.net_gw, 0xC0A80701u);
	assert_string_equal(cfg.api_token, "s3cr.T-_~+/0==");
	assert_int_equal(parse("net.ip = 172.16.0.254\nnet.mask = 255.255.255.252\n"), 0);
	assert_int_equal(cfg.net_dhcp, 0);
	/* (A token of 12 characters: the 1-character one this line had is refused now.) */
	assert_int_equal(parse("net.ip = dhcp\napi.token = twelve-chars\n"), 0);
	assert_int_equal(cfg.net_dhcp, 1);
	assert_int_equal(cfg.net_ip, 0);
	assert_int_equal(parse("net.ip = dhcp\nnet.ip = 10.0.2.15\n"), 0); /* the last one counts */
	assert_int_equal(cfg.net_dhcp, 0);
	assert_int_equal(cfg.net_ip, 0x0A00020F);
	expect_error("net.ip = dhcp\nnet.gw = 10.0.2.2\n", 2, "come from the DHCP server");
	expect_error("net.mask = 255.255.255.0\nnet.ip = dhcp\n", 1, "come from the DHCP server");
	expect_error("net.ip = DHCP\n", 1, "or dhcp");
	assert_int_equal(parse("api.token = "
			       "123456789012345678901234567890123456789012345678901234567890123\n"), 0);
	assert_int_equal(strlen(cfg.api_token), 63);

	expect_error("net.ip = 10.0.2\n", 1, "needs an IPv4 address");
	expect_error("net.ip = 10.0.2.15.1\n", 1, "needs an IPv4 address");
	expect_error("net.ip = 10.0.2.256\n", 1, "needs an IPv4 address");
	expect_error("net.ip = 10.0.02.15\n", 1, "needs an IPv4 address");
	expect_error("net.ip = 10.0.2.15x\n", 1, "needs an IPv4 address");
	expect_error("net.ip = 10..2.15\n", 1, "needs an IPv4 address");
	expect_error("net.ip = -1.0.2.15\n", 1, "needs an IPv4 address");
	expect_error("net.ip = 10.0.2.1000\n", 1, "needs an IPv4 address");
	expect_error("\nnet.ip = 0.0.0.0\n", 2, "not a host address");
	expect_error("net.ip = 10.0.2.0\n", 1, "not a host address");
	expect_error("net.ip = 10.0.2.255\n", 1, "not a host address");
	expect_error("net.ip = 127.0.0.1\nnet.mask = 255.0.0.0\n", 1, "not a host address");
	expect_error("net.ip = 224.0.0.5\n", 1, "not a host address");
	expect_error("net.ip = 10.0.2.15\nnet.mask = 255.0.255.0\n", 2, "contiguous");
	expect_error("net.ip = 10.0.2.15\nnet.mask = 0.0.0.0\n", 2, "contiguous");
	expect_error("net.ip = 10.0.2.15\n\nnet.gw = 10.0.3.1\n", 3, "subnet");
	expect_error("net.ip = 10.0.2.15\nnet.gw = 10.0.2.15\n", 2, "subnet");
	expect_error("net.mask = 255.255.255.0\n", 1, "need net.ip");
	expect_error("\nnet.gw = 10.0.2.2\n", 2, "need net.ip");
	expect_error("api.token = a b\n", 1, "expected 'KEY = VALUE'");
	expect_error("api.token = tok=en\n", 1, "api.token must be");
	expect_error("api.token = =\n", 1, "api.token must be");
	expect_error("api.token = caf\xc3\xa9\n", 1, "api.token must be");
	expect_error("api.token = "
		     "1234567890123456789012345678901234567890123456789012345678901234\n", 1,
		     "api.token must be");
	expect_error("net.port = 80\n", 1, "net.ip, .mask, .gw, api.token");
	/* Issue 23: a 1-character token was accepted.  At least 12 before the
	 * '=' padding, which adds nothing to guess. */
	expect_error("api.token = t\n", 1, "api.token is too short: at least 12 characters");
	expect_error("\napi.token = eleven-char\n", 2, "api.token is too short");
	expect_error("api.token = eleven-char=\n", 1, "api.token is too short");
	assert_int_equal(parse("api.token = twelve-chars\n"), 0);
	assert_string_equal(cfg.api_token, "twelve-chars");
	assert_int_equal(parse("api.token = twelve-chars==\n"), 0);
	/* Test support: an lwIP assertion after N answers (control/net.c). */
	assert_int_equal(cfg.test_lwip_assert, 0);
	assert_int_equal(parse("test.lwip_assert = 3\n"), 0);
	assert_int_equal(cfg.test_lwip_assert, 3);
}

/* A domain's sharing mode (issue 22): per VM line, one per domain. */
static void test_domain_modes(void **state)
{
	(void)state;
	assert_int_equal(parse("vm a ram=1M image=x domain=1 mode=same\n"
			       "vm b ram=1M image=x domain=1 mode=same\n"
			       "vm c ram=1M image=x\n"
			       "vm d ram=1M image=x domain=2 mode=normal\n"), 0);
	assert_int_equal(cfg.nvms, 4);
	assert_int_equal(cfg.vm[0].mode, CONFIG_MODE_SAME);
	assert_int_equal(cfg.vm[1].mode, CONFIG_MODE_SAME);
	assert_int_equal(cfg.vm[2].mode, CONFIG_MODE_NORMAL); /* the default */
	assert_int_equal(cfg.vm[3].mode, CONFIG_MODE_NORMAL);
	expect_refused("vm a ram=1M image=x mode=secret", 1, "mode must be normal or same, not 'secret'");
	/* Mixed modes in one domain: the whole file, at the later line, both named. */
	expect_error("vm a ram=1M image=x domain=3 mode=same\n"
		     "vm b ram=1M image=x domain=4\n"
		     "# a comment\n"
		     "vm c ram=1M image=x domain=3\n", 4,
		     "vm c is mode=normal but vm a (line 1) of the same domain 3 is mode=same: "
		     "a sharing domain has one mode");
	expect_error("vm a ram=1M image=x\nvm b ram=1M image=x mode=same\n", 2,
		     "vm b is mode=same but vm a (line 1) of the same domain 0 is mode=normal");
}

static void test_linux_lines(void **state)
{
	const struct vm_config *v;
	(void)state;
	assert_int_equal(parse("vm tux ram=256M kernel=vmlinux initrd=initrd.cpio.gz "
			       "cmdline=\"console=ttyS0,115200 quiet  workload=idle\" domain=2\n"
			       "vm t2 ram=128M kernel=vmlinuz cmdline=nokaslr\n"), 0);
	assert_int_equal(cfg.nvms, 2);
	assert_int_equal(cfg.nrefused, 0);
	v = config_find_vm(&cfg, "tux");
	assert_non_null(v);
	assert_string_equal(v->kernel, "vmlinux");
	assert_string_equal(v->initrd, "initrd.cpio.gz");
	assert_string_equal(v->cmdline, "console=ttyS0,115200 quiet  workload=idle");
	assert_string_equal(v->image, "");
	assert_int_equal(v->domain, 2);
	assert_int_equal(v->vcpus, 1);
	v = config_find_vm(&cfg, "t2");
	assert_string_equal(v->cmdline, "nokaslr");
	assert_string_equal(v->initrd, "");
	expect_refused("vm a ram=64M kernel=k vcpus=5\n", 1, "at most 4 vCPUs");
	assert_int_equal(parse("vm a ram=64M kernel=k vcpus=2 cmdline=noapic\n"), 0);
	assert_int_equal(config_find_vm(&cfg, "a")->vcpus, 2);
	expect_refused("vm a ram=64M kernel=k image=i\n", 1, "both image= and kernel=");
	expect_refused("vm a ram=64M image=i initrd=r\n", 1, "need kernel=");
	expect_refused("vm a ram=64M image=i cmdline=x\n", 1, "need kernel=");
	expect_refused("vm a ram=64M kernel=k entry=0x2000\n", 1, "for image= guests");
	expect_refused("vm a ram=64M kernel=k seed=3\n", 1, "for image= guests");
	expect_refused("vm a ram=64M initrd=r\n", 1, "needs image=FILE or kernel=FILE");
	expect_refused("vm a ram=64M kernel=k/x\n", 1, "bad kernel file name");
	expect_error("vm a ram=64M kernel=k cmdline=\"unclosed\n", 1, "not closed");
	{
		char line[520];
		memset(line, 0, sizeof(line));
		strcpy(line, "vm a ram=64M kernel=k cmdline=\"");
		memset(line + strlen(line), 'x', 400);
		strcat(line, "\"\n");
		expect_refused(line, 1, "cmdline longer than 399");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_globals),
		cmocka_unit_test(test_vm_lines),
		cmocka_unit_test(test_global_errors),
		cmocka_unit_test(test_tier_keys),
		cmocka_unit_test(test_vm_errors),
		cmocka_unit_test(test_fleet_keys),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_linux_lines),
		cmocka_unit_test(test_net_keys),
		cmocka_unit_test(test_domain_modes),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
