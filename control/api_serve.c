/*
 * api_serve.c - the API's endpoints: what the HTTP server (net/) answers,
 * filled from the dedup engine and the VMs (docs/api.md has the list).
 *
 * The server routes a request and checks its token; this file writes the
 * body into the server's buffer with api/'s writers.  It runs on the boot
 * CPU under the core's lock (net_poll), so the engine's counters and the
 * VM table are read at one consistent point.  What a request costs is
 * bounded by the number of VMs, never by their pages: each VM's page split
 * comes from the engine's online counters (dedup_get_vm_stats), its PSS
 * from the newest walk of api_account.c (at most a second old, and the
 * answer says how old).  Issue 23: each request walked every page of every
 * VM here, and pipelined requests stalled every VM.  Without VT-x there is
 * no engine and no VM: every counter reads 0 and the VM list is empty.
 *
 * The engine's counters are one table (stat_fields), read by /api/stats
 * under KSM's names and by /metrics under Prometheus's, so the two cannot
 * drift apart.
 */
#include <stdio.h>
#include <string.h>

#include "api_account.h"
#include "api_console.h"
#include "api_history.h"
#include "api_serve.h"
#include "api_vm.h"
#include "arch.h"
#include "dashboard.h"
#include "json_write.h"
#include "knobs_parse.h"
#include "lock.h"
#include "prom_write.h"
#include "response.h"
#include "sharing.h"
#include "vm.h"

#define STAT(f) offsetof(struct dedup_stats, f)

static const struct stat_field {
	const char *json;     /* /api/stats key: the struct's (KSM's) name */
	const char *prom;     /* /metrics family, without "dedupvisor_" */
	enum prom_type type;
	const char *help;
	size_t off;
	bool is_signed;
} stat_fields[] = {
	{ "pages_shared", "pages_shared", PROM_GAUGE, "Shared frames with two mappings or more.",
	  STAT(pages_shared), false },
	{ "pages_sharing", "pages_sharing", PROM_GAUGE,
	  "Extra mappings of shared frames: pages saved.", STAT(pages_sharing), false },
	{ "pages_unshared", "pages_unshared", PROM_GAUGE,
	  "Candidate pages in the unstable index, unmatched.", STAT(pages_unshared), false },
	{ "pages_volatile", "pages_volatile", PROM_GAUGE,
	  "Pages that changed since their last visit.", STAT(pages_volatile), false },
	{ "full_scans", "full_scans_total", PROM_COUNTER, "Full scans of all guest memory.",
	  STAT(full_scans), false },
	{ "ksm_zero_pages", "ksm_zero_pages", PROM_GAUGE, "Guest pages mapped to a zero frame.",
	  STAT(ksm_zero_pages), false },
	{ "general_profit", "general_profit_bytes", PROM_GAUGE,
	  "Bytes saved by sharing less the engine's metadata.", STAT(general_profit), true },
	{ "pages_tracked", "pages_tracked", PROM_GAUGE, "Guest pages the engine tracks.",
	  STAT(pages_tracked), false },
	{ "pages_scanned", "pages_scanned_total", PROM_COUNTER, "Page visits by the scanner.",
	  STAT(pages_scanned), false },
	{ "pages_hashed", "pages_hashed_total", PROM_COUNTER, "Pages hashed by the scanner.",
	  STAT(pages_hashed), false },
	{ "merges", "merges_total", PROM_COUNTER, "Successful merges.", STAT(merges), false },
	{ "merge_races", "merge_races_total", PROM_COUNTER,
	  "Merges abandoned: the full compare failed after write-protect.", STAT(merge_races),
	  false },
	{ "hash_collisions", "hash_collisions_total", PROM_COUNTER,
	  "Equal checksums over different contents.", STAT(hash_collisions), false },
	{ "cow_breaks", "cow_breaks_total", PROM_COUNTER, "Copies made on writes to shared pages.",
	  STAT(cow_breaks), false },
	{ "cow_reuses", "cow_reuses_total", PROM_COUNTER,
	  "Writes to shared pages by their last sharer: no copy.", STAT(cow_reuses), false },
	{ "cow_enomem", "cow_enomem_total", PROM_COUNTER,
	  "Copies that waited for want of a free frame.", STAT(cow_enomem), false },
	{ "frames_saved", "frames_saved", PROM_GAUGE,
	  "Guest pages less the frames that back them.", STAT(frames_saved), false },
	{ "self_sharing", "self_sharing_pages", PROM_GAUGE,
	  "Pages saved by sharing within a VM.", STAT(self_sharing), false },
	{ "inter_sharing", "inter_sharing_pages", PROM_GAUGE,
	  "Pages saved by sharing across VMs.", STAT(inter_sharing), false },
	{ "metadata_bytes", "metadata_bytes", PROM_GAUGE, "The engine's metadata.",
	  STAT(metadata_bytes), false },
	/* Same-behaviour domains (dedup/same.c): VUsion's counters. */
	{ "same_not_idle", "same_not_idle_total", PROM_COUNTER,
	  "Visits that found a same-behaviour page in use: not considered.", STAT(same_not_idle),
	  false },
	{ "same_fused", "same_fused_total", PROM_COUNTER,
	  "Same-behaviour pages fused (made not present), twin or not.", STAT(same_fused), false },
	{ "same_fake_merges", "same_fake_merges_total", PROM_COUNTER,
	  "Of those, without a twin: a frame of their own.", STAT(same_fake_merges), false },
	{ "same_copies_read", "same_copies_read_total", PROM_COUNTER,
	  "Fused pages copied back on a read or fetch.", STAT(same_copies_read), false },
	{ "same_copies_write", "same_copies_write_total", PROM_COUNTER,
	  "Fused pages copied back on a write.", STAT(same_copies_write), false },
	{ "same_pool_frames", "same_pool_frames", PROM_GAUGE,
	  "Free frames the randomized pool holds.", STAT(same_pool_frames), false },
	/* The cold tier (dedup/tier.c) and its second codec, zstd. */
	{ "pages_compressed", "pages_compressed", PROM_GAUGE,
	  "Pages held compressed (lz4 or zstd) in the cold tier's pool.", STAT(pages_compressed),
	  false },
	{ "pool_frames", "pool_frames", PROM_GAUGE, "Frames the cold tier's pool holds.",
	  STAT(pool_frames), false },
	{ "pages_zstd", "pages_zstd", PROM_GAUGE, "Of the compressed pages, those in zstd's format.",
	  STAT(pages_zstd), false },
	{ "zstd_bytes", "zstd_bytes", PROM_GAUGE, "Their zstd bytes.", STAT(zstd_bytes), false },
	{ "zstd_recompressed", "zstd_recompressed_total", PROM_COUNTER,
	  "lz4 objects of long-idle pages remade smaller in zstd.", STAT(zstd_recompressed), false },
	{ "zstd_direct", "zstd_direct_total", PROM_COUNTER,
	  "Cold pages lz4 could not fit in 2 KiB that zstd did.", STAT(zstd_direct), false },
	{ "zstd_faults", "zstd_faults_total", PROM_COUNTER,
	  "zstd pages brought back by an access.", STAT(zstd_faults), false },
};
#define NSTATS (sizeof(stat_fields) / sizeof(stat_fields[0]))

/* The knobs GET and POST /api/knobs show and set: common/knobs.h's table,
 * the console's and the config's too, made knobs_parse's table once. */
static struct knob_def knob_defs[KNOB_COUNT];

static void knob_defs_init(void)
{
	unsigned k;
	for (k = 0; k < KNOB_COUNT; k++)
		knob_defs[k] = (struct knob_def){ knob_table[k].name, knob_table[k].min,
						   knob_table[k].max, knob_table[k].boolean };
}

static void stats_now(struct dedup_stats *s)
{
	if (engine)
		dedup_get_stats(engine, s);
	else
		memset(s, 0, sizeof(*s));
}

static void stat_value(const struct dedup_stats *s, size_t i, uint64_t *u, int64_t *v)
{
	const char *p = (const char *)s + stat_fields[i].off;
	if (stat_fields[i].is_signed)
		memcpy(v, p, sizeof(*v));
	else
		memcpy(u, p, sizeof(*u));
}

static void finish_json(struct json_writer *w, struct http_answer *a)
{
	if (jw_ok(w))
		a->len = w->len;
	else
		a->status = 500, a->reason = "the answer did not fit its buffer";
}

static void get_stats(struct http_answer *a)
{
	struct json_writer w;
	struct dedup_stats s;
	size_t i;

	stats_now(&s);
	jw_init(&w, a->body, a->cap);
	jw_object_begin(&w);
	for (i = 0; i < NSTATS; i++) {
		uint64_t u = 0;
		int64_t v = 0;
		stat_value(&s, i, &u, &v);
		if (stat_fields[i].is_signed)
			jw_kv_i64(&w, stat_fields[i].json, v);
		else
			jw_kv_u64(&w, stat_fields[i].json, u);
	}
	jw_object_end(&w);
	finish_json(&w, a);
}

/* A VM as the API shows it. */
struct vm_row {
	const char *state;
	bool accounted;                 /* in the engine: the page split below is known */
	bool has_pss;                   /* a walk counted it: pss_bytes, pss_age_ms */
	uint64_t private_pages, shared_pages, zero_pages, compressed_pages, patched_pages, self_sharing;
	uint64_t compressed_bytes, decompressions, patch_bytes, rebuilds;
	uint64_t pss_bytes, pss_cost_bytes, pss_age_ms;
};

/* O(1): the engine's online counters and the newest PSS walk's figure. */
static void vm_row(const struct vm *vm, struct vm_row *r)
{
	struct dedup_vm_stats vs;

	memset(r, 0, sizeof(*r));
	r->state = vm->pending ? "waiting to join" : vm->stopped ? "stopped"
		 : vm->pause_holds ? "paused"
		 : vm->vcpu[0].state == VCPU_HALTED ? "halted"
		 : vm->vcpu[0].state == VCPU_WAITING ? "waiting for memory" : "running";
	if (!engine || !vm->in_engine || dedup_get_vm_stats(engine, vm->id, &vs))
		return;
	r->accounted = true;
	/* merged: pages on a shared or zero frame; compressed and patched:
	 * in the cold tier's pool; the rest have a frame of their own. */
	r->private_pages = vs.pages - vs.merged - vs.compressed - vs.patched;
	r->zero_pages = vs.zero;
	r->shared_pages = vs.merged - vs.zero;
	r->compressed_pages = vs.compressed;
	r->compressed_bytes = vs.compressed_bytes;
	r->decompressions = vs.decompressions;
	r->patched_pages = vs.patched;
	r->patch_bytes = vs.patch_bytes;
	r->rebuilds = vs.rebuilds;
	r->self_sharing = vs.self_sharing;
	r->has_pss = api_account_pss(vm->id, vs.pages, &r->pss_bytes, &r->pss_cost_bytes,
				     &r->pss_age_ms);
}

static void get_vms(struct http_answer *a)
{
	struct json_writer w;
	unsigned i;

	jw_init(&w, a->body, a->cap);
	jw_array_begin(&w);
	for (i = 0; i < nvms; i++) {
		const struct vm *vm = &vms[i];
		struct vm_row r;

		vm_row(vm, &r);
		jw_object_begin(&w);
		jw_kv_string(&w, "name", vm->name);
		jw_kv_string(&w, "state", r.state);
		if (vm->stopped)
			jw_kv_string(&w, "why", vm->why);
		jw_kv_u64(&w, "ram_bytes", vm->npages * DEDUP_PAGE_SIZE);
		jw_kv_u64(&w, "vcpus", vm->nvcpus);
		jw_kv_u64(&w, "domain", vm->cfg ? vm->cfg->domain : 0);
		jw_kv_string(&w, "mode", vm->cfg && vm->cfg->mode == CONFIG_MODE_SAME ? "same" : "normal");
		jw_kv_u64(&w, "exits", vm_exit_count(vm));
		if (r.accounted) {
			jw_key(&w, "pages");
			jw_object_begin(&w);
			jw_kv_u64(&w, "private", r.private_pages);
			jw_kv_u64(&w, "shared", r.shared_pages);
			jw_kv_u64(&w, "zero", r.zero_pages);
			jw_kv_u64(&w, "compressed", r.compressed_pages);
			jw_kv_u64(&w, "patched", r.patched_pages);
			jw_kv_u64(&w, "self_sharing", r.self_sharing);
			jw_object_end(&w);
			jw_kv_u64(&w, "compressed_bytes", r.compressed_bytes);
			jw_kv_u64(&w, "decompressions", r.decompressions);
			jw_kv_u64(&w, "patch_bytes", r.patch_bytes);
			jw_kv_u64(&w, "rebuilds", r.rebuilds);
		}
		if (r.has_pss) {
			jw_kv_u64(&w, "pss_bytes", r.pss_bytes);
			jw_kv_u64(&w, "pss_cost_bytes", r.pss_cost_bytes);
			jw_kv_u64(&w, "pss_age_ms", r.pss_age_ms);
		}
		jw_object_end(&w);
	}
	jw_array_end(&w);
	finish_json(&w, a);
}

static void get_metrics(struct http_answer *a)
{
	static struct vm_row rows[VM_MAX];
	struct prom_writer w;
	struct dedup_stats s;
	unsigned i, accounted = 0, with_pss = 0;
	struct hv_lock_stats ls;
	uint64_t age_ms;

	stats_now(&s);
	prom_init(&w, a->body, a->cap);
	for (i = 0; i < NSTATS; i++) {
		uint64_t u = 0;
		int64_t v = 0;
		stat_value(&s, i, &u, &v);
		prom_family(&w, stat_fields[i].prom, stat_fields[i].type, stat_fields[i].help);
		if (stat_fields[i].is_signed)
			prom_sample_i64(&w, NULL, 0, v);
		else
			prom_sample_u64(&w, NULL, 0, u);
	}
	prom_family(&w, "scan_rate_pages_per_second", PROM_GAUGE,
		    "Pages the scanner visited in the last second.");
	prom_sample_u64(&w, NULL, 0, api_history_scan_rate());
	/* The hypervisor lock: what every CPU may have waited (issue 23).
	 * Without an engine (no VT-x) the API alone runs and never takes it. */
	if (engine)
		hv_lock_stats(&ls);
	else
		memset(&ls, 0, sizeof(ls));
	prom_family(&w, "hv_lock_holds_total", PROM_COUNTER, "Times the hypervisor lock was released.");
	prom_sample_u64(&w, NULL, 0, ls.holds);
	prom_family(&w, "hv_lock_held_ticks_total", PROM_COUNTER,
		    "TSC ticks the hypervisor lock was held, in all.");
	prom_sample_u64(&w, NULL, 0, ls.ticks);
	prom_family(&w, "hv_lock_longest_hold_ticks", PROM_GAUGE,
		    "The longest hold of the hypervisor lock so far, in TSC ticks.");
	prom_sample_u64(&w, NULL, 0, ls.longest);
	prom_family(&w, "tsc_hz", PROM_GAUGE, "TSC ticks a second (under Bochs: emulated instructions).");
	prom_sample_u64(&w, NULL, 0, arch_time_hz());
	/* The server's own counters: what the pool and the lockouts did. */
	{
		static const char *const outcome[4] = { "accepted", "refused", "displaced", "timed_out" };
		struct http_server_stats hs;
		unsigned k;
		http_server_get_stats(&hs);
		prom_family(&w, "api_connections_total", PROM_COUNTER,
			    "API connections by outcome: taken in, refused (no slot), displaced for a "
			    "newcomer, closed idle.");
		for (k = 0; k < 4; k++) {
			struct prom_label l = { "outcome", outcome[k] };
			prom_sample_u64(&w, &l, 1, k == 0 ? hs.accepted : k == 1 ? hs.refused
						   : k == 2 ? hs.displaced : hs.timeouts);
		}
		prom_family(&w, "api_requests_total", PROM_COUNTER, "API answers sent, errors included.");
		prom_sample_u64(&w, NULL, 0, hs.requests);
		prom_family(&w, "api_throttled_total", PROM_COUNTER,
			    "Token-route requests answered 429: their address sent a wrong token.");
		prom_sample_u64(&w, NULL, 0, hs.throttled);
		prom_family(&w, "api_open_connections", PROM_GAUGE, "API connections open now.");
		prom_sample_u64(&w, NULL, 0, hs.open);
	}
	for (i = 0; i < nvms; i++) {
		vm_row(&vms[i], &rows[i]);
		accounted += rows[i].accounted;
		with_pss += rows[i].has_pss;
	}
	if (accounted) {
		static const char *const backing[5] = { "private", "shared", "zero", "compressed", "patched" };
		unsigned b;
		prom_family(&w, "vm_pages", PROM_GAUGE, "Guest pages of a VM by how they are backed.");
		for (i = 0; i < nvms; i++)
			for (b = 0; b < 5 && rows[i].accounted; b++) {
				struct prom_label l[2] = { { "vm", vms[i].name }, { "backing", backing[b] } };
				prom_sample_u64(&w, l, 2, b == 0 ? rows[i].private_pages
						 : b == 1 ? rows[i].shared_pages
						 : b == 2 ? rows[i].zero_pages
						 : b == 3 ? rows[i].compressed_pages : rows[i].patched_pages);
			}
		prom_family(&w, "vm_compressed_bytes", PROM_GAUGE,
			    "Pool bytes a VM's compressed pages take (the cold tier).");
		for (i = 0; i < nvms; i++)
			if (rows[i].accounted) {
				struct prom_label l[1] = { { "vm", vms[i].name } };
				prom_sample_u64(&w, l, 1, rows[i].compressed_bytes);
			}
		prom_family(&w, "vm_decompressions_total", PROM_COUNTER,
			    "A VM's accesses to compressed pages, each brought back (a fault).");
		for (i = 0; i < nvms; i++)
			if (rows[i].accounted) {
				struct prom_label l[1] = { { "vm", vms[i].name } };
				prom_sample_u64(&w, l, 1, rows[i].decompressions);
			}
		prom_family(&w, "vm_patch_bytes", PROM_GAUGE,
			    "Pool bytes a VM's patched pages take (patches against reference frames).");
		for (i = 0; i < nvms; i++)
			if (rows[i].accounted) {
				struct prom_label l[1] = { { "vm", vms[i].name } };
				prom_sample_u64(&w, l, 1, rows[i].patch_bytes);
			}
		prom_family(&w, "vm_rebuilds_total", PROM_COUNTER,
			    "A VM's accesses to patched pages, each rebuilt from its reference (a fault).");
		for (i = 0; i < nvms; i++)
			if (rows[i].accounted) {
				struct prom_label l[1] = { { "vm", vms[i].name } };
				prom_sample_u64(&w, l, 1, rows[i].rebuilds);
			}
	}
	if (with_pss) {
		prom_family(&w, "vm_pss_bytes", PROM_GAUGE,
			    "A VM's proportional set size: each frame divided among its mappers.");
		for (i = 0; i < nvms; i++)
			if (rows[i].has_pss) {
				struct prom_label l = { "vm", vms[i].name };
				prom_sample_u64(&w, &l, 1, rows[i].pss_bytes);
			}
		prom_family(&w, "vm_pss_cost_bytes", PROM_GAUGE,
			    "What a VM costs: pooled pages at their slots, a reference frame divided among "
			    "its mappers and the patches that pin it.");
		for (i = 0; i < nvms; i++)
			if (rows[i].has_pss) {
				struct prom_label l = { "vm", vms[i].name };
				prom_sample_u64(&w, &l, 1, rows[i].pss_cost_bytes);
			}
	}
	if (api_account_age(&age_ms)) {
		prom_family(&w, "pss_age_seconds", PROM_GAUGE,
			    "How old vm_pss_bytes is: since the walk that counted it began.");
		prom_sample_milli(&w, NULL, 0, age_ms);
	}
	if (nvms) {
		prom_family(&w, "vm_ram_bytes", PROM_GAUGE, "A VM's guest RAM.");
		for (i = 0; i < nvms; i++) {
			struct prom_label l = { "vm", vms[i].name };
			prom_sample_u64(&w, &l, 1, vms[i].npages * DEDUP_PAGE_SIZE);
		}
		prom_family(&w, "vm_exits_total", PROM_COUNTER, "A VM's exits to the hypervisor.");
		for (i = 0; i < nvms; i++) {
			struct prom_label l = { "vm", vms[i].name };
			prom_sample_u64(&w, &l, 1, vm_exit_count(&vms[i]));
		}
		prom_family(&w, "vm_running", PROM_GAUGE, "1 while the VM runs.");
		for (i = 0; i < nvms; i++) {
			struct prom_label l = { "vm", vms[i].name };
			prom_sample_u64(&w, &l, 1, !vms[i].pending && !vms[i].stopped);
		}
	}
	if (prom_ok(&w)) {
		a->len = w.len;
		a->content_type = PROM_CONTENT_TYPE;
	} else {
		a->status = 500;
		a->reason = w.overflow ? "the answer did not fit its buffer" : w.misuse_why;
	}
}

/* Each knob: its value, and for a number its range; and whether it is in
 * force (pages_to_scan at the fixed rate, scan_target_s governed), as the
 * console's `knobs` says.  Without VT-x there is no engine: the values are
 * the defaults, which nothing uses. */
static void get_knobs(struct http_answer *a)
{
	struct knob_values defaults;
	const struct knob_values *kv = engine ? sharing_knobs() : (knob_defaults(&defaults), &defaults);
	struct json_writer w;
	unsigned k;

	jw_init(&w, a->body, a->cap);
	jw_object_begin(&w);
	for (k = 0; k < KNOB_COUNT; k++) {
		jw_key(&w, knob_table[k].name);
		jw_object_begin(&w);
		if (knob_table[k].boolean) {
			jw_kv_bool(&w, "value", kv->v[k] != 0);
		} else {
			jw_kv_u64(&w, "value", kv->v[k]);
			jw_kv_u64(&w, "min", knob_table[k].min);
			jw_kv_u64(&w, "max", knob_table[k].max);
		}
		jw_kv_bool(&w, "in_force", knob_in_force(kv, k));
		jw_object_end(&w);
	}
	jw_object_end(&w);
	finish_json(&w, a);
}

/* All or nothing: every pair is checked by knobs_parse first; each then
 * goes through sharing_knob_set, as the console's set does. */
static void set_knobs(const struct http_request *req, struct http_answer *a)
{
	static char reason[KNOBS_REASON_MAX];
	struct knob_value v[KNOB_COUNT];
	int n, i;

	if (!engine) {
		a->status = 503;
		a->reason = "no dedup engine runs (no VT-x): no knob to set";
		return;
	}
	if (!knob_defs[0].name)
		knob_defs_init();
	n = knobs_parse((const char *)req->body, (size_t)req->content_length, knob_defs, KNOB_COUNT,
			v, KNOB_COUNT, reason);
	if (n < 0) {
		a->status = 400;
		a->reason = reason;
		return;
	}
	for (i = 0; i < n; i++) {
		uint32_t x = (uint32_t)v[i].value;
		(void)sharing_knob_set((unsigned)v[i].def, x); /* in range: knobs_parse checked */
		printf("api: set %s %lu\n", knob_table[v[i].def].name, (unsigned long)x);
	}
	get_knobs(a);
}

/* GET /: the page, sent from the image as it is (not copied into the
 * connection's buffer, so its size is not bounded by it). */
static void get_dashboard(struct http_answer *a)
{
	a->content_type = HTTP_CT_HTML;
	a->ext_body = (const char *)dashboard_html;
	a->len = dashboard_html_len;
}

void api_serve(void *ctx, const struct http_request *req, const struct route *r,
	       struct http_answer *a)
{
	(void)ctx;
	switch (r->ep) {
	case API_EP_DASHBOARD: get_dashboard(a); break;
	case API_EP_STATS: get_stats(a); break;
	case API_EP_HISTORY: api_history_get(req, a); break;
	case API_EP_VMS: get_vms(a); break;
	case API_EP_METRICS: get_metrics(a); break;
	case API_EP_KNOBS_GET: get_knobs(a); break;
	case API_EP_KNOBS_SET: set_knobs(req, a); break;
	case API_EP_VM_PAUSE: api_vm_pause(r->name, a); break;
	case API_EP_VM_RESUME: api_vm_resume(r->name, a); break;
	case API_EP_VM_STOP: api_vm_stop(r->name, a); break;
	case API_EP_VM_MEMORY: api_vm_memory(r->name, a); break;
	case API_EP_VM_CONSOLE: api_vm_console_get(r->name, a); break;
	case API_EP_VM_TYPE: api_vm_console_type(r->name, req, a); break;
	default:
		a->status = 501;
		a->reason = "not served yet";
		break;
	}
}
