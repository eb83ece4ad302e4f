/* console.h - the operator's console on COM1 (see console.c). */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* Runtime settings the console changes. */
struct console_state {
	bool scan;               /* the dedup scanner runs */
	uint32_t summary_scans;  /* a summary every N full scans (0: none) */
	uint32_t max_cpu_pct;    /* the scanner's share of a CPU whose vCPUs run */
};
extern struct console_state console;
/* Reads what waits on COM1 and runs each complete line (never blocks). */
void console_poll(void);
/* Queues n bytes for the console UART ('\n' as "\r\n"), one writer at a
 * time; any CPU, with or without the hypervisor lock; never waits. */
void console_write(const char *s, size_t n);
/* Runs one command line (what console_poll does per line). */
void console_run(const char *line);
#endif
