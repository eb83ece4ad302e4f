/*
 * api_serve.h - the API's endpoints, filled from the engine and the VMs
 * (api_serve.c); the HTTP server (net/http_server.h) calls them.
 */
#ifndef KERNEL_API_SERVE_H
#define KERNEL_API_SERVE_H

#include "http_server.h"

/* The http_handler of the API: answers the routed request r. */
void api_serve(void *ctx, const struct http_request *req, const struct route *r,
	       struct http_answer *a);

#endif
