/*
 * rtc_cmos.h - the PC's MC146818 real-time clock and CMOS RAM at ports
 * 0x70/0x71, as a plain C model reading the caller's Unix time
 * (devices/rtc_cmos.c says how it works).
 */
#ifndef DEVICES_RTC_CMOS_H
#define DEVICES_RTC_CMOS_H

#include <stdint.h>

#include "mc146818.h"

struct rtc_cmos {
	uint8_t ram[RTC_CMOS_SIZE];  /* RAM, registers A, B; the time while SET */
	uint8_t index;
	uint8_t nmi_disabled;        /* port 0x70 bit 7, kept for the caller */
	int64_t offset;              /* the guest's time = unix_now + offset */
};

void rtc_init(struct rtc_cmos *r);
void rtc_io_write(struct rtc_cmos *r, uint64_t unix_now, uint16_t port, uint8_t val);
uint8_t rtc_io_read(struct rtc_cmos *r, uint64_t unix_now, uint16_t port);

/* Calendar helpers (proleptic Gregorian, UTC), exported for the tests. */
int64_t rtc_days_from_civil(int64_t year, unsigned month, unsigned day);
void rtc_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);

#endif
