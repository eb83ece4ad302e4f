/*
 * elf_check.h - validation of the hypervisor's ELF image before it is loaded.
 *
 * Plain C with no library calls: compiled into the UEFI loader and into the
 * host unit tests.  The loader calls elf_check() on the file's bytes and
 * only then copies segments; every rejection comes with a reason string.
 */
#ifndef ELF_CHECK_H
#define ELF_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct elf_image {
	uint64_t entry;     /* e_entry (virtual) */
	uint64_t vaddr_lo;  /* lowest PT_LOAD vaddr, 2 MiB aligned down */
	uint64_t vaddr_hi;  /* end of highest PT_LOAD vaddr+memsz, 2 MiB aligned up */
	unsigned nload;     /* PT_LOAD segments */
};

#define ELF_MAX_SPAN (64ull << 20) /* the hypervisor image may not exceed this */

/* Checks that buf[0..len) is an ELF64 little-endian x86-64 executable whose
 * PT_LOAD segments lie in the file, within [min_vaddr, min_vaddr + 2 GiB),
 * span at most ELF_MAX_SPAN and contain the entry point.  Returns 0 and fills
 * *img, or returns -1 with *why set to a static message. */
int elf_check(const void *buf, size_t len, uint64_t min_vaddr,
	      struct elf_image *img, const char **why);

/* Copies each PT_LOAD segment of a checked image to dst + (vaddr - vaddr_lo)
 * and zeroes its bss tail.  dst must hold vaddr_hi - vaddr_lo bytes. */
void elf_load(const void *buf, const struct elf_image *img, void *dst);

#endif
