/*
 * linux_boot.c - loading an unmodified Linux kernel: recognizing the file,
 * planning where its pieces go, and writing what it is handed at entry.
 *
 * Two forms of the same kernel are accepted, both entered in 32-bit
 * protected mode with paging off (the state every vCPU starts in):
 *
 *   bzImage   as distributions ship it.  The real-mode setup header
 *             (Documentation/arch/x86/boot.rst) is checked - boot flag,
 *             "HdrS", protocol 2.12 or later, LOADED_HIGH, a 64-bit
 *             kernel - and the protected-mode code after the setup sectors
 *             goes to 1 MiB, its 32-bit entry.  ESI points to boot_params
 *             (the "zero page"): the file's setup header, our e820 map,
 *             the command line and the initrd.  The kernel first unpacks
 *             itself at pref_address, needing init_size bytes there.
 *   vmlinux   the ELF the bzImage carries, uncompressed (what the build
 *             extracts, as scripts/extract-vmlinux does): its PT_LOAD
 *             segments go to their physical addresses, and it is entered
 *             at the address in its XEN_ELFNOTE_PHYS32_ENTRY note (PVH),
 *             with EBX pointing to hvm_start_info (Xen's start_info.h,
 *             version 1: the memory map travels in it).  No unpacking:
 *             under an emulator this saves the bulk of the boot.
 *
 * The boot page lives at LB_INFO_GPA, the command line at LB_CMDLINE_GPA,
 * the initrd at the top of RAM; lb_place refuses a layout in which these
 * would overlap the kernel.  Nothing here touches hardware or guest memory
 * (the caller copies), so every refusal is host-tested.
 */
#include <string.h>

#include "linux_boot.h"

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static void wr(uint8_t *p, unsigned n, uint64_t v)
{
	unsigned i;
	for (i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static int no(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

static int parse_bzimage(const uint8_t *f, uint64_t size, struct lb_kernel *k, const char **why)
{
	uint64_t setup_sects, pm_off, pm_size, init_size, pref;
	uint32_t version;

	if (rd(f + BP_HEADER, 4) != BP_HEADER_MAGIC || rd(f + BP_BOOT_FLAG, 2) != BP_BOOT_FLAG_MAGIC)
		return no(why, "not a Linux kernel (no bzImage header, no ELF)");
	if (size < BP_INIT_SIZE + 4)
		return no(why, "truncated: shorter than its setup header");
	version = (uint32_t)rd(f + BP_VERSION, 2);
	if (version < 0x20C)
		return no(why, "boot protocol older than 2.12 (needs a kernel from 3.8 on)");
	if (!(rd(f + BP_LOADFLAGS, 1) & LOADED_HIGH))
		return no(why, "not a bzImage (zImage loaded low is not supported)");
	if (!(rd(f + BP_XLOADFLAGS, 2) & XLF_KERNEL_64))
		return no(why, "not a 64-bit kernel");
	setup_sects = rd(f + BP_SETUP_SECTS, 1);
	if (!setup_sects)
		setup_sects = 4;
	pm_off = (setup_sects + 1) * 512;
	pm_size = rd(f + BP_SYSSIZE, 4) * 16;
	if (pm_off >= size || pm_size > size - pm_off)
		return no(why, "truncated: shorter than its header says");
	if (!pm_size)
		return no(why, "a bzImage header without protected-mode code");
	init_size = rd(f + BP_INIT_SIZE, 4);
	pref = rd(f + BP_PREF_ADDRESS, 8);
	if (pref < 0x100000)
		pref = 0x100000;
	if (pref > (1ull << 32))
		return no(why, "a preferred load address above 4 GiB");
	k->format = LB_BZIMAGE;
	k->protocol = (uint16_t)version;
	k->entry = 0x100000;
	k->nsegs = 1;
	k->seg[0] = (struct lb_segment){ pm_off, pm_size, 0x100000, pm_size };
	k->lo = 0x100000;
	k->hi = pref + init_size > 0x100000 + pm_size ? pref + init_size : 0x100000 + pm_size;
	k->cmdline_max = (uint32_t)rd(f + BP_CMDLINE_SIZE, 4);
	k->initrd_max = rd(f + BP_INITRD_ADDR_MAX, 4) + 1ull;
	return 0;
}

/* The value of the Xen note of type want in notes[0, len), or 0. */
static uint64_t xen_note(const uint8_t *n, uint64_t len, uint32_t want)
{
	uint64_t off = 0;
	while (len - off >= 12) {
		uint64_t namesz = rd(n + off, 4), descsz = rd(n + off + 4, 4);
		uint32_t type = (uint32_t)rd(n + off + 8, 4);
		uint64_t name = off + 12, desc = name + ((namesz + 3) & ~3ull);
		uint64_t next = desc + ((descsz + 3) & ~3ull);
		if (namesz > len || descsz > len || next > len)
			return 0;
		if (type == want && namesz == 4 && !memcmp(n + name, "Xen", 4) &&
		    (descsz == 4 || descsz == 8))
			return rd(n + desc, (unsigned)descsz);
		off = next;
	}
	return 0;
}

static int parse_elf(const uint8_t *f, uint64_t size, struct lb_kernel *k, const char **why)
{
	uint64_t phoff, phentsize, phnum, i, entry = 0;

	if (size < 64)
		return no(why, "truncated: shorter than an ELF header");
	if (f[4] != 2 || f[5] != 1 || rd(f + 18, 2) != 62)
		return no(why, "an ELF file, but not a 64-bit x86-64 one");
	if (rd(f + 16, 2) != 2)
		return no(why, "an ELF file, but not an executable");
	phoff = rd(f + 32, 8), phentsize = rd(f + 54, 2), phnum = rd(f + 56, 2);
	if (phentsize < 56 || phnum == 0 || phoff > size || phnum * phentsize > size - phoff)
		return no(why, "truncated: program headers outside the file");
	k->format = LB_ELF_PVH;
	k->nsegs = 0;
	k->lo = ~0ull, k->hi = 0;
	/* First the whole file (a cut file says so), then the entry (a kernel
	 * without one is not for us, whatever its segments), then the
	 * segments. */
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + i * phentsize;
		uint64_t type = rd(ph, 4), off = rd(ph + 8, 8), filesz = rd(ph + 32, 8);
		if (type != 1 && type != 4) /* PT_LOAD, PT_NOTE */
			continue;
		if (off > size || filesz > size - off)
			return no(why, "truncated: a segment lies beyond the end of the file");
		if (type == 4 && xen_note(f + off, filesz, XEN_ELFNOTE_PHYS32_ENTRY))
			entry = xen_note(f + off, filesz, XEN_ELFNOTE_PHYS32_ENTRY);
	}
	if (!entry)
		return no(why, "an ELF kernel without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + i * phentsize;
		uint64_t type = rd(ph, 4), off = rd(ph + 8, 8), paddr = rd(ph + 24, 8);
		uint64_t filesz = rd(ph + 32, 8), memsz = rd(ph + 40, 8);
		if (type != 1)
			continue;
		if (filesz > memsz || paddr + memsz < paddr || paddr + memsz > (1ull << 32))
			return no(why, "a segment with a bad size or above 4 GiB");
		if (k->nsegs == LB_MAX_SEGS)
			return no(why, "too many segments");
		k->seg[k->nsegs++] = (struct lb_segment){ off, filesz, paddr, memsz };
		if (paddr < k->lo)
			k->lo = paddr;
		if (paddr + memsz > k->hi)
			k->hi = paddr + memsz;
	}
	if (!k->nsegs)
		return no(why, "an ELF file without loadable segments");
	if (entry < k->lo || entry >= k->hi)
		return no(why, "the PVH entry lies outside the kernel's segments");
	if (k->lo < 0x100000)
		return no(why, "a segment below 1 MiB");
	k->entry = entry;
	k->protocol = 0;
	k->cmdline_max = 4095;
	k->initrd_max = 1ull << 32;
	return 0;
}

int lb_parse(const void *file, uint64_t size, struct lb_kernel *k, const char **why)
{
	const uint8_t *f = file;

	memset(k, 0, sizeof(*k));
	if (size >= 4 && !memcmp(f, "\177ELF", 4))
		return parse_elf(f, size, k, why);
	if (size < BP_HEADER + 4)
		return no(why, size < 512 ? "not a Linux kernel (too short)"
					  : "truncated: shorter than its setup header");
	return parse_bzimage(f, size, k, why);
}

int lb_place(const struct lb_kernel *k, uint64_t ram, uint64_t initrd_size, size_t cmdline_len,
	     struct lb_layout *l, const char **why)
{
	uint64_t top;

	memset(l, 0, sizeof(*l));
	l->ram = ram;
	l->info_gpa = LB_INFO_GPA;
	l->cmdline_gpa = LB_CMDLINE_GPA;
	if (cmdline_len > k->cmdline_max || cmdline_len >= 4096)
		return no(why, "command line longer than the kernel accepts");
	if (k->hi > ram)
		return no(why, "RAM too small for the kernel");
	if (initrd_size) {
		top = ram < k->initrd_max ? ram : k->initrd_max;
		top &= ~0xFFFull;
		if (initrd_size > top || ((top - initrd_size) & ~0xFFFull) < k->hi)
			return no(why, "the initrd does not fit in RAM above the kernel");
		l->initrd_gpa = (top - initrd_size) & ~0xFFFull;
		l->initrd_size = initrd_size;
	}
	if (k->format == LB_BZIMAGE)
		l->entry_esi = l->info_gpa;
	else
		l->entry_ebx = l->info_gpa;
	return 0;
}

unsigned lb_e820(uint64_t ram, struct boot_e820_entry *out, unsigned max)
{
	const struct boot_e820_entry map[] = {
		{ 0, 0x9FC00, E820_TYPE_RAM },
		{ 0x9FC00, 0x400, E820_TYPE_RESERVED },     /* the EBDA */
		{ 0xF0000, 0x10000, E820_TYPE_RESERVED },   /* the BIOS area */
		{ 0x100000, ram > 0x100000 ? ram - 0x100000 : 0, E820_TYPE_RAM },
	};
	unsigned i, n = ram > 0x100000 ? 4 : 3;
	for (i = 0; i < n && i < max; i++)
		out[i] = map[i];
	return i;
}

static void build_boot_params(const uint8_t *f, const struct lb_layout *l, uint8_t *bp)
{
	struct boot_e820_entry e[8];
	unsigned n = lb_e820(l->ram, e, 8), hdr_end = 0x202 + f[BP_HEADER_END_BYTE];

	if (hdr_end > BP_E820_TABLE) /* a header this long would run into our table */
		hdr_end = BP_E820_TABLE;
	memcpy(bp + BP_SETUP_HEADER_START, f + BP_SETUP_HEADER_START, hdr_end - BP_SETUP_HEADER_START);
	wr(bp + BP_TYPE_OF_LOADER, 1, BP_TYPE_UNDEFINED);
	wr(bp + BP_LOADFLAGS, 1, (bp[BP_LOADFLAGS] | LOADED_HIGH) & ~CAN_USE_HEAP);
	wr(bp + BP_CMD_LINE_PTR, 4, l->cmdline_gpa);
	wr(bp + BP_RAMDISK_IMAGE, 4, l->initrd_gpa);
	wr(bp + BP_RAMDISK_SIZE, 4, l->initrd_size);
	wr(bp + BP_E820_ENTRIES, 1, n);
	memcpy(bp + BP_E820_TABLE, e, n * sizeof(e[0]));
}

static void build_start_info(const struct lb_layout *l, uint8_t *page)
{
	struct hvm_start_info si = { .magic = XEN_HVM_START_MAGIC_VALUE, .version = 1 };
	struct hvm_memmap_table_entry mm[8];
	struct hvm_modlist_entry mod = { l->initrd_gpa, l->initrd_size, 0, 0 };
	struct boot_e820_entry e[8];
	unsigned n = lb_e820(l->ram, e, 8), i;
	const unsigned mm_off = 64, mod_off = mm_off + sizeof(mm);

	for (i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_table_entry){ e[i].addr, e[i].size, e[i].type, 0 };
	si.cmdline_paddr = l->cmdline_gpa;
	si.memmap_paddr = l->info_gpa + mm_off;
	si.memmap_entries = n;
	if (l->initrd_size) {
		si.nr_modules = 1;
		si.modlist_paddr = l->info_gpa + mod_off;
		memcpy(page + mod_off, &mod, sizeof(mod));
	}
	memcpy(page, &si, sizeof(si));
	memcpy(page + mm_off, mm, n * sizeof(mm[0]));
}

void lb_build_info(const struct lb_kernel *k, const void *file, const struct lb_layout *l,
		   uint8_t page[4096])
{
	memset(page, 0, 4096);
	if (k->format == LB_BZIMAGE)
		build_boot_params(file, l, page);
	else
		build_start_info(l, page);
}

_Static_assert(sizeof(struct hvm_start_info) == 56, "start_info.h: 56 bytes in version 1");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "start_info.h: 24-byte entries");
_Static_assert(sizeof(struct boot_e820_entry) == 20, "bootparam.h: 20-byte e820 entries");
