/*
 * test_http_parse.c - api/http_parse.c: requests split across feeds at
 * every point, pipelined requests, keep-alive, each error class and its
 * status, the head and body limits, chunked, Content-Length's forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_parse.h"

/* What a request parsed to, flattened for comparison. */
struct got {
	enum http_result r;
	int status;
	enum http_method method;
	char path[256], query[256], host[64], auth[128], body[HTTP_MAX_BODY + 1];
	unsigned minor;
	uint64_t length;
	bool keep_alive;
};

static void copy(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "(null)");
}

static void record(const struct http_parser *p, enum http_result r, struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->r = r;
	if (r == HTTP_ERROR) {
		g->status = p->status;
		return;
	}
	g->method = p->req.method;
	copy(g->path, sizeof(g->path), p->req.path);
	copy(g->query, sizeof(g->query), p->req.query);
	copy(g->host, sizeof(g->host), p->req.host);
	copy(g->auth, sizeof(g->auth), p->req.authorization);
	g->minor = p->req.version_minor;
	g->length = p->req.content_length;
	g->keep_alive = p->req.keep_alive;
	memcpy(g->body, p->req.body, p->req.content_length);
}

static void same(const struct got *a, const struct got *b, const char *what)
{
	if (memcmp(a, b, sizeof(*a)))
		fail_msg("%s: result %d/%d vs %d/%d, path '%s' vs '%s', body '%s' vs '%s'", what,
			 a->r, a->status, b->r, b->status, a->path, b->path, a->body, b->body);
}

/* Runs the stream s[0..n) through one parser, handed over in pieces ending
 * at cuts[0..ncuts) (ascending), requests one after another as a server
 * would (reset after each complete one); records up to max results, the
 * last being an error or what was complete when the bytes ran out. */
static size_t run_stream(const char *s, size_t n, const size_t *cuts, size_t ncuts, struct got *out,
			 size_t max)
{
	static struct http_parser p;
	size_t at = 0, c, nout = 0;

	http_parser_init(&p);
	for (c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		while (at < end) {
			size_t used;
			enum http_result r = http_feed(&p, s + at, end - at, &used);
			assert_true(used <= end - at);
			at += used;
			if (r == HTTP_NEED_MORE) {
				assert_int_equal(at, end);
				break;
			}
			assert_true(nout < max);
			record(&p, r, &out[nout++]);
			if (r == HTTP_ERROR)
				return nout;
			http_parser_reset(&p);
		}
	}
	return nout;
}

static size_t run_whole(const char *s, struct got *out, size_t max)
{
	return run_stream(s, strlen(s), NULL, 0, out, max);
}

/* One request, fed whole: its result. */
static struct got parse1(const char *s)
{
	struct got g[1];
	size_t n = run_whole(s, g, 1);
	if (n != 1)
		fail_msg("'%s': incomplete", s);
	return g[0];
}

static void expect_status(const char *s, int status)
{
	struct got g;
	memset(&g, 0, sizeof(g));
	if (run_whole(s, &g, 1) != 1 || g.r != HTTP_ERROR || g.status != status)
		fail_msg("'%s': result %d status %d, expected error %d", s, g.r, g.status, status);
}

static const char post[] = "POST /api/knobs?dry=1 HTTP/1.1\r\nHost: hv.local\r\n"
			   "Authorization: Bearer s3cret\r\nContent-Type: application/json\r\n"
			   "Content-Length: 22\r\n\r\n{\"pages_to_scan\": 500}";

static void test_simple(void **state)
{
	struct got g = parse1(post);
	(void)state;
	assert_int_equal(g.r, HTTP_COMPLETE);
	assert_int_equal(g.method, HTTP_POST);
	assert_string_equal(g.path, "/api/knobs");
	assert_string_equal(g.query, "dry=1");
	assert_string_equal(g.host, "hv.local");
	assert_string_equal(g.auth, "Bearer s3cret");
	assert_int_equal(g.length, strlen("{\"pages_to_scan\": 500}"));
	assert_string_equal(g.body, "{\"pages_to_scan\": 500}");
	assert_int_equal(g.minor, 1);
	assert_true(g.keep_alive);

	g = parse1("GET / HTTP/1.0\n\n"); /* bare LFs; 1.0 needs no Host */
	assert_int_equal(g.r, HTTP_COMPLETE);
	assert_int_equal(g.method, HTTP_GET);
	assert_string_equal(g.path, "/");
	assert_string_equal(g.query, "");
	assert_string_equal(g.host, "(null)");
	assert_int_equal(g.length, 0);
	assert_false(g.keep_alive);
}

/* The same request whole, in two pieces cut anywhere, in three pieces cut
 * at any two points, and byte by byte. */
static void test_every_split(void **state)
{
	size_t n = strlen(post), i, j, cuts[2];
	struct got whole, g;
	char what[64];
	(void)state;

	assert_int_equal(run_whole(post, &whole, 1), 1);
	for (i = 0; i <= n; i++) {
		cuts[0] = i;
		assert_int_equal(run_stream(post, n, cuts, 1, &g, 1), 1);
		snprintf(what, sizeof(what), "cut at %zu", i);
		same(&g, &whole, what);
		for (j = i; j <= n; j++) {
			cuts[1] = j;
			assert_int_equal(run_stream(post, n, cuts, 2, &g, 1), 1);
			snprintf(what, sizeof(what), "cuts at %zu, %zu", i, j);
			same(&g, &whole, what);
		}
	}
	{
		static size_t every[sizeof(post)];
		for (i = 0; i < n; i++)
			every[i] = i + 1;
		assert_int_equal(run_stream(post, n, every, n - 1, &g, 1), 1);
		same(&g, &whole, "byte by byte");
	}
}

/* Three pipelined requests in one stream, cut at every point. */
static void test_pipelined(void **state)
{
	static const char s[] = "GET /api/stats HTTP/1.1\r\nHost: a\r\n\r\n"
				"POST /api/vms/alpha/pause HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
				"\r\n" /* a CRLF after a body, as some clients send */
				"GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	size_t n = strlen(s), i, cut;
	struct got want[4], g[4];
	(void)state;

	assert_int_equal(run_whole(s, want, 4), 3);
	assert_string_equal(want[0].path, "/api/stats");
	assert_int_equal(want[1].method, HTTP_POST);
	assert_string_equal(want[1].path, "/api/vms/alpha/pause");
	assert_string_equal(want[1].body, "xyz");
	assert_string_equal(want[2].path, "/metrics");
	assert_true(want[0].keep_alive && want[1].keep_alive);
	assert_false(want[2].keep_alive);
	for (cut = 0; cut <= n; cut++) {
		assert_int_equal(run_stream(s, n, &cut, 1, g, 4), 3);
		for (i = 0; i < 3; i++)
			same(&g[i], &want[i], "pipelined");
	}
}

/* http_feed stops right after a request: what follows is not taken. */
static void test_stops_after_request(void **state)
{
	static const char s[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n";
	struct http_parser p;
	size_t used, first = strlen("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
	(void)state;

	http_parser_init(&p);
	assert_int_equal(http_feed(&p, s, strlen(s), &used), HTTP_COMPLETE);
	assert_int_equal(used, first);
	/* Complete stays complete (nothing taken) until reset. */
	assert_int_equal(http_feed(&p, s + used, strlen(s) - used, &used), HTTP_COMPLETE);
	assert_int_equal(used, 0);
	http_parser_reset(&p);
	assert_int_equal(http_feed(&p, s + first, strlen(s) - first, &used), HTTP_NEED_MORE);
	assert_int_equal(used, strlen(s) - first);
	/* An error is final: nothing more is taken. */
	assert_int_equal(http_feed(&p, "X\r\n", 3, &used), HTTP_ERROR);
	assert_int_equal(p.status, 400);
	assert_non_null(p.reason);
	assert_int_equal(http_feed(&p, "\r\n", 2, &used), HTTP_ERROR);
	assert_int_equal(used, 0);
}

static void test_keep_alive(void **state)
{
	(void)state;
	assert_true(parse1("GET / HTTP/1.1\r\nHost: h\r\n\r\n").keep_alive);
	assert_false(parse1("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keep_alive);
	assert_false(parse1("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n").keep_alive);
	assert_false(parse1("GET / HTTP/1.0\r\n\r\n").keep_alive);
	assert_true(parse1("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
	assert_false(parse1("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
	assert_true(parse1("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n").keep_alive);
}

static void test_targets(void **state)
{
	struct got g;
	const char *v;
	size_t n;
	(void)state;

	g = parse1("GET /api/history?seconds=60&raw HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_string_equal(g.path, "/api/history");
	assert_string_equal(g.query, "seconds=60&raw");
	assert_true(http_query_param(g.query, "seconds", &v, &n));
	assert_int_equal(n, 2);
	assert_memory_equal(v, "60", 2);
	assert_true(http_query_param(g.query, "raw", &v, &n));
	assert_int_equal(n, 0);
	assert_false(http_query_param(g.query, "second", &v, &n));
	assert_false(http_query_param(g.query, "seconds=6", &v, &n));
	assert_false(http_query_param("", "a", &v, &n));
	assert_true(http_query_param("a=1&&b=2", "b", &v, &n));
	assert_memory_equal(v, "2", 1);

	g = parse1("GET http://hv.local:8080/metrics?x=1 HTTP/1.1\r\nHost: hv.local\r\n\r\n");
	assert_string_equal(g.path, "/metrics");
	assert_string_equal(g.query, "x=1");
	g = parse1("GET HTTPS://hv.local HTTP/1.1\r\nHost: hv.local\r\n\r\n");
	assert_string_equal(g.path, "/");
	g = parse1("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_int_equal(g.method, HTTP_OPTIONS);
	assert_string_equal(g.path, "*");
	g = parse1("get / HTTP/1.1\r\nHost: h\r\n\r\n"); /* methods are case-sensitive */
	assert_int_equal(g.method, HTTP_METHOD_OTHER);
	g = parse1("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_int_equal(g.method, HTTP_METHOD_OTHER);
	assert_int_equal(parse1("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n").method, HTTP_DELETE);
	assert_string_equal(http_method_name(HTTP_PATCH), "PATCH");
	assert_null(http_method_name(HTTP_METHOD_OTHER));
}

static void test_malformed(void **state)
{
	static const struct { const char *req; int status; } cases[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 400 },                 /* 1.1 without Host */
		{ "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400 },     /* two spaces */
		{ "GET /\r\n\r\n", 400 },                          /* HTTP/0.9 */
		{ "GET\r\n\r\n", 400 },
		{ " GET / HTTP/1.1\r\n\r\n", 400 },
		{ "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / http/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505 },
		{ "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505 },
		{ "GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505 },
		{ "GET api HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET http://h?x HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost h\r\n\r\n", 400 },       /* no colon */
		{ "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400 },     /* space before colon */
		{ "GET / HTTP/1.1\r\n: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400 }, /* folding */
		{ "GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400 },   /* bare CR */
		{ "GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer a\r\n"
		  "Authorization: Bearer a\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n", 417 },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_status(cases[i].req, cases[i].status);
	/* A NUL anywhere in the head. */
	{
		static const char s[] = "GET / HTTP/1.1\r\nHost: h\0x\r\n\r\n";
		struct got g;
		assert_int_equal(run_stream(s, sizeof(s) - 1, NULL, 0, &g, 1), 1);
		assert_int_equal(g.r, HTTP_ERROR);
		assert_int_equal(g.status, 400);
	}
}

static void test_content_length(void **state)
{
	char req[256];
	(void)state;
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12a\r\n\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 1\r\n\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\nx", 400);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
		      400);
	/* Past 2^64: still a number, and too large. */
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 184467440737095516160\r\n\r\n",
		      413);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999999\r\n"
		      "Content-Length: 99999999999999999999999999\r\n\r\n", 413);
	/* Repeated with the same value: one length. */
	{
		struct got g = parse1("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
				      "content-length: 02\r\n\r\nab");
		assert_int_equal(g.r, HTTP_COMPLETE);
		assert_string_equal(g.body, "ab");
	}
	/* The body limit, on both sides, answered before any body byte. */
	snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %u\r\n\r\n",
		 HTTP_MAX_BODY + 1);
	expect_status(req, 413);
	{
		static char big[HTTP_MAX_HEAD + HTTP_MAX_BODY];
		int n = snprintf(big, sizeof(big),
				 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %u\r\n\r\n", HTTP_MAX_BODY);
		struct got g;
		memset(big + n, 'b', HTTP_MAX_BODY);
		assert_int_equal(run_stream(big, (size_t)n + HTTP_MAX_BODY, NULL, 0, &g, 1), 1);
		assert_int_equal(g.r, HTTP_COMPLETE);
		assert_int_equal(g.length, HTTP_MAX_BODY);
		assert_int_equal(strlen(g.body), HTTP_MAX_BODY);
	}
}

static void test_chunked(void **state)
{
	(void)state;
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "3\r\nabc\r\n0\r\n\r\n", 501);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
	/* Both framings at once (request smuggling): refused, and closed. */
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n", 501);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nTRANSFER-ENCODING: chunked\r\n"
		      "Content-Length: 3\r\n\r\n", 501);
}

/* Builds "GET /<target> HTTP/1.1\r\nHost: h\r\n" + filler header + "\r\n"
 * so that the head is exactly size bytes. */
static size_t head_of(char *buf, size_t target_len, size_t size)
{
	size_t n = 0, fill;
	memcpy(buf, "GET /", 5);
	n = 5;
	memset(buf + n, 'a', target_len);
	n += target_len;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\nHost: h\r\n");
	fill = size - n - strlen("X: \r\n\r\n");
	n += (size_t)sprintf(buf + n, "X: ");
	memset(buf + n, 'x', fill);
	n += fill;
	n += (size_t)sprintf(buf + n, "\r\n\r\n");
	assert_int_equal(n, size);
	return n;
}

static void test_head_limits(void **state)
{
	static char buf[2 * HTTP_MAX_HEAD];
	struct got g;
	size_t n;
	(void)state;

	/* Exactly the limit: accepted; one byte more: 431. */
	n = head_of(buf, 10, HTTP_MAX_HEAD);
	assert_int_equal(run_stream(buf, n, NULL, 0, &g, 1), 1);
	assert_int_equal(g.r, HTTP_COMPLETE);
	n = head_of(buf, 10, HTTP_MAX_HEAD + 1);
	assert_int_equal(run_stream(buf, n, NULL, 0, &g, 1), 1);
	assert_int_equal(g.r, HTTP_ERROR);
	assert_int_equal(g.status, 431);
	/* The request line alone over the limit: 414, before its end arrives. */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', HTTP_MAX_HEAD);
	assert_int_equal(run_stream(buf, HTTP_MAX_HEAD + 5, NULL, 0, &g, 1), 1);
	assert_int_equal(g.r, HTTP_ERROR);
	assert_int_equal(g.status, 414);
	/* Many small header fields add up the same way. */
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\n");
	while (n < HTTP_MAX_HEAD)
		n += (size_t)sprintf(buf + n, "A: b\r\n");
	n += (size_t)sprintf(buf + n, "\r\n");
	assert_int_equal(run_stream(buf, n, NULL, 0, &g, 1), 1);
	assert_int_equal(g.status, 431);
}

static void test_empty_lines(void **state)
{
	(void)state;
	assert_int_equal(parse1("\r\n\r\n\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n").r, HTTP_COMPLETE);
	assert_string_equal(parse1("\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n").path, "/x");
	expect_status("\r\n\r\n\r\n\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void test_expect_continue(void **state)
{
	static const char head[] = "POST /api/knobs HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
				   "Content-Length: 2\r\n\r\n";
	struct http_parser p;
	size_t used;
	(void)state;

	http_parser_init(&p);
	assert_int_equal(http_feed(&p, head, 10, &used), HTTP_NEED_MORE);
	assert_false(http_take_continue(&p)); /* the head is not in yet */
	assert_int_equal(http_feed(&p, head + 10, strlen(head) - 10, &used), HTTP_NEED_MORE);
	assert_true(http_take_continue(&p));
	assert_false(http_take_continue(&p)); /* once */
	assert_int_equal(http_feed(&p, "{}", 2, &used), HTTP_COMPLETE);
	assert_true(p.req.expect_continue);
	assert_false(http_take_continue(&p));
	/* Without a body there is nothing to continue to. */
	http_parser_init(&p);
	assert_int_equal(http_feed(&p, "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
				   strlen("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"),
				   &used),
			 HTTP_COMPLETE);
	assert_false(http_take_continue(&p));
}

/* Every prefix of a valid request asks for more, and never errs. */
static void test_prefixes(void **state)
{
	struct http_parser p;
	size_t n = strlen(post), i, used;
	(void)state;
	for (i = 0; i < n; i++) {
		http_parser_init(&p);
		assert_int_equal(http_feed(&p, post, i, &used), HTTP_NEED_MORE);
		assert_int_equal(used, i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),         cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_pipelined),      cmocka_unit_test(test_stops_after_request),
		cmocka_unit_test(test_keep_alive),     cmocka_unit_test(test_targets),
		cmocka_unit_test(test_malformed),      cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked),        cmocka_unit_test(test_head_limits),
		cmocka_unit_test(test_empty_lines),    cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_prefixes),
	};
	return cmocka_run_group_tests_name("http_parse", tests, NULL, NULL);
}
