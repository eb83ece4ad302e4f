/*
 * api_account.c - each VM's PSS for the API (/api/vms, /metrics), walked at
 * most once a second in steps the lock barely notices, and served with its
 * age.
 *
 * Why: PSS depends on every frame's current number of mappers and is not
 * kept online (dedup/account.c says why); the API computed it with a walk
 * of every page of every VM (dedup_vm_account) for each request, on the
 * boot CPU under the hypervisor's lock, so pipelined HEADs from any client,
 * without the token, stopped every VM (issue 23: 9.1 ms a request for 16
 * VMs of 1 GiB; 0 memtest rounds in 30 s under Bochs).  Now a request
 * reads the engine's online per-VM counters (the page split,
 * dedup_get_vm_stats: O(1) a VM) and the PSS of the newest complete walk.
 *
 * The walk (dedup_pss_walk_step): net_poll calls api_account_tick, which
 * begins a walk when the last began at least a second ago (of the TSC) and
 * visits API_ACCOUNT_STEP_PAGES pages per call, so one poll adds at most
 * ~27 us to the lock's hold (tools/apibench, on this project's machine: 16
 * VMs of 1 GiB take 257 steps, ~7 ms in all, under 1% of a CPU at one walk
 * a second, where a request took 7-12 ms before).  When it completes,
 * its figures replace the served ones.  Between steps the VMs run: each
 * page counts as it was when its step visited it, so the figure is the
 * PSS of no single instant but of the walk's span, and the API says how
 * old it is (pss_age_ms; /metrics: dedupvisor_pss_age_seconds), counted
 * from the walk's beginning.  A VM that joined since has none until the
 * next walk ends; one removed is left out (the walk drops it).
 *
 * Measurement points (kernel/fleet.c) still use dedup_vm_account, with
 * every vCPU paused: there the figure must be of one instant.
 */
#include <string.h>

#include "api_account.h"
#include "arch.h"
#include "dedup.h"
#include "sharing.h"

static struct dedup_pss_walk walk;    /* the walk in progress */
static bool walking;
static uint64_t walk_began;           /* TSC at its beginning */
static struct {
	bool valid;
	uint64_t began;                   /* TSC when the walk that counted these began */
	uint64_t pss[DEDUP_MAX_VMS];      /* DEDUP_PSS_ONE a page */
	uint64_t cost[DEDUP_MAX_VMS];     /* the cost PSS (dedup.h: pss_cost), the same unit */
	uint64_t npages[DEDUP_MAX_VMS];   /* 0: not counted */
} served;

void api_account_tick(void)
{
	uint64_t now = arch_time_now();

	if (!engine)
		return;
	if (!walking) {
		if (served.valid && now - served.began < arch_time_hz())
			return;
		dedup_pss_walk_begin(&walk);
		walking = true;
		walk_began = now;
	}
	dedup_pss_walk_step(engine, &walk, API_ACCOUNT_STEP_PAGES);
	if (walk.vm < DEDUP_MAX_VMS)
		return;
	memcpy(served.pss, walk.pss, sizeof(served.pss));
	memcpy(served.cost, walk.cost, sizeof(served.cost));
	memcpy(served.npages, walk.npages, sizeof(served.npages));
	served.began = walk_began;
	served.valid = true;
	walking = false;
}

bool api_account_age(uint64_t *age_ms)
{
	uint64_t hz = arch_time_hz();

	if (!served.valid)
		return false;
	*age_ms = (arch_time_now() - served.began) / (hz / 1000 ? hz / 1000 : 1);
	return true;
}

/* DEDUP_PSS_ONE-ths of a page, in bytes. */
static uint64_t bytes_of(uint64_t p)
{
	return p / DEDUP_PSS_ONE * DEDUP_PAGE_SIZE + p % DEDUP_PSS_ONE * DEDUP_PAGE_SIZE / DEDUP_PSS_ONE;
}

bool api_account_pss(unsigned id, uint64_t npages, uint64_t *pss_bytes, uint64_t *cost_bytes,
		     uint64_t *age_ms)
{
	if (id >= DEDUP_MAX_VMS || !api_account_age(age_ms) || !npages || served.npages[id] != npages)
		return false;
	*pss_bytes = bytes_of(served.pss[id]);
	*cost_bytes = bytes_of(served.cost[id]);
	return true;
}
