/*
 * loader.c - BOOTX64.EFI: load dedupvisor from the ESP and hand over.
 *
 * Steps, in order (each failure prints "loader: FILE: REASON" on the UEFI
 * console and returns to the firmware with nothing started):
 *   1. read \dedupvisor\dedupvisor.cfg and parse it with the hypervisor's own
 *      parser, so a bad line is refused here, naming the line;
 *   2. read \dedupvisor\dedupvisor.elf, check it (elf_check.c) and copy its
 *      segments into 2 MiB-aligned EfiLoaderData pages;
 *   3. read each guest image the config names; refuse one larger than its
 *      VM's RAM;
 *   4. find the ACPI RSDP in the configuration table;
 *   5. build the hand-over page tables (identity map of memory, the image at
 *      its link address) with pt_build.c;
 *   6. get the memory map and ExitBootServices, re-getting the map when the
 *      key went stale (UEFI 2.x: ExitBootServices fails with
 *      EFI_INVALID_PARAMETER then, and only GetMemoryMap may be called);
 *   7. fold the map into boot_info regions and jump (handoff.S).
 * Every buffer handed over is EfiLoaderData (see boot_info.h).
 */
#include <efi.h>
#include <efilib.h>

#include "boot_info.h"
#include "elf_check.h"
#include "mmap_convert.h"
#include "config.h"
#include "pt_build.h"

#define DIR L"\\dedupvisor\\"
#define MAX_REGIONS 1024
#define SZ_2M (2ull << 20)

/* arch/x86_64/handoff.S: load CR3, switch stacks, jump; never returns. */
void handoff(uint64_t pml4, uint64_t entry, struct boot_info *bi) __attribute__((noreturn));

static EFI_FILE_HANDLE root;

static EFI_STATUS fail(const char *file, const char *why)
{
	Print(L"loader: %a: %a\n", file, why);
	Print(L"loader: nothing was started; returning to the firmware\n");
	return EFI_LOAD_ERROR;
}

static void *alloc_pages(UINTN pages)
{
	EFI_PHYSICAL_ADDRESS a = 0;
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
					EfiLoaderData, pages, &a)))
		return NULL;
	return (void *)(UINTN)a;
}

/* Reads \dedupvisor\name into fresh LoaderData pages.  Returns NULL and sets
 * *why on failure; a file bigger than max bytes is refused unread. */
static void *read_file(const char *name, UINT64 max, const char *too_big,
		       UINT64 *size, const char **why)
{
	CHAR16 path[96];
	EFI_FILE_HANDLE fh;
	EFI_FILE_INFO *info;
	UINTN i, n, len;
	void *buf;

	for (i = 0; DIR[i]; i++)
		path[i] = DIR[i];
	for (n = 0; name[n] && i + 1 < sizeof(path) / sizeof(path[0]); n++)
		path[i++] = (CHAR16)name[n];
	path[i] = 0;
	if (EFI_ERROR(uefi_call_wrapper(root->Open, 5, root, &fh, path, EFI_FILE_MODE_READ, 0))) {
		*why = "file not found in \\dedupvisor\\ on the boot disk";
		return NULL;
	}
	info = LibFileInfo(fh);
	if (!info) {
		uefi_call_wrapper(fh->Close, 1, fh);
		*why = "cannot read the file's size";
		return NULL;
	}
	len = info->FileSize;
	FreePool(info);
	if (len > max) {
		uefi_call_wrapper(fh->Close, 1, fh);
		*why = too_big;
		return NULL;
	}
	buf = alloc_pages(len / 4096 + 1);
	if (!buf) {
		uefi_call_wrapper(fh->Close, 1, fh);
		*why = "out of memory reading the file";
		return NULL;
	}
	n = len;
	if (EFI_ERROR(uefi_call_wrapper(fh->Read, 3, fh, &n, buf)) || n != len) {
		uefi_call_wrapper(fh->Close, 1, fh);
		*why = "read error";
		return NULL;
	}
	((char *)buf)[len] = 0;
	uefi_call_wrapper(fh->Close, 1, fh);
	*size = len;
	return buf;
}

/* pt_build callbacks: UEFI runs identity-mapped, so phys == pointer. */
static uint64_t *pt_alloc(void *ctx, uint64_t *phys)
{
	uint64_t *t = alloc_pages(1);
	(void)ctx;
	if (t) {
		SetMem(t, 4096, 0);
		*phys = (uint64_t)(UINTN)t;
	}
	return t;
}

static uint64_t *pt_ptr(void *ctx, uint64_t phys)
{
	(void)ctx;
	return (uint64_t *)(UINTN)phys;
}

static void add_file(struct boot_info *bi, const char *name, void *p, UINT64 size)
{
	struct boot_file *f = &bi->files[bi->file_count++];
	UINTN i;
	for (i = 0; name[i] && i + 1 < sizeof(f->name); i++)
		f->name[i] = name[i];
	f->name[i] = 0;
	f->phys = (uint64_t)(UINTN)p;
	f->size = size;
}

/* The highest address the firmware's memory map describes, and the map key. */
static UINT64 memory_top(void)
{
	UINTN n, key, dsz;
	UINT32 ver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &dsz, &ver), *d;
	UINT64 top = 0;
	UINTN i;
	if (!map)
		return 0;
	for (i = 0, d = map; i < n; i++, d = NextMemoryDescriptor(d, dsz))
		if (d->PhysicalStart + d->NumberOfPages * 4096 > top)
			top = d->PhysicalStart + d->NumberOfPages * 4096;
	FreePool(map);
	return top;
}

/* Called by gnu-efi's crt0 (SysV ABI, not EFIAPI: the project's ENVIRONMENT notes). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	static struct config cfg; /* ~2 KiB: keep it off the firmware's stack */
	struct config_error cerr;
	EFI_LOADED_IMAGE *li;
	struct boot_info *bi;
	struct boot_mem_region *regions;
	struct elf_image img;
	const char *why;
	char *cfgtext, *elf;
	UINT64 cfglen, elflen, top, kphys, limit, max_ram = 0;
	uint64_t *pml4, pml4_phys;
	struct pt_ops ops = { pt_alloc, pt_ptr, NULL };
	UINTN map_size, key, dsz, i;
	UINT32 dver;
	void *map;
	EFI_STATUS s;
	int n;

	InitializeLib(image, st);
	Print(L"dedupvisor loader\n");
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image,
					&LoadedImageProtocol, (void **)&li)) ||
	    !(root = LibOpenRoot(li->DeviceHandle)))
		return fail("ESP", "cannot open the boot volume");

	/* 1. Config. */
	cfgtext = read_file("dedupvisor.cfg", 1 << 20, "file larger than 1 MiB", &cfglen, &why);
	if (!cfgtext)
		return fail("dedupvisor.cfg", why);
	if (config_parse(cfgtext, cfglen, &cfg, &cerr)) {
		Print(L"loader: dedupvisor.cfg:%d: %a\n", cerr.line, cerr.msg);
		return fail("dedupvisor.cfg", "configuration refused");
	}
	for (i = 0; i < cfg.nrefused; i++)
		Print(L"loader: dedupvisor.cfg:%d: VM refused: %a\n", cfg.refused[i].line,
		      cfg.refused[i].msg);

	/* 2. Hypervisor image. */
	elf = read_file("dedupvisor.elf", 256ull << 20, "file larger than 256 MiB", &elflen, &why);
	if (!elf)
		return fail("dedupvisor.elf", why);
	if (elf_check(elf, elflen, KERNEL_VMA_BASE, &img, &why))
		return fail("dedupvisor.elf", why);
	{
		UINT64 span = img.vaddr_hi - img.vaddr_lo;
		char *raw = alloc_pages((span + SZ_2M) / 4096);
		if (!raw)
			return fail("dedupvisor.elf", "out of memory for the image");
		kphys = ((UINT64)(UINTN)raw + SZ_2M - 1) & ~(SZ_2M - 1);
		elf_load(elf, &img, (void *)(UINTN)kphys);
	}

	bi = alloc_pages((sizeof(*bi) + 4095) / 4096);
	regions = alloc_pages(MAX_REGIONS * sizeof(*regions) / 4096);
	if (!bi || !regions)
		return fail("boot_info", "out of memory");
	SetMem(bi, sizeof(*bi), 0);
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->kernel_phys = kphys;
	bi->kernel_virt = img.vaddr_lo;
	bi->kernel_size = img.vaddr_hi - img.vaddr_lo;
	bi->regions_phys = (uint64_t)(UINTN)regions;
	add_file(bi, "dedupvisor.cfg", cfgtext, cfglen);

	/* 3. Guest files, read once each however many VMs name them.  An image
	 * must fit its VM's RAM (else nothing starts).  A kernel or initrd is
	 * only bounded by the largest VM's RAM here: whether it fits its VM, with
	 * everything else the kernel needs, the hypervisor decides per VM
	 * (kernel/linux_vm.c), refusing that VM alone. */
	for (i = 0; i < cfg.nvms; i++)
		if (cfg.vm[i].ram > max_ram)
			max_ram = cfg.vm[i].ram;
	for (i = 0; i < cfg.nvms; i++) {
		const struct vm_config *vm = &cfg.vm[i];
		const char *const names[3] = { vm->image, vm->kernel, vm->initrd };
		const char *const kinds[3] = { "image", "kernel", "initrd" };
		UINTN which;
		for (which = 0; which < 3; which++) {
			const char *name = names[which];
			UINT64 sz;
			UINTN j;
			void *p;
			if (!name[0])
				continue;
			for (j = 1; j < bi->file_count; j++) {
				const char *a = bi->files[j].name, *b = name;
				while (*a && *a == *b) a++, b++;
				if (*a == *b)
					break;
			}
			if (j < bi->file_count) {
				if (which == 0 && bi->files[j].size > vm->ram)
					return fail(name, "file larger than its VM's RAM");
				continue;
			}
			if (bi->file_count == BOOT_MAX_FILES)
				return fail(name, "too many distinct guest files");
			p = which == 0 ? read_file(name, vm->ram, "file larger than its VM's RAM", &sz, &why)
				       : read_file(name, max_ram, "file larger than any VM's RAM", &sz, &why);
			if (!p) {
				Print(L"loader: dedupvisor.cfg:%d: VM '%a' names %a '%a'\n",
				      vm->line, vm->name, kinds[which], name);
				return fail(name, why);
			}
			add_file(bi, name, p, sz);
		}
	}

	/* 4. ACPI. */
	{
		void *rsdp = NULL;
		EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
		if (EFI_ERROR(LibGetSystemConfigurationTable(&acpi20, &rsdp)))
			LibGetSystemConfigurationTable(&AcpiTableGuid, &rsdp);
		bi->rsdp = (uint64_t)(UINTN)rsdp;
	}

	/* Load options (from a UEFI shell or boot entry), as ASCII. */
	if (li->LoadOptions && li->LoadOptionsSize >= 2) {
		CHAR16 *o = li->LoadOptions;
		UINTN k, m = li->LoadOptionsSize / 2;
		for (k = 0; k < m && o[k] && k + 1 < BOOT_CMDLINE_MAX; k++)
			bi->cmdline[k] = o[k] < 128 ? (char)o[k] : '?';
	}

	/* 5. Page tables: identity map of [0, max(4 GiB, top of memory)). */
	top = memory_top();
	limit = top > (4ull << 30) ? top : (4ull << 30);
	limit = (limit + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	pml4 = pt_alloc(NULL, &pml4_phys);
	if (!pml4 || pt_map_2m(&ops, pml4, 0, 0, limit) ||
	    pt_map_2m(&ops, pml4, img.vaddr_lo, kphys, bi->kernel_size))
		return fail("page tables", "out of memory");
	bi->identity_limit = limit;

	/* 6. Memory map and ExitBootServices.  The buffer gets slack for the
	 * descriptors our own allocation adds; after a failed exit only
	 * GetMemoryMap may be called, so the retry reuses the buffer. */
	map_size = 0;
	uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, NULL, &key, &dsz, &dver);
	map_size += 64 * sizeof(EFI_MEMORY_DESCRIPTOR) * 2;
	map = alloc_pages(map_size / 4096 + 1);
	if (!map)
		return fail("memory map", "out of memory");
	Print(L"loader: image %lx..%lx at phys %lx, %d files, starting dedupvisor\n",
	      img.vaddr_lo, img.vaddr_hi, kphys, bi->file_count);
	{
		UINTN cap = (map_size / 4096 + 1) * 4096;
		int tries;
		for (tries = 0; tries < 8; tries++) {
			map_size = cap;
			s = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, map, &key, &dsz, &dver);
			if (EFI_ERROR(s))
				return fail("memory map", "GetMemoryMap failed");
			s = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
			if (!EFI_ERROR(s))
				break;
		}
		if (EFI_ERROR(s))
			return fail("ExitBootServices", "the memory map key kept changing");
	}

	/* 7. No firmware services from here on. */
	n = mmap_convert(map, map_size / dsz, dsz, regions, MAX_REGIONS);
	if (n < 0)
		for (;;) /* cannot print any more; hang visibly rather than guess */
			__asm__ volatile("hlt");
	bi->region_count = (uint32_t)n;
	handoff(pml4_phys, img.entry, bi);
}
