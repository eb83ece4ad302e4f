/*
 * fuzz_elf.c - boot/elf_check.c's elf_check() and elf_load() over arbitrary
 * files.
 *
 * Feeds: the input as the bytes of dedupvisor.elf (in a buffer of exactly
 * its size, so any read past the file is caught), checked for the window
 * the loader uses (KERNEL_VMA_BASE, the top 2 GiB) and for a low one
 * (1 MiB), where 64-bit sums do not saturate.
 * Checks: a refusal comes with a reason; an accepted image has its bounds
 * 2 MiB aligned, span at most ELF_MAX_SPAN inside the window, the entry
 * inside it, and as many PT_LOAD segments as the file has, each inside the
 * file and the bounds, none overlapping another.  An accepted image of the
 * least span (2 MiB; elf_load zeroes byte by byte, larger ones would slow
 * the fuzzer down) is loaded into a buffer that ends where the span does:
 * every segment's file bytes must land at its address, its bss tail and
 * the gaps be zero, and nothing be written past the span.
 */
#include <stdbool.h>
#include <string.h>

#include "boot_info.h"
#include "elf_check.h"
#include "fuzz_common.h"

#define SZ_2M (2ull << 20)
#define LOAD_MAX (2ull << 20) /* the smallest span: elf_load zeroes it byte by byte */

static uint8_t load_buf[LOAD_MAX];
static const uint8_t zero_page[65536];

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static void check_one(const uint8_t *buf, size_t len, uint64_t min_vaddr)
{
	struct elf_image img;
	const char *why = NULL;
	uint64_t win_end = min_vaddr > UINT64_MAX - (2ull << 30) ? UINT64_MAX : min_vaddr + (2ull << 30);
	uint64_t phoff, entry, span;
	unsigned i, j, phnum, nload = 0;
	uint8_t *dst;

	memset(&img, 0x5a, sizeof(img));
	if (elf_check(buf, len, min_vaddr, &img, &why)) {
		CHECK(why && why[0], "refused without a reason");
		return;
	}
	/* Accepted: the header is whole and says what elf_check.c requires. */
	CHECK(len >= 64 && !memcmp(buf, "\177ELF", 4) && buf[4] == 2 && buf[5] == 1,
	      "accepted a file that is not an ELF64 LE header");
	phoff = rd64(buf + 32);
	entry = rd64(buf + 24);
	phnum = (unsigned)(buf[56] | buf[57] << 8);
	CHECK(img.entry == entry, "entry 0x%llx, header says 0x%llx",
	      (unsigned long long)img.entry, (unsigned long long)entry);
	CHECK(phoff <= len && (uint64_t)phnum * 56 <= len - phoff, "program headers outside the file");
	CHECK(!(img.vaddr_lo % SZ_2M) && !(img.vaddr_hi % SZ_2M), "bounds 0x%llx-0x%llx not 2 MiB aligned",
	      (unsigned long long)img.vaddr_lo, (unsigned long long)img.vaddr_hi);
	CHECK(img.vaddr_lo < img.vaddr_hi, "empty or inverted bounds 0x%llx-0x%llx",
	      (unsigned long long)img.vaddr_lo, (unsigned long long)img.vaddr_hi);
	span = img.vaddr_hi - img.vaddr_lo;
	CHECK(span <= ELF_MAX_SPAN, "span %llu", (unsigned long long)span);
	CHECK(img.vaddr_lo >= (min_vaddr & ~(SZ_2M - 1)), "below the window");
	CHECK(img.entry >= img.vaddr_lo && img.entry < img.vaddr_hi, "entry outside the bounds");

	for (i = 0; i < phnum; i++) {
		struct phdr a;
		memcpy(&a, buf + phoff + (uint64_t)i * 56, sizeof(a));
		if (a.type != 1)
			continue;
		nload++;
		CHECK(a.filesz <= a.memsz, "segment %u: filesz > memsz", i);
		CHECK(a.offset <= len && a.filesz <= len - a.offset, "segment %u outside the file", i);
		CHECK(a.vaddr >= min_vaddr && a.vaddr < win_end && a.memsz <= win_end - a.vaddr,
		      "segment %u outside the window", i);
		CHECK(a.vaddr >= img.vaddr_lo && a.vaddr - img.vaddr_lo + a.memsz <= span,
		      "segment %u outside the bounds", i);
		for (j = i + 1; j < phnum; j++) {
			struct phdr b;
			memcpy(&b, buf + phoff + (uint64_t)j * 56, sizeof(b));
			if (b.type == 1 && a.memsz && b.memsz)
				CHECK(a.vaddr + a.memsz <= b.vaddr || b.vaddr + b.memsz <= a.vaddr,
				      "segments %u and %u overlap", i, j);
		}
	}
	CHECK(nload == img.nload && nload > 0, "nload %u, the file has %u", img.nload, nload);

	if (span > LOAD_MAX)
		return;
	/* The image ends where the buffer ends: a write past it is caught. */
	dst = load_buf + LOAD_MAX - span;
	memset(dst, 0xA5, span);
	elf_load(buf, &img, dst);
	for (i = 0; i < phnum; i++) {
		struct phdr a;
		uint64_t at;
		memcpy(&a, buf + phoff + (uint64_t)i * 56, sizeof(a));
		if (a.type != 1)
			continue;
		at = a.vaddr - img.vaddr_lo;
		CHECK(!memcmp(dst + at, buf + a.offset, a.filesz), "segment %u not copied", i);
	}
	/* Blank what came from the file; the rest must have been zeroed. */
	for (i = 0; i < phnum; i++) {
		struct phdr a;
		memcpy(&a, buf + phoff + (uint64_t)i * 56, sizeof(a));
		if (a.type == 1)
			memset(dst + (a.vaddr - img.vaddr_lo), 0, a.filesz);
	}
	for (uint64_t k = 0; k < span; k += sizeof(zero_page)) {
		uint64_t n = span - k < sizeof(zero_page) ? span - k : sizeof(zero_page);
		if (memcmp(dst + k, zero_page, n))
			for (uint64_t z = k; z < k + n; z++)
				CHECK(dst[z] == 0, "byte 0x%llx of the image is neither file nor zero",
				      (unsigned long long)z);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer's buffer is exactly size bytes: reads past it are caught. */
	check_one(data, size, KERNEL_VMA_BASE);
	check_one(data, size, 1ull << 20);
	return 0;
}
