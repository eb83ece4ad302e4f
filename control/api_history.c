/*
 * api_history.c - the core's side of the history ring (api/history.c):
 * the sampling clock, the engine's figures it samples, and the endpoint.
 *
 * api_history_tick runs from net_poll, which the boot CPU calls between
 * scheduling rounds under the core's lock (and in its serve loop on a
 * machine without VT-x), so the ring is written and read (by the API's
 * handlers, under the same lock) by one CPU at a time.  Its clock is the
 * TSC in whole seconds (arch_time_now / arch_time_hz: under Bochs,
 * emulated seconds).  Without an engine (no VT-x) every figure is 0, and
 * the ring fills with zero samples all the same: the dashboard's chart
 * then shows the time passing at zero rather than nothing.
 */
#include <string.h>

#include "api_history.h"
#include "arch.h"
#include "history.h"
#include "lock.h"
#include "sharing.h"

_Static_assert(HISTORY_JSON_MAX <= HTTP_BODY_MAX,
	       "a full history ring at its largest numbers fits the server's body buffer");

static struct history hist; /* zeros: history_init's empty ring */
static uint64_t next_tick; /* TSC value at which the next second begins */

void api_history_tick(void)
{
	uint64_t now = arch_time_now(), hz = arch_time_hz(), in[HISTORY_NCOLS];
	struct dedup_stats s;

	if (!hz)
		hz = 1;
	if (hist.started && now < next_tick)
		return;
	next_tick = (now / hz + 1) * hz;
	if (engine)
		dedup_get_stats(engine, &s);
	else
		memset(&s, 0, sizeof(s));
	in[HC_SAVED] = s.frames_saved;
	in[HC_SELF] = s.self_sharing;
	in[HC_INTER] = s.inter_sharing;
	in[HC_ZERO] = s.ksm_zero_pages;
	in[HC_COW_BREAKS] = s.cow_breaks;
	in[HC_PAGES_SCANNED] = s.pages_scanned;
	/* The lock's longest hold since the last sample (with VMs: without,
	 * the API alone runs and the lock is not taken). */
	in[HC_LOCK_US] = engine ? hv_lock_interval() * 1000000 / hz : 0;
	history_tick(&hist, now / hz, in);
}

void api_history_get(const struct http_request *req, struct http_answer *a)
{
	uint32_t last;
	int n;

	if (!history_query_seconds(req->query, &last)) {
		a->status = 400;
		a->reason = "seconds: expects a whole number of seconds, 1 or more";
		return;
	}
	n = history_json(&hist, last, a->body, a->cap);
	if (n < 0) {
		a->status = 500;
		a->reason = "the answer did not fit its buffer";
		return;
	}
	a->len = (size_t)n;
}

uint32_t api_history_scan_rate(void)
{
	const uint32_t *s = history_newest(&hist);
	return s ? s[HC_PAGES_SCANNED] : 0;
}
