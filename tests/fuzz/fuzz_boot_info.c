/*
 * fuzz_boot_info.c - kernel/boot_info_check.c's boot_info_check(), then, on
 * what it accepts, kernel/frames.c as kmain's memory_init() uses it: size
 * the metadata, carve it and a heap off the map, build the pool, allocate
 * and free.
 *
 * Feeds (all little-endian; a short input reads as zeros):
 *   u8  mode   bit 0/1/2: spoil magic / version / size; bit 3: kernel
 *              fields raw (else made 2 MiB aligned); bit 4: region bases
 *              absolute (else each follows the previous region's end, plus
 *              a gap); bit 5: region_count raw (else the regions given);
 *              bit 6: an unterminated command line; bit 7: an
 *              unterminated or empty file name
 *   u8  files  file_count (raw: 0 and > 32 are refused)
 *   u8  nreg   regions that follow (at most 64)
 *   u16 heap   the heap to carve, in 4 KiB pages
 *   u64 kernel_phys, u64 kernel_size, u16 region_count (used with bit 5)
 *   nreg x { u64 base or gap (low 12 bits cleared unless bit 4 is set
 *            and bit 2 of type too), u64 pages, u8 type (low 3 bits) }
 *   then the frame operations: a byte b, by b & 3: 0, 1 alloc (in state
 *   (b >> 2) % 4 + FRAME_KERNEL); 2 free live frame u16 % live and free it
 *   again; 3 free the stray address u64.
 * The region array is its own heap block of exactly region_count entries
 * (capped at the regions given), so a read past it is caught.
 * Checks: on acceptance the map really is what boot_info_check promises
 * (sorted, non-overlapping with 128-bit ends, aligned, typed); the metadata
 * (malloc'd, exactly frames_meta_bytes(), inputs needing over 8 MiB are
 * skipped) is enough; each carve lies in a usable region above 1 MiB; the
 * pool manages exactly the usable frames above 1 MiB left after carving
 * (counted here independently); every allocated frame is page aligned,
 * inside a usable region, outside every other region and both carves, not
 * already allocated, with ref 1 and the state asked for; a free succeeds
 * once, a second free and a stray address fail and change nothing; free +
 * allocated = usable throughout; and a small pool is drained completely.
 */
#include <stdbool.h>
#include <string.h>

#include "boot_info_check.h"
#include "frames.h"
#include "fuzz_common.h"

#define MAX_REGIONS 64
#define META_CAP    (8ull << 20) /* 700k frames: larger pools only run slower */
#define MAX_LIVE    4096

typedef unsigned __int128 u128;

static u128 end128(const struct boot_mem_region *r)
{
	return (u128)r->base + (u128)r->pages * 4096;
}

static bool inside(uint64_t phys, uint64_t base, u128 end)
{
	return phys >= base && (u128)phys + 4096 <= end;
}

struct world {
	const struct boot_mem_region *orig; /* the map as handed over */
	const struct boot_mem_region *r;    /* the map after carving */
	size_t n;
	uint64_t carve[2];
	u128 carve_end[2];
	unsigned ncarve;
};

/* A frame the pool may hand out: usable after carving, above 1 MiB, in no
 * other region of the original map, in no carve. */
static void check_frame(const struct world *w, uint64_t phys)
{
	size_t i;
	bool usable = false;

	CHECK(!(phys % 4096), "frame 0x%llx not aligned", (unsigned long long)phys);
	CHECK(phys >= FRAMES_LOW_LIMIT, "frame 0x%llx below 1 MiB", (unsigned long long)phys);
	for (i = 0; i < w->n; i++) {
		if (w->r[i].type == BOOT_MEM_USABLE && inside(phys, w->r[i].base, end128(&w->r[i])))
			usable = true;
		if (w->orig[i].type != BOOT_MEM_USABLE)
			CHECK(!inside(phys, w->orig[i].base, end128(&w->orig[i])),
			      "frame 0x%llx lies in region %zu (type %u, 0x%llx + %llu pages)",
			      (unsigned long long)phys, i, w->orig[i].type,
			      (unsigned long long)w->orig[i].base, (unsigned long long)w->orig[i].pages);
	}
	CHECK(usable, "frame 0x%llx lies in no usable region", (unsigned long long)phys);
	for (i = 0; i < w->ncarve; i++)
		CHECK(!inside(phys, w->carve[i], w->carve_end[i]), "frame 0x%llx lies in carve %zu",
		      (unsigned long long)phys, i);
}

/* Usable frames above 1 MiB in the (carved) map, counted frame range by range. */
static uint64_t count_usable(const struct boot_mem_region *r, size_t n)
{
	uint64_t total = 0;
	size_t i;
	for (i = 0; i < n; i++) {
		u128 a = r[i].base / 4096, b = a + r[i].pages, low = FRAMES_LOW_LIMIT / 4096;
		if (r[i].type != BOOT_MEM_USABLE || b <= low)
			continue;
		if (a < low)
			a = low;
		total += (uint64_t)(b - a);
	}
	return total;
}

/* [lo, hi): the span of usable frame numbers above 1 MiB (0, 0 if none). */
static void span_of(const struct boot_mem_region *r, size_t n, u128 *lo, u128 *hi)
{
	u128 low = FRAMES_LOW_LIMIT / 4096;
	*lo = ~(u128)0;
	*hi = 0;
	for (size_t i = 0; i < n; i++) {
		u128 a = r[i].base / 4096, b = a + r[i].pages;
		if (r[i].type != BOOT_MEM_USABLE || !r[i].pages || b <= low)
			continue;
		if (a < low)
			a = low;
		if (a < *lo)
			*lo = a;
		if (b > *hi)
			*hi = b;
	}
	if (*hi == 0)
		*lo = 0;
}

static bool is_live(const uint64_t *live, unsigned n, uint64_t phys)
{
	for (unsigned i = 0; i < n; i++)
		if (live[i] == phys)
			return true;
	return false;
}

static void run_frames(struct fz *f, const struct boot_mem_region *orig, size_t n, uint64_t heap)
{
	struct boot_mem_region *r = malloc(n * sizeof(*r));
	struct world w = { orig, r, n, { 0, 0 }, { 0, 0 }, 0 };
	struct frame_pool fp;
	uint64_t meta, usable, live[MAX_LIVE], phys;
	u128 lo, hi;
	unsigned nlive = 0, c;
	const char *why = NULL;
	void *buf;

	CHECK(r, "out of memory");
	memcpy(r, orig, n * sizeof(*r));
	/* The frames the pool must index: usable, above 1 MiB, lowest to highest. */
	span_of(r, n, &lo, &hi);
	meta = frames_meta_bytes(r, n);
	if (hi - lo > ((u128)1 << 32)) {
		/* More than 32-bit frame indices reach: the allocator must refuse
		 * (frames.c sizes the metadata 0 then; an older frames.c sized it
		 * for real, far beyond META_CAP), and write nothing. */
		uint8_t probe = 0x5a;
		CHECK(meta == 0 || meta > META_CAP, "metadata %llu B for %llu frames",
		      (unsigned long long)meta, (unsigned long long)(hi - lo));
		CHECK(frames_init(&fp, r, n, &probe, meta ? 1 : 0, &why) == -1 && why,
		      "frames_init took a map of %llu frames", (unsigned long long)(hi - lo));
		CHECK(probe == 0x5a, "a refused frames_init wrote the metadata");
		free(r);
		return;
	}
	CHECK(meta == (uint64_t)(hi - lo) * (sizeof(struct frame) + sizeof(uint32_t)),
	      "metadata %llu B for frames [0x%llx, 0x%llx)", (unsigned long long)meta,
	      (unsigned long long)lo, (unsigned long long)hi);
	if (meta > META_CAP) {
		free(r);
		return;
	}
	/* As memory_init(): the metadata, then the heap, off the top. */
	for (c = 0; c < 2; c++) {
		uint64_t bytes = c ? heap * 4096 : meta, at, pages = (bytes + 4095) / 4096;
		size_t i;
		bool found = false;
		if (frames_carve(r, n, bytes, &at))
			break;
		for (i = 0; i < n; i++)
			if (orig[i].type == BOOT_MEM_USABLE && at >= orig[i].base &&
			    (u128)at + (u128)pages * 4096 <= end128(&orig[i]))
				found = true;
		CHECK(found, "carve %u: 0x%llx + %llu pages is not inside a usable region", c,
		      (unsigned long long)at, (unsigned long long)pages);
		CHECK(at >= FRAMES_LOW_LIMIT && !(at % 4096), "carve %u at 0x%llx", c,
		      (unsigned long long)at);
		for (i = 0; i < w.ncarve; i++)
			CHECK(w.carve_end[i] <= at || (u128)at + (u128)pages * 4096 <= w.carve[i],
			      "the carves overlap");
		w.carve[c] = at;
		w.carve_end[c] = (u128)at + (u128)pages * 4096;
		w.ncarve++;
	}
	CHECK(frames_meta_bytes(r, n) <= meta, "carving grew the metadata");
	buf = malloc(meta ? meta : 1);
	CHECK(buf, "out of memory");
	usable = count_usable(r, n);
	memset(&fp, 0, sizeof(fp));
	if (frames_init(&fp, r, n, buf, meta, &why)) {
		CHECK(why && usable * 4096 < FRAMES_MIN_USABLE,
		      "frames_init refused %llu usable frames: %s", (unsigned long long)usable,
		      why ? why : "(no reason)");
		free(buf);
		free(r);
		return;
	}
	CHECK(usable * 4096 >= FRAMES_MIN_USABLE, "frames_init accepted %llu usable frames",
	      (unsigned long long)usable);
	CHECK(fp.nusable == usable && fp.nfree == usable, "pool: %llu usable, %llu free; map: %llu",
	      (unsigned long long)fp.nusable, (unsigned long long)fp.nfree, (unsigned long long)usable);

	while (f->n) {
		uint8_t b = fz_u8(f);
		struct frame *m;
		switch (b & 3) {
		case 0: case 1: /* alloc */
			if (frames_alloc(&fp, (uint16_t)(FRAME_KERNEL + (b >> 2) % 4), &phys)) {
				CHECK(fp.nfree == 0, "alloc failed with %llu free", (unsigned long long)fp.nfree);
				break;
			}
			check_frame(&w, phys);
			CHECK(!is_live(live, nlive, phys), "frame 0x%llx handed out twice",
			      (unsigned long long)phys);
			m = frames_meta(&fp, phys);
			CHECK(m && m->ref == 1 && m->state == FRAME_KERNEL + (b >> 2) % 4,
			      "frame 0x%llx: metadata not that of a fresh frame", (unsigned long long)phys);
			if (nlive < MAX_LIVE)
				live[nlive++] = phys;
			else
				CHECK(frames_free(&fp, phys) == 0, "free of a fresh frame failed");
			break;
		case 2: /* free a live frame, then again */
			if (!nlive)
				break;
			c = fz_u16(f) % nlive;
			phys = live[c];
			live[c] = live[--nlive];
			CHECK(frames_free(&fp, phys) == 0, "free of 0x%llx failed", (unsigned long long)phys);
			m = frames_meta(&fp, phys);
			CHECK(m && m->state == FRAME_FREE && m->ref == 0, "freed frame not FREE");
			CHECK(frames_free(&fp, phys) == -1, "double free of 0x%llx accepted",
			      (unsigned long long)phys);
			break;
		default: { /* a stray address: never allocated, unaligned or outside */
			uint64_t stray = fz_u64(f);
			if (is_live(live, nlive, stray))
				break;
			uint64_t before = fp.nfree;
			CHECK(frames_free(&fp, stray) == -1, "free of stray 0x%llx accepted",
			      (unsigned long long)stray);
			CHECK(fp.nfree == before, "a refused free changed the pool");
			break;
		}
		}
		CHECK(fp.nfree + nlive == fp.nusable,
		      "%llu free + %u allocated != %llu usable", (unsigned long long)fp.nfree, nlive,
		      (unsigned long long)fp.nusable);
	}
	/* A small pool: take every frame; each is new and where it may be. */
	if (fp.nusable <= 65536) {
		uint8_t *seen = calloc(fp.npfn ? fp.npfn : 1, 1);
		uint64_t got = 0;
		CHECK(seen, "out of memory");
		for (unsigned i = 0; i < nlive; i++)
			seen[live[i] / 4096 - fp.base_pfn] = 1;
		while (!frames_alloc(&fp, FRAME_GUEST, &phys)) {
			check_frame(&w, phys);
			CHECK(phys / 4096 >= fp.base_pfn && phys / 4096 - fp.base_pfn < fp.npfn,
			      "frame outside the pool's span");
			CHECK(!seen[phys / 4096 - fp.base_pfn]++, "frame 0x%llx handed out twice",
			      (unsigned long long)phys);
			got++;
		}
		CHECK(got + nlive == fp.nusable, "drained %llu + %u live of %llu usable",
		      (unsigned long long)got, nlive, (unsigned long long)fp.nusable);
		free(seen);
	}
	free(buf);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	struct fz f = { data, size };
	uint8_t mode = fz_u8(&f), files = fz_u8(&f), nreg = fz_u8(&f) % (MAX_REGIONS + 1);
	uint64_t heap = fz_u16(&f), prev_end = 0;
	uint16_t raw_count;
	struct boot_mem_region *r;
	const char *why;
	size_t i, count;

	memset(&bi, 0, sizeof(bi));
	bi.magic = mode & 1 ? BOOT_INFO_MAGIC ^ 1 : BOOT_INFO_MAGIC;
	bi.version = mode & 2 ? BOOT_INFO_VERSION + 1 : BOOT_INFO_VERSION;
	bi.size = mode & 4 ? (uint32_t)sizeof(bi) - 8 : (uint32_t)sizeof(bi);
	bi.kernel_phys = fz_u64(&f);
	bi.kernel_size = fz_u64(&f);
	raw_count = fz_u16(&f);
	if (!(mode & 8)) {
		bi.kernel_phys &= ~((2ull << 20) - 1);
		bi.kernel_size = ((bi.kernel_size % 32) + 1) << 21;
	}
	bi.file_count = files;
	for (i = 0; i < BOOT_MAX_FILES; i++) {
		snprintf(bi.files[i].name, BOOT_NAME_MAX, "file%zu.bin", i);
		bi.files[i].phys = (i + 1) << 12;
	}
	if (mode & 128) {
		if (files % 2)
			memset(bi.files[files % BOOT_MAX_FILES].name, 'x', BOOT_NAME_MAX);
		else
			bi.files[files % BOOT_MAX_FILES].name[0] = 0;
	}
	if (files & 0x40)
		bi.files[files % BOOT_MAX_FILES].phys |= 8; /* unaligned */
	if (mode & 64)
		memset(bi.cmdline, 'c', BOOT_CMDLINE_MAX);

	count = (mode & 32) ? (raw_count < nreg ? raw_count : nreg) : nreg;
	bi.region_count = (mode & 32) ? raw_count : nreg;
	if (bi.region_count > count)
		bi.region_count = (uint32_t)count; /* the loader's array has count entries */
	r = malloc((count ? count : 1) * sizeof(*r));
	CHECK(r, "out of memory");
	for (i = 0; i < nreg; i++) {
		uint64_t base = fz_u64(&f), pages = fz_u64(&f);
		uint8_t type = fz_u8(&f);
		struct boot_mem_region reg;
		if (!((mode & 16) && (type & 4)))
			base &= ~4095ull;
		reg.base = (mode & 16) ? base : prev_end + base;
		reg.pages = pages;
		reg.type = type & 7;
		reg.reserved = 0;
		prev_end = reg.base + reg.pages * 4096;
		if (i < count)
			r[i] = reg;
	}

	why = boot_info_check(&bi, r);
	if (why) {
		free(r);
		return 0;
	}
	/* Accepted: what the check promises. */
	CHECK(bi.region_count > 0 && bi.region_count <= count, "region_count %u", bi.region_count);
	for (i = 0; i < bi.region_count; i++) {
		CHECK(!(r[i].base % 4096) && r[i].pages && r[i].type >= BOOT_MEM_USABLE &&
		      r[i].type <= BOOT_MEM_RESERVED, "region %zu malformed", i);
		CHECK(end128(&r[i]) <= ((u128)1 << 64), "region %zu (0x%llx + %llu pages) ends past 2^64",
		      i, (unsigned long long)r[i].base, (unsigned long long)r[i].pages);
		if (i)
			CHECK(end128(&r[i - 1]) <= r[i].base,
			      "regions %zu (0x%llx + %llu pages) and %zu (0x%llx) overlap", i - 1,
			      (unsigned long long)r[i - 1].base, (unsigned long long)r[i - 1].pages, i,
			      (unsigned long long)r[i].base);
	}
	run_frames(&f, r, bi.region_count, heap);
	free(r);
	return 0;
}
