/*
 * fuzz_recount.c - dedup/recount.c's dedup_recount() and tools/oracle.c's
 * oracle_compute() against a brute-force count.
 *
 * Feeds: u8 shape (VMs: shape % 5, 0 to 4; chunk: 4096, 2048, 1024 or 512
 * by (shape >> 3) & 3), then per VM u8 pages (% 6) and u16 tail (bytes of
 * a partial page the oracle must ignore), then per page u16 blocks (the
 * content id, 0 to 3, of each of its eight 512-byte blocks, 0 = zeros) and
 * u8 tweak (non-zero: byte tweak * 16 % 4096 of the page becomes 0xFF), so
 * that pages and chunks repeat within and across VMs, and differ by one
 * byte at chosen places.
 * Checks: every field of struct dedup_recount (totals, zeros, distinct
 * contents, sharable with and without zeros, self and inter-VM sharing,
 * per-VM pages, zeros, distinct and self, the most copies of one content
 * and whether that content is zero) equals a count made by comparing
 * every chunk with every earlier one; oracle_compute() over the same pages
 * laid out as images (with the partial tail) agrees with dedup_recount().
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "oracle.h"
#include "recount.h"

#define MAXVM    4
#define MAXPAGES 5

static unsigned char *img[MAXVM];
static uint64_t npages[MAXVM];

static const unsigned char *page_of(void *ctx, unsigned v, uint64_t p)
{
	(void)ctx;
	return img[v] + p * 4096;
}

static bool zero(const unsigned char *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

struct chunk { const unsigned char *p; unsigned vm; };

static void brute(struct chunk *c, uint64_t n, unsigned nvm, unsigned size, struct dedup_recount *o)
{
	memset(o, 0, sizeof(*o));
	o->vm = calloc(MAXVM, sizeof(*o->vm));
	CHECK(o->vm, "out of memory");
	o->pages_total = n;
	for (uint64_t i = 0; i < n; i++) {
		bool seen = false, seen_here = false;
		uint64_t copies = 0;
		bool vms[MAXVM] = { false };
		unsigned k = 0;
		o->vm[c[i].vm].pages++;
		if (zero(c[i].p, size)) {
			o->pages_zero++;
			o->vm[c[i].vm].zero++;
		}
		for (uint64_t j = 0; j < i; j++)
			if (!memcmp(c[i].p, c[j].p, size)) {
				seen = true;
				seen_here |= c[j].vm == c[i].vm;
			}
		if (!seen_here)
			o->vm[c[i].vm].distinct++;
		else
			o->vm[c[i].vm].self++;
		if (seen)
			continue;
		/* The first of its content: count its copies and the VMs holding it. */
		o->pages_unique++;
		for (uint64_t j = i; j < n; j++)
			if (!memcmp(c[i].p, c[j].p, size)) {
				copies++;
				if (!vms[c[j].vm])
					vms[c[j].vm] = true, k++;
			}
		o->inter_sharing += k - 1;
		if (copies > o->max_copies)
			o->max_copies = copies;
	}
	o->sharable = o->pages_total - o->pages_unique;
	o->sharable_nonzero = o->sharable - (o->pages_zero ? o->pages_zero - 1 : 0);
	for (unsigned v = 0; v < nvm; v++)
		o->self_sharing += o->vm[v].self;
}

static void compare(const struct dedup_recount *a, const struct dedup_recount *b, unsigned nvm,
		    const char *what)
{
#define SAME(f) CHECK(a->f == b->f, "%s: " #f " %llu, expected %llu", what, \
		      (unsigned long long)a->f, (unsigned long long)b->f)
	SAME(pages_total);
	SAME(pages_zero);
	SAME(pages_unique);
	SAME(sharable);
	SAME(sharable_nonzero);
	SAME(self_sharing);
	SAME(inter_sharing);
	SAME(max_copies);
	CHECK(a->nvm == nvm, "%s: nvm %u", what, a->nvm);
	for (unsigned v = 0; v < nvm; v++) {
		SAME(vm[v].pages);
		SAME(vm[v].zero);
		SAME(vm[v].distinct);
		SAME(vm[v].self);
	}
#undef SAME
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct chunk c[MAXVM * MAXPAGES * 8];
	struct fz f = { data, size };
	uint8_t shape = fz_u8(&f);
	unsigned nvm = shape % (MAXVM + 1), chunk = 4096u >> ((shape >> 3) & 3), v;
	uint64_t tail[MAXVM] = { 0 }, sizes[MAXVM], n = 0;
	struct dedup_recount got, want, orc;
	bool max_is_zero_ok = false;

	for (v = 0; v < nvm; v++) {
		npages[v] = fz_u8(&f) % (MAXPAGES + 1);
		tail[v] = fz_u16(&f) % 4096;
		sizes[v] = npages[v] * 4096 + tail[v];
		img[v] = malloc(sizes[v] ? sizes[v] : 1);
		CHECK(img[v], "out of memory");
		memset(img[v], 0x77, sizes[v]); /* the tail: never counted */
		for (uint64_t p = 0; p < npages[v]; p++) {
			unsigned char *pg = img[v] + p * 4096;
			uint16_t blocks = fz_u16(&f);
			uint8_t tweak = fz_u8(&f);
			for (unsigned b = 0; b < 8; b++) {
				unsigned id = (blocks >> (2 * b)) & 3;
				memset(pg + b * 512, id ? 0x10 * id + (int)b % 2 : 0, 512);
			}
			if (tweak)
				pg[tweak * 16u % 4096] = 0xFF;
		}
		for (uint64_t i = 0; i < npages[v] * (4096 / chunk); i++)
			c[n++] = (struct chunk){ img[v] + i * chunk, v };
	}

	CHECK(dedup_recount(page_of, NULL, npages, nvm, chunk, &got) == 0, "dedup_recount failed");
	brute(c, n, nvm, chunk, &want);
	compare(&got, &want, nvm, "dedup_recount");
	/* The content with the most copies: zero exactly when zero has that many. */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t copies = 0;
		for (uint64_t j = 0; j < n; j++)
			copies += !memcmp(c[i].p, c[j].p, chunk);
		if (copies == want.max_copies && zero(c[i].p, chunk) == (got.max_copies_is_zero != 0))
			max_is_zero_ok = true;
	}
	CHECK(n == 0 || max_is_zero_ok, "max_copies_is_zero %d names no content with %llu copies",
	      got.max_copies_is_zero, (unsigned long long)want.max_copies);

	CHECK(oracle_compute((const unsigned char *const *)img, sizes, nvm, chunk, &orc) == 0,
	      "oracle_compute failed");
	compare(&orc, &got, nvm, "oracle_compute");
	CHECK(orc.max_copies_is_zero == got.max_copies_is_zero, "oracle: max_copies_is_zero differs");

	dedup_recount_free(&got);
	dedup_recount_free(&orc);
	free(want.vm);
	for (v = 0; v < nvm; v++)
		free(img[v]);
	return 0;
}
