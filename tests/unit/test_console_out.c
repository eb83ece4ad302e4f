/* test_console_out.c - the hypervisor's console output (kernel/console_out.c):
 * "\n" as "\r\n" for its text, a guest's bytes raw, and its messages held
 * while an operator is attached to a VM's console, sent in order at the
 * release with a count of what did not fit, or at once when it dies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "console_out.h"
#include "lock.h"

/* What console_out.c calls: the console's queue (recorded here) and the lock. */
static char uart[3 * CONSOLE_HOLD_BYTES];
static size_t uart_len;
void arch_console_write(const char *s, size_t n);
void arch_console_write(const char *s, size_t n)
{
	assert_true(uart_len + n <= sizeof(uart));
	memcpy(uart + uart_len, s, n);
	uart_len += n;
}
void spin_lock(struct spinlock *l) { assert_int_equal(l->word, 0); l->word = 1; }
void spin_unlock(struct spinlock *l) { assert_int_equal(l->word, 1); l->word = 0; }

static int setup(void **state)
{
	(void)state;
	uart_len = 0;
	return 0;
}

static void expect_uart(const char *want)
{
	if (uart_len != strlen(want) || memcmp(uart, want, uart_len))
		fail_msg("the UART got '%.*s', expected '%s'", (int)uart_len, uart, want);
	uart_len = 0;
}

static void test_text_and_raw(void **state)
{
	(void)state;
	console_write("a\nb", 3);
	expect_uart("a\r\nb");
	console_print("c\n", 2);
	expect_uart("c\r\n");
	console_write_raw("/ # \r\nx\r", 8);
	expect_uart("/ # \r\nx\r");
}

static void test_hold_and_release(void **state)
{
	(void)state;
	console_hold();
	console_print("dedup: running\n", 15);
	console_write_raw("guest", 5);      /* the attached VM's bytes still go */
	console_print("vm b: stopped\n", 14);
	expect_uart("guest");
	console_release();
	expect_uart("dedup: running\r\nvm b: stopped\r\n");
	console_print("after\n", 6);          /* no longer held */
	expect_uart("after\r\n");
}

static void test_hold_overflow_counted(void **state)
{
	static char big[CONSOLE_HOLD_BYTES - 10];
	char note[128];

	(void)state;
	memset(big, 'x', sizeof(big));
	console_hold();
	console_print(big, sizeof(big));
	console_print("0123456789ABCDEF", 16);  /* 10 fit, 6 do not */
	console_print("lost\n", 5);
	assert_int_equal(uart_len, 0);
	console_release();
	assert_int_equal(uart_len, CONSOLE_HOLD_BYTES + strlen(
		"console: 11 more bytes of the hypervisor's messages did not fit while attached\r\n"));
	assert_memory_equal(uart + sizeof(big), "0123456789", 10);
	snprintf(note, sizeof(note), "console: 11 more bytes of the hypervisor's messages did not "
		 "fit while attached\r\n");
	assert_memory_equal(uart + CONSOLE_HOLD_BYTES, note, strlen(note));
	uart_len = 0;
	console_print("y\n", 2);
	expect_uart("y\r\n");
}

/* A dying machine: what was held goes out, and what it says next too. */
static void test_dying(void **state)
{
	(void)state;
	console_hold();
	console_print("held\n", 5);
	console_dying();
	console_print("PANIC\n", 6);
	expect_uart("held\r\nPANIC\r\n");
	console_dying();                      /* nothing held: nothing sent */
	expect_uart("");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_text_and_raw, setup),
		cmocka_unit_test_setup(test_hold_and_release, setup),
		cmocka_unit_test_setup(test_hold_overflow_counted, setup),
		cmocka_unit_test_setup(test_dying, setup),
	};
	return cmocka_run_group_tests_name("console_out", tests, NULL, NULL);
}
