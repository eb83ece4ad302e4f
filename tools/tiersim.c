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
 * the pass, the zero content's part from the oracle.
 */
#include <stdlib.h>
#include <string.h>

#include "callgrind_marks.h"
#include "compress.h"
#include "dedup_internal.h" /* COBJ_MAX and struct cobj: the engine's bound and header */
#include "tiersim.h"

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

static void codec(struct tiersim *t, const unsigned char **c, uint64_t n)
{
	static unsigned char out[BATCH][ZPOOL_MAX_OBJECT], big[8192], back[4096];
	static uint32_t len[BATCH];
	uint64_t i, j;

	/* Sizes, unbounded: the ratio of everything, and the classes. */
	for (i = 0; i < n; i++) {
		uint32_t b = tier_compress(c[i], big, sizeof(big));
		t->lz4_bytes += b;
		if (b && b <= COBJ_MAX) {
			t->fit++;
			t->fit_bytes += b;
			t->by_class[zpool_class_of(b + (uint32_t)sizeof(struct cobj))]++;
		}
	}
	t->candidates = n;
	/* The CPU, as the engine compresses (its bound stops lz4 early on
	 * what will not fit), in batches: then their decompressions. */
	for (i = 0; i < n; i += BATCH) {
		uint64_t m = n - i < BATCH ? n - i : BATCH;
		struct cost_mark mk;
		cost_open(&mk);
		CALLGRIND_TOGGLE_COLLECT;
		for (j = 0; j < m; j++)
			len[j] = tier_compress(c[i + j], out[j], COBJ_MAX);
		CALLGRIND_TOGGLE_COLLECT;
		cost_close(&mk, &t->compress);
	}
	CALLGRIND_DUMP_STATS_AT("tier: lz4 compress");
	for (i = 0; i < n; i += BATCH) {
		uint64_t m = n - i < BATCH ? n - i : BATCH;
		struct cost_mark mk;
		for (j = 0; j < m; j++)
			len[j] = tier_compress(c[i + j], out[j], COBJ_MAX);
		cost_open(&mk);
		CALLGRIND_TOGGLE_COLLECT;
		for (j = 0; j < m; j++)
			if (len[j] && tier_decompress(out[j], len[j], back))
				len[j] = 0; /* cannot happen: counted below as wrong */
		CALLGRIND_TOGGLE_COLLECT;
		cost_close(&mk, &t->decompress);
		for (j = 0; j < m; j++) /* outside the window: every byte came back */
			if (len[j] && (tier_decompress(out[j], len[j], back) || memcmp(back, c[i + j], 4096)))
				t->wrong++;
	}
	CALLGRIND_DUMP_STATS_AT("tier: lz4 decompress");
}

int tiersim_run(struct dedup *d, struct fake_mem *m, unsigned nvm, const unsigned char *const *data,
		const uint64_t *pages, const struct dedup_recount *o, int patch, struct tiersim *t)
{
	struct dedup_knobs *k = dedup_knobs(d), saved = *k;
	const unsigned char **c;
	uint64_t n, zpages = 0, zvms = 0, before, *lst;
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
	codec(t, c, n);
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
	lst = malloc((t->tiered.pages_compressed + t->tiered.pages_patched + 1) * sizeof(*lst));
	if (!lst)
		return -1;
	for (v = 0; v < nvm; v++)
		for (uint64_t g = 0; g < pages[v]; g++)
			if (!m->vm[v].ept[g].present)
				lst[t->faulted++] = (uint64_t)v << 32 | g;
	cost_open(&mk);
	CALLGRIND_TOGGLE_COLLECT;
	for (uint64_t j = 0; j < t->faulted; j++)
		t->wrong += dedup_fault_in(d, (unsigned)(lst[j] >> 32), lst[j] & 0xffffffffu) != 0;
	CALLGRIND_TOGGLE_COLLECT;
	cost_close(&mk, &t->faults);
	CALLGRIND_DUMP_STATS_AT("tier: engine fault-in");
	free(lst);
	for (v = 0; v < nvm; v++)
		for (uint64_t g = 0; g < pages[v]; g++) {
			const struct fake_pte *e = &m->vm[v].ept[g];
			if (!e->present || memcmp(fake_frame_ptr(m, e->frame), data[v] + g * 4096, 4096))
				t->wrong++;
		}
	*k = saved;
	return t->wrong ? -1 : 0;
}

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
	fprintf(f, ", \"classes\": [");
	for (unsigned i = 0; i < ZPOOL_NCLASSES; i++)
		fprintf(f, "%s{\"slot\": %u, \"objects\": %llu, \"pool_frames\": %llu}", i ? ", " : "",
			zpool_class_slot(i), (unsigned long long)t->by_class[i],
			(unsigned long long)t->cls[i].frames);
	fprintf(f, "]}");
}
