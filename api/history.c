/*
 * history.c - the ring of per-second samples behind GET /api/history (see
 * history.h for what a sample holds and how time is kept).
 *
 * The ring: s[next] is where the next sample goes; the count held ones end
 * just before it, so the oldest is at (next - count) mod HISTORY_CAP.  A
 * full ring overwrites its oldest.
 */
#include <string.h>

#include "history.h"
#include "http_parse.h"
#include "json_write.h"

const char *const history_col_name[HISTORY_NCOLS] = {
	[HC_SAVED] = "saved",
	[HC_SELF] = "self",
	[HC_INTER] = "inter",
	[HC_ZERO] = "zero",
	[HC_COW_BREAKS] = "cow_breaks",
	[HC_PAGES_SCANNED] = "pages_scanned",
	[HC_LOCK_US] = "lock_us",
};

static bool is_rate(unsigned c)
{
	return c == HC_COW_BREAKS || c == HC_PAGES_SCANNED;
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void history_init(struct history *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned history_tick(struct history *h, uint64_t now_s, const uint64_t in[HISTORY_NCOLS])
{
	uint64_t k, j, first, grow[HISTORY_NCOLS];
	unsigned c;

	if (!h->started || now_s < h->newest_s) {
		/* The baseline (a clock that went back starts a new one). */
		h->started = true;
		h->newest_s = now_s;
		memcpy(h->last, in, sizeof(h->last));
		return 0;
	}
	k = now_s - h->newest_s;
	if (!k)
		return 0;
	for (c = 0; c < HISTORY_NCOLS; c++)
		grow[c] = is_rate(c) && in[c] > h->last[c] ? in[c] - h->last[c] : 0;
	/* Samples newest_s+1 .. now_s; only the last HISTORY_CAP of them can
	 * stay.  Sample j of k gets grow/k, and the first grow%k one more. */
	first = k > HISTORY_CAP ? k - HISTORY_CAP : 0;
	for (j = first; j < k; j++) {
		uint32_t *s = h->s[h->next];
		for (c = 0; c < HISTORY_NCOLS; c++)
			s[c] = is_rate(c) ? clamp32(grow[c] / k + (j < grow[c] % k)) : clamp32(in[c]);
		h->next = (h->next + 1) % HISTORY_CAP;
		if (h->count < HISTORY_CAP)
			h->count++;
	}
	h->newest_s = now_s;
	memcpy(h->last, in, sizeof(h->last));
	return (unsigned)(k - first);
}

const uint32_t *history_at(const struct history *h, uint32_t i)
{
	return h->s[(h->next + HISTORY_CAP - h->count + i) % HISTORY_CAP];
}

const uint32_t *history_newest(const struct history *h)
{
	return h->count ? history_at(h, h->count - 1) : NULL;
}

int history_json(const struct history *h, uint32_t last, char *buf, size_t cap)
{
	struct json_writer w;
	uint32_t n = last && last < h->count ? last : h->count, i;
	unsigned c;

	if (!cap)
		return -1;
	jw_init(&w, buf, cap);
	jw_object_begin(&w);
	jw_kv_u64(&w, "interval_s", 1);
	jw_kv_u64(&w, "capacity", HISTORY_CAP);
	jw_kv_u64(&w, "count", n);
	jw_kv_u64(&w, "newest_s", h->newest_s);
	for (c = 0; c < HISTORY_NCOLS; c++) {
		jw_key(&w, history_col_name[c]);
		jw_array_begin(&w);
		for (i = h->count - n; i < h->count; i++)
			jw_u64(&w, history_at(h, i)[c]);
		jw_array_end(&w);
	}
	jw_object_end(&w);
	return jw_ok(&w) ? (int)w.len : -1;
}

bool history_query_seconds(const char *query, uint32_t *n)
{
	const char *v;
	size_t len, i;
	uint64_t x = 0;

	*n = 0;
	if (!http_query_param(query, "seconds", &v, &len))
		return true;
	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (x < HISTORY_CAP)
			x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (!x)
		return false;
	*n = x > HISTORY_CAP ? HISTORY_CAP : (uint32_t)x;
	return true;
}
