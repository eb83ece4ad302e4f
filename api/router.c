/*
 * router.c - the API's route table, its matcher and the token check (see
 * router.h for the answers and the token rule).
 *
 * A request's path is matched against every pattern of the table; the
 * methods of the patterns that match make the Allow list of a 405, so the
 * table is the one place that says what exists.  A dozen routes: a linear
 * walk is the fastest and the clearest.
 */
#include <string.h>

#include "router.h"

static const struct {
	const char *pattern;
	enum http_method method;
	enum api_endpoint ep;
	bool needs_token;
} routes[] = {
	{ "/", HTTP_GET, API_EP_DASHBOARD, false },
	{ "/api/stats", HTTP_GET, API_EP_STATS, false },
	{ "/api/vms", HTTP_GET, API_EP_VMS, false },
	{ "/api/history", HTTP_GET, API_EP_HISTORY, false },
	{ "/metrics", HTTP_GET, API_EP_METRICS, false },
	{ "/api/knobs", HTTP_GET, API_EP_KNOBS_GET, false },
	{ "/api/knobs", HTTP_POST, API_EP_KNOBS_SET, true },
	{ "/api/vms/{name}/pause", HTTP_POST, API_EP_VM_PAUSE, true },
	{ "/api/vms/{name}/resume", HTTP_POST, API_EP_VM_RESUME, true },
	{ "/api/vms/{name}/stop", HTTP_POST, API_EP_VM_STOP, true },
	/* Guest memory is the guest's secret: the token guards reading it. */
	{ "/api/vms/{name}/memory", HTTP_GET, API_EP_VM_MEMORY, true },
	/* What a VM's console showed is read as the dashboard reads the rest;
	 * typing to it is acting in the guest: the token. */
	{ "/api/vms/{name}/console", HTTP_GET, API_EP_VM_CONSOLE, false },
	{ "/api/vms/{name}/console", HTTP_POST, API_EP_VM_TYPE, true },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))
#define PARAM "{name}"

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* path matches pattern; the {name} segment, if any, goes to name. */
static bool match(const char *pattern, const char *path, char *name)
{
	while (*pattern) {
		if (!strncmp(pattern, PARAM, sizeof(PARAM) - 1)) {
			size_t n = 0;
			while (name_char(path[n]))
				n++;
			if (n == 0 || n > API_NAME_MAX || (path[n] && path[n] != '/'))
				return false;
			memcpy(name, path, n);
			name[n] = 0;
			path += n;
			pattern += sizeof(PARAM) - 1;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return !*path;
}

/* The Allow list: the methods in mask, in enum http_method's order. */
static void set_allow(struct route *r, unsigned mask)
{
	size_t len = 0;
	int m;

	r->allow[0] = 0;
	for (m = 0; m < HTTP_METHOD_OTHER; m++) {
		const char *name = http_method_name((enum http_method)m);
		if (!(mask & 1u << m))
			continue;
		if (len) {
			memcpy(r->allow + len, ", ", 2);
			len += 2;
		}
		memcpy(r->allow + len, name, strlen(name) + 1);
		len += strlen(name);
	}
}

void router_match(enum http_method method, const char *path, struct route *r)
{
	char name[API_NAME_MAX + 1];
	unsigned mask = 0;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (method >= HTTP_METHOD_OTHER) {
		r->status = 501;
		r->reason = "method not implemented";
		return;
	}
	for (i = 0; i < NROUTES; i++) {
		name[0] = 0;
		if (!match(routes[i].pattern, path, name))
			continue;
		mask |= 1u << routes[i].method;
		if (routes[i].method == HTTP_GET)
			mask |= 1u << HTTP_HEAD;
		if (method == routes[i].method || (method == HTTP_HEAD && routes[i].method == HTTP_GET)) {
			r->ep = routes[i].ep;
			r->needs_token = routes[i].needs_token;
			memcpy(r->name, name, strlen(name) + 1);
			return;
		}
	}
	if (!mask) {
		r->status = 404;
		r->reason = "no such resource";
		return;
	}
	r->status = 405;
	r->reason = "method not allowed on this resource";
	set_allow(r, mask);
}

bool api_token_equal(const char *secret, size_t sn, const char *given, size_t gn)
{
	/* volatile: the compiler may not stop at the first difference. */
	volatile unsigned char diff = sn != gn;
	size_t i, j = 0;

	if (!sn)
		return false;
	for (i = 0; i < gn; i++) {
		diff |= (unsigned char)(secret[j] ^ given[i]);
		if (++j == sn) /* past the secret's end: again from its start */
			j = 0;
	}
	return diff == 0;
}

enum api_auth api_auth_check(const char *configured, const char *authorization)
{
	static const char scheme[] = "bearer";
	const char *t;
	size_t i;

	if (!configured || !*configured)
		return API_AUTH_DISABLED;
	if (!authorization)
		return API_AUTH_MISSING;
	/* auth-scheme is case-insensitive (RFC 9110 §11.1), then 1*SP. */
	for (i = 0; i < sizeof(scheme) - 1; i++) {
		char c = authorization[i];
		if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != scheme[i])
			return API_AUTH_SCHEME;
	}
	t = authorization + sizeof(scheme) - 1;
	if (*t != ' ')
		return API_AUTH_SCHEME;
	while (*t == ' ')
		t++;
	if (!*t)
		return API_AUTH_SCHEME;
	return api_token_equal(configured, strlen(configured), t, strlen(t)) ? API_AUTH_OK
									      : API_AUTH_WRONG;
}

int api_auth_status(enum api_auth a)
{
	switch (a) {
	case API_AUTH_OK:
		return 0;
	case API_AUTH_DISABLED:
		return 403;
	default:
		return 401;
	}
}

#define REALM "Bearer realm=\"dedupvisor\""

const char *api_auth_challenge(enum api_auth a)
{
	switch (a) {
	case API_AUTH_MISSING:
	case API_AUTH_SCHEME:
		return "WWW-Authenticate: " REALM "\r\n";
	case API_AUTH_WRONG:
		return "WWW-Authenticate: " REALM ", error=\"invalid_token\"\r\n";
	default:
		return "";
	}
}
