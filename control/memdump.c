/*
 * memdump.c - a VM's guest-physical memory, out of a running hypervisor, for
 * offline analysis: dedupsim's oracle and Linux KSM (make bench) on exactly
 * the memory the engine saw.  The documented debug path (scripts/memdump.sh)
 * until the network API serves it.
 *
 * How it works: at measurement point dedup.dump_point, once its count is
 * done and while it still holds the contents at its instant
 * (points.c calls memdump_all(); kernel/freeze.c), every VM it holds, in
 * config order, is copied DUMP_WINDOW bytes at a time
 * into dump_window, a static buffer, and after each copy the CPU executes
 * the emulator's magic breakpoint (arch_debug_break()).  Bochs, started by
 * scripts/memdump.sh with magic_break enabled, then stops in its debugger,
 * whose script writes the window to the next numbered file (writemem) and
 * continues.  The script finds the window's address in the ELF's symbol
 * table; the hypervisor prints which chunks hold which VM, so the files are
 * put back together by name, not by guessing.  Reads are of the contents
 * at the point's instant (freeze_read: a page written since, its saved
 * copy): nothing is written, no COW break.  Without the debugger the
 * breakpoint is a no-op and a dump costs only the copies - all with the
 * lock held, the guests' exits waiting: a debugging path.
 */
#include <stdio.h>

#include <string.h>

#include "arch.h"
#include "freeze.h"
#include "memdump.h"
#include "vm.h"

#define DUMP_WINDOW (1u << 20) /* 1 MiB: a debugger writemem per MiB of guest RAM */

/* Where the debugger reads; memdump.sh looks it up by this name. */
unsigned char dump_window[DUMP_WINDOW] __attribute__((aligned(4096)));

void memdump_all(void)
{
	uint64_t chunk = 0;
	unsigned i;

	printf("dump: window at %p, %u bytes; each VM's RAM in window-sized chunks, in order\n",
	       (void *)dump_window, DUMP_WINDOW);
	for (i = 0; i < nvms; i++) {
		struct vm *vm = &vms[i];
		uint64_t gpa, first = chunk, bytes = vm->npages * 4096;
		if (!freeze_holding(vm))
			continue;
		for (gpa = 0; gpa < bytes; gpa += DUMP_WINDOW, chunk++) {
			uint64_t n = bytes - gpa < DUMP_WINDOW ? bytes - gpa : DUMP_WINDOW, off;
			for (off = 0; off < n; off += 4096) {
				const void *p = freeze_read(vm, (gpa + off) >> 12, dump_window + off);
				if (!p) {
					printf("dump: vm %s: guest-physical 0x%lx unreadable; dump abandoned\n",
					       vm->name, gpa + off);
					return;
				}
				if (p != dump_window + off)
					memcpy(dump_window + off, p, 4096);
			}
			arch_debug_break();
		}
		printf("dump: vm %s: %lu bytes in chunks %lu-%lu\n", vm->name, bytes, first,
		       chunk - 1);
	}
	printf("dump: done, %lu chunks\n", chunk);
}
