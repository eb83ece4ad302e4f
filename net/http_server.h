/*
 * http_server.h - the API's HTTP/1.1 server, on lwIP's raw TCP API.
 *
 * One listener, a fixed pool of HTTP_CONNS connections, each with its
 * request parser (api/http_parse.h) and its response buffers, all static.
 * Who gets a slot is api/conn_pool.h's policy: an address holds at most
 * HTTP_PEER_MAX; when the pool is full a newcomer displaces the connection
 * idle longest between requests, else one silent since its accept for
 * HTTP_NEW_GRACE_MS, else a request arriving for more than HTTP_SLOW_MS,
 * else the oldest of an address holding two more than the newcomer; else
 * it is refused at once with a reset (tcp_abort), never queued and never
 * given memory.  A connection that makes no progress for HTTP_IDLE_S
 * seconds, or spends HTTP_REQUEST_S on one request, is closed.  Requests
 * are routed (api/router.h), the token checked where the route needs it
 * (an address that sent a wrong one is locked out of those routes for a
 * while, answered 429 at once: api/auth_throttle.h), and the rest is the
 * caller's handler: it writes the body of the answer into the
 * connection's buffer.
 *
 * The work one poll may do is bounded: lwIP's callbacks only take bytes
 * in and push out what is already written; requests are answered (and a
 * streamed answer's buffers refilled) by http_server_run, at most
 * HTTP_POLL_WORK of them a call, one connection after the other, so that
 * pipelined requests on every connection cost the caller (the boot CPU,
 * under the hypervisor's lock) a bounded time per poll and each client
 * its turn (issue 23).
 *
 * Why not lwIP's own httpd (apps/http): it serves files compiled into an
 * fsdata image, with SSI and CGI for dynamic parts; the API needs POST
 * bodies read whole (knobs), bearer tokens checked in constant time, the
 * exact status codes of docs/api.md, answers streamed longer than a buffer
 * (a VM's memory image, to come) and a pool with a hard limit.  A small
 * server over api/'s host-tested parser and router does all of that in one
 * page of state machine.
 *
 * Plain C over lwIP and api/: no hardware, no call into the core; lwIP's
 * callbacks run from the core's net_poll (control/net.c), one at a time.
 */
#ifndef NET_HTTP_SERVER_H
#define NET_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "router.h"

#define HTTP_CONNS      8         /* connections served at once */
#define HTTP_PEER_MAX   6         /* of them, at most this many from one address */
#define HTTP_NEW_GRACE_MS 1000    /* a new connection's time to send its first byte */
#define HTTP_SLOW_MS    2000      /* a request still arriving after this is a slow sender's */
#define HTTP_POLL_WORK  4         /* answers (or stream buffers) one http_server_run makes */
#define HTTP_IDLE_S     10        /* no byte in or acknowledged out for this long: closed */
#define HTTP_REQUEST_S  30        /* one request may take this long to arrive and be answered
                                     (a streamed answer: to arrive; its sending is bounded
                                     by HTTP_IDLE_S, since each acknowledgement is progress) */
#define HTTP_HEAD_MAX   512       /* a response's head */
/* A response's body: /metrics for 16 VMs is ~10 KiB, /api/vms ~4 KiB. */
#define HTTP_BODY_MAX   (24 * 1024)

/* A body too long for a buffer (a VM's memory image): length bytes that the
 * server reads as it sends them, one buffer at a time, as TCP's window
 * allows, so that a slow client holds one buffer and no more.  read copies
 * n bytes from offset off into buf: 0, or -1 when the bytes are gone (the
 * connection is then reset, and the client sees a body short of its
 * Content-Length).  end is called once, when the connection is done with
 * the stream: complete is true when every byte was queued to TCP.  read
 * and end run from lwIP's callbacks, as the handler does. */
struct http_stream {
	uint64_t length;
	int (*read)(void *ctx, uint64_t off, void *buf, size_t n);
	void (*end)(void *ctx, bool complete, uint64_t sent);
	void *ctx;
};

/* What a handler answers.  The server fills it with status 200, JSON, and
 * its buffer; the handler writes the body into body[0..cap) and sets len,
 * or sets stream.read (then len is ignored: the body is the stream), or
 * points ext_body at a constant body of len bytes (the dashboard page),
 * which the server sends from there, of any length, without copying it
 * (it must stay unchanged as long as the server sends it: a constant of
 * the image), or sets an error status (>= 400) with a reason, and the
 * server sends the JSON error answer instead (500 when len > cap).  A
 * stream's end is called even when the answer is never sent (a HEAD
 * request, an error). */
struct http_answer {
	int status;
	const char *reason;
	const char *content_type;
	char *body;
	size_t cap, len;
	const char *ext_body;
	struct http_stream stream;
};

/* Answers a routed request (route r->status == 0) whose token, if the
 * route needs one, was checked.  req->body holds a POST's body. */
typedef void (*http_handler)(void *ctx, const struct http_request *req, const struct route *r,
			     struct http_answer *a);

struct http_server_stats {
	uint64_t accepted;  /* connections taken into the pool */
	uint64_t refused;   /* connections reset: no slot for them (conn_pool.h) */
	uint64_t displaced; /* connections reset to make room for a newcomer */
	uint64_t throttled; /* token-route requests answered 429: their address sent wrong tokens */
	uint64_t requests;  /* answers sent, errors included */
	uint64_t timeouts;  /* connections closed for idling */
	uint64_t aborted;   /* connections lost to a reset or lwIP's error */
	uint64_t streams;   /* streamed answers begun; streams_cut: ended short */
	uint64_t streams_cut;
	unsigned open;      /* connections in the pool now */
};

/* Listens on port of every address of the netif.  token: the configured
 * bearer token ("" or NULL: none; the routes that need one answer 403);
 * it must outlive the server.  clock_ms: the caller's clock in
 * milliseconds, never going back (the pool's and the lockouts' times).
 * 0, or -1 (lwIP out of PCBs or the port in use). */
int http_server_start(uint16_t port, const char *token, http_handler handler, void *ctx,
		      uint64_t (*clock_ms)(void));
void http_server_get_stats(struct http_server_stats *s);

/* Answers what waits, at most HTTP_POLL_WORK requests or stream buffers,
 * the connections in turn (each call begins one further on).  From the
 * caller's poll, after lwIP has had the received frames and its timers. */
void http_server_run(void);

/* Forgets every connection and the listener without a call into lwIP (its
 * state is to be thrown away: control/net.c's recovery from an lwIP
 * assertion); streams in progress are ended (their end callback, complete
 * false).  The counters stay.  http_server_start may follow. */
void http_server_abandon(void);

#endif
