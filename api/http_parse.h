/*
 * http_parse.h - an incremental HTTP/1.1 request parser for the API server.
 *
 * TCP hands the server a connection's bytes in pieces of any size; the
 * parser takes them as they come (http_feed) and says, after each piece,
 * whether a whole request has arrived, more is needed, or the request is
 * bad and with which status the server must answer before it closes the
 * connection.  It keeps the request head and body in fixed buffers inside
 * struct http_parser (no allocation: one parser per pooled connection).
 *
 * What it accepts (RFC 9112), and what it answers otherwise:
 *   request line   METHOD SP TARGET SP HTTP/1.0|HTTP/1.1, one space each;
 *                  TARGET in origin form (/path?query) or absolute form
 *                  (http://host/path); empty lines before it are skipped
 *                  400 malformed; 505 another HTTP version; 414 the
 *                  line alone passes HTTP_MAX_HEAD; a method we do not
 *                  know parses (HTTP_METHOD_OTHER: the router says 501)
 *   header fields  NAME ":" OWS VALUE OWS; lines end in CRLF or LF
 *                  400 malformed (space before the colon, control bytes,
 *                  obsolete line folding); 431 head over HTTP_MAX_HEAD
 *   Host           required in HTTP/1.1, at most once (else 400)
 *   Content-Length digits only; repeated only with the same value; a list
 *                  ("5, 5") is refused (400); over HTTP_MAX_BODY: 413,
 *                  answered as soon as the head is in (the body is not read)
 *   Transfer-Encoding  any (chunked too): 501, and the connection closes
 *   Expect         100-continue is noted (http_take_continue); others 417
 *   Authorization  kept, at most once (else 400)
 *   Connection     "close" / "keep-alive" tokens decide keep_alive with the
 *                  version's default (1.1: keep, 1.0: close)
 * After an error the parser stays failed: its framing is lost, so the
 * server answers the status and closes.
 */
#ifndef API_HTTP_PARSE_H
#define API_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Request line plus header fields, their CRLFs and the empty line; a
 * browser's request is well under 1 KiB. */
#define HTTP_MAX_HEAD 4096u
/* The only bodies are POST /api/knobs's small JSON objects. */
#define HTTP_MAX_BODY 1024u

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_PATCH,
	HTTP_OPTIONS,
	HTTP_TRACE,
	HTTP_CONNECT,
	HTTP_METHOD_OTHER, /* a well-formed token we do not know: 501 */
	HTTP_METHOD_COUNT
};

/* The method's name as sent on the wire ("GET"); NULL for OTHER. */
const char *http_method_name(enum http_method m);

enum http_result {
	HTTP_NEED_MORE,  /* every byte given was taken; feed more */
	HTTP_COMPLETE,   /* a request is in p->req; bytes past it were not taken */
	HTTP_ERROR       /* answer p->status with p->reason, then close */
};

/* One parsed request.  The strings point into the parser and stay valid
 * until http_parser_reset(). */
struct http_request {
	enum http_method method;
	const char *method_name; /* as sent */
	const char *path;        /* target without query; absolute form reduced */
	const char *query;       /* after '?', "" when none */
	unsigned version_minor;  /* HTTP/1.<this>: 0 or 1 */
	const char *host;        /* NULL when absent */
	const char *authorization; /* NULL when absent */
	uint64_t content_length;
	const uint8_t *body;     /* content_length bytes (NUL after them) */
	bool keep_alive;         /* the connection stays open after the answer */
	bool expect_continue;    /* Expect: 100-continue */
};

enum http_state { HTTP_S_LINE, HTTP_S_HEADERS, HTTP_S_BODY, HTTP_S_DONE, HTTP_S_ERROR };

struct http_parser {
	enum http_state state;
	int status;            /* HTTP_ERROR: the status to answer */
	const char *reason;    /* HTTP_ERROR: why, for the error body */
	struct http_request req;
	/* Head bytes kept (lines NUL-terminated in place as they complete). */
	char head[HTTP_MAX_HEAD + 1];
	size_t head_len;
	size_t line_start;     /* where the line being read begins in head[] */
	unsigned empty_lines;  /* skipped before the request line */
	size_t body_len;       /* bytes of the body received */
	bool have_length;      /* a Content-Length was seen */
	bool continue_taken;
	bool conn_close, conn_keep; /* Connection tokens seen */
	uint8_t body[HTTP_MAX_BODY + 1];
};

/* A parser ready for the first request of a connection. */
void http_parser_init(struct http_parser *p);

/* Forget the request just answered; ready for the next one on the same
 * connection (pipelined bytes the last http_feed did not take come next). */
void http_parser_reset(struct http_parser *p);

/* Takes bytes data[0..len) of the connection, stopping right after a
 * complete request; *used says how many it took (all of them with
 * HTTP_NEED_MORE, none once failed or complete). */
enum http_result http_feed(struct http_parser *p, const void *data, size_t len, size_t *used);

/* True once per request, when its head is in, the body still to come, and
 * the client asked for 100-continue: the server sends HTTP_100_CONTINUE. */
bool http_take_continue(struct http_parser *p);

/* The value of parameter name in a query string ("a=1&b=2"), not decoded:
 * true with *value and *len set, false when absent.  "b" alone reads as empty. */
bool http_query_param(const char *query, const char *name, const char **value, size_t *len);

#endif
