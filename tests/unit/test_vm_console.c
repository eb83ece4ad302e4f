/* test_vm_console.c - a VM's console buffers: the input queue in front of
 * its UART, and the ring of what it wrote (kernel/vm_console.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm_console.h"

static struct vm_console con;

static int setup(void **state)
{
	(void)state;
	vmcon_init(&con);
	return 0;
}

/* Bytes come out in the order typed, the queue never holds more than its
 * size, and what did not fit is counted, not half-kept. */
static void test_input_order_and_bound(void **state)
{
	uint8_t buf[VMCON_IN_BYTES + 100];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(vmcon_in_take(&con), -1);
	assert_int_equal(vmcon_type(&con, buf, 10), 10);
	assert_int_equal(vmcon_in_room(&con), VMCON_IN_BYTES - 10);
	assert_int_equal(vmcon_type(&con, buf + 10, sizeof(buf) - 10), VMCON_IN_BYTES - 10);
	assert_int_equal(vmcon_in_room(&con), 0);
	assert_int_equal(con.in_dropped, 100);
	assert_int_equal(vmcon_type(&con, "x", 1), 0);
	assert_int_equal(con.in_dropped, 101);
	for (i = 0; i < VMCON_IN_BYTES; i++)
		assert_int_equal(vmcon_in_take(&con), buf[i]);
	assert_int_equal(vmcon_in_take(&con), -1);
	assert_int_equal(vmcon_in_room(&con), VMCON_IN_BYTES);
}

/* The free-running counters wrap past 2^32 without losing the order. */
static void test_input_counter_wrap(void **state)
{
	int i;

	(void)state;
	con.in_head = con.in_tail = UINT32_MAX - 5;
	assert_int_equal(vmcon_type(&con, "abcdefghij", 10), 10);
	assert_int_equal(vmcon_in_room(&con), VMCON_IN_BYTES - 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(vmcon_in_take(&con), 'a' + i);
	assert_int_equal(vmcon_in_take(&con), -1);
}

/* A reader from the start gets everything while the ring holds it;
 * after it wraps, the reader is moved to the oldest byte kept and can
 * tell how much it lost. */
static void test_output_ring(void **state)
{
	static uint8_t got[VMCON_OUT_BYTES * 2];
	uint64_t from = 0, total = VMCON_OUT_BYTES + 1000, i;

	(void)state;
	for (i = 0; i < 300; i++)
		vmcon_out(&con, (uint8_t)i);
	assert_int_equal(vmcon_out_oldest(&con), 0);
	assert_int_equal(vmcon_out_read(&con, &from, got, sizeof(got)), 300);
	assert_int_equal(from, 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(got[i], (uint8_t)i);
	/* A reader with a small buffer, from the middle. */
	from = 100;
	assert_int_equal(vmcon_out_read(&con, &from, got, 10), 10);
	assert_int_equal(got[0], 100);
	assert_int_equal(got[9], 109);
	/* Past the end: nothing. */
	from = 300;
	assert_int_equal(vmcon_out_read(&con, &from, got, sizeof(got)), 0);
	for (i = 300; i < total; i++)
		vmcon_out(&con, (uint8_t)(i * 13));
	assert_int_equal(con.out_total, total);
	assert_int_equal(vmcon_out_oldest(&con), total - VMCON_OUT_BYTES);
	from = 0;
	assert_int_equal(vmcon_out_read(&con, &from, got, sizeof(got)), VMCON_OUT_BYTES);
	assert_int_equal(from, total - VMCON_OUT_BYTES); /* 1000 bytes lost to this reader */
	for (i = 0; i < VMCON_OUT_BYTES; i++) {
		uint64_t at = total - VMCON_OUT_BYTES + i;
		assert_int_equal(got[i], (uint8_t)(at < 300 ? at : at * 13));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_input_order_and_bound, setup),
		cmocka_unit_test_setup(test_input_counter_wrap, setup),
		cmocka_unit_test_setup(test_output_ring, setup),
	};
	return cmocka_run_group_tests_name("vm_console", tests, NULL, NULL);
}
