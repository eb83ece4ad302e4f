/*
 * linux_bootparam.h - the Linux/x86 boot protocol's constants and the PVH
 * start-of-day structures, named as Linux's
 * Documentation/arch/x86/boot.rst and arch/x86/include/uapi/asm/bootparam.h
 * and Xen's public/arch-x86/hvm/start_info.h name them.  Offsets are from
 * the start of the bzImage file, which are also offsets into struct
 * boot_params (the "zero page"): its setup header is copied there.
 */
#ifndef LINUX_BOOTPARAM_H
#define LINUX_BOOTPARAM_H

#include <stdint.h>

/* ---- the real-mode setup header (boot.rst, "THE REAL-MODE KERNEL HEADER") ---- */
#define BP_SETUP_SECTS        0x1F1  /* u8: 512-byte sectors of setup code (0 means 4) */
#define BP_SYSSIZE            0x1F4  /* u32: protected-mode code size in 16-byte paragraphs */
#define BP_BOOT_FLAG          0x1FE  /* u16: 0xAA55 */
#define BP_JUMP               0x200  /* u16: a short jump over the header */
#define BP_HEADER             0x202  /* u32: "HdrS" */
#define BP_VERSION            0x206  /* u16: boot protocol version */
#define BP_TYPE_OF_LOADER     0x210  /* u8 */
#define BP_LOADFLAGS          0x211  /* u8 */
#define BP_CODE32_START       0x214  /* u32 */
#define BP_RAMDISK_IMAGE      0x218  /* u32 */
#define BP_RAMDISK_SIZE       0x21C  /* u32 */
#define BP_HEAP_END_PTR       0x224  /* u16 */
#define BP_CMD_LINE_PTR       0x228  /* u32 */
#define BP_INITRD_ADDR_MAX    0x22C  /* u32: highest address the initrd may occupy */
#define BP_KERNEL_ALIGNMENT   0x230  /* u32 */
#define BP_RELOCATABLE_KERNEL 0x234  /* u8 */
#define BP_XLOADFLAGS         0x236  /* u16 (2.12+) */
#define BP_CMDLINE_SIZE       0x238  /* u32 (2.06+): longest command line, without the NUL */
#define BP_PREF_ADDRESS       0x258  /* u64 (2.10+) */
#define BP_INIT_SIZE          0x260  /* u32 (2.10+): linear memory the kernel needs to start */

#define BP_SETUP_HEADER_START 0x1F1  /* where the header copied into boot_params starts */
#define BP_HEADER_END_BYTE    0x201  /* the jump's offset byte: the header ends at 0x202 + it */

#define BP_BOOT_FLAG_MAGIC    0xAA55
#define BP_HEADER_MAGIC       0x53726448u /* "HdrS" */
#define BP_TYPE_UNDEFINED     0xFF   /* a boot loader without an assigned id */

#define LOADED_HIGH           0x01   /* loadflags: protected-mode code at 0x100000 */
#define CAN_USE_HEAP          0x80
#define XLF_KERNEL_64         0x01   /* xloadflags: has the 64-bit entry at +0x200 */

/* ---- struct boot_params (the zero page) beyond the setup header ---- */
#define BP_E820_ENTRIES       0x1E8  /* u8 */
#define BP_E820_TABLE         0x2D0  /* struct boot_e820_entry[E820_MAX_ENTRIES_ZEROPAGE] */
#define E820_MAX_ENTRIES_ZEROPAGE 128
#define BP_SIZE               4096

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#define E820_TYPE_RAM      1
#define E820_TYPE_RESERVED 2

/* ---- PVH (Xen's start_info.h; Linux arch/x86/platform/pvh/) ---- */
#define XEN_ELFNOTE_PHYS32_ENTRY     18    /* ELF note (owner "Xen"): 32-bit entry, paging off */
#define XEN_HVM_START_MAGIC_VALUE    0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;          /* 1: memmap_* present */
	uint32_t flags;
	uint32_t nr_modules;       /* the first module is the initrd */
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;             /* E820_TYPE_* */
	uint32_t reserved;
};

#endif
