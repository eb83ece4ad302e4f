/* test_pit8254.c - the 8254 PIT: Linux's clockevent modes, reads, port 0x61. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "i8254.h"
#include "pit8254.h"

#define LATCH_250HZ 4773u       /* (PIT_TICK_RATE + HZ / 2) / HZ */

static void program(struct pit8254 *p, uint64_t now, uint16_t port, uint8_t cw, uint16_t count)
{
	pit_io_write(p, now, 0x43, cw);
	pit_io_write(p, now, port, (uint8_t)count);
	pit_io_write(p, now, port, (uint8_t)(count >> 8));
}

static uint16_t read16(struct pit8254 *p, uint64_t now, uint16_t port)
{
	uint8_t lo = pit_io_read(p, now, port);

	return (uint16_t)(lo | pit_io_read(p, now, port) << 8);
}

static void test_unprogrammed_no_edges(void **state)
{
	struct pit8254 p;

	(void)state;
	pit_init(&p, 500);
	assert_int_equal(pit_irq0_edges(&p, 10000000), 0);
	assert_true(pit_next_irq0(&p, 10000000) == UINT64_MAX);
	/* A mode written but no count: still nothing. */
	pit_io_write(&p, 10000000, 0x43, 0x34);
	assert_int_equal(pit_irq0_edges(&p, 20000000), 0);
	assert_true(pit_next_irq0(&p, 20000000) == UINT64_MAX);
	/* Only the LSB of an LSB-then-MSB count: still nothing. */
	pit_io_write(&p, 20000000, 0x40, 0xA5);
	assert_int_equal(pit_irq0_edges(&p, 30000000), 0);
}

static void test_mode2_250hz(void **state)
{
	const uint64_t t0 = 123456789;
	const uint64_t day = (uint64_t)PIT_HZ * 86400;
	struct pit8254 p;

	(void)state;
	pit_init(&p, 0);
	program(&p, t0, 0x40, 0x34, LATCH_250HZ);
	assert_int_equal(pit_irq0_edges(&p, t0), 0);
	assert_true(pit_next_irq0(&p, t0) == t0 + LATCH_250HZ);
	assert_int_equal(pit_irq0_edges(&p, t0 + LATCH_250HZ - 1), 0);
	assert_int_equal(pit_irq0_edges(&p, t0 + LATCH_250HZ), 1);
	assert_true(pit_next_irq0(&p, t0 + LATCH_250HZ) == t0 + 2 * LATCH_250HZ);
	assert_int_equal(pit_irq0_edges(&p, t0 + LATCH_250HZ), 0);
	/* A long idle gap: one call, the exact count. */
	assert_int_equal(pit_irq0_edges(&p, t0 + 1000 * LATCH_250HZ + 5), 999);
	assert_true(pit_next_irq0(&p, t0 + 1000 * LATCH_250HZ + 5) == t0 + 1001 * LATCH_250HZ);
	assert_int_equal(pit_irq0_edges(&p, t0 + day), day / LATCH_250HZ - 1000);
	assert_true(pit_next_irq0(&p, t0 + day) == t0 + (day / LATCH_250HZ + 1) * LATCH_250HZ);
	/* The edge exactly at now is counted now, not next time. */
	assert_int_equal(pit_irq0_edges(&p, t0 + (day / LATCH_250HZ + 1) * LATCH_250HZ), 1);
	/* OUT: low for the one tick before each edge. */
	assert_int_equal(pit_out(&p, 0, t0 + LATCH_250HZ - 1), 0);
	assert_int_equal(pit_out(&p, 0, t0 + LATCH_250HZ), 1);
	assert_int_equal(pit_out(&p, 0, t0 + LATCH_250HZ + 7), 1);
}

static void test_mode4_oneshot(void **state)
{
	struct pit8254 p;

	(void)state;
	pit_init(&p, 0);
	pit_io_write(&p, 1000, 0x43, 0x38);     /* Linux: pit_set_oneshot */
	assert_int_equal(pit_irq0_edges(&p, 5000), 0);
	pit_io_write(&p, 5000, 0x40, 0xE8);     /* pit_next_event: 1000 ticks */
	pit_io_write(&p, 5000, 0x40, 0x03);
	/* OUT strobes low at terminal count, rises one tick later. */
	assert_true(pit_next_irq0(&p, 5000) == 6001);
	assert_int_equal(pit_out(&p, 0, 6000), 0);
	assert_int_equal(pit_irq0_edges(&p, 6000), 0);
	assert_int_equal(pit_irq0_edges(&p, 6001), 1);
	assert_int_equal(pit_irq0_edges(&p, 150000), 0);       /* once only */
	assert_true(pit_next_irq0(&p, 6001) == UINT64_MAX);
	/* Each count write fires once more. */
	pit_io_write(&p, 200000, 0x40, 10);
	pit_io_write(&p, 200000, 0x40, 0);
	assert_true(pit_next_irq0(&p, 200000) == 200011);
	assert_int_equal(pit_irq0_edges(&p, 300000), 1);
	/* Mode 0 (Linux's shutdown writes count 0): OUT rises at N. */
	program(&p, 400000, 0x40, 0x30, 0);
	assert_int_equal(pit_out(&p, 0, 400000), 0);
	assert_true(pit_next_irq0(&p, 400000) == 400000 + 65536);
	assert_int_equal(pit_irq0_edges(&p, 400000 + 65535), 0);
	assert_int_equal(pit_out(&p, 0, 400000 + 65536), 1);
	assert_int_equal(pit_irq0_edges(&p, 400000 + 10 * 65536), 1);
	/* Mode 0, the counter keeps counting down past 0 (wraps). */
	assert_int_equal(pit_io_read(&p, 400000 + 65536 + 1, 0x40), 0xFF);
}

static void test_reprogram_banks_edges(void **state)
{
	struct pit8254 p;

	(void)state;
	pit_init(&p, 0);
	program(&p, 0, 0x40, 0x34, 100);
	/* Reprogrammed at 1050 before anyone asked: the 10 edges stay. */
	program(&p, 1050, 0x40, 0x34, 1000);
	assert_int_equal(pit_irq0_edges(&p, 2049), 10);
	assert_int_equal(pit_irq0_edges(&p, 2050), 1);
	/* Stopped by a control word: banked edges, then none. */
	assert_int_equal(pit_irq0_edges(&p, 2500), 0);
	pit_io_write(&p, 3100, 0x43, 0x38);
	assert_int_equal(pit_irq0_edges(&p, 99999999), 1);
}

static void test_latch_and_lohi_reads(void **state)
{
	const uint64_t t0 = 1000000;
	struct pit8254 p;

	(void)state;
	pit_init(&p, 0);
	program(&p, t0, 0x40, 0x34, LATCH_250HZ);
	/* Counter latch command: both bytes of the value at the latch. */
	pit_io_write(&p, t0 + 100, 0x43, 0x00);
	pit_io_write(&p, t0 + 150, 0x43, 0x00); /* ignored: already latched */
	assert_int_equal(pit_io_read(&p, t0 + 200, 0x40), (LATCH_250HZ - 100) & 0xFF);
	assert_int_equal(pit_io_read(&p, t0 + 300, 0x40), (LATCH_250HZ - 100) >> 8);
	/* Live reads: the flip-flop alternates LSB, MSB. */
	assert_int_equal(pit_io_read(&p, t0 + 400, 0x40), (LATCH_250HZ - 400) & 0xFF);
	assert_int_equal(pit_io_read(&p, t0 + 500, 0x40), (LATCH_250HZ - 500) >> 8);
	assert_int_equal(read16(&p, t0 + LATCH_250HZ + 10, 0x40), LATCH_250HZ - 10);
	/* Mode 2 counts N .. 1, then reloads. */
	assert_int_equal(read16(&p, t0 + LATCH_250HZ - 1, 0x40), 1);
	assert_int_equal(read16(&p, t0 + 2 * LATCH_250HZ, 0x40), LATCH_250HZ);
	/* LSB-only and MSB-only access. */
	pit_io_write(&p, 5000, 0x43, 0x14);     /* ch0, LSB, mode 2 */
	pit_io_write(&p, 5000, 0x40, 200);
	assert_int_equal(pit_io_read(&p, 5050, 0x40), 150);
	assert_int_equal(pit_io_read(&p, 5060, 0x40), 140);
	assert_true(pit_next_irq0(&p, 5060) == 5200);
	pit_io_write(&p, 6000, 0x43, 0x24);     /* ch0, MSB, mode 2 */
	pit_io_write(&p, 6000, 0x40, 0x02);     /* count 0x200 */
	assert_int_equal(pit_io_read(&p, 6000 + 0x100, 0x40), 0x01);
	assert_true(pit_next_irq0(&p, 6001) == 6000 + 0x200);
}

static void test_count_zero_and_readback(void **state)
{
	struct pit8254 p;

	(void)state;
	pit_init(&p, 0);
	pit_io_write(&p, 0, 0x43, 0x34);
	/* Read-back, status only, counter 0: NULL COUNT before the count. */
	pit_io_write(&p, 0, 0x43, 0xE2);
	assert_int_equal(pit_io_read(&p, 0, 0x40), 0x80 | 0x40 | 0x30 | 0x04);
	pit_io_write(&p, 10, 0x40, 0);
	pit_io_write(&p, 10, 0x40, 0);
	assert_true(pit_next_irq0(&p, 10) == 10 + 65536);
	assert_int_equal(read16(&p, 11, 0x40), 65535);
	assert_int_equal(pit_irq0_edges(&p, 10 + 3 * 65536), 3);
	/* Read-back of count and status: status first, then the count. */
	pit_io_write(&p, 20, 0x43, 0xC2);
	assert_int_equal(pit_io_read(&p, 30, 0x40), 0xB4);
	assert_int_equal(read16(&p, 40, 0x40), 65536 - 10);
	/* Mode 3, count 0: square wave, high for the first half. */
	program(&p, 1000, 0x40, 0x36, 0);
	assert_int_equal(pit_out(&p, 0, 1000 + 32767), 1);
	assert_int_equal(pit_out(&p, 0, 1000 + 32768), 0);
	assert_true(pit_next_irq0(&p, 1000) == 1000 + 65536);
	/* BCD: count 0x1000 is 1000 ticks. */
	program(&p, 5000, 0x40, 0x35, 0x1000);
	assert_true(pit_next_irq0(&p, 5000) == 6000);
	assert_int_equal(read16(&p, 5001, 0x40), 0x0999);
}

static void test_channel2_gate(void **state)
{
	struct pit8254 p;

	(void)state;
	pit_init(&p, 0);
	/* Linux's pit_calibrate_tsc: gate high, speaker off, mode 0. */
	pit_io_write(&p, 0, 0x61, (uint8_t)((pit_io_read(&p, 0, 0x61) & ~0x02) | 0x01));
	program(&p, 100, 0x42, 0xB0, 1000);
	assert_int_equal(pit_io_read(&p, 600, 0x61) & 0x23, 0x01);
	assert_int_equal(pit_io_read(&p, 1099, 0x61) & 0x20, 0);
	assert_int_equal(pit_io_read(&p, 1100, 0x61) & 0x20, 0x20);
	assert_int_equal(pit_irq0_edges(&p, 5000), 0);  /* channel 2 is no IRQ */
	/* Gate low holds the count; high again resumes. */
	program(&p, 10000, 0x42, 0xB0, 1000);
	pit_io_write(&p, 10400, 0x61, 0x00);
	assert_int_equal(read16(&p, 50000, 0x42), 600);
	assert_int_equal(pit_io_read(&p, 50000, 0x61) & 0x20, 0);
	pit_io_write(&p, 50000, 0x61, 0x01);
	assert_int_equal(pit_io_read(&p, 50599, 0x61) & 0x20, 0);
	assert_int_equal(pit_io_read(&p, 50600, 0x61) & 0x20, 0x20);
	/* Mode 3 with gate low: OUT high; the rising gate restarts it. */
	pit_io_write(&p, 60000, 0x61, 0x02);
	program(&p, 60000, 0x42, 0xB6, 100);
	assert_int_equal(pit_io_read(&p, 60070, 0x61) & 0x20, 0x20);
	pit_io_write(&p, 61000, 0x61, 0x03);
	assert_int_equal(pit_io_read(&p, 61049, 0x61) & 0x20, 0x20);
	assert_int_equal(pit_io_read(&p, 61050, 0x61) & 0x20, 0);
	assert_int_equal(pit_io_read(&p, 61100, 0x61) & 0x20, 0x20);
	/* Mode 1 (gate triggered): nothing until a rising gate. */
	pit_io_write(&p, 70000, 0x61, 0x00);
	program(&p, 70000, 0x42, 0xB2, 50);
	assert_int_equal(pit_io_read(&p, 70100, 0x61) & 0x20, 0x20);
	pit_io_write(&p, 70200, 0x61, 0x01);
	assert_int_equal(pit_io_read(&p, 70249, 0x61) & 0x20, 0);
	assert_int_equal(pit_io_read(&p, 70250, 0x61) & 0x20, 0x20);
	/* The refresh bit toggles. */
	assert_int_equal(pit_io_read(&p, 0, 0x61) & 0x10, 0);
	assert_int_equal(pit_io_read(&p, PIT_REFRESH_TICKS, 0x61) & 0x10, 0x10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unprogrammed_no_edges),
		cmocka_unit_test(test_mode2_250hz),
		cmocka_unit_test(test_mode4_oneshot),
		cmocka_unit_test(test_reprogram_banks_edges),
		cmocka_unit_test(test_latch_and_lohi_reads),
		cmocka_unit_test(test_count_zero_and_readback),
		cmocka_unit_test(test_channel2_gate),
	};
	return cmocka_run_group_tests_name("pit8254", tests, NULL, NULL);
}
