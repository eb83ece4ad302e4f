/*
 * boot_info.h - the hand-over contract between BOOTX64.EFI and the hypervisor.
 *
 * The loader fills one struct boot_info after ExitBootServices and jumps to
 * the hypervisor's ELF entry point with its physical address in RDI, running
 * on the loader's page tables:
 *   - all physical memory up to boot_info.identity_limit is identity-mapped
 *     (2 MiB pages, read/write, supervisor);
 *   - the hypervisor image is mapped at its link address (KERNEL_VMA_BASE)
 *     onto kernel_phys, 2 MiB aligned;
 *   - interrupts are disabled; the GDT/IDT are the firmware's (the hypervisor
 *     loads its own before anything else).
 * Everything the loader allocated (this struct, the region array, the loaded
 * files, the page tables, the image) is BOOT_MEM_LOADER in the memory map, so
 * the frame allocator never hands it out.  The version is bumped on any
 * layout change; the hypervisor refuses a version it does not know.
 *
 * Plain C types only: this header is compiled by the loader (gnu-efi, PIC,
 * MS ABI around firmware calls), the hypervisor and the host tests.
 */
#ifndef BOOT_INFO_H
#define BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC   0x726f736976707564ULL /* "dupvisor" little-endian */
#define BOOT_INFO_VERSION 1u

#define KERNEL_VMA_BASE   0xFFFFFFFF80000000ULL /* -mcmodel=kernel: top 2 GiB */

#define BOOT_MAX_FILES    32
#define BOOT_NAME_MAX     64
#define BOOT_CMDLINE_MAX  256

/* Memory region types: the loader folds UEFI's types into these four. */
enum boot_mem_type {
	BOOT_MEM_USABLE       = 1, /* free after ExitBootServices */
	BOOT_MEM_LOADER       = 2, /* loader allocations handed over (keep) */
	BOOT_MEM_ACPI_RECLAIM = 3, /* ACPI tables: keep until parsed */
	BOOT_MEM_RESERVED     = 4, /* runtime services, MMIO, ACPI NVS, ... */
};

struct boot_mem_region {
	uint64_t base;  /* physical, 4 KiB aligned */
	uint64_t pages; /* 4 KiB pages */
	uint32_t type;  /* enum boot_mem_type */
	uint32_t reserved;
};

/* A file the loader read from the ESP (the config, then the guest images). */
struct boot_file {
	char     name[BOOT_NAME_MAX]; /* as named in the config, NUL-terminated */
	uint64_t phys;                /* 4 KiB aligned */
	uint64_t size;                /* bytes */
};

struct boot_info {
	uint64_t magic;    /* BOOT_INFO_MAGIC */
	uint32_t version;  /* BOOT_INFO_VERSION */
	uint32_t size;     /* sizeof(struct boot_info) as the loader knew it */

	uint64_t kernel_phys; /* where the image lies, 2 MiB aligned */
	uint64_t kernel_virt; /* its link address */
	uint64_t kernel_size; /* bytes mapped, multiple of 2 MiB */

	uint64_t identity_limit; /* [0, identity_limit) is identity-mapped */
	uint64_t rsdp;           /* physical address of the ACPI RSDP, or 0 */

	uint64_t regions_phys;   /* struct boot_mem_region[region_count] */
	uint32_t region_count;
	uint32_t file_count;

	struct boot_file files[BOOT_MAX_FILES]; /* files[0] is the config */
	char cmdline[BOOT_CMDLINE_MAX];         /* load options, ASCII */
};

#endif
