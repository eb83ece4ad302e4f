/*
 * linux_boot.h - loading an unmodified Linux kernel into a VM: which file
 * it is, where its pieces go, and the boot information it is handed.
 * Plain C, no hardware access: kernel/linux_vm.c copies what this plans,
 * and the host tests check every refusal (tests/unit/test_linux_boot.c).
 */
#ifndef DEVICES_LINUX_BOOT_H
#define DEVICES_LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "linux_bootparam.h"

enum lb_format {
	LB_BZIMAGE = 1, /* as Debian ships it: entered by the 32-bit boot protocol */
	LB_ELF_PVH,     /* the uncompressed vmlinux: entered at its PVH note */
};

#define LB_MAX_SEGS 8

/* One piece of the file to copy: file[file_off, +file_size) to gpa; the
 * rest of mem_size stays zero. */
struct lb_segment {
	uint64_t file_off, file_size, gpa, mem_size;
};

struct lb_kernel {
	enum lb_format format;
	uint64_t entry;          /* guest-physical; 32-bit protected mode, paging off */
	unsigned nsegs;
	struct lb_segment seg[LB_MAX_SEGS];
	uint64_t lo, hi;         /* guest-physical memory it needs, [lo, hi) */
	uint16_t protocol;       /* bzImage: boot protocol version (0x20f = 2.15) */
	uint32_t cmdline_max;    /* longest command line, without the NUL */
	uint64_t initrd_max;     /* the initrd must end at or below this */
};

/* Recognizes a bzImage or an ELF vmlinux with a PVH entry note and plans
 * its segments.  0, or -1 with *why a short reason ("not a bzImage (no
 * HdrS signature)", "truncated: ...", "boot protocol 2.03 is too old ...").
 * (The reason is static text; detail goes to the caller's message.) */
int lb_parse(const void *file, uint64_t size, struct lb_kernel *k, const char **why);

/* Where the boot information, command line and initrd go in a VM of ram
 * bytes. */
struct lb_layout {
	uint64_t ram;
	uint64_t info_gpa;       /* boot_params or hvm_start_info (+ its tables): one page */
	uint64_t cmdline_gpa;    /* up to 4 KiB */
	uint64_t initrd_gpa, initrd_size;
	uint64_t entry_ebx, entry_esi; /* the registers the entry expects */
};

#define LB_INFO_GPA    0x7000ull   /* below the EBDA, as other loaders use */
#define LB_CMDLINE_GPA 0x20000ull

/* Plans the layout: the initrd at the top of RAM (page-aligned, below
 * initrd_max and above the kernel).  0, or -1 with *why (RAM too small for
 * the kernel, the initrd does not fit, the command line is too long). */
int lb_place(const struct lb_kernel *k, uint64_t ram, uint64_t initrd_size, size_t cmdline_len,
	     struct lb_layout *l, const char **why);

/* The guest's memory map: low RAM to 0x9FC00, the EBDA and BIOS area
 * reserved, RAM from 1 MiB to ram.  Returns the number of entries. */
unsigned lb_e820(uint64_t ram, struct boot_e820_entry *out, unsigned max);

/* Fills page (the 4 KiB at l->info_gpa) with the boot information:
 * boot_params with the file's setup header, e820, command line and initrd
 * pointers (bzImage), or hvm_start_info with its memory map and module
 * list (PVH). */
void lb_build_info(const struct lb_kernel *k, const void *file, const struct lb_layout *l,
		   uint8_t page[4096]);

#endif
