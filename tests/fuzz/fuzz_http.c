/*
 * fuzz_http.c - api/http_parse.c's http_feed() over arbitrary connection
 * streams, and what the server does next with each request: the router,
 * the token check, the knob parser and the error answer.
 *
 * Feeds: byte 0 chooses how the stream is cut (0: one piece; else pieces of
 * 1..n bytes from a generator it seeds); the rest is the bytes a client
 * sent on one connection, requests one after another.
 * Checks: the same results whether the stream came whole or cut (the
 * sequence of requests and the final error, as a digest of every field);
 * http_feed takes no more than it was given, and all of it unless it stops
 * at a request's end; a complete request has a path that starts with '/'
 * (or is "*"), a body within HTTP_MAX_BODY that is NUL-terminated, HTTP/1.0
 * or 1.1; an error has a status among those http_parse.h lists, a reason,
 * and an answer that fits a small buffer; the router answers 0, 404, 405
 * (with an Allow list) or 501; knobs_parse either returns pairs within
 * their ranges or a reason.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "http_parse.h"
#include "knobs_parse.h"
#include "response.h"
#include "router.h"

static const struct knob_def defs[] = {
	{ "pages_to_scan", 1, 100000, false },
	{ "sleep_ms", 0, 60000, false },
	{ "run", 0, 1, true },
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "\xff", 1);
}

/* What the server would do with a complete request; the request's digest. */
static uint64_t serve(const struct http_parser *p, uint64_t h)
{
	const struct http_request *q = &p->req;
	struct route r;
	struct knob_value kv[4];
	char reason[KNOBS_REASON_MAX];
	int n, i;

	CHECK(q->path && (q->path[0] == '/' || !strcmp(q->path, "*")), "path '%s'",
	      q->path ? q->path : "(null)");
	CHECK(q->query && q->method_name, "query or method missing");
	CHECK(q->version_minor <= 1, "HTTP/1.%u", q->version_minor);
	CHECK(q->content_length <= HTTP_MAX_BODY, "body of %llu bytes",
	      (unsigned long long)q->content_length);
	CHECK(q->body && q->body[q->content_length] == 0, "body not NUL-terminated");
	CHECK(q->method == HTTP_METHOD_OTHER ||
		      !strcmp(q->method_name, http_method_name(q->method)),
	      "method %d named '%s'", q->method, q->method_name);

	router_match(q->method, q->path, &r);
	CHECK(r.status == 0 || r.status == 404 || r.status == 405 || r.status == 501,
	      "router status %d", r.status);
	CHECK((r.status == 0) == (r.ep != API_EP_NONE), "status %d with endpoint %d", r.status, r.ep);
	CHECK((r.status == 405) == (r.allow[0] != 0), "status %d with Allow '%s'", r.status, r.allow);
	CHECK(strlen(r.name) <= API_NAME_MAX, "name '%s'", r.name);
	(void)api_auth_check("fuzz-token", q->authorization);

	n = knobs_parse((const char *)q->body, (size_t)q->content_length, defs,
			sizeof(defs) / sizeof(defs[0]), kv, 4, reason);
	CHECK(n >= -1 && n <= 4, "knobs_parse returned %d", n);
	CHECK(n != -1 || reason[0], "refused without a reason");
	for (i = 0; i < n; i++)
		CHECK(kv[i].value >= defs[kv[i].def].min && kv[i].value <= defs[kv[i].def].max,
		      "knob %s = %llu", defs[kv[i].def].name, (unsigned long long)kv[i].value);

	h = fnv(h, &q->method, sizeof(q->method));
	h = fnv_str(h, q->method_name);
	h = fnv_str(h, q->path);
	h = fnv_str(h, q->query);
	h = fnv_str(h, q->host);
	h = fnv_str(h, q->authorization);
	h = fnv(h, &q->version_minor, sizeof(q->version_minor));
	h = fnv(h, &q->keep_alive, sizeof(q->keep_alive));
	h = fnv(h, &q->content_length, sizeof(q->content_length));
	return fnv(h, q->body, (size_t)q->content_length);
}

static uint64_t failed(const struct http_parser *p, uint64_t h)
{
	static const int statuses[] = { 400, 413, 414, 417, 431, 501, 505 };
	char buf[1024];
	bool known = false;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		known |= p->status == statuses[i];
	CHECK(known && p->reason, "error status %d reason %s", p->status,
	      p->reason ? p->reason : "(null)");
	CHECK(!p->req.keep_alive, "error %d keeps the connection", p->status);
	CHECK(http_error_response(buf, sizeof(buf), p->status, p->reason, false, NULL, true) > 0,
	      "error %d has no answer", p->status);
	return fnv(fnv_str(h, p->reason), &p->status, sizeof(p->status));
}

/* The stream d[0..n) cut by seed (0: whole): the digest of its results. */
static uint64_t run(const uint8_t *d, size_t n, uint8_t seed)
{
	static struct http_parser p;
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t rng = seed * 2654435761u;
	size_t at = 0;

	http_parser_init(&p);
	while (at < n) {
		size_t piece = n - at, used;
		enum http_result r;
		if (seed) {
			rng = rng * 1103515245u + 12345u;
			piece = 1 + (rng >> 16) % seed;
			if (piece > n - at)
				piece = n - at;
		}
		for (;;) {
			r = http_feed(&p, d + at, piece, &used);
			CHECK(used <= piece, "took %zu of %zu", used, piece);
			CHECK(r != HTTP_NEED_MORE || used == piece, "need more after %zu of %zu", used,
			      piece);
			at += used;
			piece -= used;
			if (r == HTTP_ERROR)
				return failed(&p, h);
			if (r == HTTP_NEED_MORE)
				break;
			h = serve(&p, h);
			http_parser_reset(&p);
			if (!piece)
				break;
		}
	}
	return fnv(h, &p.state, sizeof(p.state));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t whole, cut;

	if (size < 1)
		return 0;
	whole = run(data + 1, size - 1, 0);
	if (!data[0])
		return 0;
	cut = run(data + 1, size - 1, data[0]);
	CHECK(whole == cut, "cut with seed %u: digest %016llx, whole %016llx", data[0],
	      (unsigned long long)cut, (unsigned long long)whole);
	return 0;
}
