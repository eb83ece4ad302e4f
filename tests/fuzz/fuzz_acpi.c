/*
 * fuzz_acpi.c - kernel/acpi.c's acpi_parse() over made-up physical memory,
 * and acpi_find_s5() over raw AML.
 *
 * Feeds: u32 rsdp (the RSDP's physical address, 0 = none), then the rest of
 * the input as physical memory from address 0.  acpi_parse reaches tables
 * through to_ptr, which models what the firmware promises and nothing
 * more: the first call (the RSDP) gets a copy of the RSDP's 20 bytes
 * (revision < 2) or 36 (revision >= 2); every later one a copy of the
 * table at that address, in a heap block of exactly the table's length
 * (its header's length field, at least the 8 bytes of signature and
 * length), when the whole table lies in the memory; when it does not,
 * a zeroed 8-byte block (memory that reads as zeros: no signature, length
 * 0).  Each table thus sits in a block of its own size, and any read past
 * a table's length is caught.  Then acpi_find_s5() over the whole input.
 * Checks: no read outside a table; a refusal has a reason; at most 64
 * CPUs; acpi_find_s5 returns -1 or a byte, and finds one exactly where
 * the input holds "_S5_" 0x12 and a package the scan can read.
 */
#include <string.h>

#include "acpi.h"
#include "fuzz_common.h"

static const uint8_t *mem;
static size_t mem_len;
static unsigned calls;
static void **blocks;           /* what to_ptr handed out, freed after each input */
static size_t nblocks, max_blocks;

static void *keep(void *p)
{
	CHECK(p, "out of memory");
	/* Each root entry reaches a table and perhaps its DSDT: 2 per 4 bytes. */
	CHECK(nblocks < max_blocks, "more than %zu tables reached", max_blocks);
	blocks[nblocks++] = p;
	return p;
}

static void *copy_of(uint64_t phys, size_t len)
{
	uint8_t *p = keep(malloc(len));
	memcpy(p, mem + phys, len);
	return p;
}

static void *to_ptr(uint64_t phys)
{
	uint32_t len;

	if (calls++ == 0) { /* the RSDP */
		if (phys < mem_len && mem_len - phys >= 20) {
			size_t n = mem[phys + 15] >= 2 ? 36 : 20;
			if (mem_len - phys >= n)
				return copy_of(phys, n);
		}
		return keep(calloc(1, 36));
	}
	if (phys >= mem_len || mem_len - phys < 8)
		return keep(calloc(1, 8));
	memcpy(&len, mem + phys + 4, 4);
	if (len < 8)
		len = 8;
	if (len > mem_len - phys)
		return keep(calloc(1, 8));
	return copy_of(phys, len);
}

/* The scan acpi.c documents, written again: -1, or SLP_TYPa. */
static int find_s5(const uint8_t *aml, size_t len)
{
	for (size_t i = 0; i + 8 < len; i++) {
		size_t at;
		if (memcmp(aml + i, "_S5_", 4) || aml[i + 4] != 0x12)
			continue;
		at = i + 5 + ((aml[i + 5] >> 6) & 3) + 1; /* past PkgLength */
		if (at + 3 > len)
			return -1;
		at++; /* NumElements */
		if (aml[at] == 0x0A)
			return aml[at + 1];
		if (aml[at] <= 1)
			return aml[at];
		return -1;
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint64_t rsdp = fz_u32(&f);
	struct acpi_info info;
	const char *why = NULL;
	uint8_t *aml;
	int r, s5;

	mem = f.p;
	mem_len = f.n;
	calls = 0;
	nblocks = 0;
	max_blocks = 8 + size / 2;
	blocks = malloc(max_blocks * sizeof(*blocks));
	CHECK(blocks, "out of memory");
	r = acpi_parse(rsdp, to_ptr, &info, &why);
	CHECK(r == 0 || r == -1, "acpi_parse returned %d", r);
	if (r)
		CHECK(why && why[0], "refused without a reason");
	else
		CHECK(info.ncpus <= sizeof(info.apic_id), "%u CPUs", info.ncpus);
	while (nblocks)
		free(blocks[--nblocks]);
	free(blocks);

	/* The AML scan alone, over the whole input in a block of its size. */
	aml = malloc(size ? size : 1);
	CHECK(aml, "out of memory");
	memcpy(aml, data, size);
	s5 = acpi_find_s5(aml, size);
	CHECK(s5 == find_s5(aml, size), "acpi_find_s5 says %d, the scan %d", s5, find_s5(aml, size));
	CHECK(s5 >= -1 && s5 <= 255, "acpi_find_s5 returned %d", s5);
	free(aml);
	return 0;
}
