/*
 * api_history.h - the engine's per-second history (api/history.h), sampled
 * by the core and served as GET /api/history (api_history.c).
 */
#ifndef KERNEL_API_HISTORY_H
#define KERNEL_API_HISTORY_H

#include <stdint.h>

#include "http_server.h"

/* Records a sample for each second of the hypervisor's clock begun since
 * the last: on the boot CPU, under the core's lock, from net_poll (so the
 * API's reads, under the same lock, see whole samples).  Cheap when no
 * second has begun: a TSC read and a compare. */
void api_history_tick(void);

/* GET /api/history[?seconds=N]: the ring's JSON, the newest N samples. */
void api_history_get(const struct http_request *req, struct http_answer *a);

/* The last second's pages scanned (0 before the first sample): /metrics's
 * dedupvisor_scan_rate_pages_per_second. */
uint32_t api_history_scan_rate(void);

#endif
