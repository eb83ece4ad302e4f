/*
 * test_api_router.c - api/router.c: each route, 404/405 (with Allow)/501,
 * the VM name segment, and the bearer token check, its statuses and
 * challenges, and that its compare does not stop at the first difference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "router.h"

static struct route routed(enum http_method m, const char *path)
{
	struct route r;
	router_match(m, path, &r);
	return r;
}

static void expect_route(enum http_method m, const char *path, enum api_endpoint ep, bool token,
			 const char *name)
{
	struct route r = routed(m, path);
	if (r.status || r.ep != ep || r.needs_token != token || strcmp(r.name, name))
		fail_msg("%s %s: status %d ep %d token %d name '%s'", http_method_name(m), path,
			 r.status, r.ep, r.needs_token, r.name);
}

static void test_routes(void **state)
{
	(void)state;
	expect_route(HTTP_GET, "/", API_EP_DASHBOARD, false, "");
	expect_route(HTTP_HEAD, "/", API_EP_DASHBOARD, false, "");
	expect_route(HTTP_GET, "/api/stats", API_EP_STATS, false, "");
	expect_route(HTTP_GET, "/api/vms", API_EP_VMS, false, "");
	expect_route(HTTP_HEAD, "/api/vms", API_EP_VMS, false, "");
	expect_route(HTTP_GET, "/api/history", API_EP_HISTORY, false, "");
	expect_route(HTTP_GET, "/metrics", API_EP_METRICS, false, "");
	expect_route(HTTP_GET, "/api/knobs", API_EP_KNOBS_GET, false, "");
	expect_route(HTTP_POST, "/api/knobs", API_EP_KNOBS_SET, true, "");
	expect_route(HTTP_POST, "/api/vms/alpha/pause", API_EP_VM_PAUSE, true, "alpha");
	expect_route(HTTP_POST, "/api/vms/B_2/resume", API_EP_VM_RESUME, true, "B_2");
	expect_route(HTTP_POST, "/api/vms/a-1/stop", API_EP_VM_STOP, true, "a-1");
	expect_route(HTTP_GET, "/api/vms/gamma/memory", API_EP_VM_MEMORY, true, "gamma");
	expect_route(HTTP_HEAD, "/api/vms/gamma/memory", API_EP_VM_MEMORY, true, "gamma");
	/* A console's output is read without the token, typed to with it. */
	expect_route(HTTP_GET, "/api/vms/tux/console", API_EP_VM_CONSOLE, false, "tux");
	expect_route(HTTP_HEAD, "/api/vms/tux/console", API_EP_VM_CONSOLE, false, "tux");
	expect_route(HTTP_POST, "/api/vms/tux/console", API_EP_VM_TYPE, true, "tux");
}

static void expect_status(enum http_method m, const char *path, int status, const char *allow)
{
	struct route r = routed(m, path);
	if (r.status != status || r.ep != API_EP_NONE || !r.reason || strcmp(r.allow, allow))
		fail_msg("%s %s: status %d (expected %d), allow '%s' (expected '%s')",
			 http_method_name(m) ? http_method_name(m) : "OTHER", path, r.status, status,
			 r.allow, allow);
}

static void test_not_found(void **state)
{
	char path[64], name[API_NAME_MAX + 2];
	(void)state;
	expect_status(HTTP_GET, "/api", 404, "");
	expect_status(HTTP_GET, "/api/stats/", 404, "");
	expect_status(HTTP_GET, "/api/statsx", 404, "");
	expect_status(HTTP_GET, "/API/stats", 404, "");
	expect_status(HTTP_GET, "//", 404, "");
	expect_status(HTTP_GET, "*", 404, "");
	expect_status(HTTP_POST, "/api/vms//pause", 404, "");
	expect_status(HTTP_POST, "/api/vms/al.pha/pause", 404, "");
	expect_status(HTTP_POST, "/api/vms/al%20pha/pause", 404, "");
	expect_status(HTTP_POST, "/api/vms/alpha/pause/", 404, "");
	expect_status(HTTP_POST, "/api/vms/alpha/reboot", 404, "");
	expect_status(HTTP_GET, "/api/vms/tux/console/", 404, "");
	expect_status(HTTP_GET, "/api/vms/alpha", 404, "");
	/* The longest name a config may hold, and one byte more. */
	memset(name, 'n', API_NAME_MAX);
	name[API_NAME_MAX] = 0;
	snprintf(path, sizeof(path), "/api/vms/%s/stop", name);
	expect_route(HTTP_POST, path, API_EP_VM_STOP, true, name);
	name[API_NAME_MAX] = 'n';
	name[API_NAME_MAX + 1] = 0;
	snprintf(path, sizeof(path), "/api/vms/%s/stop", name);
	expect_status(HTTP_POST, path, 404, "");
}

static void test_method_not_allowed(void **state)
{
	(void)state;
	expect_status(HTTP_POST, "/api/stats", 405, "GET, HEAD");
	expect_status(HTTP_DELETE, "/", 405, "GET, HEAD");
	expect_status(HTTP_PUT, "/api/knobs", 405, "GET, HEAD, POST");
	expect_status(HTTP_OPTIONS, "/api/knobs", 405, "GET, HEAD, POST");
	expect_status(HTTP_GET, "/api/vms/alpha/pause", 405, "POST");
	expect_status(HTTP_HEAD, "/api/vms/alpha/stop", 405, "POST");
	expect_status(HTTP_POST, "/api/vms/alpha/memory", 405, "GET, HEAD");
	expect_status(HTTP_PUT, "/api/vms/tux/console", 405, "GET, HEAD, POST");
	/* An unknown method is 501 wherever it goes. */
	expect_status(HTTP_METHOD_OTHER, "/api/stats", 501, "");
	expect_status(HTTP_METHOD_OTHER, "/nowhere", 501, "");
}

#define TOKEN "s3cret-T0ken.value"

static void expect_auth(const char *configured, const char *header, enum api_auth want, int status)
{
	enum api_auth a = api_auth_check(configured, header);
	if (a != want || api_auth_status(a) != status)
		fail_msg("token '%s', header '%s': %d (status %d), expected %d (status %d)",
			 configured ? configured : "(null)", header ? header : "(null)", a,
			 api_auth_status(a), want, status);
}

static void test_token(void **state)
{
	(void)state;
	expect_auth(TOKEN, "Bearer " TOKEN, API_AUTH_OK, 0);
	expect_auth(TOKEN, "bearer " TOKEN, API_AUTH_OK, 0);
	expect_auth(TOKEN, "BEARER   " TOKEN, API_AUTH_OK, 0);
	expect_auth(TOKEN, NULL, API_AUTH_MISSING, 401);
	expect_auth(TOKEN, "Bearer wrong", API_AUTH_WRONG, 401);
	expect_auth(TOKEN, "Bearer " TOKEN "x", API_AUTH_WRONG, 401);
	expect_auth(TOKEN, "Bearer s3cret", API_AUTH_WRONG, 401); /* a prefix */
	expect_auth(TOKEN, "Bearer S3CRET-T0KEN.VALUE", API_AUTH_WRONG, 401);
	expect_auth(TOKEN, "Bearer " TOKEN TOKEN, API_AUTH_WRONG, 401); /* the secret twice */
	expect_auth(TOKEN, "Basic dXNlcjpwYXNz", API_AUTH_SCHEME, 401);
	expect_auth(TOKEN, "Bearer", API_AUTH_SCHEME, 401);
	expect_auth(TOKEN, "Bearer ", API_AUTH_SCHEME, 401);
	expect_auth(TOKEN, "Bearer" TOKEN, API_AUTH_SCHEME, 401);
	expect_auth(TOKEN, TOKEN, API_AUTH_SCHEME, 401);
	expect_auth(TOKEN, "", API_AUTH_SCHEME, 401);
	expect_auth(TOKEN, "Bear", API_AUTH_SCHEME, 401);
	/* No configured token: writes are off, whatever is sent. */
	expect_auth("", "Bearer ", API_AUTH_DISABLED, 403);
	expect_auth("", "Bearer x", API_AUTH_DISABLED, 403);
	expect_auth(NULL, NULL, API_AUTH_DISABLED, 403);

	assert_string_equal(api_auth_challenge(API_AUTH_MISSING),
			    "WWW-Authenticate: Bearer realm=\"dedupvisor\"\r\n");
	assert_string_equal(api_auth_challenge(API_AUTH_SCHEME), api_auth_challenge(API_AUTH_MISSING));
	assert_string_equal(api_auth_challenge(API_AUTH_WRONG),
			    "WWW-Authenticate: Bearer realm=\"dedupvisor\", error=\"invalid_token\"\r\n");
	assert_string_equal(api_auth_challenge(API_AUTH_OK), "");
	assert_string_equal(api_auth_challenge(API_AUTH_DISABLED), "");

	assert_true(api_token_equal("abc", 3, "abc", 3));
	assert_false(api_token_equal("abc", 3, "abd", 3));
	assert_false(api_token_equal("abc", 3, "abcabc", 6));
	assert_false(api_token_equal("abc", 3, "ab", 2));
	assert_false(api_token_equal("abc", 3, "", 0));
	assert_false(api_token_equal("", 0, "", 0));
}

/* An early-exit compare, as memcmp may be: the control for the test below. */
static bool naive_equal(const char *secret, size_t sn, const char *given, size_t gn)
{
	size_t i;
	if (sn != gn)
		return false;
	for (i = 0; i < gn; i++)
		if (secret[i] != given[i])
			return false;
	return true;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

typedef bool (*cmp_fn)(const char *, size_t, const char *, size_t);

/* The fastest of many timings of cmp(secret, given): the minimum is what
 * the work costs, free of the scheduler's noise. */
static double fastest(cmp_fn cmp, const char *secret, const char *given, size_t n)
{
	double best = 1e30;
	int i;
	for (i = 0; i < 200; i++) {
		double t0 = now_ns();
		volatile bool r = cmp(secret, n, given, n);
		double t = now_ns() - t0;
		(void)r;
		if (t < best)
			best = t;
	}
	return best;
}

/* A difference in the first byte and one in the last take the same time
 * (within a factor the noise allows); the naive compare, timed the same
 * way, differs by far more: the measurement can tell the two apart. */
static void test_token_timing(void **state)
{
	enum { N = 1 << 16 };
	char *secret = malloc(N), *first = malloc(N), *last = malloc(N);
	double ct_first, ct_last, nv_first, nv_last;
	(void)state;

	assert_non_null(secret);
	assert_non_null(first);
	assert_non_null(last);
	memset(secret, 'k', N);
	memcpy(first, secret, N);
	memcpy(last, secret, N);
	first[0] = 'x';
	last[N - 1] = 'x';

	ct_first = fastest(api_token_equal, secret, first, N);
	ct_last = fastest(api_token_equal, secret, last, N);
	nv_first = fastest(naive_equal, secret, first, N);
	nv_last = fastest(naive_equal, secret, last, N);
	print_message("token compare of %d bytes: %.0f ns (first byte differs), %.0f ns (last); "
		      "naive: %.0f ns, %.0f ns\n", N, ct_first, ct_last, nv_first, nv_last);
	assert_true(nv_last > 8 * nv_first);
	assert_true(ct_first * 2 > ct_last && ct_last * 2 > ct_first);
	free(secret);
	free(first);
	free(last);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),       cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed), cmocka_unit_test(test_token),
		cmocka_unit_test(test_token_timing),
	};
	return cmocka_run_group_tests_name("api_router", tests, NULL, NULL);
}
