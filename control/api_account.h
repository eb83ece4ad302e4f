/*
 * api_account.h - each VM's PSS as the API serves it: walked at most once
 * a second in bounded steps, with its age (api_account.c).
 */
#ifndef KERNEL_API_ACCOUNT_H
#define KERNEL_API_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

/* Pages one step of the walk visits: ~27 us on this project's machine
 * (~1.7 ns a page, tools/apibench), the most the walk adds to one hold of
 * the lock. */
#define API_ACCOUNT_STEP_PAGES 16384u

/* From net_poll, on the boot CPU under the core's lock: begins a walk when
 * the last began a second ago or more, and walks one step of it. */
void api_account_tick(void);

/* VM id's PSS in bytes (a compressed or patched page counted as a page:
 * the contents' view, which the recount checks), what it costs in bytes
 * (pooled pages at their slots, a reference frame divided among its
 * mappings and the patches that pin it: dedup.h's pss_cost), and how old
 * they are (milliseconds since the walk that counted them began): true,
 * or false when no walk has counted the VM at its present size yet (it
 * joined, or the first walk is not done). */
bool api_account_pss(unsigned id, uint64_t npages, uint64_t *pss_bytes, uint64_t *cost_bytes,
		     uint64_t *age_ms);

/* Milliseconds since the newest complete walk began (false: none yet). */
bool api_account_age(uint64_t *age_ms);

#endif
