/*
 * history.h - the last HISTORY_CAP seconds of the engine's savings and
 * rates, one sample a second, for GET /api/history and the dashboard.
 *
 * A ring of samples, each seven numbers (the columns):
 *   saved, self, inter, zero    gauges, in pages: frames_saved,
 *                               self_sharing, inter_sharing, ksm_zero_pages
 *   cow_breaks, pages_scanned   rates, per second: the growth of those
 *                               cumulative counters over the sample's second
 *   lock_us                     the longest hold of the hypervisor lock in
 *                               the sample's second, in microseconds: what
 *                               every CPU may have waited (issue 23)
 * The server computes the rates (history_tick) so that a client needs no
 * state and no two reads to draw them, and so that every number fits 32
 * bits: a gauge of pages reaches 2^32 only past 16 TiB of guest memory, a
 * rate never (a value past UINT32_MAX would be stored as UINT32_MAX).
 *
 * Time is whole seconds of the hypervisor's clock.  history_tick is
 * called often (every poll of the boot CPU's loop) and records one sample
 * for each second that began since the last one it recorded: if the loop
 * was away for k seconds, the k samples carry the gauges read now and the
 * counters' growth spread over them (their sum is the growth).  So sample
 * i is always at newest_s - (count - 1 - i): the time axis needs no
 * timestamps.  The first call only sets the baseline.
 *
 * The JSON is columnar, oldest first, which is the compact form (a column
 * of numbers costs its digits and one comma each; keys are said once):
 *   {"interval_s":1,"capacity":300,"count":3,"newest_s":1234,
 *    "saved":[..],"self":[..],"inter":[..],"zero":[..],
 *    "cow_breaks":[..],"pages_scanned":[..],"lock_us":[..]}
 * At most HISTORY_JSON_MAX bytes with every number at its largest
 * (test_history.c checks it), which the server's body buffer must hold.
 */
#ifndef API_HISTORY_H
#define API_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Five minutes: 300 samples x 7 columns x 11 bytes ("4294967295,") is
 * 23,100 bytes of JSON at most, inside a 24 KiB body (asserted). */
#define HISTORY_CAP 300u

enum history_col {
	HC_SAVED,         /* frames_saved */
	HC_SELF,          /* self_sharing */
	HC_INTER,         /* inter_sharing */
	HC_ZERO,          /* ksm_zero_pages */
	HC_COW_BREAKS,    /* cow_breaks, per second */
	HC_PAGES_SCANNED, /* pages_scanned, per second */
	HC_LOCK_US,       /* the lock's longest hold in the second, in us (a gauge) */
	HISTORY_NCOLS
};

/* The longest JSON: per column its key, quotes, colon, brackets and comma
 * (at most 20 bytes) and 11 bytes a sample; 128 bytes for the rest
 * (interval_s, capacity, count, newest_s at 20 digits, braces: 76). */
#define HISTORY_JSON_MAX (128u + HISTORY_NCOLS * (20u + 11u * HISTORY_CAP))

/* Each column's JSON key ("saved" ... "pages_scanned"). */
extern const char *const history_col_name[HISTORY_NCOLS];

struct history {
	uint32_t s[HISTORY_CAP][HISTORY_NCOLS];
	uint32_t next;         /* the slot the next sample goes to */
	uint32_t count;        /* samples held, <= HISTORY_CAP */
	bool started;          /* the baseline is set */
	uint64_t newest_s;     /* the second of the newest sample (or of the baseline) */
	uint64_t last[HISTORY_NCOLS]; /* the cumulative counters at newest_s */
};

/* An empty ring, no baseline. */
void history_init(struct history *h);

/* The engine's figures read at second now_s: in[HC_SAVED..HC_ZERO] and
 * in[HC_LOCK_US] the gauges, in[HC_COW_BREAKS] and in[HC_PAGES_SCANNED]
 * the cumulative counters.  Records a sample for each second since the newest (see the
 * top); a counter that went back counts as no growth.  Returns how many
 * samples it recorded (0 within the same second, or at the baseline). */
unsigned history_tick(struct history *h, uint64_t now_s, const uint64_t in[HISTORY_NCOLS]);

/* Sample i of the held ones, 0 the oldest (i < h->count). */
const uint32_t *history_at(const struct history *h, uint32_t i);
/* The newest sample, NULL when none. */
const uint32_t *history_newest(const struct history *h);

/* Writes the JSON of the newest `last` samples (0 or more than held: all)
 * into buf[0..cap), NUL-terminated.  Returns its length, or -1 when it did
 * not fit. */
int history_json(const struct history *h, uint32_t last, char *buf, size_t cap);

/* The `seconds` parameter of a query string ("seconds=60"): true with *n
 * set (1..HISTORY_CAP; larger reads as HISTORY_CAP) when absent (*n = 0:
 * all) or a decimal number >= 1; false when it is anything else. */
bool history_query_seconds(const char *query, uint32_t *n);

#endif
