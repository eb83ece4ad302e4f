/*
 * mechanisms.c - savings by mechanism over memory images (dedupsim
 * --mechanisms): the pages each way of saving memory frees, in the order
 * an engine applies them, and what the patches cost.
 *
 *   zero       pages that are all zeros: every one but one frame
 *   identical  non-zero pages whose content an earlier page has (whole-
 *              page sharing: Barker et al.'s sharable, zeros apart)
 *   patched    frames left that delta/ stores as a patch of at most 2 KiB
 *              against another frame (its default similarity keys, greedy
 *              in scan order, tools/patchsim.c): a frame saved less the
 *              patch's bytes
 *
 * Each row is filled by a function of its own, so that compressed pages
 * (issue 20) add a row without touching these.  The patched row also
 * gives the patch-size distribution and the cost per page: keys and
 * lookup and patch attempts per frame left (process CPU), and a decode of
 * every patch, checked against its page and timed.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mechanisms.h"
#include "patchsim.h"

struct mechanisms {
	struct patch_corpus c;
	struct patch_sim p;
	double decode_us;      /* per patched page */
	uint64_t decode_bad;   /* patches that did not rebuild their page */
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static struct delta_work work;

/* The patched row: patchsim with delta/'s defaults, then every patch
 * made again, and all of them decoded in one timed window (a clock read
 * per decode would cost as much as the decode), each compared with its
 * page after the window. */
static int measure_patched(struct mechanisms *m)
{
	unsigned char *patches, *rebuilt;
	uint32_t *len;
	uint64_t i, np;
	double t0;

	m->p = (struct patch_sim){ .schemes = &delta_sim_default, .nschemes = 1, .max_candidates = 4,
				   .enc = patch_encode_copyins, .enc_ctx = &work, .cap = DELTA_MAX_PATCH,
				   .keep_pairs = 1 };
	if (patch_sim_run(&m->c, &m->p))
		return -1;
	np = m->p.npairs;
	patches = malloc(np * DELTA_MAX_PATCH + 1);
	rebuilt = malloc(np * DELTA_PAGE_SIZE + 1);
	len = malloc(np * sizeof(*len) + 1);
	if (!patches || !rebuilt || !len) {
		free(patches);
		free(rebuilt);
		free(len);
		return -1;
	}
	for (i = 0; i < np; i++) {
		const struct patch_pair *q = &m->p.pairs[i];
		int n = delta_encode(&work, patch_page(&m->c, q->vm, q->gfn),
				     patch_page(&m->c, q->ref_vm, q->ref_gfn), patches + i * DELTA_MAX_PATCH,
				     DELTA_MAX_PATCH);
		len[i] = n > 0 ? (uint32_t)n : 0;
	}
	memset(rebuilt, 0, np * DELTA_PAGE_SIZE); /* its page faults outside the window */
	t0 = now();
	for (i = 0; i < np; i++) {
		const struct patch_pair *q = &m->p.pairs[i];
		if (!len[i] || delta_decode(patch_page(&m->c, q->ref_vm, q->ref_gfn),
					    patches + i * DELTA_MAX_PATCH, len[i], rebuilt + i * DELTA_PAGE_SIZE))
			len[i] = 0;
	}
	m->decode_us = np ? 1e6 * (now() - t0) / np : 0;
	for (i = 0; i < np; i++) {
		const struct patch_pair *q = &m->p.pairs[i];
		if (!len[i] || memcmp(rebuilt + i * DELTA_PAGE_SIZE, patch_page(&m->c, q->vm, q->gfn),
				      DELTA_PAGE_SIZE))
			m->decode_bad++;
	}
	free(patches);
	free(rebuilt);
	free(len);
	return 0;
}

struct mechanisms *mechanisms_measure(unsigned n, const unsigned char *const *img, const uint64_t *sizes)
{
	struct mechanisms *m = calloc(1, sizeof(*m));
	uint64_t pages[PATCHSIM_MAX_IMAGES];

	if (!m || n > PATCHSIM_MAX_IMAGES) {
		free(m);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++)
		pages[i] = sizes[i] / DELTA_PAGE_SIZE;
	if (patch_corpus_init(&m->c, n, img, pages)) {
		free(m);
		return NULL;
	}
	if (measure_patched(m)) {
		mechanisms_free(m);
		return NULL;
	}
	return m;
}

void mechanisms_free(struct mechanisms *m)
{
	if (!m)
		return;
	free(m->p.pairs);
	patch_corpus_free(&m->c);
	free(m);
}

/* Pages saved by each row, in order: zero, identical, patched. */
enum { ROW_ZERO, ROW_IDENTICAL, ROW_PATCHED, NROWS };
static const char *const row_name[NROWS] = { "zero", "identical", "patched" };

static void row_savings(const struct mechanisms *m, double saved[NROWS], uint64_t pages[NROWS])
{
	pages[ROW_ZERO] = m->c.zero;
	saved[ROW_ZERO] = m->c.zero ? (double)m->c.zero - 1 : 0;
	pages[ROW_IDENTICAL] = m->c.identical;
	saved[ROW_IDENTICAL] = (double)m->c.identical;
	pages[ROW_PATCHED] = m->p.patched;
	saved[ROW_PATCHED] = patch_sim_saved_pages(&m->p);
}

void mechanisms_print(FILE *f, const struct mechanisms *m)
{
	double saved[NROWS], cum = 0, total = (double)m->c.total, nonzero = (double)(m->c.total - m->c.zero);
	uint64_t pages[NROWS];

	row_savings(m, saved, pages);
	fprintf(f, "savings by mechanism (%llu pages; patches: delta/'s default keys, <= %u B):\n",
		(unsigned long long)m->c.total, DELTA_MAX_PATCH);
	fprintf(f, "  %-12s %10s %12s %8s %11s\n", "mechanism", "pages", "pages saved", "of all", "cumulative");
	for (unsigned r = 0; r < NROWS; r++) {
		cum += saved[r];
		fprintf(f, "  %-12s %10llu %12.0f %7.2f%% %10.2f%%\n", row_name[r], (unsigned long long)pages[r],
			saved[r], 100 * saved[r] / total, 100 * cum / total);
	}
	fprintf(f, "  %-12s %10llu  (whole frames kept; the patches' references among them)\n", "frames left",
		(unsigned long long)(m->c.distinct - m->p.patched + (m->c.zero ? 1 : 0)));
	fprintf(f, "  patched: %.2f%% of the %llu frames whole-page sharing leaves; mean patch %.0f B; "
		"index %.1f B per frame\n", m->c.distinct ? 100.0 * m->p.patched / m->c.distinct : 0,
		(unsigned long long)m->c.distinct, m->p.patched ? (double)m->p.patch_bytes / m->p.patched : 0,
		m->c.distinct ? (double)m->p.index_bytes / m->c.distinct : 0);
	fprintf(f, "  patch sizes:");
	for (unsigned i = 0; i < PATCHSIM_HIST; i++)
		fprintf(f, " <=%u: %.1f%%", (i + 1) * 256, m->p.patched ? 100.0 * m->p.hist[i] / m->p.patched : 0);
	fprintf(f, "\n  cost: keys and lookup %.2f us and patch attempts %.2f us per frame left (%.2f tries "
		"each); decode %.2f us per patched page (%llu decoded, %llu wrong)\n",
		m->c.distinct ? 1e6 * m->p.seconds_keys / m->c.distinct : 0,
		m->c.distinct ? 1e6 * m->p.seconds_encode / m->c.distinct : 0,
		m->c.distinct ? (double)m->p.tried / m->c.distinct : 0, m->decode_us,
		(unsigned long long)m->p.npairs, (unsigned long long)m->decode_bad);
	fprintf(f, "  beside Difference Engine (OSDI'08, its worked example): sharing alone 50%%, with patches 77%%\n");
	fprintf(f, "  here: sharing alone %.2f%%, with patches %.2f%%; of the non-zero pages: identical %.2f%%, "
		"with patches %.2f%%\n", 100 * (saved[ROW_ZERO] + saved[ROW_IDENTICAL]) / total, 100 * cum / total,
		nonzero > 0 ? 100 * saved[ROW_IDENTICAL] / nonzero : 0,
		nonzero > 0 ? 100 * (saved[ROW_IDENTICAL] + saved[ROW_PATCHED]) / nonzero : 0);
}

void mechanisms_json(FILE *f, const struct mechanisms *m)
{
	double saved[NROWS];
	uint64_t pages[NROWS];

	row_savings(m, saved, pages);
	fprintf(f, "\"mechanisms\": {\"rows\": [");
	for (unsigned r = 0; r < NROWS; r++)
		fprintf(f, "%s{\"mechanism\": \"%s\", \"pages\": %llu, \"pages_saved\": %.0f}", r ? ", " : "",
			row_name[r], (unsigned long long)pages[r], saved[r]);
	fprintf(f, "], \"frames_after_sharing\": %llu, \"patch_bytes\": %llu, \"patch_hist_256\": [",
		(unsigned long long)m->c.distinct, (unsigned long long)m->p.patch_bytes);
	for (unsigned i = 0; i < PATCHSIM_HIST; i++)
		fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)m->p.hist[i]);
	fprintf(f, "], \"index_bytes\": %llu, \"tries\": %llu, \"keys_seconds\": %.6f, \"encode_seconds\": %.6f, "
		"\"decode_us\": %.3f, \"decode_wrong\": %llu}", (unsigned long long)m->p.index_bytes,
		(unsigned long long)m->p.tried, m->p.seconds_keys, m->p.seconds_encode, m->decode_us,
		(unsigned long long)m->decode_bad);
}
