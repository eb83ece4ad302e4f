/*
 * mc146818.h - the Motorola MC146818 real-time clock and its CMOS RAM as a
 * PC addresses them: the index/data ports and the register numbers and
 * bits, named as in the datasheet (and as Linux's mc146818rtc.h spells
 * them).  Used by the guest's virtual RTC (devices/rtc_cmos.c).
 */
#ifndef MC146818_H
#define MC146818_H

#define RTC_PORT_INDEX   0x70   /* write: bit 7 disables NMI, bits 6-0 the index */
#define RTC_PORT_DATA    0x71
#define RTC_NMI_DISABLE  0x80
#define RTC_INDEX_MASK   0x7F
#define RTC_CMOS_SIZE    128    /* 14 clock registers + 114 bytes of RAM */

#define RTC_SECONDS        0x00
#define RTC_SECONDS_ALARM  0x01
#define RTC_MINUTES        0x02
#define RTC_MINUTES_ALARM  0x03
#define RTC_HOURS          0x04
#define RTC_HOURS_ALARM    0x05
#define RTC_DAY_OF_WEEK    0x06 /* 1 = Sunday */
#define RTC_DAY_OF_MONTH   0x07
#define RTC_MONTH          0x08
#define RTC_YEAR           0x09 /* 0-99 */
#define RTC_REG_A          0x0A
#define RTC_REG_B          0x0B
#define RTC_REG_C          0x0C
#define RTC_REG_D          0x0D
#define RTC_CENTURY        0x32 /* PC convention (ACPI FADT's default) */

/* Register A */
#define RTC_UIP            0x80 /* update in progress */
#define RTC_DIV_CTL        0x70 /* DV2-DV0: divider chain */
#define RTC_REF_CLCK_32KHZ 0x20 /* DV = 010: 32.768 kHz time base, running */
#define RTC_RATE_SELECT    0x0F
#define RTC_REG_A_DEFAULT  0x26 /* 32.768 kHz, 1024 Hz periodic rate */

/* Register B */
#define RTC_SET            0x80 /* inhibit updates while the time is set */
#define RTC_PIE            0x40 /* periodic interrupt enable */
#define RTC_AIE            0x20 /* alarm interrupt enable */
#define RTC_UIE            0x10 /* update-ended interrupt enable */
#define RTC_SQWE           0x08 /* square wave enable */
#define RTC_DM_BINARY      0x04 /* data mode: binary (else BCD) */
#define RTC_24H            0x02 /* 24-hour mode (else 12-hour) */
#define RTC_DST_EN         0x01 /* daylight saving enable */
#define RTC_HOURS_PM       0x80 /* 12-hour mode: the hour's PM bit */

/* Register C (read only; reading clears it) */
#define RTC_IRQF           0x80
#define RTC_PF             0x40
#define RTC_AF             0x20
#define RTC_UF             0x10

/* Register D (read only) */
#define RTC_VRT            0x80 /* valid RAM and time */

#endif
