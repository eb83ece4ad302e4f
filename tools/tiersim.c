/*
 * tiersim.c - dedupsim's model of the cold tier (see tiersim.h).
 *
 * Three measurements, each over the engine's own code:
 *   1. lz4 alone (tier/compress.c) on every page the converged engine left
 *      private and not zero: sizes (all of them, and the share that fits
 *      each pool class with the engine's 8-byte header), then the CPU of
 *      compressing each with the engine's bound and of decompressing those
 *      that fit; under callgrind, dumps "tier: lz4 compress" and "tier:
 *      lz4 decompress" count their instructions;
 *   2. the engine's pass with the tier on (dedup_scan: write-protect,
 *      checksum, compress, pool, unmap, free), dump "tier: engine pass";
 *   3. a fault on every compressed page (dedup_fault_in: decompress,
 *      check, map), dump "tier: engine fault-in", after which every page
 *      must read its image's bytes again.
 * The savings by mechanism come from the engine's figures before and after
 * the pass, the zero content's part from the oracle.  Then the same for
 * zstd (tier/zstd_page.c): its sizes and CPU on the same pages (dumps
 * "tier: zstd compress", "tier: zstd decompress"), the engine's passes
 * with zstd on from the start ("tier: engine zstd pass") and a fault on
 * every page again ("tier: engine zstd fault-in").
 */
#include <stdlib.h>
#include <string.h>

#include "callgrind_marks.h"
#include "compress.h"
#include "dedup_internal.h" /* COBJ_MAX and struct cobj: the engine's bound and header */
#include "tiersim.h"
#include "zstd_page.h"

#define BATCH 256 /* pages compressed, then decompressed, per timed window */

/* The pages the converged engine left on frames of their own, not zero:
 * what the tier would compress. */
static const unsigned char **candidates(struct fake_mem *m, unsigned nvm, const uint64_t *pages,
					uint64_t *n)
{
	const unsigned char **c;
	uint64_t total = 0, k = 0;
	for (unsigned v = 0; v < nvm; v++)
		total += pages[v];
	c = malloc((total ? total : 1) * sizeof(*c));
	if (!c)
		return NULL;
	for (unsigned v = 0; v < nvm; v++)
		for (uint64_t g = 0; g < pages[v]; g++) {
			const struct fake_pte *e = &m->vm[v].ept[g];
			const unsigned char *p;
			if (!e->present || m->mapcount[e->frame] != 1)
				continue;
			p = fake_frame_ptr(m, e->frame);
			if (p[0] || memcmp(p, p + 1, 4095)) /* not zero */
				c[k++] = p;
		}
	*n = k;
	return c;
}

/* One codec's figures (lz4's or zstd's fields of struct tiersim). */
struct codec_run {
	uint32_t (*compress)(const void *page, void *out, uint32_t cap);
	int (*decompress)(const void *in, uint32_t len, void *page);
	const char *dump_compress, *dump_decompress; /* callgrind's dump names */
	uint64_t *bytes, *fit, *fit_bytes, *by_class;
	struct cost *ccost, *dcost;
};

static void codec(struct tiersim *t, const struct codec_run *r, const unsigned char **c, uint64_t n)
{
	static unsigned char out[BATCH][ZPOOL_MAX_OBJECT], big[8192], back[4096];
	static uint32_t len[BATCH];
	uint64_t i, j;

	/* Sizes, unbounded: the ratio of everything (a page that does not
	 * compress at all counts whole), and the classes. */
	for (i = 0; i < n; i++) {
		uint32_t b = r->compress(c[i], big, sizeof(big));
		*r->bytes += b ? b : 4096;
		if (b && b <= COBJ_MAX) {
			(*r->fit)++;
			*r->fit_bytes += b;
			r->by_class[zpool_class_of(b + (uint32_t)sizeof(struct cobj))]++;
		}
	}
	/* The CPU, as the engine compresses (its bound stops the codec early
	 * on what will not fit), in batches: then their decompressions. */
	for (i = 0; i < n; i += BATCH) {
		uint64_t m = n - i < BATCH ? n - i : BATCH;
		struct cost_mark mk;
		cost_open(&mk);
		CALLGRIND_TOGGLE_COLLECT;
		for (j = 0; j < m; j++)
			len[j] = r->compress(c[i + j], out[j], COBJ_MAX);
		CALLGRIND_TOGGLE_COLLECT;
		cost_close(&mk, r->ccost);
	}
	CALLGRIND_DUMP_STATS_AT(r->dump_compress);
	for (i = 0; i < n; i += BATCH) {
		uint64_t m = n - i < BATCH ? n - i : BATCH;
		struct cost_mark mk;
		for (j = 0; j < m; j++)
			len[j] = r->compress(c[i + j], out[j], COBJ_MAX);
		cost_open(&mk);
		CALLGRIND_TOGGLE_COLLECT;
		for (j = 0; j < m; j++)
			if (len[j] && r->decompress(out[j], len[j], back))
				len[j] = 0; /* cannot happen: counted below as wrong */
		CALLGRIND_TOGGLE_COLLECT;
		cost_close(&mk, r->dcost);
		for (j = 0; j < m; j++) /* outside the window: every byte came back */
			if (len[j] && (r->decompress(out[j], len[j], back) || memcmp(back, c[i + j], 4096)))
				t->wrong++;
	}
	CALLGRIND_DUMP_STATS_AT(r->dump_decompress);
}

/* A fault on every page not present, in one window (its cost); the count. */
static uint64_t fault_all(struct dedup *d, struct fake_mem *m, unsigned nvm, const uint64_t *pages,
			  struct tiersim *t, struct cost *cost)
{
	uint64_t *lst, n = 0, j;
	struct cost_mark mk;
	unsigned v;

	lst = malloc((t->tiered.pages_compressed + t->tiered.pages_patched + t->zstd.pages_compressed +
		      t->zstd.pages_patched + 1) * sizeof(*lst));
	if (!lst)
		return 0;
	for (v = 0; v < nvm; v++)
		for (uint64_t g = 0; g < pages[v]; g++)
			if (!m->vm[v].ept[g].present)
				lst[n++] = (uint64_t)v << 32 | g;
	cost_open(&mk);
	CALLGRIND_TOGGLE_COLLECT;
	for (j = 0; j < n; j++)
		t->wrong += dedup_fault_in(d, (unsigned)(lst[j] >> 32), lst[j] & 0xffffffffu) != 0;
	CALLGRIND_TOGGLE_COLLECT;
	cost_close(&mk, cost);
	free(lst);
	return n;
}

/* Every page must read its image's bytes (all present after fault_all). */
static void check_all(struct fake_mem *m, unsigned nvm, const unsigned char *const *data,
		      const uint64_t *pages, struct tiersim *t)
{
	for (unsigned v = 0; v < nvm; v++)
		for (uint64_t g = 0; g < pages[v]; g++) {
			const struct fake_pte *e = &m->vm[v].ept[g];
			if (!e->present || memcmp(fake_frame_ptr(m, e->frame), data[v] + g * 4096, 4096))
				t->wrong++;
		}
}

int tiersim_run(struct dedup *d, struct fake_mem *m, unsigned nvm, const unsigned char *const *data,
		const uint64_t *pages, const struct dedup_recount *o, int patch, struct tiersim *t)
{
	struct dedup_knobs *k = dedup_knobs(d), saved = *k;
	const unsigned char **c;
	uint64_t n, zpages = 0, zvms = 0, before;
	struct cost_mark mk;
	unsigned v, i;

	memset(t, 0, sizeof(*t));
	for (v = 0; v < nvm; v++) {
		zpages += o->vm[v].zero;
		zvms += o->vm[v].zero != 0;
	}
	if (zpages) {
		t->zero_saved = zpages - 1;
		t->zero_self = zpages - zvms;
		t->zero_inter = zvms - 1;
	}
	c = candidates(m, nvm, pages, &n);
	if (!c)
		return -1;
	{
		const struct codec_run lz4 = { tier_compress, tier_decompress, "tier: lz4 compress",
					       "tier: lz4 decompress", &t->lz4_bytes, &t->fit,
					       &t->fit_bytes, t->by_class, &t->compress, &t->decompress };
		const struct codec_run zstd = { tier_zstd_compress, tier_zstd_decompress,
						"tier: zstd compress", "tier: zstd decompress",
						&t->zstd_bytes, &t->zfit, &t->zfit_bytes, t->zby_class,
						&t->zcompress, &t->zdecompress };
		t->candidates = n;
		codec(t, &lz4, c, n);
		codec(t, &zstd, c, n);
	}
	free(c);

	/* The engine's pass: everything is cold (an image has no A bits). */
	dedup_get_stats(d, &t->shared);
	t->frames_shared = dedup_frames_in_use(d);
	k->cold_ticks = 1;
	k->pool_max_frames = UINT64_MAX;
	k->compress_per_step = 0;
	t->patch = patch;
	if (patch) {
		uint64_t all = 0;
		for (v = 0; v < nvm; v++)
			all += pages[v];
		k->patch_refs_max = all / DEDUP_PATCH_REFS_SHARE;
	}
	dedup_clock(d, 1u << 20); /* long after the scans so far, stamped 0 */
	cost_open(&mk); /* one full scan compresses them all; it alone is measured */
	CALLGRIND_TOGGLE_COLLECT;
	while (dedup_scan(d, 1u << 20) == 1u << 20)
		;
	CALLGRIND_TOGGLE_COLLECT;
	cost_close(&mk, &t->pass);
	CALLGRIND_DUMP_STATS_AT("tier: engine pass");
	dedup_get_stats(d, &t->tiered);
	t->first_pass = t->tiered.compressions - t->shared.compressions +
			t->tiered.patches - t->shared.patches; /* pages the pass kept in the pool */
	do { /* the next pass must find nothing more */
		before = t->tiered.compressions;
		while (dedup_scan(d, 1u << 20) == 1u << 20)
			;
		dedup_get_stats(d, &t->tiered);
	} while (t->tiered.compressions != before);
	t->frames_tiered = dedup_frames_in_use(d);
	t->index_bytes = dedup_metadata_bytes(d) - t->shared.metadata_bytes;
	for (i = 0; i < ZPOOL_NCLASSES && i < dedup_tier_classes(); i++)
		dedup_tier_class(d, i, &t->cls[i]);

	/* A fault on every compressed page, in one window; then every page
	 * must read its image's bytes. */
	t->faulted = fault_all(d, m, nvm, pages, t, &t->faults);
	CALLGRIND_DUMP_STATS_AT("tier: engine fault-in");
	check_all(m, nvm, data, pages, t);

	/* zstd on from the start: the pages lz4 could not fit forget it (the
	 * engine marks them until written; here zstd was off), every page
	 * becomes cold again (a scan to age it, the clock far on), a pass
	 * compresses, and the passes after it remake lz4's objects in zstd
	 * (every page has idled past zstd_ticks) until nothing changes. */
	for (v = 0; v < nvm; v++)
		for (uint64_t g = 0; g < pages[v]; g++)
			d->vm[v].age[g] &= (uint8_t)~AGE_NOCOMP;
	k->zstd_ticks = 1;
	while (dedup_scan(d, 1u << 20) == 1u << 20)
		;
	dedup_clock(d, 2u << 20);
	cost_open(&mk);
	CALLGRIND_TOGGLE_COLLECT;
	do {
		dedup_get_stats(d, &t->zstd);
		before = t->zstd.compressions + t->zstd.zstd_recompressed + t->zstd.patches;
		dedup_clock(d, d->now + (1u << 20));
		while (dedup_scan(d, 1u << 20) == 1u << 20)
			;
		dedup_get_stats(d, &t->zstd);
	} while (t->zstd.compressions + t->zstd.zstd_recompressed + t->zstd.patches != before);
	CALLGRIND_TOGGLE_COLLECT;
	cost_close(&mk, &t->zpass);
	CALLGRIND_DUMP_STATS_AT("tier: engine zstd pass");
	t->frames_zstd = dedup_frames_in_use(d);
	t->zfaulted = fault_all(d, m, nvm, pages, t, &t->zfaults);
	CALLGRIND_DUMP_STATS_AT("tier: engine zstd fault-in");
	check_all(m, nvm, data, pages, t);
	*k = saved;
	return t->wrong ? -1 : 0;
}

static void tiersim_print_zstd(FILE *f, const struct tiersim *t, uint64_t pages);
static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0; }
static double per_us(double s, uint64_t n) { return n ? s * 1e6 / (double)n : 0; }

void tiersim_print(FILE *f, const struct tiersim *t, uint64_t pages)
{
	const struct dedup_stats *a = &t->shared, *b = &t->tiered;
	uint64_t nz_self = a->self_sharing - t->zero_self, nz_inter = a->inter_sharing - t->zero_inter;
	uint64_t comp_saved = b->pages_compressed + b->pages_patched - b->pool_frames - b->ref_unmapped;
	uint64_t total = a->frames_saved + comp_saved;

	fprintf(f, "cold tier (dedup/tier.c, tier/: lz4 1.9.4, objects <= 2 KiB in %u classes):\n"
		"  every page treated as cold: a memory image has no accessed bits (in the hypervisor\n"
		"  only pages idle for dedup.cold_s compress, so this is the most the tier can take)\n",
		ZPOOL_NCLASSES);
	fprintf(f, "  savings by mechanism, of %llu pages:          pages saved   of all\n",
		(unsigned long long)pages);
	fprintf(f, "    zero pages (one zero frame)                %12llu  %6.2f%%\n",
		(unsigned long long)t->zero_saved, pct(t->zero_saved, pages));
	fprintf(f, "    identical, non-zero: self-sharing          %12llu  %6.2f%%\n",
		(unsigned long long)nz_self, pct(nz_self, pages));
	fprintf(f, "    identical, non-zero: inter-VM              %12llu  %6.2f%%\n",
		(unsigned long long)nz_inter, pct(nz_inter, pages));
	if (t->patch)
		fprintf(f, "    compressed %llu, patched %llu, in %llu frames %8llu  %6.2f%%\n",
			(unsigned long long)b->pages_compressed, (unsigned long long)b->pages_patched,
			(unsigned long long)b->pool_frames, (unsigned long long)comp_saved,
			pct(comp_saved, pages));
	else
		fprintf(f, "    compressed: %llu pages in %llu frames     %12llu  %6.2f%%\n",
			(unsigned long long)b->pages_compressed, (unsigned long long)b->pool_frames,
			(unsigned long long)comp_saved, pct(comp_saved, pages));
	fprintf(f, "    all                                        %12llu  %6.2f%%  (sharing alone %.2f%%)\n",
		(unsigned long long)total, pct(total, pages), pct(a->frames_saved, pages));
	fprintf(f, "  frames in use: %llu after sharing, %llu with the tier (%.1f MiB -> %.1f MiB)\n",
		(unsigned long long)t->frames_shared, (unsigned long long)t->frames_tiered,
		t->frames_shared / 256.0, t->frames_tiered / 256.0);
	fprintf(f, "  left private: %llu non-zero pages, %llu of them did not fit 2 KiB (not compressed)\n",
		(unsigned long long)t->candidates, (unsigned long long)b->compress_rejected);
	if (t->patch)
		fprintf(f, "  patches: %llu pages, %llu B (mean %.0f B) in %llu slot bytes, against %llu reference "
			"frames (%llu private pages made references, %llu no page maps); %llu reference\n"
			"    candidates indexed, %llu pages looked up with a candidate, %llu patch attempts, %llu "
			"did not rebuild their page; index and tables %.1f KiB\n",
			(unsigned long long)b->pages_patched, (unsigned long long)b->patch_bytes,
			b->pages_patched ? (double)b->patch_bytes / b->pages_patched : 0,
			(unsigned long long)b->patch_slots, (unsigned long long)b->ref_frames,
			(unsigned long long)b->refs_made, (unsigned long long)b->ref_unmapped,
			(unsigned long long)b->patch_indexed, (unsigned long long)b->patch_tries,
			(unsigned long long)b->patch_encodes, (unsigned long long)b->patch_races,
			t->index_bytes / 1024.0);
	fprintf(f, "  lz4 on those %llu pages: %.2f:1 all of them; the %llu that fit (%.1f%%): %.2f:1 in "
		"lz4 bytes, %.2f:1 in pool frames\n", (unsigned long long)t->candidates,
		t->lz4_bytes ? 4096.0 * t->candidates / t->lz4_bytes : 0, (unsigned long long)t->fit,
		pct(t->fit, t->candidates), t->fit_bytes ? 4096.0 * t->fit / t->fit_bytes : 0,
		b->pool_frames ? (double)b->pages_compressed / b->pool_frames : 0);
	fprintf(f, "  pool: %llu lz4 bytes in %llu slot bytes in %llu frames: %.1f%% of the frames is "
		"payload (slots %.1f%%; a perfect packing would need %llu frames)\n",
		(unsigned long long)b->compressed_bytes, (unsigned long long)b->compressed_slots,
		(unsigned long long)b->pool_frames, pct(b->compressed_bytes, b->pool_frames * 4096),
		pct(b->compressed_slots, b->pool_frames * 4096),
		(unsigned long long)((b->compressed_bytes + 4095) / 4096));
	fprintf(f, "  the share that fits each class (lz4 + 8-byte header), and the pool's frames:\n"
		"    %6s %5s %9s %7s %8s\n", "slot", "/frame", "objects", "share", "frames");
	for (unsigned i = 0; i < ZPOOL_NCLASSES; i++)
		if (t->by_class[i] || t->cls[i].frames)
			fprintf(f, "    %6u %5u %9llu %6.2f%% %8llu\n", zpool_class_slot(i),
				t->cls[i].per_frame, (unsigned long long)t->by_class[i],
				pct(t->by_class[i], t->fit), (unsigned long long)t->cls[i].frames);
	fprintf(f, "  cost per page, host CPU: lz4 compress %.2f us (to the 2 KiB bound), decompress %.2f us;\n"
		"    the engine's pass %.2f us per page %s, a fault-in %.2f us\n",
		per_us(t->compress.cpu, t->candidates), per_us(t->decompress.cpu, t->fit),
		per_us(t->pass.cpu, t->first_pass), t->patch ? "compressed or patched" : "compressed",
		per_us(t->faults.cpu, t->faulted));
	fprintf(f, "  read back: %llu pages faulted in%s, %llu wrong\n", (unsigned long long)t->faulted,
		t->patch ? " (patched ones rebuilt)" : "", (unsigned long long)t->wrong);
	tiersim_print_zstd(f, t, pages);
}

/* The zstd stage beside lz4 alone. */
static void tiersim_print_zstd(FILE *f, const struct tiersim *t, uint64_t pages)
{
	const struct dedup_stats *a = &t->shared, *b = &t->tiered, *z = &t->zstd;
	uint64_t lz_saved = b->pages_compressed + b->pages_patched - b->pool_frames - b->ref_unmapped;
	uint64_t z_saved = z->pages_compressed + z->pages_patched - z->pool_frames - z->ref_unmapped;
	uint64_t zpass_pages = z->compressions - b->compressions + z->zstd_recompressed +
			       z->patches - b->patches;

	fprintf(f, "  with zstd too (tier/zstd_page.c, level %u; dedup.zstd_s: as if every page had idled\n"
		"  that long): cold pages lz4 cannot fit go to zstd, lz4's objects are remade in zstd\n"
		"  where that takes a smaller slot:\n", TIER_ZSTD_LEVEL);
	fprintf(f, "    compressed %llu (%llu in zstd), patched %llu, in %llu frames %8llu  %6.2f%%  "
		"(lz4 alone %llu, %.2f%%)\n", (unsigned long long)z->pages_compressed,
		(unsigned long long)z->pages_zstd, (unsigned long long)z->pages_patched,
		(unsigned long long)z->pool_frames, (unsigned long long)z_saved, pct(z_saved, pages),
		(unsigned long long)lz_saved, pct(lz_saved, pages));
	fprintf(f, "    all                                        %12llu  %6.2f%%\n",
		(unsigned long long)(a->frames_saved + z_saved), pct(a->frames_saved + z_saved, pages));
	fprintf(f, "  frames in use: %llu after sharing, %llu with lz4, %llu with zstd too (%.1f MiB)\n",
		(unsigned long long)t->frames_shared, (unsigned long long)t->frames_tiered,
		(unsigned long long)t->frames_zstd, t->frames_zstd / 256.0);
	fprintf(f, "  the engine: %llu cold pages lz4 could not fit kept in zstd, %llu lz4 objects remade "
		"smaller, %llu left in lz4, %llu did not fit either\n", (unsigned long long)z->zstd_direct,
		(unsigned long long)z->zstd_recompressed, (unsigned long long)z->zstd_kept,
		(unsigned long long)(z->compress_rejected - b->compress_rejected));
	fprintf(f, "  zstd on the %llu private pages: %.2f:1 all of them; %llu fit (%.1f%%; lz4 %llu): "
		"%.2f:1 in zstd bytes (lz4 %.2f:1 on its own)\n", (unsigned long long)t->candidates,
		t->zstd_bytes ? 4096.0 * t->candidates / t->zstd_bytes : 0, (unsigned long long)t->zfit,
		pct(t->zfit, t->candidates), (unsigned long long)t->fit,
		t->zfit_bytes ? 4096.0 * t->zfit / t->zfit_bytes : 0,
		t->fit_bytes ? 4096.0 * t->fit / t->fit_bytes : 0);
	fprintf(f, "  the share that fits each class, zstd beside lz4 (+ 8-byte header):\n"
		"    %6s %9s %9s\n", "slot", "zstd", "lz4");
	for (unsigned i = 0; i < ZPOOL_NCLASSES; i++)
		if (t->zby_class[i] || t->by_class[i])
			fprintf(f, "    %6u %9llu %9llu\n", zpool_class_slot(i),
				(unsigned long long)t->zby_class[i], (unsigned long long)t->by_class[i]);
	fprintf(f, "  cost per page, host CPU: zstd compress %.2f us (lz4 %.2f), decompress %.2f us "
		"(lz4 %.2f);\n    the engine's zstd passes %.2f us per page compressed or remade, a "
		"fault-in %.2f us\n", per_us(t->zcompress.cpu, t->candidates),
		per_us(t->compress.cpu, t->candidates), per_us(t->zdecompress.cpu, t->zfit),
		per_us(t->decompress.cpu, t->fit), per_us(t->zpass.cpu, zpass_pages),
		per_us(t->zfaults.cpu, t->zfaulted));
}

void tiersim_json(FILE *f, const struct tiersim *t)
{
	const struct dedup_stats *a = &t->shared, *b = &t->tiered;
	fprintf(f, "{\"candidates\": %llu, \"lz4_bytes\": %llu, \"fit\": %llu, \"fit_bytes\": %llu, "
		"\"zero_saved\": %llu, \"zero_self\": %llu, \"zero_inter\": %llu, "
		"\"shared_saved\": %llu, \"self\": %llu, \"inter\": %llu, "
		"\"compressed\": %llu, \"compressed_bytes\": %llu, \"compressed_slots\": %llu, "
		"\"pool_frames\": %llu, \"rejected\": %llu, \"frames_shared\": %llu, \"frames_tiered\": %llu, "
		"\"faulted\": %llu, \"wrong\": %llu, \"patched\": %llu, \"patch_bytes\": %llu, "
		"\"patch_slots\": %llu, \"ref_frames\": %llu, \"refs_made\": %llu, \"first_pass\": %llu, "
		"\"compress\": ",
		(unsigned long long)t->candidates, (unsigned long long)t->lz4_bytes,
		(unsigned long long)t->fit, (unsigned long long)t->fit_bytes,
		(unsigned long long)t->zero_saved, (unsigned long long)t->zero_self,
		(unsigned long long)t->zero_inter, (unsigned long long)a->frames_saved,
		(unsigned long long)a->self_sharing, (unsigned long long)a->inter_sharing,
		(unsigned long long)b->pages_compressed, (unsigned long long)b->compressed_bytes,
		(unsigned long long)b->compressed_slots, (unsigned long long)b->pool_frames,
		(unsigned long long)b->compress_rejected, (unsigned long long)t->frames_shared,
		(unsigned long long)t->frames_tiered, (unsigned long long)t->faulted,
		(unsigned long long)t->wrong, (unsigned long long)b->pages_patched,
		(unsigned long long)b->patch_bytes, (unsigned long long)b->patch_slots,
		(unsigned long long)b->ref_frames, (unsigned long long)b->refs_made,
		(unsigned long long)t->first_pass);
	cost_json(f, &t->compress);
	fprintf(f, ", \"decompress\": ");
	cost_json(f, &t->decompress);
	fprintf(f, ", \"pass\": ");
	cost_json(f, &t->pass);
	fprintf(f, ", \"faults\": ");
	cost_json(f, &t->faults);
	fprintf(f, ", \"zstd\": {\"bytes\": %llu, \"fit\": %llu, \"fit_bytes\": %llu, \"compressed\": %llu, "
		"\"pages_zstd\": %llu, \"zstd_bytes\": %llu, \"patched\": %llu, \"pool_frames\": %llu, "
		"\"frames\": %llu, \"direct\": %llu, \"recompressed\": %llu, \"kept\": %llu, "
		"\"faulted\": %llu, \"compress\": ", (unsigned long long)t->zstd_bytes,
		(unsigned long long)t->zfit, (unsigned long long)t->zfit_bytes,
		(unsigned long long)t->zstd.pages_compressed, (unsigned long long)t->zstd.pages_zstd,
		(unsigned long long)t->zstd.zstd_bytes, (unsigned long long)t->zstd.pages_patched,
		(unsigned long long)t->zstd.pool_frames, (unsigned long long)t->frames_zstd,
		(unsigned long long)t->zstd.zstd_direct, (unsigned long long)t->zstd.zstd_recompressed,
		(unsigned long long)t->zstd.zstd_kept, (unsigned long long)t->zfaulted);
	cost_json(f, &t->zcompress);
	fprintf(f, ", \"decompress\": ");
	cost_json(f, &t->zdecompress);
	fprintf(f, ", \"pass\": ");
	cost_json(f, &t->zpass);
	fprintf(f, ", \"faults\": ");
	cost_json(f, &t->zfaults);
	fprintf(f, "}");
	fprintf(f, ", \"classes\": [");
	for (unsigned i = 0; i < ZPOOL_NCLASSES; i++)
		fprintf(f, "%s{\"slot\": %u, \"objects\": %llu, \"pool_frames\": %llu}", i ? ", " : "",
			zpool_class_slot(i), (unsigned long long)t->by_class[i],
			(unsigned long long)t->cls[i].frames);
	fprintf(f, "]}");
}
