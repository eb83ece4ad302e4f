/* test_console_cmd.c - the console's command parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "console_cmd.h"
#include "knobs.h"

static void test_commands(void **state)
{
	struct cmd c;
	(void)state;
	assert_int_equal(console_parse("").kind, CMD_NONE);
	assert_int_equal(console_parse("   \t").kind, CMD_NONE);
	assert_int_equal(console_parse("stats").kind, CMD_STATS);
	assert_int_equal(console_parse("  vms \r").kind, CMD_VMS);
	assert_int_equal(console_parse("help").kind, CMD_HELP);
	assert_int_equal(console_parse("knobs").kind, CMD_KNOBS);
	assert_int_equal(console_parse(" measure ").kind, CMD_MEASURE);
	c = console_parse("start tux4");
	assert_int_equal(c.kind, CMD_START);
	assert_string_equal(c.name, "tux4");
	c = console_parse("stop\ttux1");
	assert_int_equal(c.kind, CMD_STOP);
	assert_string_equal(c.name, "tux1");
	c = console_parse("attach tux");
	assert_int_equal(c.kind, CMD_ATTACH);
	assert_string_equal(c.name, "tux");
	c = console_parse("set pages_to_scan 500");
	assert_int_equal(c.kind, CMD_SET);
	assert_int_equal(c.knob, KNOB_PAGES_TO_SCAN);
	assert_int_equal(c.value, 500);
	c = console_parse("set\trun 0");
	assert_int_equal(c.kind, CMD_SET);
	assert_int_equal(c.knob, KNOB_RUN);
	assert_int_equal(c.value, 0);
	c = console_parse("set summary_scans 4");
	assert_int_equal(c.knob, KNOB_SUMMARY_SCANS);
	c = console_parse("set scan_target_s 30");
	assert_int_equal(c.kind, CMD_SET);
	assert_int_equal(c.knob, KNOB_SCAN_TARGET_S);
	assert_int_equal(c.value, 30);
	c = console_parse("set scan_target_s 86400");
	assert_int_equal(c.value, 86400);
	c = console_parse("set max_cpu_pct 50");
	assert_int_equal(c.kind, CMD_SET);
	assert_int_equal(c.knob, KNOB_MAX_CPU_PCT);
	c = console_parse("set pages_to_scan 16384");
	assert_int_equal(c.kind, CMD_SET);
	assert_int_equal(c.value, KNOB_STEP_MAX_PAGES);
}

static void expect_error(const char *line, const char *fragment)
{
	struct cmd c = console_parse(line);
	assert_int_equal(c.kind, CMD_ERROR);
	if (!strstr(c.error, fragment))
		fail_msg("'%s': '%s' lacks '%s'", line, c.error, fragment);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("reboot", "unknown command");
	expect_error("stats now", "no arguments");
	expect_error("set pages_to_scan", "usage");
	expect_error("set frobs 1", "unknown knob");
	expect_error("set pages_to_scan 0", "out of range: pages_to_scan is 1..16384");
	/* Issue 23: a step of 2^24 pages held every CPU for seconds; a step is
	 * bound by the scanner's maximum, KNOB_STEP_MAX_PAGES. */
	expect_error("set pages_to_scan 16385", "out of range: pages_to_scan is 1..16384");
	expect_error("set pages_to_scan 16777216", "out of range");
	assert_int_equal(console_parse("set pages_to_scan 16384").value, KNOB_STEP_MAX_PAGES);
	expect_error("set run 2", "out of range");
	expect_error("set sleep_ms 1x", "decimal");
	expect_error("set sleep_ms 99999999999", "decimal");
	expect_error("set run 1 2", "too many");
	expect_error("sta", "unknown command");
	expect_error("measure now", "no arguments");
	expect_error("start", "usage: start VM");
	expect_error("start a b", "usage: start VM");
	expect_error("stop", "usage: stop VM");
	expect_error("attach", "usage: attach VM");
	expect_error("attach a b", "usage: attach VM");
	expect_error("attac tux", "unknown command");
	expect_error("attach abcdefghijklmnopqrstuvwxyz0123456789", "so long a name");
	expect_error("start abcdefghijklmnopqrstuvwxyz0123456789", "so long a name");
	expect_error("set scan_target_s 0", "out of range");
	expect_error("set scan_target_s 86401", "out of range");
	expect_error("set scan_target 10", "unknown knob");
	expect_error("set max_cpu_pct 0", "out of range");
	expect_error("knobs all", "no arguments");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_commands), cmocka_unit_test(test_errors) };
	return cmocka_run_group_tests_name("console_cmd", tests, NULL, NULL);
}
