/*
 * cmos.c - the machine's real-time clock, read once for the guests' clocks.
 *
 * The MC146818-compatible RTC behind ports 0x70/0x71 (include/mc146818.h)
 * keeps the date as the firmware set it (UTC under QEMU and Bochs's
 * `time0=local` aside).  Reading it is Linux's mach_get_cmos_time(): wait
 * until no update is in progress, read every field, read them again and
 * retry until both reads agree (an update may land between the bytes);
 * register B says whether the fields are BCD and whether hours are 12-hour.
 */
#include "arch.h"
#include "cpu.h"
#include "mc146818.h"

static uint8_t cmos_read(uint8_t index)
{
	outb(RTC_PORT_INDEX, index); /* NMI stays enabled (bit 7 clear) */
	return inb(RTC_PORT_DATA);
}

static unsigned from_bcd(uint8_t v, bool bcd)
{
	return bcd ? (unsigned)(v >> 4) * 10 + (v & 0xF) : v;
}

static void read_fields(uint8_t f[7])
{
	static const uint8_t idx[7] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_MONTH,
					RTC_MONTH, RTC_YEAR, RTC_CENTURY };
	unsigned i, spins = 0;

	while ((cmos_read(RTC_REG_A) & RTC_UIP) && ++spins < 1000000)
		;
	for (i = 0; i < 7; i++)
		f[i] = cmos_read(idx[i]);
}

bool arch_wallclock(struct arch_datetime *t)
{
	uint8_t a[7], b[7], regb;
	unsigned tries = 0, i;
	bool bcd, pm;

	do {
		read_fields(a);
		read_fields(b);
		for (i = 0; i < 7 && a[i] == b[i]; i++)
			;
	} while (i < 7 && ++tries < 10);
	if (i < 7 || a[0] == 0xFF) /* never steady, or no RTC answers */
		return false;
	regb = cmos_read(RTC_REG_B);
	bcd = !(regb & RTC_DM_BINARY);
	pm = !(regb & RTC_24H) && (a[2] & RTC_HOURS_PM);
	t->second = from_bcd(a[0], bcd);
	t->minute = from_bcd(a[1], bcd);
	t->hour = from_bcd(a[2] & (uint8_t)~RTC_HOURS_PM, bcd);
	if (!(regb & RTC_24H))
		t->hour = t->hour % 12 + (pm ? 12 : 0);
	t->day = from_bcd(a[3], bcd);
	t->month = from_bcd(a[4], bcd);
	t->year = from_bcd(a[5], bcd) + (a[6] && a[6] != 0xFF ? from_bcd(a[6], bcd) * 100 : 2000);
	return t->second < 60 && t->minute < 60 && t->hour < 24 && t->day >= 1 && t->day <= 31 &&
	       t->month >= 1 && t->month <= 12;
}
