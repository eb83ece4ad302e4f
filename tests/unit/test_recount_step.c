/*
 * test_recount_step.c - the stepped recount (dedup/recount.c) against the
 * one-shot dedup_recount() and against a count by brute force, on random
 * sets of VMs whose pages repeat within and across them; each step stays
 * within its budget (page reads, units, the sort's compares, entries looked
 * at for the ends of runs); a page that cannot be read fails the run,
 * which frees everything (ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recount.h"

#define MAXVM 5
#define MAXPAGES 300

struct set {
	unsigned nvm;
	uint64_t pages[MAXVM];
	unsigned char *mem[MAXVM];
	uint64_t reads;        /* page() calls */
	int64_t fail_at;       /* page() returns NULL at this call (-1: never) */
};

static uint64_t rnd_state;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static const unsigned char *page_of(void *ctx, unsigned v, uint64_t p)
{
	struct set *s = ctx;
	assert_true(v < s->nvm && p < s->pages[v]);
	if (s->fail_at >= 0 && (int64_t)s->reads == s->fail_at) {
		s->reads++;
		return NULL;
	}
	s->reads++;
	return s->mem[v] + p * 4096;
}

/* A set of nvm VMs whose pages come from a pool of `kinds` contents (0:
 * zeros); each 1 KiB quarter of a content is one of a few patterns, so
 * that chunks of 1 and 2 KiB repeat across contents that differ. */
static void make_set(struct set *s, unsigned nvm, unsigned kinds)
{
	memset(s, 0, sizeof(*s));
	s->nvm = nvm;
	s->fail_at = -1;
	for (unsigned v = 0; v < nvm; v++) {
		s->pages[v] = rnd() % MAXPAGES; /* 0 pages too */
		s->mem[v] = malloc(s->pages[v] * 4096 + 1);
		assert_non_null(s->mem[v]);
		for (uint64_t p = 0; p < s->pages[v]; p++) {
			unsigned c = (unsigned)(rnd() % kinds);
			for (unsigned q = 0; q < 4; q++) {
				unsigned char *d = s->mem[v] + p * 4096 + q * 1024;
				unsigned pat = c ? (c * 7 + q * (c & 1)) % 5 : 0;
				memset(d, 0, 1024);
				if (pat)
					for (unsigned i = 0; i < 1024; i += 16)
						d[i] = (unsigned char)(pat * 37 + i / 16);
			}
		}
	}
}

static void free_set(struct set *s)
{
	for (unsigned v = 0; v < s->nvm; v++)
		free(s->mem[v]);
}

static void assert_same(const struct dedup_recount *a, const struct dedup_recount *b)
{
	assert_int_equal(a->chunk, b->chunk);
	assert_int_equal(a->pages_total, b->pages_total);
	assert_int_equal(a->pages_zero, b->pages_zero);
	assert_int_equal(a->pages_unique, b->pages_unique);
	assert_int_equal(a->sharable, b->sharable);
	assert_int_equal(a->sharable_nonzero, b->sharable_nonzero);
	assert_int_equal(a->self_sharing, b->self_sharing);
	assert_int_equal(a->inter_sharing, b->inter_sharing);
	assert_int_equal(a->max_copies, b->max_copies);
	assert_int_equal(a->max_copies_is_zero, b->max_copies_is_zero);
	assert_int_equal(a->nvm, b->nvm);
	for (unsigned v = 0; v < a->nvm; v++) {
		assert_int_equal(a->vm[v].pages, b->vm[v].pages);
		assert_int_equal(a->vm[v].zero, b->vm[v].zero);
		assert_int_equal(a->vm[v].distinct, b->vm[v].distinct);
		assert_int_equal(a->vm[v].self, b->vm[v].self);
		assert_int_equal(a->vm[v].exclusive, b->vm[v].exclusive);
		assert_int_equal(a->vm[v].pss, b->vm[v].pss);
	}
}

/* By brute force: for each chunk, the copies of its content in the set
 * and in its VM, and whether an earlier chunk (of the set, of its VM)
 * holds it. */
static void brute(const struct set *s, unsigned chunk, struct dedup_recount *o)
{
	uint64_t per = 4096 / chunk, n = 0;
	struct { const unsigned char *p; unsigned v; } *c;

	memset(o, 0, sizeof(*o));
	for (unsigned v = 0; v < s->nvm; v++)
		n += s->pages[v] * per;
	c = malloc((n + 1) * sizeof(*c));
	o->vm = calloc(MAXVM, sizeof(*o->vm));
	assert_non_null(c);
	n = 0;
	for (unsigned v = 0; v < s->nvm; v++)
		for (uint64_t i = 0; i < s->pages[v] * per; i++)
			c[n].p = s->mem[v] + i * chunk, c[n++].v = v;
	o->pages_total = n;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t copies = 0;
		bool earlier = false, earlier_here = false, other_vm = false;
		o->vm[c[i].v].pages++;
		for (uint64_t j = 0; j < n; j++) {
			if (memcmp(c[i].p, c[j].p, chunk))
				continue;
			copies++;
			if (j < i) {
				earlier = true;
				earlier_here |= c[j].v == c[i].v;
			}
			other_vm |= c[j].v != c[i].v;
		}
		o->vm[c[i].v].pss += DEDUP_PSS_ONE / copies;
		if (!earlier)
			o->pages_unique++;
		if (earlier_here)
			o->vm[c[i].v].self++;
		else
			o->vm[c[i].v].distinct++;
		if (!earlier_here && !other_vm)
			o->vm[c[i].v].exclusive++;
		if (!earlier_here && earlier)
			o->inter_sharing++; /* a VM's first copy of a content another VM had first */
	}
	o->sharable = o->pages_total - o->pages_unique;
	for (unsigned v = 0; v < s->nvm; v++)
		o->self_sharing += o->vm[v].self;
	free(c);
}

/* One run in steps of random budgets (1 to maxb units): each step within
 * its budget; then the result. */
static int stepped(struct set *s, unsigned chunk, uint64_t maxb, struct dedup_recount *o,
		   uint64_t *steps)
{
	struct dedup_recount_run *r = dedup_recount_begin(page_of, s, s->pages, s->nvm, chunk);
	struct dedup_recount_progress p0, p1;
	uint64_t entries = 0;
	int rc;

	assert_non_null(r);
	*steps = 0;
	do {
		uint64_t budget = 1 + rnd() % maxb, reads = s->reads, log = 1;
		dedup_recount_progress(r, &p0);
		rc = dedup_recount_step(r, budget);
		dedup_recount_progress(r, &p1);
		(*steps)++;
		assert_true(p1.units - p0.units <= budget);
		assert_true(s->reads - reads <= budget);
		entries = p1.entries;
		while ((1ull << log) < entries + 1)
			log++;
		assert_true(p1.compares - p0.compares <= budget * 2 * log);
		assert_true(p1.scanned - p0.scanned <= budget * 65);
	} while (rc == 0);
	if (rc < 0) {
		dedup_recount_abort(r);
		return -1;
	}
	return dedup_recount_finish(r, o);
}

static void test_stepped_equals_one_shot_and_brute_force(void **state)
{
	static const unsigned chunks[] = { 4096, 2048, 1024 };
	(void)state;
	rnd_state = 0x9E3779B97F4A7C15ull;
	for (unsigned round = 0; round < 60; round++) {
		struct set s;
		struct dedup_recount one, st, bf;
		unsigned chunk = chunks[round % 3];
		uint64_t steps;
		make_set(&s, 1 + (unsigned)(rnd() % MAXVM), 2 + (unsigned)(rnd() % 40));
		assert_int_equal(dedup_recount(page_of, &s, s.pages, s.nvm, chunk, &one), 0);
		assert_int_equal(stepped(&s, chunk, 1 + rnd() % 6, &st, &steps), 0);
		assert_same(&one, &st);
		/* The brute force counts what the recount does, zeros as any content. */
		brute(&s, chunk, &bf);
		assert_int_equal(st.pages_total, bf.pages_total);
		assert_int_equal(st.pages_unique, bf.pages_unique);
		assert_int_equal(st.sharable, bf.sharable);
		assert_int_equal(st.self_sharing, bf.self_sharing);
		assert_int_equal(st.inter_sharing, bf.inter_sharing);
		for (unsigned v = 0; v < s.nvm; v++) {
			assert_int_equal(st.vm[v].self, bf.vm[v].self);
			assert_int_equal(st.vm[v].distinct, bf.vm[v].distinct);
			assert_int_equal(st.vm[v].exclusive, bf.vm[v].exclusive);
			assert_int_equal(st.vm[v].pss, bf.vm[v].pss);
		}
		/* Stepped it took many steps (a unit each at budget 1). */
		if (st.pages_total > 10)
			assert_true(steps > st.pages_total / 6);
		dedup_recount_free(&one);
		dedup_recount_free(&st);
		dedup_recount_free(&bf);
		free_set(&s);
	}
}

/* A page that cannot be read, at any point of the run (hashing or
 * comparing): the run fails, and finish or abort frees it all. */
static void test_unreadable_page_fails(void **state)
{
	(void)state;
	rnd_state = 12345;
	for (unsigned round = 0; round < 20; round++) {
		struct set s;
		struct dedup_recount o;
		uint64_t steps, total;
		make_set(&s, 3, 6);
		assert_int_equal(dedup_recount(page_of, &s, s.pages, s.nvm, 4096, &o), 0);
		total = s.reads;
		dedup_recount_free(&o);
		if (!total) {
			free_set(&s);
			continue;
		}
		s.reads = 0;
		s.fail_at = (int64_t)(rnd() % total);
		assert_int_equal(stepped(&s, 4096, 3, &o, &steps), -1);
		s.reads = 0;
		assert_int_equal(dedup_recount(page_of, &s, s.pages, s.nvm, 4096, &o), -1);
		assert_null(o.vm);
		free_set(&s);
	}
}

/* No VMs, no pages, one page: the edges of the heap. */
static void test_edges(void **state)
{
	struct set s;
	struct dedup_recount o;
	uint64_t steps;
	(void)state;
	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	assert_int_equal(stepped(&s, 4096, 1, &o, &steps), 0);
	assert_int_equal(o.pages_total, 0);
	assert_int_equal(o.sharable, 0);
	dedup_recount_free(&o);
	s.nvm = 2;
	s.pages[0] = 1;
	s.mem[0] = calloc(1, 4096);
	s.mem[0][7] = 1;
	assert_int_equal(stepped(&s, 4096, 1, &o, &steps), 0);
	assert_int_equal(o.pages_total, 1);
	assert_int_equal(o.pages_unique, 1);
	assert_int_equal(o.vm[0].exclusive, 1);
	assert_int_equal(o.vm[0].pss, DEDUP_PSS_ONE);
	dedup_recount_free(&o);
	free(s.mem[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stepped_equals_one_shot_and_brute_force),
		cmocka_unit_test(test_unreadable_page_fails),
		cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests_name("recount_step", tests, NULL, NULL);
}
