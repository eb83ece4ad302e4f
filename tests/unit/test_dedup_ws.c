/*
 * test_dedup_ws.c - the working set: EPT accessed bits read by the scanner,
 * each page's age, and Difference Engine's four classes (dedup/scan.c,
 * account.c), over the fake machine whose TLB keeps a translation's A and
 * D bits until an invalidate, as a CPU does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dedup_fixture.h"

#define A 11
#define B 22

static struct dedup_vm_account acct(struct fix *f, unsigned vm)
{
	struct dedup_vm_account a;
	assert_int_equal(dedup_vm_account(f->d, vm, &a), 0);
	return a;
}

static void guest_read(struct fix *f, unsigned vm, uint64_t gfn)
{
	unsigned char b[8];
	fake_guest_read(&f->m, vm, gfn, 0, b, sizeof(b));
}

/* One full scan that starts at time t. */
static void scan_at(struct fix *f, uint64_t t)
{
	dedup_clock(f->d, t);
	fix_full_scans(f, 1);
}

/* Pages written, read and left alone since the last visit land in their
 * classes; the classes cover every page. */
static void test_classes(void **state)
{
	static const uint64_t c[] = { A, B, A + 1, B + 1, A + 2, B + 2 };
	struct dedup_vm_account a;
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 6, 0), 0);
	scan_at(&f, 0);
	assert_int_equal(fix_write(&f, 0, 0, 99), 0);
	assert_int_equal(fix_write(&f, 0, 1, 98), 0);
	guest_read(&f, 0, 2);
	guest_read(&f, 0, 3);
	guest_read(&f, 0, 4);
	scan_at(&f, 10);
	a = acct(&f, 0);
	assert_int_equal(a.ws[DEDUP_WS_WRITTEN], 2);
	assert_int_equal(a.ws[DEDUP_WS_READ], 3);
	assert_int_equal(a.ws[DEDUP_WS_IDLE], 1);  /* page 5 */
	assert_int_equal(a.ws[DEDUP_WS_COLD], 0);  /* cold_ticks 0: nothing is cold */
	/* Nothing touched since: all idle at the next visit. */
	scan_at(&f, 20);
	a = acct(&f, 0);
	assert_int_equal(a.ws[DEDUP_WS_IDLE], 6);
	fix_fini(&f);
}

/* A cleared accessed bit is set again only by an access that walks the EPT,
 * so the scanner must invalidate after clearing: a read through a cached
 * translation would not set it (the fake's TLB caches A like a CPU). */
static void test_stale_translation_is_dropped(void **state)
{
	static const uint64_t c[] = { A, B };
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0);
	guest_read(&f, 0, 0);      /* caches a translation with A set */
	scan_at(&f, 0);            /* reads and clears A: READ */
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_READ], 1);
	guest_read(&f, 0, 0);      /* must walk again, setting A */
	scan_at(&f, 10);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_READ], 1);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_IDLE], 1);
	fix_fini(&f);
}

/* Cold: not accessed for cold_ticks, measured from the scans' start times
 * (a lower bound on the idle time, whatever the scan rate). */
static void test_cold_after_cold_ticks(void **state)
{
	static const uint64_t c[] = { A, B };
	struct fix f;
	uint64_t t;
	(void)state;
	fix_init(&f, 64, 1, 0);
	dedup_knobs(f.d)->cold_ticks = 25;
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0); /* at time 0 */
	/* Page 1 untouched since its registration at 0: cold once a scan
	 * that begins 25 or more after it visits it, at the scan of 30. */
	for (t = 0; t <= 20; t += 10) {
		scan_at(&f, t);
		assert_int_equal(acct(&f, 0).ws[DEDUP_WS_COLD], 0);
	}
	guest_read(&f, 0, 0); /* page 0 read at 25 */
	scan_at(&f, 30);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_COLD], 1);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_READ], 1);
	/* Page 0: seen accessed at the scan of 30, so idle only since the scan
	 * of 40 began (the access may have come just before that visit): cold
	 * at the scan of 70, not 60. */
	for (t = 40; t <= 60; t += 10) {
		scan_at(&f, t);
		assert_int_equal(acct(&f, 0).ws[DEDUP_WS_COLD], 1);
	}
	scan_at(&f, 70);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_COLD], 2);
	/* Time alone moves a page into the class, without a scan (account
	 * reads the clock); a slower scan only makes the bound later. */
	guest_read(&f, 0, 1);
	scan_at(&f, 80);     /* page 1 read: idle from the scan of 81 on */
	scan_at(&f, 81);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_COLD], 1);
	dedup_clock(f.d, 105);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_COLD], 1); /* 105 - 81 < 25 */
	dedup_clock(f.d, 106);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_COLD], 2);
	fix_fini(&f);
}

/* Shared and zero pages have a working set too: their A bits are read. */
static void test_shared_pages_are_aged(void **state)
{
	static const uint64_t c[] = { A, A, 0, 0 };
	struct fix f;
	(void)state;
	fix_init(&f, 64, 1, 0);
	assert_int_equal(fix_add_vm(&f, 0, c, 4, 0), 0);
	scan_at(&f, 0);
	assert_int_equal(fix_stats(&f).frames_saved, 2);
	guest_read(&f, 0, 1);
	guest_read(&f, 0, 3);
	scan_at(&f, 10);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_READ], 2);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_IDLE], 2);
	/* A write to a shared page breaks COW: written. */
	assert_int_equal(fix_write(&f, 0, 0, B), 0);
	assert_int_equal(acct(&f, 0).ws[DEDUP_WS_WRITTEN], 1);
	fix_fini(&f);
}

/* Without A/D bits nothing is known: every class is empty. */
static void test_no_ad_bits_no_working_set(void **state)
{
	static const uint64_t c[] = { A, B };
	struct dedup_vm_account a;
	struct fix f;
	(void)state;
	fix_init(&f, 64, 0, 0);
	dedup_knobs(f.d)->cold_ticks = 1;
	assert_int_equal(fix_add_vm(&f, 0, c, 2, 0), 0);
	scan_at(&f, 0);
	scan_at(&f, 100);
	a = acct(&f, 0);
	for (unsigned k = 0; k < DEDUP_WS_CLASSES; k++)
		assert_int_equal(a.ws[k], 0);
	fix_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_stale_translation_is_dropped),
		cmocka_unit_test(test_cold_after_cold_ticks),
		cmocka_unit_test(test_shared_pages_are_aged),
		cmocka_unit_test(test_no_ad_bits_no_working_set),
	};
	return cmocka_run_group_tests_name("dedup_ws", tests, NULL, NULL);
}
