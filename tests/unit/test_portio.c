/* test_portio.c - what a guest reads from the I/O ports we model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "portio.h"

static void test_in_values(void **state)
{
	(void)state;
	assert_int_equal(io_in_value(0x3FD, 1), 0x60);
	assert_int_equal(io_in_value(0x3F8, 1), 0);
	assert_int_equal(io_in_value(0x3FF, 1), 0);
	assert_int_equal(io_in_value(0x60, 1), 0xFF);
	assert_int_equal(io_in_value(0xCFC, 2), 0xFFFF);
	assert_int_equal(io_in_value(0xCFC, 4), 0xFFFFFFFFu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_values),
	};
	return cmocka_run_group_tests_name("portio", tests, NULL, NULL);
}
