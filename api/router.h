/*
 * router.h - which endpoint of the API a request names, and whether it may
 * have it.
 *
 * The routes are one table (router.c): a path pattern, whose segment
 * "{name}" matches a VM name, the method, and whether the route needs the
 * bearer token.  A GET route answers HEAD too.  The answers, in order:
 *   501  a method the server does not know (HTTP_METHOD_OTHER)
 *   404  no route has this path (a VM name that cannot be one included)
 *   405  routes have this path but not this method: r->allow lists theirs
 * The caller then checks the token when r->needs_token (api_auth_check).
 * Paths are matched byte for byte, without percent-decoding: VM names are
 * [A-Za-z0-9_-] (as common/config.c checks them), which never need it.
 *
 * The token rule.  Routes that change something (knobs, VM actions,
 * typing on a VM's console) and the one that reads guest memory need
 * "Authorization: Bearer TOKEN" with the configured token; the compare takes time that depends on the length
 * of what was sent, never on where it differs.  No configured token (empty)
 * disables those routes: 403, since no credential could help (a 401 would
 * invite the client to retry with one).  A missing header or another scheme
 * is 401 with "WWW-Authenticate: Bearer realm=..."; a wrong token is 401
 * with error="invalid_token" added (RFC 6750 §3).
 */
#ifndef API_ROUTER_H
#define API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http_parse.h"

/* A VM name's longest length (common/config.h: CONFIG_NAME_MAX - 1). */
#define API_NAME_MAX 31u

enum api_endpoint {
	API_EP_NONE,
	API_EP_DASHBOARD, /* GET /                        the HTML page */
	API_EP_STATS,     /* GET /api/stats               engine counters */
	API_EP_VMS,       /* GET /api/vms                 per-VM rows */
	API_EP_HISTORY,   /* GET /api/history             per-second samples */
	API_EP_METRICS,   /* GET /metrics                 Prometheus 0.0.4 */
	API_EP_KNOBS_GET, /* GET /api/knobs               knob values, ranges */
	API_EP_KNOBS_SET, /* POST /api/knobs              token */
	API_EP_VM_PAUSE,  /* POST /api/vms/NAME/pause     token */
	API_EP_VM_RESUME, /* POST /api/vms/NAME/resume    token */
	API_EP_VM_STOP,   /* POST /api/vms/NAME/stop      token */
	API_EP_VM_MEMORY, /* GET /api/vms/NAME/memory     token; raw image */
	API_EP_VM_CONSOLE,/* GET /api/vms/NAME/console    its last output, raw */
	API_EP_VM_TYPE,   /* POST /api/vms/NAME/console   token; typed to it */
	API_EP_COUNT
};

struct route {
	enum api_endpoint ep;    /* API_EP_NONE unless status == 0 */
	int status;              /* 0: routed; else 404, 405 or 501 */
	const char *reason;      /* status != 0: why */
	bool needs_token;
	char name[API_NAME_MAX + 1]; /* the {name} segment, "" when none */
	/* 405: the Allow field's value, "GET, HEAD, POST"; room for all nine
	 * methods of enum http_method (60 bytes and the NUL). */
	char allow[64];
};

/* Routes method and path (a request's, from http_parse.h) into *r. */
void router_match(enum http_method method, const char *path, struct route *r);

enum api_auth {
	API_AUTH_OK,
	API_AUTH_DISABLED, /* no token configured: 403 */
	API_AUTH_MISSING,  /* no Authorization field: 401 */
	API_AUTH_SCHEME,   /* not "Bearer TOKEN": 401 */
	API_AUTH_WRONG     /* another token: 401, invalid_token */
};

/* Checks an Authorization field's value (NULL when absent) against the
 * configured token (NULL or "" when none). */
enum api_auth api_auth_check(const char *configured, const char *authorization);
/* The status to answer (0 for API_AUTH_OK). */
int api_auth_status(enum api_auth a);
/* The header field the answer carries, with its CRLF ("" when none). */
const char *api_auth_challenge(enum api_auth a);

/* given[0..gn) equals secret[0..sn) (sn > 0), in a time that depends on gn
 * only: every byte of given is compared, whatever matched before. */
bool api_token_equal(const char *secret, size_t sn, const char *given, size_t gn);

#endif
