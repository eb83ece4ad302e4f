/* test_rtc_cmos.c - the MC146818 RTC/CMOS: dates, formats, setting the time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtc_cmos.h"

#define T_2026_11_29_123456 1795955696u /* a Sunday */

static uint8_t rd(struct rtc_cmos *r, uint64_t now, uint8_t idx)
{
	rtc_io_write(r, now, 0x70, idx);
	return rtc_io_read(r, now, 0x71);
}

static void wr(struct rtc_cmos *r, uint64_t now, uint8_t idx, uint8_t val)
{
	rtc_io_write(r, now, 0x70, idx);
	rtc_io_write(r, now, 0x71, val);
}

/* sec, min, hour, dow, dom, month, year, century */
static void expect(struct rtc_cmos *r, uint64_t now, const uint8_t v[8])
{
	static const uint8_t idx[8] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };

	for (int i = 0; i < 8; i++) {
		uint8_t got = rd(r, now, idx[i]);

		if (got != v[i])
			fail_msg("reg 0x%02x: got 0x%02x, want 0x%02x", idx[i], got, v[i]);
	}
}

static void test_known_date_bcd_binary(void **state)
{
	struct rtc_cmos r;
	const uint8_t bcd[8] = { 0x56, 0x34, 0x12, 1, 0x29, 0x11, 0x26, 0x20 };
	const uint8_t bin[8] = { 56, 34, 12, 1, 29, 11, 26, 20 };

	(void)state;
	rtc_init(&r);
	expect(&r, T_2026_11_29_123456, bcd);
	assert_int_equal(rd(&r, 0, 0x0A), 0x26);
	assert_int_equal(rd(&r, 0, 0x0B), 0x02);
	assert_int_equal(rd(&r, 0, 0x0C), 0);
	assert_int_equal(rd(&r, 0, 0x0D), 0x80);
	wr(&r, 0, 0x0B, 0x06);                  /* binary */
	expect(&r, T_2026_11_29_123456, bin);
	wr(&r, 0, 0x0B, 0x02);
	expect(&r, T_2026_11_29_123456, bcd);
}

static void test_12_hour(void **state)
{
	struct rtc_cmos r;
	const uint64_t midnight = T_2026_11_29_123456 - (12 * 3600 + 34 * 60 + 56);

	(void)state;
	rtc_init(&r);
	wr(&r, 0, 0x0B, 0x00);                  /* BCD, 12-hour */
	assert_int_equal(rd(&r, T_2026_11_29_123456, 4), 0x92);        /* 12 PM */
	assert_int_equal(rd(&r, midnight + 5, 4), 0x12);               /* 12 AM */
	assert_int_equal(rd(&r, midnight + 9 * 3600, 4), 0x09);
	assert_int_equal(rd(&r, midnight + 23 * 3600, 4), 0x91);       /* 11 PM */
	wr(&r, 0, 0x0B, 0x04);                  /* binary, 12-hour */
	assert_int_equal(rd(&r, midnight + 13 * 3600, 4), 0x81);
	/* Setting 11 PM in 12-hour mode reads back as 23 in 24-hour mode. */
	wr(&r, midnight, 4, 0x8B);
	wr(&r, 0, 0x0B, 0x06);
	assert_int_equal(rd(&r, midnight, 4), 23);
	assert_int_equal(rd(&r, midnight, 7), 29);
}

static void test_leap_years_and_century(void **state)
{
	struct rtc_cmos r;
	const uint8_t y2000_0229[8] = { 0x59, 0x59, 0x23, 3, 0x29, 0x02, 0x00, 0x20 };
	const uint8_t y2000_0301[8] = { 0x00, 0x00, 0x00, 4, 0x01, 0x03, 0x00, 0x20 };
	const uint8_t y2100_0228[8] = { 0x59, 0x59, 0x23, 1, 0x28, 0x02, 0x00, 0x21 };
	const uint8_t y2100_0301[8] = { 0x00, 0x00, 0x00, 2, 0x01, 0x03, 0x00, 0x21 };
	const uint8_t y1999[8] = { 0x59, 0x59, 0x23, 6, 0x31, 0x12, 0x99, 0x19 };
	const uint8_t y2000[8] = { 0x00, 0x00, 0x00, 7, 0x01, 0x01, 0x00, 0x20 };
	const uint8_t y2024_0229[8] = { 0x00, 0x00, 0x00, 5, 0x29, 0x02, 0x24, 0x20 };
	const uint8_t epoch[8] = { 0, 0, 0, 5, 0x01, 0x01, 0x70, 0x19 };

	(void)state;
	rtc_init(&r);
	expect(&r, 951868799, y2000_0229);
	expect(&r, 951868800, y2000_0301);
	expect(&r, 4107542399u, y2100_0228);    /* 2100 is not a leap year */
	expect(&r, 4107542400u, y2100_0301);
	expect(&r, 946684799, y1999);
	expect(&r, 946684800, y2000);
	expect(&r, 1709164800, y2024_0229);
	expect(&r, 0, epoch);
}

static void test_calendar_round_trip(void **state)
{
	(void)state;
	assert_int_equal(rtc_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(rtc_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(rtc_days_from_civil(2026, 11, 29), 20786);
	for (int64_t d = -800000; d < 800000; d += 7) {
		int64_t y;
		unsigned m, dd;

		rtc_civil_from_days(d, &y, &m, &dd);
		assert_true(m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
		assert_int_equal(rtc_days_from_civil(y, m, dd), d);
	}
}

static void test_set_time_then_advance(void **state)
{
	struct rtc_cmos r;
	const uint64_t t = T_2026_11_29_123456;
	const uint8_t frozen[8] = { 0x00, 0x00, 0x08, 3, 0x15, 0x01, 0x30, 0x20 };
	const uint8_t later[8] = { 0x01, 0x01, 0x08, 3, 0x15, 0x01, 0x30, 0x20 };
	const uint8_t next_day[8] = { 0x01, 0x01, 0x08, 4, 0x16, 0x01, 0x30, 0x20 };

	(void)state;
	rtc_init(&r);
	/* Linux's mc146818_set_time: SET, the fields, SET off. */
	wr(&r, t, 0x0B, 0x02 | 0x80);
	wr(&r, t, 0x0A, 0x26 | 0x70);           /* divider reset: stored */
	wr(&r, t, 9, 0x30);
	wr(&r, t, 8, 0x01);
	wr(&r, t, 7, 0x15);
	wr(&r, t, 4, 0x08);
	wr(&r, t, 2, 0x00);
	wr(&r, t, 0, 0x00);
	assert_int_equal(rd(&r, t + 100, 0), 0x00);     /* frozen while SET */
	assert_int_equal(rd(&r, t + 100, 9), 0x30);
	wr(&r, t + 100, 0x0A, 0x26);
	wr(&r, t + 100, 0x0B, 0x02);            /* 2030-01-15 08:00:00 from here */
	expect(&r, t + 100, frozen);            /* a Tuesday */
	expect(&r, t + 161, later);
	expect(&r, t + 161 + 86400, next_day);
	/* One field written without SET: the rest keeps running. */
	wr(&r, t + 200, 2, 0x45);
	assert_int_equal(rd(&r, t + 210, 2), 0x45);     /* 08:45:50 */
	assert_int_equal(rd(&r, t + 210, 0), 0x50);
	assert_int_equal(rd(&r, t + 210, 4), 0x08);
	assert_int_equal(rd(&r, t + 210, 7), 0x15);
	assert_int_equal(rd(&r, t + 220, 2), 0x46);
	/* Setting in binary mode. */
	wr(&r, t, 0x0B, 0x86);
	wr(&r, t, 9, 99);
	wr(&r, t, 0x32, 19);
	wr(&r, t, 0x0B, 0x06);
	assert_int_equal(rd(&r, t + 10, 9), 99);
	assert_int_equal(rd(&r, t + 10, 0x32), 19);
	assert_int_equal(rd(&r, t + 10, 8), 1);
	/* A date before 1970 reads as the epoch, not garbage. */
	wr(&r, t, 0x0B, 0x86);
	wr(&r, t, 9, 60);
	wr(&r, t, 0x0B, 0x06);
	assert_int_equal(rd(&r, t + 10, 9), 70);
	assert_int_equal(rd(&r, t + 10, 8), 1);
	assert_int_equal(rd(&r, t + 10, 7), 1);
	assert_int_equal(rd(&r, t + 10, 4), 0);
}

static void test_ram_and_ports(void **state)
{
	struct rtc_cmos r;

	(void)state;
	rtc_init(&r);
	wr(&r, 0, 0x10, 0x44);
	wr(&r, 0, 0x7F, 0x99);
	wr(&r, 0, 0x01, 0x30);                  /* alarm: plain */
	assert_int_equal(rd(&r, 0, 0x10), 0x44);
	assert_int_equal(rd(&r, 0, 0x7F), 0x99);
	assert_int_equal(rd(&r, 0, 0x01), 0x30);
	assert_int_equal(rd(&r, 0, 0x15), 0);
	/* Bit 7 of the index disables NMI; it is not part of the index. */
	rtc_io_write(&r, 0, 0x70, 0x80 | 0x10);
	assert_int_equal(r.nmi_disabled, 1);
	assert_int_equal(rtc_io_read(&r, 0, 0x71), 0x44);
	rtc_io_write(&r, 0, 0x70, 0x10);
	assert_int_equal(r.nmi_disabled, 0);
	assert_int_equal(rtc_io_read(&r, 0, 0x70), 0xFF);
	/* UIP never reads 1; C and D are read-only. */
	wr(&r, 0, 0x0A, 0xA6);
	assert_int_equal(rd(&r, 0, 0x0A), 0x26);
	wr(&r, 0, 0x0C, 0xFF);
	wr(&r, 0, 0x0D, 0x00);
	assert_int_equal(rd(&r, 0, 0x0C), 0);
	assert_int_equal(rd(&r, 0, 0x0D), 0x80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_date_bcd_binary),
		cmocka_unit_test(test_12_hour),
		cmocka_unit_test(test_leap_years_and_century),
		cmocka_unit_test(test_calendar_round_trip),
		cmocka_unit_test(test_set_time_then_advance),
		cmocka_unit_test(test_ram_and_ports),
	};
	return cmocka_run_group_tests_name("rtc_cmos", tests, NULL, NULL);
}
