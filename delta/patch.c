/*
 * patch.c - the patcher: a 4 KiB page as a copy/insert delta against a
 * reference page, and its safe rebuild.
 *
 * Why a format of our own (docs/patching.md has the figures): on the
 * corpus's similar pages its patches fit 2 KiB nearly as often as Debian's
 * xdelta3 (VCDIFF) makes them (69.1% against 70.8%) and more often than
 * XOR-then-lz4 (60.9%); its decoder is forty lines with one bounds check
 * per op, that can be read whole and fuzzed to exhaustion (~15,000
 * instructions a page, a quarter of them the checksum); VCDIFF needs a
 * code table, address caches and windows, none of which a 4 KiB page uses.
 *
 * The patch
 * ---------
 *   byte 0      format (DELTA_FMT_COPYINS)
 *   bytes 1..4  checksum of the page it rebuilds (delta_page_checksum), LE
 *   then ops, each producing the next run of the page, until exactly 4096
 *   bytes are produced and the input is used up:
 *
 *     token  = op << 6 | n          op: 0 SAME, 1 INSERT, 2 COPY, 3 RUN
 *     length = n + 1 (1..63), or when n == 63 a u16 LE that follows (1..4096)
 *     SAME    the reference's bytes at the same offset
 *     INSERT  `length` literal bytes follow
 *     COPY    a u16 LE source follows: an offset in the reference, or with
 *             bit 15 set, in the page as rebuilt so far (before this op;
 *             the copy may run on into its own bytes, a repeat)
 *     RUN     one byte follows, repeated `length` times
 *
 * Decoding checks each op before it writes: the run ends inside the page,
 * a COPY's source inside the reference or behind the op in the page, its
 * operands inside the input.  A
 * patch that passes every check but rebuilds a page of another checksum
 * (a flipped literal, a damaged reference) is refused as well: the caller
 * never maps a page the patch was not made from.
 *
 * Encoding is greedy, left to right.  At each position: the run of bytes
 * equal to the reference's at the same offset (SAME, from 3 bytes: a
 * token costs 1 and splitting a literal costs 1 more); else a run of one
 * repeated byte (RUN, from 4); else content that moved or repeats: tables
 * of the reference's 8-byte sequences (every 4th offset) and of the
 * page's literal bytes behind the cursor (every offset)
 * (built on the first need; most pages never need them) propose a source
 * each, checked byte by byte, extended forward and back into the pending
 * literal, the longer taken (COPY, from 8 bytes; not when a SAME from the
 * next byte would cover as much); else the byte joins the literal.  The encoder gives up as soon as the patch would pass the
 * caller's bound.
 */
#include <string.h>

#define XXH_FORCE_MEMORY_ACCESS 1
#define XXH_INLINE_ALL
#define XXH_NO_STDLIB
#include <xxhash.h>

#include "delta.h"

#define PAGE DELTA_PAGE_SIZE

enum { OP_SAME = 0, OP_INSERT = 1, OP_COPY = 2, OP_RUN = 3 };
#define LEN_EXT  63u /* n that says: the length is a u16 that follows */
#define MIN_SAME 3u
#define MIN_RUN  4u
#define MIN_COPY 8u
#define REF_STRIDE 4u /* reference offsets indexed: as small patches as every offset (corpus) */
#define COPY_FROM_PAGE 0x8000u /* in a COPY's source: the page's own earlier bytes */

uint32_t delta_page_checksum(const void *page)
{
	return (uint32_t)XXH3_64bits(page, PAGE);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t seq_hash(const uint8_t *p)
{
	return (uint32_t)((load64(p) * 0x9E3779B97F4A7C15ull) >> (64 - DELTA_WORK_BITS));
}

/* Bytes from pos on where a and b agree. */
static unsigned agree(const uint8_t *a, const uint8_t *b, unsigned pos)
{
	unsigned n = pos;
	while (n + 8 <= PAGE && load64(a + n) == load64(b + n))
		n += 8;
	while (n < PAGE && a[n] == b[n])
		n++;
	return n - pos;
}

struct out {
	uint8_t *p, *end;
};

/* Appends a token of op and len (and the extended length); 0, or -1 when
 * the patch would pass its bound. */
static int put_token(struct out *o, unsigned op, unsigned len, unsigned extra)
{
	unsigned need = (len - 1 < LEN_EXT ? 1 : 3) + extra;
	if ((size_t)(o->end - o->p) < need)
		return -1;
	if (len - 1 < LEN_EXT) {
		*o->p++ = (uint8_t)(op << 6 | (len - 1));
	} else {
		*o->p++ = (uint8_t)(op << 6 | LEN_EXT);
		*o->p++ = (uint8_t)len;
		*o->p++ = (uint8_t)(len >> 8);
	}
	return 0;
}

static int put_literal(struct out *o, const uint8_t *page, unsigned from, unsigned to)
{
	if (from == to)
		return 0;
	if (put_token(o, OP_INSERT, to - from, to - from))
		return -1;
	memcpy(o->p, page + from, to - from);
	o->p += to - from;
	return 0;
}

/* The tables, on the first need: the reference's 8-byte sequences at
 * every REF_STRIDE-th offset (a match is found at its first indexed
 * offset and extended back).  The page's own table starts empty and gets
 * each position the encoder passes as a literal byte: content that
 * repeats bytes already covered by SAME or COPY is in the reference too,
 * and found there; only literal bytes exist nowhere else. */
static void build_tables(struct delta_work *w, const uint8_t *ref)
{
	memset(w->ref, 0, sizeof(w->ref));
	memset(w->page, 0, sizeof(w->page));
	for (int j = (int)((PAGE - 8) / REF_STRIDE * REF_STRIDE); j >= 0; j -= (int)REF_STRIDE)
		w->ref[seq_hash(ref + j)] = (uint16_t)(j + 1); /* the first offset wins a slot */
	w->built = 1;
}

/* The longest match for page[pos..] among the tables' proposals: source
 * offset (COPY_FROM_PAGE set for the page's own bytes) and length, which
 * is extended back into the pending literal [lit, pos). */
struct match { unsigned src, len, back; };

static struct match find_match(struct delta_work *w, const uint8_t *page, const uint8_t *ref,
			       unsigned pos, unsigned lit)
{
	struct match best = { 0, 0, 0 };
	uint32_t h = seq_hash(page + pos);
	unsigned cand[2] = { w->ref[h], w->page[h] };

	for (unsigned k = 0; k < 2; k++) {
		const uint8_t *from = k ? page : ref;
		unsigned src = cand[k], len = 0, back = 0, limit;
		if (!src--)
			continue;
		if ((k == 0 && src == pos) || (k == 1 && src >= pos))
			continue;
		limit = k ? PAGE - pos : PAGE - (src > pos ? src : pos);
		while (len + 8 <= limit && load64(page + pos + len) == load64(from + src + len))
			len += 8;
		while (len < limit && page[pos + len] == from[src + len])
			len++;
		if (len < MIN_COPY)
			continue;
		while (pos - back > lit && src - back > 0 && page[pos - back - 1] == from[src - back - 1])
			back++;
		if (len + back > best.len + best.back)
			best = (struct match){ (src - back) | (k ? COPY_FROM_PAGE : 0), len, back };
	}
	return best;
}

int delta_encode(struct delta_work *w, const void *page_, const void *ref_, void *patch, size_t cap)
{
	const uint8_t *page = page_, *ref = ref_;
	struct out o;
	unsigned pos = 0, lit = 0;
	uint32_t sum;

	if (!w || !page || !ref || !patch)
		return DELTA_EINVAL;
	if (cap <= DELTA_HEADER)
		return DELTA_E2BIG;
	if (cap > 0x7fffffff)
		cap = 0x7fffffff;
	o.p = patch;
	o.end = o.p + cap;
	sum = delta_page_checksum(page);
	*o.p++ = DELTA_FMT_COPYINS;
	for (unsigned i = 0; i < 4; i++)
		*o.p++ = (uint8_t)(sum >> 8 * i);
	w->built = 0;

	while (pos < PAGE) {
		unsigned same = agree(page, ref, pos), run = 1;
		if (same >= MIN_SAME) {
			if (put_literal(&o, page, lit, pos) || put_token(&o, OP_SAME, same, 0))
				return DELTA_E2BIG;
			pos += same;
			lit = pos;
			continue;
		}
		while (pos + run < PAGE && page[pos + run] == page[pos])
			run++;
		if (run >= MIN_RUN) {
			if (put_literal(&o, page, lit, pos) || put_token(&o, OP_RUN, run, 1))
				return DELTA_E2BIG;
			*o.p++ = page[pos];
			pos += run;
			lit = pos;
			continue;
		}
		if (pos + MIN_COPY <= PAGE) {
			struct match m;
			if (!w->built)
				build_tables(w, ref);
			m = find_match(w, page, ref, pos, lit);
			/* Not when a SAME from the next byte would cover as
			 * much: one literal byte and a SAME are cheaper. */
			if (m.len && !m.back && pos + 1 < PAGE && 1 + agree(page, ref, pos + 1) >= m.len)
				m.len = 0;
			if (m.len) {
				pos -= m.back;
				if (put_literal(&o, page, lit, pos) || put_token(&o, OP_COPY, m.len + m.back, 2))
					return DELTA_E2BIG;
				*o.p++ = (uint8_t)m.src;
				*o.p++ = (uint8_t)(m.src >> 8);
				pos += m.len + m.back;
				lit = pos;
				continue;
			}
			w->page[seq_hash(page + pos)] = (uint16_t)(pos + 1); /* a literal byte */
		}
		pos++;
	}
	if (put_literal(&o, page, lit, pos))
		return DELTA_E2BIG;
	return (int)(o.p - (uint8_t *)patch);
}

/* Whether [a, a+na) and [b, b+nb) overlap (as addresses, not pointers into
 * one object: the comparison is on integers). */
static int overlap(const void *a, size_t na, const void *b, size_t nb)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
	return x < y + nb && y < x + na;
}

int delta_decode(const void *ref_, const void *patch, size_t len, void *out_)
{
	const uint8_t *ref = ref_, *p = patch;
	uint8_t *out = out_;
	size_t i = DELTA_HEADER;
	unsigned pos = 0;
	uint32_t sum;

	if (!ref || !p || !out)
		return DELTA_EINVAL;
	if (overlap(out, PAGE, ref, PAGE) || overlap(out, PAGE, p, len))
		return DELTA_EINVAL;
	if (len <= DELTA_HEADER || p[0] != DELTA_FMT_COPYINS)
		return DELTA_EBADPATCH;
	sum = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
	while (i < len) {
		unsigned op = p[i] >> 6, n = p[i] & 63, run;
		i++;
		if (n == LEN_EXT) {
			if (len - i < 2)
				return DELTA_EBADPATCH;
			run = (unsigned)p[i] | (unsigned)p[i + 1] << 8;
			i += 2;
		} else {
			run = n + 1;
		}
		if (run == 0 || run > PAGE - pos)
			return DELTA_EBADPATCH;
		switch (op) {
		case OP_SAME:
			memcpy(out + pos, ref + pos, run);
			break;
		case OP_INSERT:
			if (len - i < run)
				return DELTA_EBADPATCH;
			memcpy(out + pos, p + i, run);
			i += run;
			break;
		case OP_COPY: {
			unsigned src;
			if (len - i < 2)
				return DELTA_EBADPATCH;
			src = (unsigned)p[i] | (unsigned)p[i + 1] << 8;
			i += 2;
			if (src & COPY_FROM_PAGE) {
				/* The source may run into the bytes this op
				 * writes (a repeat): copy in chunks no longer
				 * than the distance, each from bytes already
				 * written, so no chunk overlaps itself. */
				unsigned to = pos, left = run, dist;
				src &= ~COPY_FROM_PAGE;
				if (src >= pos)
					return DELTA_EBADPATCH;
				dist = pos - src;
				while (left) {
					unsigned chunk = left < dist ? left : dist;
					memcpy(out + to, out + src, chunk);
					to += chunk, src += chunk, left -= chunk;
				}
				break;
			}
			if (src >= PAGE || run > PAGE - src)
				return DELTA_EBADPATCH;
			memcpy(out + pos, ref + src, run);
			break;
		}
		default: /* OP_RUN */
			if (len - i < 1)
				return DELTA_EBADPATCH;
			memset(out + pos, p[i], run);
			i++;
			break;
		}
		pos += run;
	}
	if (pos != PAGE)
		return DELTA_EBADPATCH;
	return delta_page_checksum(out) == sum ? 0 : DELTA_ECHECKSUM;
}
