/*
 * console_out.c - the bytes the hypervisor sends to its console UART:
 * its messages, the guests' lines, an attached VM's raw output.
 *
 * One writer at a time into the console's queue (a spinlock of its own):
 * any CPU may print, with or without the hypervisor lock.  The queue never
 * waits for the UART (arch.h, arch_console_write), so neither does this.
 * '\n' becomes "\r\n" for the hypervisor's text; a guest's raw bytes go as
 * they are.
 *
 * The hold.  While the operator is attached to a VM's console
 * (control/console.c, guest_out_focus), the console shows that VM's output
 * alone, as `virsh console` does: the hypervisor's own messages (a
 * summary, a measurement point, another CPU's notice) would land in the
 * middle of the guest's screen.  They wait in a buffer of
 * CONSOLE_HOLD_BYTES instead, and are sent when the operator detaches,
 * with the count of bytes that did not fit.  A dying machine never keeps
 * its last words: console_dying (the upcall core_dying, from arch's fatal
 * exception and its power-off) sends what is held and ends the hold.
 */
#include <stdbool.h>
#include <stdio.h>

#include "arch.h"
#include "console_out.h"
#include "lock.h"

static struct spinlock uart_lock;
static volatile bool held;
static char hold_buf[CONSOLE_HOLD_BYTES];
static size_t hold_len;
static uint64_t hold_dropped;

static void send(const char *s, size_t n, bool raw)
{
	char buf[256];
	size_t i, k = 0;

	if (raw) {
		arch_console_write(s, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (k + 2 > sizeof(buf)) {
			arch_console_write(buf, k);
			k = 0;
		}
		if (s[i] == '\n')
			buf[k++] = '\r';
		buf[k++] = s[i];
	}
	if (k)
		arch_console_write(buf, k);
}

void console_write(const char *s, size_t n)
{
	spin_lock(&uart_lock);
	send(s, n, false);
	spin_unlock(&uart_lock);
}

void console_write_raw(const char *s, size_t n)
{
	spin_lock(&uart_lock);
	send(s, n, true);
	spin_unlock(&uart_lock);
}

void console_print(const char *s, size_t n)
{
	spin_lock(&uart_lock);
	if (held) {
		size_t k = n < sizeof(hold_buf) - hold_len ? n : sizeof(hold_buf) - hold_len;
		for (size_t i = 0; i < k; i++)
			hold_buf[hold_len + i] = s[i];
		hold_len += k;
		hold_dropped += n - k;
	} else {
		send(s, n, false);
	}
	spin_unlock(&uart_lock);
}

void console_hold(void)
{
	spin_lock(&uart_lock);
	held = true;
	spin_unlock(&uart_lock);
}

/* Sends what was held (the UART's lock taken, or not when dying). */
static void unhold(void)
{
	char note[96];
	int k = 0;

	held = false;
	send(hold_buf, hold_len, false);
	if (hold_dropped)
		k = snprintf(note, sizeof(note), "console: %lu more bytes of the hypervisor's "
			     "messages did not fit while attached\n", hold_dropped);
	if (k > 0)
		send(note, (size_t)k < sizeof(note) ? (size_t)k : sizeof(note) - 1, false);
	hold_len = 0;
	hold_dropped = 0;
}

void console_release(void)
{
	spin_lock(&uart_lock);
	unhold();
	spin_unlock(&uart_lock);
}

void console_dying(void)
{
	if (held)
		unhold();
}
