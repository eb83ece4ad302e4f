/*
 * fuzz_linux_boot.c - devices/linux_boot.c over arbitrary kernel files: the
 * parser of a file that any user (or attacker) may name as kernel=.
 *
 * Feeds: the first 8 bytes choose the VM's RAM (1 MiB to 4 GiB), the
 * initrd's size and the command line's length; the rest is the kernel file,
 * in a buffer of exactly its size (any read past it is caught by ASan).
 * Checks: a refusal comes with a reason; an accepted kernel has 1 to
 * LB_MAX_SEGS segments, each inside the file, no larger in the file than in
 * memory, inside [lo, hi), and the entry inside [lo, hi); a bzImage's one
 * segment is the file's tail at 1 MiB.  A layout lb_place accepts keeps the
 * kernel and the initrd inside RAM, the initrd page-aligned above the
 * kernel and below initrd_max, the boot page and command line below the
 * kernel; lb_build_info then fills its page without reading or writing
 * outside (ASan).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "linux_boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint64_t ram = ((uint64_t)fz_u16(&f) + 1) << 16; /* 64 KiB .. 4 GiB */
	uint64_t initrd = (uint64_t)fz_u32(&f) & 0x3FFFFFFF;
	size_t cmdline = fz_u16(&f) & 0x1FFF;
	uint8_t *file, page[4096];
	struct lb_kernel k;
	struct lb_layout l;
	const char *why = NULL;
	unsigned i;

	file = malloc(f.n ? f.n : 1);
	memcpy(file, f.p, f.n);
	if (lb_parse(file, f.n, &k, &why)) {
		CHECK(why && why[0], "refused without a reason");
		free(file);
		return 0;
	}
	CHECK(k.nsegs >= 1 && k.nsegs <= LB_MAX_SEGS, "%u segments", k.nsegs);
	CHECK(k.entry >= k.lo && k.entry < k.hi, "entry 0x%llx outside [0x%llx, 0x%llx)",
	      (unsigned long long)k.entry, (unsigned long long)k.lo, (unsigned long long)k.hi);
	for (i = 0; i < k.nsegs; i++) {
		const struct lb_segment *s = &k.seg[i];
		CHECK(s->file_off <= f.n && s->file_size <= f.n - s->file_off, "segment %u outside the file", i);
		CHECK(s->file_size <= s->mem_size, "segment %u larger in the file", i);
		CHECK(s->gpa >= k.lo && s->gpa + s->mem_size <= k.hi, "segment %u outside [lo, hi)", i);
	}
	if (k.format == LB_BZIMAGE)
		CHECK(k.nsegs == 1 && k.seg[0].gpa == 0x100000 &&
		      k.seg[0].file_off + k.seg[0].file_size <= f.n, "bzImage segment");
	if (lb_place(&k, ram, initrd, cmdline, &l, &why) == 0) {
		CHECK(k.hi <= ram, "kernel beyond RAM");
		CHECK(LB_INFO_GPA + 4096 <= k.lo && LB_CMDLINE_GPA + 4096 <= k.lo,
		      "boot page or command line inside the kernel");
		CHECK(cmdline <= k.cmdline_max && cmdline < 4096, "command line too long accepted");
		if (initrd) {
			CHECK((l.initrd_gpa & 0xFFF) == 0, "initrd not page-aligned");
			CHECK(l.initrd_gpa >= k.hi, "initrd over the kernel");
			CHECK(l.initrd_gpa + l.initrd_size <= ram, "initrd beyond RAM");
			CHECK(l.initrd_gpa + l.initrd_size <= k.initrd_max, "initrd above initrd_max");
		}
		lb_build_info(&k, file, &l, page);
	} else {
		CHECK(why && why[0], "layout refused without a reason");
	}
	free(file);
	return 0;
}
