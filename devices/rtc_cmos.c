/*
 * rtc_cmos.c - the PC's MC146818 real-time clock and its 128 bytes of CMOS
 * RAM, behind the index port 0x70 and the data port 0x71.
 *
 * The clock does not tick here.  The guest's time is the caller's Unix
 * time (seconds since 1970, UTC) plus an offset, and every read of a time
 * register converts it, with our own days-to-civil arithmetic, into the
 * format register B asks for: BCD or binary (DM), 24-hour or 12-hour with
 * the PM bit in bit 7.  The century goes to byte 0x32, where PC firmware
 * and ACPI's FADT put it.
 *
 * Setting the time works as on the chip.  The guest sets B.SET, which
 * freezes the time registers (we convert the current time into them),
 * writes them, and clears SET; the written date then becomes the new
 * offset, so later reads advance from it.  A time register written
 * without SET takes effect at once, as a change of that one field.  The
 * day of the week is derived from the date; writes to it are dropped.
 *
 * What is left out: interrupts (periodic, alarm, update-ended) are not
 * modelled, so register C always reads 0 and the guest sees no IRQ8.  The
 * update cycle is never in progress (A.UIP reads 0: Linux's wait for UIP
 * to clear ends at once), and the divider bits of A are stored but never
 * stop the clock.  D reads 0x80: RAM and time valid.  The alarm registers
 * and every other byte are plain RAM (base memory size at 0x15 may stay
 * 0: Linux does not read it).  Port 0x70's bit 7 (NMI disable) is kept in
 * nmi_disabled for the caller; the port reads 0xFF.
 */
#include "rtc_cmos.h"

#define SECS_PER_DAY 86400

/* Proleptic Gregorian calendar (H. Hinnant's algorithm): days since
 * 1970-01-01 from year, month 1-12, day 1-31, and back. */
int64_t rtc_days_from_civil(int64_t year, unsigned month, unsigned day)
{
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;                              /* 0-399 */
	int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;     /* 0-146096 */

	return era * 146097 + doe - 719468;
}

void rtc_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

static int binary_mode(const struct rtc_cmos *r)
{
	return (r->ram[RTC_REG_B] & RTC_DM_BINARY) != 0;
}

static uint8_t encode(const struct rtc_cmos *r, unsigned v)
{
	return (uint8_t)(binary_mode(r) ? v : (v / 10) << 4 | v % 10);
}

static unsigned decode(const struct rtc_cmos *r, uint8_t v)
{
	return binary_mode(r) ? v : (v >> 4) * 10u + (v & 15);
}

static int is_time_reg(unsigned idx)
{
	return idx == RTC_SECONDS || idx == RTC_MINUTES || idx == RTC_HOURS ||
		(idx >= RTC_DAY_OF_WEEK && idx <= RTC_YEAR) || idx == RTC_CENTURY;
}

static int64_t guest_time(const struct rtc_cmos *r, uint64_t unix_now)
{
	int64_t t = (int64_t)unix_now + r->offset;

	return t < 0 ? 0 : t;
}

/* The time t into the time registers, in register B's format. */
static void time_to_regs(struct rtc_cmos *r, int64_t t)
{
	int64_t days = t / SECS_PER_DAY, year;
	unsigned secs = (unsigned)(t % SECS_PER_DAY), month, day;
	unsigned hour = secs / 3600;

	rtc_civil_from_days(days, &year, &month, &day);
	r->ram[RTC_SECONDS] = encode(r, secs % 60);
	r->ram[RTC_MINUTES] = encode(r, secs / 60 % 60);
	if (r->ram[RTC_REG_B] & RTC_24H)
		r->ram[RTC_HOURS] = encode(r, hour);
	else
		r->ram[RTC_HOURS] = (uint8_t)(encode(r, hour % 12 ? hour % 12 : 12) |
			(hour >= 12 ? RTC_HOURS_PM : 0));
	r->ram[RTC_DAY_OF_WEEK] = encode(r, (unsigned)((days + 4) % 7) + 1); /* 1970-01-01: Thu */
	r->ram[RTC_DAY_OF_MONTH] = encode(r, day);
	r->ram[RTC_MONTH] = encode(r, month);
	r->ram[RTC_YEAR] = encode(r, (unsigned)(year % 100));
	r->ram[RTC_CENTURY] = encode(r, (unsigned)(year / 100));
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The time registers back into seconds since 1970 (out-of-range fields
 * are clamped: a guest's garbage gives some time, not a crash). */
static int64_t regs_to_time(const struct rtc_cmos *r)
{
	uint8_t h = r->ram[RTC_HOURS];
	unsigned hour, year;

	if (r->ram[RTC_REG_B] & RTC_24H)
		hour = clamp(decode(r, h), 0, 23);
	else
		hour = clamp(decode(r, h & (uint8_t)~RTC_HOURS_PM), 1, 12) % 12 +
			(h & RTC_HOURS_PM ? 12 : 0);
	year = clamp(decode(r, r->ram[RTC_CENTURY]), 0, 99) * 100 +
		clamp(decode(r, r->ram[RTC_YEAR]), 0, 99);
	return rtc_days_from_civil(year, clamp(decode(r, r->ram[RTC_MONTH]), 1, 12),
			clamp(decode(r, r->ram[RTC_DAY_OF_MONTH]), 1, 31)) * SECS_PER_DAY +
		hour * 3600 + clamp(decode(r, r->ram[RTC_MINUTES]), 0, 59) * 60 +
		clamp(decode(r, r->ram[RTC_SECONDS]), 0, 59);
}

static void commit_time(struct rtc_cmos *r, uint64_t unix_now)
{
	r->offset = regs_to_time(r) - (int64_t)unix_now;
}

void rtc_init(struct rtc_cmos *r)
{
	*r = (struct rtc_cmos){ 0 };
	r->ram[RTC_REG_A] = RTC_REG_A_DEFAULT;
	r->ram[RTC_REG_B] = RTC_24H;
	r->ram[RTC_REG_D] = RTC_VRT;
}

static void write_reg_b(struct rtc_cmos *r, uint64_t unix_now, uint8_t val)
{
	uint8_t old = r->ram[RTC_REG_B];

	if (val & RTC_SET)
		val &= (uint8_t)~RTC_UIE;       /* the datasheet: SET clears UIE */
	if ((old & RTC_SET) && !(val & RTC_SET))
		commit_time(r, unix_now);       /* in the format it was written in */
	r->ram[RTC_REG_B] = val;
	if (!(old & RTC_SET) && (val & RTC_SET))
		time_to_regs(r, guest_time(r, unix_now));  /* freeze */
}

static void write_data(struct rtc_cmos *r, uint64_t unix_now, uint8_t val)
{
	unsigned idx = r->index;
	int set = (r->ram[RTC_REG_B] & RTC_SET) != 0;

	if (is_time_reg(idx)) {
		if (!set)
			time_to_regs(r, guest_time(r, unix_now));
		r->ram[idx] = val;
		if (!set)
			commit_time(r, unix_now);
		return;
	}
	switch (idx) {
	case RTC_REG_A:
		r->ram[idx] = val & (uint8_t)~RTC_UIP;
		break;
	case RTC_REG_B:
		write_reg_b(r, unix_now, val);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;                          /* read only */
	default:
		r->ram[idx] = val;
	}
}

static uint8_t read_data(struct rtc_cmos *r, uint64_t unix_now)
{
	unsigned idx = r->index;

	if (is_time_reg(idx)) {
		if (!(r->ram[RTC_REG_B] & RTC_SET))
			time_to_regs(r, guest_time(r, unix_now));
		return r->ram[idx];
	}
	switch (idx) {
	case RTC_REG_A:
		return r->ram[idx] & (uint8_t)~RTC_UIP;
	case RTC_REG_C:
		return 0;
	case RTC_REG_D:
		return RTC_VRT;
	default:
		return r->ram[idx];
	}
}

void rtc_io_write(struct rtc_cmos *r, uint64_t unix_now, uint16_t port, uint8_t val)
{
	if (port == RTC_PORT_INDEX) {
		r->index = val & RTC_INDEX_MASK;
		r->nmi_disabled = (val & RTC_NMI_DISABLE) != 0;
	} else if (port == RTC_PORT_DATA) {
		write_data(r, unix_now, val);
	}
}

uint8_t rtc_io_read(struct rtc_cmos *r, uint64_t unix_now, uint16_t port)
{
	if (port == RTC_PORT_DATA)
		return read_data(r, unix_now);
	return 0xFF;            /* the index port is write-only */
}
