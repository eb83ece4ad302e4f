/*
 * elf_check.c - validate and load the hypervisor's ELF64 image.
 *
 * The loader trusts nothing it read from the disk: a truncated file, a
 * 32-bit or non-x86-64 image, program headers beyond the end of the file,
 * segments outside the kernel window or overlapping ones are each refused
 * with one message.  Only a checked image is copied.  No libc: this file is
 * built into the UEFI loader as well as the host tests.
 */
#include "elf_check.h"

#define EI_NIDENT 16
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define SZ_2M (2ull << 20)

struct elf64_ehdr {
	unsigned char e_ident[EI_NIDENT];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

static void copy_bytes(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	while (n--)
		*dp++ = *sp++;
}

static void zero_bytes(void *d, size_t n)
{
	unsigned char *dp = d;
	while (n--)
		*dp++ = 0;
}

/* Reads header structs by copy: the file buffer need not be aligned. */
static void read_phdr(const unsigned char *b, const struct elf64_ehdr *eh,
		      unsigned i, struct elf64_phdr *ph)
{
	copy_bytes(ph, b + eh->e_phoff + (uint64_t)i * eh->e_phentsize, sizeof(*ph));
}

int elf_check(const void *buf, size_t len, uint64_t min_vaddr,
	      struct elf_image *img, const char **why)
{
	const unsigned char *b = buf;
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	uint64_t lo = UINT64_MAX, hi = 0;
	/* The window's end, saturated: the top 2 GiB end at 2^64. */
	uint64_t win_end = min_vaddr > UINT64_MAX - (2ull << 30) ? UINT64_MAX
								   : min_vaddr + (2ull << 30);
	unsigned i, n = 0;

#define FAIL(msg) do { *why = (msg); return -1; } while (0)
	if (len < sizeof(eh))
		FAIL("file too short for an ELF header (truncated?)");
	copy_bytes(&eh, b, sizeof(eh));
	if (b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
		FAIL("not an ELF file (bad magic)");
	if (b[4] != 2)
		FAIL("not a 64-bit ELF (EI_CLASS is not ELFCLASS64)");
	if (b[5] != 1)
		FAIL("not little-endian (EI_DATA is not ELFDATA2LSB)");
	if (eh.e_machine != EM_X86_64)
		FAIL("not an x86-64 ELF (e_machine is not EM_X86_64)");
	if (eh.e_type != ET_EXEC)
		FAIL("not an executable ELF (e_type is not ET_EXEC)");
	if (eh.e_phentsize != sizeof(ph) || eh.e_phnum == 0)
		FAIL("no program headers, or an unexpected program header size");
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(ph) > len - eh.e_phoff)
		FAIL("program headers extend past the end of the file (truncated?)");

	for (i = 0; i < eh.e_phnum; i++) {
		read_phdr(b, &eh, i, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			FAIL("a segment's file size exceeds its memory size");
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			FAIL("a segment extends past the end of the file (truncated?)");
		if (ph.p_vaddr < min_vaddr || ph.p_memsz > win_end - ph.p_vaddr ||
		    ph.p_vaddr >= win_end)
			FAIL("a segment lies outside the hypervisor's address window");
		if (ph.p_vaddr < lo)
			lo = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > hi)
			hi = ph.p_vaddr + ph.p_memsz;
		n++;
	}
	if (n == 0)
		FAIL("no loadable (PT_LOAD) segment");
	lo &= ~(SZ_2M - 1);
	hi = (hi + SZ_2M - 1) & ~(SZ_2M - 1);
	if (hi - lo > ELF_MAX_SPAN)
		FAIL("image larger than 64 MiB");
	if (eh.e_entry < lo || eh.e_entry >= hi)
		FAIL("entry point outside the loaded segments");
	/* Overlapping segments would make the copy order matter: refuse them. */
	for (i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr a;
		unsigned j;
		read_phdr(b, &eh, i, &a);
		if (a.p_type != PT_LOAD)
			continue;
		for (j = i + 1; j < eh.e_phnum; j++) {
			read_phdr(b, &eh, j, &ph);
			if (ph.p_type == PT_LOAD && ph.p_memsz && a.p_memsz &&
			    a.p_vaddr < ph.p_vaddr + ph.p_memsz &&
			    ph.p_vaddr < a.p_vaddr + a.p_memsz)
				FAIL("two loadable segments overlap");
		}
	}
#undef FAIL
	img->entry = eh.e_entry;
	img->vaddr_lo = lo;
	img->vaddr_hi = hi;
	img->nload = n;
	return 0;
}

void elf_load(const void *buf, const struct elf_image *img, void *dst)
{
	const unsigned char *b = buf;
	unsigned char *d = dst;
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	unsigned i;

	copy_bytes(&eh, b, sizeof(eh));
	zero_bytes(d, img->vaddr_hi - img->vaddr_lo);
	for (i = 0; i < eh.e_phnum; i++) {
		read_phdr(b, &eh, i, &ph);
		if (ph.p_type == PT_LOAD)
			copy_bytes(d + (ph.p_vaddr - img->vaddr_lo), b + ph.p_offset, ph.p_filesz);
	}
}
