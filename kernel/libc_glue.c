/*
 * libc_glue.c - the system-call layer under newlib.
 *
 * newlib is built with MISSING_SYSCALL_NAMES, so it calls write(), sbrk()
 * and friends by these names.  write() on fd 1 or 2 goes to the console
 * ('\n' becomes "\r\n"); sbrk() hands out the heap that kmain carved from
 * physical memory (heap_init); everything else fails with a clear errno.
 * There is no file system and one process: the hypervisor itself.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "arch.h"
#include "console_out.h"
#include "heap.h"
#include "lock.h"

#undef errno
extern int errno;

/* newlib calls these by name; no header of its declares all of them. */
void *sbrk(ptrdiff_t inc);
int write(int fd, const void *buf, size_t n);
int read(int fd, void *buf, size_t n);
int close(int fd);
int lseek(int fd, int off, int whence);
int isatty(int fd);
int getpid(void);
int kill(int pid, int sig);
void _exit(int code) __attribute__((noreturn));

static char *heap_base, *heap_cur, *heap_end;

void heap_init(void *base, size_t size)
{
	heap_base = heap_cur = base;
	heap_end = (char *)base + size;
}

void *sbrk(ptrdiff_t inc)
{
	char *old = heap_cur;
	if (!heap_cur || inc > heap_end - heap_cur || inc < heap_base - heap_cur) {
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_cur += inc;
	return old;
}

int write(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	size_t i;
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	(void)i;
	console_write(p, n);
	return (int)n;
}

/* One writer at a time into the console's queue: any CPU may print, with
 * or without the hypervisor lock.  The queue never waits for the UART
 * (arch.h), so neither does this. */
static struct spinlock uart_lock;

void console_write(const char *s, size_t n)
{
	char buf[256];
	size_t i, k = 0;

	spin_lock(&uart_lock);
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
	spin_unlock(&uart_lock);
}

int read(int fd, void *buf, size_t n) { (void)fd; (void)buf; (void)n; errno = ENOSYS; return -1; }
int close(int fd) { (void)fd; errno = EBADF; return -1; }
int lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; errno = ESPIPE; return -1; }
int isatty(int fd) { return fd >= 0 && fd <= 2; }
int getpid(void) { return 1; }
int kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }

int fstat(int fd, struct stat *st)
{
	(void)fd;
	st->st_mode = S_IFCHR;
	return 0;
}

void _exit(int code)
{
	(void)code;
	arch_power_off("newlib called _exit (abort or assertion)");
}
