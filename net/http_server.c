/*
 * http_server.c - the API's HTTP/1.1 server on lwIP's raw TCP API (see
 * http_server.h for what it promises).
 *
 * A connection is a slot of conns[]: free while pcb is NULL.  Its life:
 *
 *   accept --> reading --(request complete)--> ready --(a turn in http_server_run)--+
 *                ^   \--(bad request)--> sending, closing                            |
 *                |                                   sending <-----------------------+
 *                +-----------(keep-alive, all queued)-----+
 *   closing: once the answer is queued, tcp_close (FIN after the data)
 *
 * Who does what when.  lwIP's callbacks (from the caller's poll: frames
 * in, timers) take received bytes in, parse them (cheap: the parser only
 * looks at the bytes), push out what is already written and close; they
 * never answer a request.  Answers - the handler's work, the part whose
 * cost grows with what it reports - and a stream's refills are made by
 * http_server_run, at most HTTP_POLL_WORK a call, one a connection in
 * turn.  A complete request waiting for its turn is "ready": not counted
 * against its client's timeouts, and not taken for a slow sender's.
 *
 * Received bytes are copied out of lwIP's pbufs at once (the pool that
 * holds received frames is shared by every connection: a client that
 * stops reading must not pin it) into c->rx, and wait there until the
 * parser takes them; only then are they acknowledged to TCP (tcp_recved).
 * So a client that sends faster than we answer fills its window and waits:
 * what waits is bounded by TCP_WND, the size of c->rx, and pipelined
 * requests are answered one at a time, in order.  Answers
 * are copied into lwIP as its send buffer allows (TCP_WRITE_FLAG_COPY:
 * lwIP owns what it may retransmit, so a slot can be reused at once); the
 * rest goes out from the sent and poll callbacks.
 *
 * lwIP's rules followed here: a callback that aborted its PCB returns
 * ERR_ABRT; after the error callback the PCB is gone; tcp_close can fail
 * for want of memory, and then we abort (a reset) rather than leak.
 */
#include <string.h>

#include <lwip/pbuf.h>
#include <lwip/tcp.h>

#include "api_fmt.h"
#include "auth_throttle.h"
#include "conn_pool.h"
#include "http_server.h"
#include "response.h"

#define POLL_TICKS 2 /* tcp_poll interval, in TCP's 500 ms ticks: every second */

struct conn {
	struct tcp_pcb *pcb;     /* NULL: a free slot */
	size_t rx_off, rx_len;   /* rx[rx_off..+rx_len): received, not yet parsed */
	bool ready;              /* a complete request waits for its turn (http_server_run) */
	bool sending;            /* an answer is being queued */
	bool closing;            /* close once it is queued; read nothing more */
	bool peer_closed;        /* the client sent its FIN */
	unsigned idle_s, req_s;  /* seconds without progress; on this request */
	uint32_t peer;           /* the client's IPv4 address */
	bool spoke;              /* a byte of a request came since the accept */
	uint64_t opened_ms;      /* the accept */
	uint64_t state_ms;       /* when its pool state (pool_of) began */
	size_t head_len, body_len, sent; /* sent: of head then body, queued to TCP */
	bool streaming;          /* the body is stream's, read into body[] in turns */
	struct http_stream stream;
	uint64_t stream_off;     /* stream bytes read into body[] so far */
	const char *ext;         /* the body is there (http_answer.ext_body), not in body[] */
	char head[HTTP_HEAD_MAX];
	char body[HTTP_BODY_MAX + 1];
	uint8_t rx[TCP_WND];     /* unacknowledged bytes: never more than the window */
	struct http_parser parser;
};

static struct conn conns[HTTP_CONNS];
static struct {
	struct tcp_pcb *listen;
	const char *token;
	http_handler handler;
	void *ctx;
	struct http_server_stats st;
	struct auth_throttle throttle; /* addresses that sent wrong tokens */
	unsigned budget;               /* work this service() may do: 0 outside http_server_run */
	unsigned turn;                 /* the connection http_server_run begins with */
	uint64_t (*clock_ms)(void);
} srv;

static const struct pool_policy policy = { HTTP_PEER_MAX, HTTP_NEW_GRACE_MS, HTTP_SLOW_MS };

static uint64_t now_ms(void)
{
	return srv.clock_ms();
}

/* Where c is in its request-answer cycle, for the pool's policy.  An
 * answer is going out until lwIP holds none of it (queued or unacknowledged). */
static enum pool_state pool_of(const struct conn *c)
{
	if (c->peer_closed)
		return POOL_IDLE; /* its client has gone: the first to make room */
	if (c->ready || c->sending || c->pcb->unsent || c->pcb->unacked)
		return POOL_ANSWERING;
	if (c->rx_len || c->parser.state != HTTP_S_LINE || c->parser.head_len)
		return POOL_ARRIVING;
	return c->spoke ? POOL_IDLE : POOL_NEW;
}

/* The connection is done with its stream, whether all was sent or not. */
static void stream_end(struct conn *c, bool complete)
{
	if (!c->streaming)
		return;
	c->streaming = false;
	if (!complete)
		srv.st.streams_cut++;
	/* What TCP took: what was read, less what of it is still unqueued. */
	c->stream.end(c->stream.ctx, complete,
		      c->stream_off - (c->head_len + c->body_len - (c->sent > c->head_len ? c->sent
									  : c->head_len)));
}

/* Detaches c from its PCB and closes it (or resets it, if lwIP has no
 * memory for the FIN).  ERR_ABRT when the PCB was aborted. */
static err_t conn_close(struct conn *c, bool reset)
{
	struct tcp_pcb *pcb = c->pcb;
	err_t r = ERR_OK;

	stream_end(c, false);
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	/* Acknowledge what is dropped: lwIP resets a connection closed with
	 * data it still counts as unread. */
	if (c->rx_len)
		tcp_recved(pcb, (u16_t)c->rx_len);
	c->rx_len = 0;
	/* Closed, its PCB lingers (FIN_WAIT, TIME_WAIT) until the peer
	 * answers or lwIP's timers end it - minutes for a peer that vanished.
	 * Below the listener's priority, lwIP may take it back for a new
	 * connection when it has no PCB left (tcp_alloc's tcp_kill_prio);
	 * the pooled ones keep the listener's and are never taken. */
	tcp_setprio(pcb, TCP_PRIO_MIN);
	if (reset || tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		r = ERR_ABRT;
	}
	c->pcb = NULL;
	srv.st.open--;
	return r;
}

/* The answer to send is an error: status, reason, and the JSON body. */
static void answer_error(struct conn *c, int status, const char *reason, bool keep,
			 const char *extra, bool with_body)
{
	int n = http_error_response(c->body, sizeof(c->body), status, reason, keep, extra, with_body);

	c->head_len = 0;
	c->ext = NULL;
	c->body_len = n > 0 ? (size_t)n : 0;
	c->sending = true;
	c->sent = 0;
	c->closing = !keep || n <= 0;
	srv.st.requests++;
}

/* A complete request in c->parser: route it, check its token, answer. */
static void answer_request(struct conn *c)
{
	const struct http_request *q = &c->parser.req;
	bool keep = q->keep_alive, body = q->method != HTTP_HEAD;
	struct http_answer a;
	struct route r;
	size_t clen = 0;
	int n;

	router_match(q->method, q->path, &r);
	if (r.status) {
		char allow[sizeof(r.allow) + 10] = "";
		if (r.status == 405) {
			strcpy(allow, "Allow: ");
			strcat(allow, r.allow);
			strcat(allow, "\r\n");
		}
		answer_error(c, r.status, r.reason, keep, allow, body);
		return;
	}
	if (r.needs_token) {
		uint64_t now = now_ms(), wait = srv.token ? auth_throttle_wait(&srv.throttle, c->peer, now)
						       : 0;
		enum api_auth auth;
		char why[96], extra[40];
		size_t k;

		if (wait) {
			/* Locked out for wrong tokens: no compare, a 429 at once. */
			k = strlen(strcpy(extra, "Retry-After: "));
			k += api_u64_dec(extra + k, (wait + 999) / 1000);
			strcpy(extra + k, "\r\n");
			srv.st.throttled++;
			answer_error(c, 429, "this address sent a wrong token: it must wait (Retry-After) "
				     "before its next try", keep, extra, body);
			return;
		}
		auth = api_auth_check(srv.token, q->authorization);
		if (auth == API_AUTH_OK)
			auth_throttle_passed(&srv.throttle, c->peer);
		if (auth != API_AUTH_OK) {
			const char *reason = auth == API_AUTH_DISABLED ? "no token is configured (api.token)"
					   : "this resource needs Authorization: Bearer TOKEN";
			if (auth == API_AUTH_WRONG) {
				uint64_t lock = auth_throttle_failed(&srv.throttle, c->peer, now);
				k = strlen(strcpy(why, "the token is wrong; this address may try again in "));
				k += api_u64_dec(why + k, (lock + 999) / 1000);
				strcpy(why + k, " s");
				reason = why;
			}
			answer_error(c, api_auth_status(auth), reason, keep, api_auth_challenge(auth), body);
			return;
		}
	}
	a = (struct http_answer){ .status = 200, .content_type = HTTP_CT_JSON, .body = c->body,
				  .cap = HTTP_BODY_MAX };
	srv.handler(srv.ctx, q, &r, &a);
	if (a.stream.read) {
		/* From here every path ends the stream: stream_end, on the
		 * last byte queued or on the connection's end. */
		c->streaming = true;
		c->stream = a.stream;
		c->stream_off = 0;
		c->head_len = c->body_len = c->sent = 0;
		srv.st.streams++;
		clen = (size_t)a.stream.length;
		a.len = 0;
		if (a.status >= 400 || !body)
			stream_end(c, !body && a.status < 400); /* nothing of it to send */
	}
	if (a.status < 400 && !a.ext_body && a.len > a.cap) {
		a.status = 500;
		a.reason = "the answer did not fit its buffer";
	}
	if (a.status >= 400) {
		answer_error(c, a.status, a.reason, keep, NULL, body);
		return;
	}
	n = http_response_head(c->head, sizeof(c->head), a.status, a.content_type,
			       a.stream.read ? clen : a.len, keep, NULL);
	if (n < 0) {
		stream_end(c, false);
		answer_error(c, 500, "the response head did not fit", keep, NULL, body);
		return;
	}
	c->head_len = (size_t)n;
	c->ext = a.ext_body;
	c->body_len = body ? a.len : 0;
	c->sent = 0;
	c->sending = true;
	c->closing = !keep;
	srv.st.requests++;
}

/* Reads a stream's next buffer into body[] once the last is queued.  0, or
 * -1 when the stream failed. */
static int stream_refill(struct conn *c)
{
	uint64_t left = c->stream.length - c->stream_off;
	size_t n = left < HTTP_BODY_MAX ? (size_t)left : HTTP_BODY_MAX;

	srv.budget--;
	if (c->stream.read(c->stream.ctx, c->stream_off, c->body, n))
		return -1;
	c->stream_off += n;
	c->body_len = n;
	c->sent = c->head_len;
	return 0;
}

/* Queues as much of the answer as lwIP takes: 1 once all is queued, 0 if
 * some waits for room (or a stream's next buffer for a turn in
 * http_server_run), -1 if a stream failed (reset the connection). */
static int push(struct conn *c)
{
	bool wrote = false;

	for (;;) {
		const char *p;
		size_t left, room;
		u16_t n;
		bool more;

		if (c->sent == c->head_len + c->body_len) {
			if (!c->streaming)
				break;
			if (c->stream_off == c->stream.length) {
				stream_end(c, true);
				break;
			}
			if (!srv.budget)
				break; /* the next buffer in its turn */
			if (stream_refill(c))
				return -1;
		}
		p = c->sent < c->head_len ? c->head + c->sent
					   : (c->ext ? c->ext : c->body) + (c->sent - c->head_len);
		left = c->sent < c->head_len ? c->head_len - c->sent
					     : c->head_len + c->body_len - c->sent;
		room = tcp_sndbuf(c->pcb);
		n = (u16_t)(left < room ? left : room);
		more = c->sent + n < c->head_len + c->body_len ||
		       (c->streaming && c->stream_off < c->stream.length);
		if (!n || tcp_write(c->pcb, p, n, TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0))
			  != ERR_OK)
			break; /* ERR_MEM: again from the sent or poll callback */
		c->sent += n;
		wrote = true;
	}
	if (wrote)
		tcp_output(c->pcb);
	return c->sent == c->head_len + c->body_len && !c->streaming;
}

/* Takes c forward as far as it goes now: sends what is due, then parses
 * the requests waiting in c->rx and answers them, one at a time, while
 * srv.budget lasts (none outside http_server_run: then a complete request
 * waits, ready). */
static err_t service(struct conn *c)
{
	for (;;) {
		enum http_result res;
		size_t used;

		if (c->sending) {
			int pushed = push(c);
			if (pushed < 0) {
				srv.st.aborted++;
				return conn_close(c, true);
			}
			if (!pushed)
				return ERR_OK;
			c->sending = false;
			c->state_ms = now_ms();
			if (c->closing)
				return conn_close(c, false);
		}
		if (c->ready) {
			if (!srv.budget)
				return ERR_OK;
			srv.budget--;
			c->ready = false;
			answer_request(c);
			http_parser_reset(&c->parser);
			c->req_s = 0;
			continue;
		}
		if (!c->rx_len) {
			if (c->peer_closed)
				return conn_close(c, false);
			if (http_take_continue(&c->parser) &&
			    tcp_write(c->pcb, HTTP_100_CONTINUE, sizeof(HTTP_100_CONTINUE) - 1, 0) == ERR_OK)
				tcp_output(c->pcb);
			return ERR_OK;
		}
		res = http_feed(&c->parser, c->rx + c->rx_off, c->rx_len, &used);
		if (used) {
			tcp_recved(c->pcb, (u16_t)used);
			c->rx_off += used;
			c->rx_len -= used;
		}
		if (res == HTTP_NEED_MORE && !used)
			return ERR_OK; /* (the parser takes all it is given: never) */
		if (res == HTTP_COMPLETE) {
			c->ready = true;
			c->state_ms = now_ms();
		} else if (res == HTTP_ERROR) {
			/* The framing is lost: answer, drop the rest, close. */
			answer_error(c, c->parser.status, c->parser.reason, false, NULL, true);
			tcp_recved(c->pcb, (u16_t)c->rx_len);
			c->rx_len = 0;
		}
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;

	if (!c || err != ERR_OK) {
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (!p) {
		/* The client sent its FIN: the answer in progress (or ready) is
		 * finished, the pipelined requests behind it are not answered -
		 * after a flood, a closed connection must not hold its slot
		 * while the server answers nobody (issue 23). */
		c->peer_closed = true;
		if (!c->ready && !c->sending)
			http_parser_reset(&c->parser);
		if (c->rx_len)
			tcp_recved(pcb, (u16_t)c->rx_len);
		c->rx_len = 0;
		return service(c);
	}
	c->idle_s = 0;
	if (c->closing) { /* after a bad request, or Connection: close */
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (pool_of(c) == POOL_NEW || pool_of(c) == POOL_IDLE)
		c->state_ms = now_ms(); /* a request begins to arrive */
	c->spoke = true;
	if (!c->rx_len)
		c->rx_off = 0;
	if (c->rx_off + c->rx_len + p->tot_len > sizeof(c->rx)) {
		memmove(c->rx, c->rx + c->rx_off, c->rx_len);
		c->rx_off = 0;
	}
	if (c->rx_len + p->tot_len > sizeof(c->rx)) {
		/* More than the window we offered: cannot happen with lwIP's
		 * receive window; a reset rather than an overflow. */
		pbuf_free(p);
		srv.st.aborted++;
		return conn_close(c, true);
	}
	c->rx_len += pbuf_copy_partial(p, c->rx + c->rx_off + c->rx_len, p->tot_len, 0);
	pbuf_free(p);
	return service(c);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;
	(void)pcb;
	(void)len;
	if (!c)
		return ERR_OK;
	c->idle_s = 0;
	return service(c);
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	struct conn *c = arg;
	(void)pcb;
	if (!c)
		return ERR_OK;
	c->idle_s++;
	if ((c->parser.state != HTTP_S_LINE || c->parser.head_len || c->sending) && !c->streaming &&
	    !c->ready)
		c->req_s++;
	if (c->idle_s >= HTTP_IDLE_S || c->req_s >= HTTP_REQUEST_S) {
		srv.st.timeouts++;
		return conn_close(c, false);
	}
	return service(c);
}

/* The PCB is gone already (reset by the peer, or lwIP ran out of it). */
static void on_err(void *arg, err_t err)
{
	struct conn *c = arg;
	(void)err;
	if (!c)
		return;
	stream_end(c, false);
	c->rx_len = 0;
	c->ready = false;
	c->pcb = NULL;
	srv.st.open--;
	srv.st.aborted++;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct pool_slot view[HTTP_CONNS];
	struct pool_choice pick;
	uint64_t now = now_ms();
	uint32_t peer;
	struct conn *c;
	unsigned i;
	(void)arg;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	peer = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)));
	for (i = 0; i < HTTP_CONNS; i++) {
		const struct conn *x = &conns[i];
		view[i] = (struct pool_slot){ x->pcb != NULL, x->pcb ? pool_of(x) : POOL_NEW, x->peer,
					      x->state_ms, x->opened_ms };
	}
	pick = pool_admit(view, HTTP_CONNS, peer, now, &policy);
	if (pick.verdict == POOL_REFUSE) {
		/* No slot for it: a reset now, not a queue or more memory. */
		srv.st.refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c = &conns[pick.slot];
	if (pick.verdict == POOL_DISPLACE) {
		srv.st.displaced++;
		conn_close(c, true); /* a reset: its PCB, not this one, is aborted */
	}
	c->pcb = pcb;
	c->peer = peer;
	c->spoke = false;
	c->opened_ms = c->state_ms = now;
	c->rx_off = c->rx_len = 0;
	c->ready = c->sending = c->closing = c->peer_closed = false;
	c->idle_s = c->req_s = 0;
	c->head_len = c->body_len = c->sent = 0;
	c->streaming = false;
	http_parser_init(&c->parser);
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_poll(pcb, on_poll, POLL_TICKS);
	tcp_nagle_disable(pcb); /* a head and a body: no waiting between them */
	srv.st.accepted++;
	srv.st.open++;
	return ERR_OK;
}

int http_server_start(uint16_t port, const char *token, http_handler handler, void *ctx,
		      uint64_t (*clock_ms)(void))
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4), *l;

	if (!pcb)
		return -1;
	if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
		tcp_close(pcb);
		return -1;
	}
	l = tcp_listen(pcb); /* frees pcb, or leaves it when it fails */
	if (!l) {
		tcp_close(pcb);
		return -1;
	}
	srv.listen = l;
	srv.token = token && token[0] ? token : NULL;
	srv.handler = handler;
	srv.ctx = ctx;
	srv.clock_ms = clock_ms;
	tcp_accept(l, on_accept);
	return 0;
}

void http_server_get_stats(struct http_server_stats *s)
{
	*s = srv.st;
}

void http_server_run(void)
{
	unsigned left = HTTP_POLL_WORK, k;
	bool worked = true;

	/* Rounds over the connections, one unit of work each per round,
	 * beginning one further on each call, until the work is spent or
	 * nobody has any. */
	while (left && worked) {
		worked = false;
		for (k = 0; k < HTTP_CONNS && left; k++) {
			struct conn *c = &conns[(srv.turn + k) % HTTP_CONNS];
			if (!c->pcb)
				continue;
			srv.budget = 1;
			service(c);
			if (!srv.budget) {
				left--;
				worked = true;
			}
		}
		srv.turn = (srv.turn + 1) % HTTP_CONNS;
	}
	srv.budget = 0;
}

void http_server_abandon(void)
{
	unsigned i;

	for (i = 0; i < HTTP_CONNS; i++) {
		struct conn *c = &conns[i];
		if (!c->pcb)
			continue;
		stream_end(c, false);
		c->pcb = NULL;
		c->rx_len = 0;
		c->ready = c->sending = false;
		srv.st.aborted++;
	}
	srv.st.open = 0;
	srv.listen = NULL;
	srv.budget = 0;
}
