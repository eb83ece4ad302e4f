/*
 * libc_glue.c - the system-call layer under newlib.
 *
 * newlib is built with MISSING_SYSCALL_NAMES, so it calls write(), sbrk()
 * and friends by these names.  write() on fd 1 or 2 goes to the console
 * (console_out.c: '\n' becomes "\r\n", held while a VM's console is
 * attached); sbrk() hands out the heap that kmain carved from
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
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_print(p, n);
	return (int)n;
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
