/*
 * http_parse.c - the API server's incremental HTTP/1.1 request parser (see
 * http_parse.h for what it accepts and the statuses it answers).
 *
 * How it works.  The head (request line and header fields) is copied byte
 * by byte into p->head; each LF ends a line, which is then parsed where it
 * lies: its CR or LF becomes a NUL, and so do the spaces of the request
 * line and the end of each header value, so the strings the request points
 * at are pieces of p->head and nothing is copied twice.  The empty line
 * ends the head; the framing is then decided once (Content-Length, or
 * none: HTTP requests without one have no body) and the body, if any, is
 * copied into p->body in as few steps as the pieces allow.  http_feed stops
 * right after a complete request, so the bytes of a pipelined next request
 * stay with the caller until http_parser_reset().
 *
 *     LINE --request line--> HEADERS --empty line--> BODY --n bytes--> DONE
 *       \                       \                       (no body) ----^
 *        `-----------------------`--> ERROR (status, reason): final
 *
 * Each state does O(1) work per byte, and a line is parsed once, when it
 * ends, so a request costs time linear in its size whatever the split.
 */
#include <string.h>

#include "http_parse.h"

/* Empty lines skipped before a request line (RFC 9112 §2.2 asks for at
 * least one: clients may send a CRLF after a POST body). */
#define HTTP_MAX_EMPTY_LINES 4u

static const char *const method_names[HTTP_METHOD_COUNT] = {
	[HTTP_GET] = "GET",         [HTTP_HEAD] = "HEAD",   [HTTP_POST] = "POST",
	[HTTP_PUT] = "PUT",         [HTTP_DELETE] = "DELETE", [HTTP_PATCH] = "PATCH",
	[HTTP_OPTIONS] = "OPTIONS", [HTTP_TRACE] = "TRACE", [HTTP_CONNECT] = "CONNECT",
	[HTTP_METHOD_OTHER] = NULL,
};

const char *http_method_name(enum http_method m)
{
	return (unsigned)m < HTTP_METHOD_COUNT ? method_names[m] : NULL;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* a equals the lower-case literal b, ignoring the case of a. */
static bool ieq(const char *a, size_t n, const char *b)
{
	size_t i;
	for (i = 0; i < n && b[i]; i++)
		if (lower(a[i]) != b[i])
			return false;
	return i == n && !b[i];
}

/* RFC 9110 §5.6.2 tchar. */
static bool tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

static bool token(const char *s, size_t n)
{
	size_t i;
	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (!tchar((unsigned char)s[i]))
			return false;
	return true;
}

static enum http_result fail(struct http_parser *p, int status, const char *reason)
{
	p->state = HTTP_S_ERROR;
	p->status = status;
	p->reason = reason;
	p->req.keep_alive = false;
	return HTTP_ERROR;
}

void http_parser_reset(struct http_parser *p)
{
	p->state = HTTP_S_LINE;
	p->status = 0;
	p->reason = NULL;
	memset(&p->req, 0, sizeof(p->req));
	p->req.query = "";
	p->head_len = 0;
	p->line_start = 0;
	p->empty_lines = 0;
	p->body_len = 0;
	p->have_length = false;
	p->continue_taken = false;
	p->conn_close = false;
	p->conn_keep = false;
	p->head[0] = 0;
	p->body[0] = 0;
}

void http_parser_init(struct http_parser *p)
{
	http_parser_reset(p);
}

/* METHOD SP TARGET SP HTTP-VERSION, in line[0..n) (NUL at line[n]). */
static enum http_result request_line(struct http_parser *p, char *line, size_t n)
{
	char *sp1 = memchr(line, ' ', n), *sp2, *target, *version, *q;
	size_t tn, i;
	int m;

	if (!sp1 || !token(line, (size_t)(sp1 - line)))
		return fail(p, 400, "malformed request line: no method");
	*sp1 = 0;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - (size_t)(target - line));
	if (!sp2 || sp2 == target)
		return fail(p, 400, "malformed request line: no target");
	*sp2 = 0;
	version = sp2 + 1;

	/* HTTP/1.0 and HTTP/1.1; any other well-formed version is 505. */
	if (strlen(version) != 8 || memcmp(version, "HTTP/", 5) || version[6] != '.' ||
	    version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
		return fail(p, 400, "malformed request line: bad HTTP version");
	if (version[5] != '1' || version[7] > '1')
		return fail(p, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
	p->req.version_minor = (unsigned)(version[7] - '0');

	p->req.method = HTTP_METHOD_OTHER;
	for (m = 0; m < HTTP_METHOD_OTHER; m++)
		if (!strcmp(line, method_names[m]))
			p->req.method = (enum http_method)m;
	p->req.method_name = line;

	/* Visible ASCII only (no spaces, controls or raw UTF-8), no fragment. */
	tn = (size_t)(sp2 - target);
	for (i = 0; i < tn; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7F ||
		    target[i] == '#')
			return fail(p, 400, "malformed request target");
	if (tn >= 7 && (ieq(target, 7, "http://") || (tn >= 8 && ieq(target, 8, "https://")))) {
		/* Absolute form (RFC 9112 §3.2.2): the path starts after the authority. */
		char *slash = strchr(target + (lower(target[4]) == 's' ? 8 : 7), '/');
		char *qm = strchr(target, '?');
		if (qm && (!slash || qm < slash))
			return fail(p, 400, "malformed request target: query without path");
		if (!slash) {
			p->req.path = "/";
			return HTTP_NEED_MORE;
		}
		target = slash;
	} else if (target[0] != '/' && strcmp(target, "*")) {
		return fail(p, 400, "malformed request target: not a path");
	}
	q = strchr(target, '?');
	if (q) {
		*q = 0;
		p->req.query = q + 1;
	}
	p->req.path = target;
	return HTTP_NEED_MORE;
}

/* Content-Length = 1*DIGIT; saturates (anything over HTTP_MAX_BODY is 413). */
static bool parse_length(const char *v, uint64_t *out)
{
	uint64_t x = 0;
	if (!*v)
		return false;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return false;
		if (x > (UINT64_MAX - 9) / 10)
			x = UINT64_MAX;
		else
			x = x * 10 + (uint64_t)(*v - '0');
	}
	*out = x;
	return true;
}

/* The Connection field: a comma-separated list of tokens. */
static void connection_tokens(struct http_parser *p, const char *v)
{
	while (*v) {
		const char *e;
		size_t n;
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		e = v;
		while (*e && *e != ',')
			e++;
		n = (size_t)(e - v);
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (ieq(v, n, "close"))
			p->conn_close = true;
		else if (ieq(v, n, "keep-alive"))
			p->conn_keep = true;
		v = e;
	}
}

/* NAME ":" OWS VALUE OWS, in line[0..n). */
static enum http_result header_line(struct http_parser *p, char *line, size_t n)
{
	char *colon, *v, *end;
	size_t nn;
	const char *s;

	if (line[0] == ' ' || line[0] == '\t')
		return fail(p, 400, "obsolete header line folding");
	colon = memchr(line, ':', n);
	if (!colon)
		return fail(p, 400, "malformed header field: no colon");
	nn = (size_t)(colon - line);
	if (!token(line, nn))
		return fail(p, 400, "malformed header field name");
	v = colon + 1;
	end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (s = v; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return fail(p, 400, "control character in a header field");
	}
	*end = 0;

	if (ieq(line, nn, "host")) {
		if (p->req.host)
			return fail(p, 400, "more than one Host field");
		p->req.host = v;
	} else if (ieq(line, nn, "content-length")) {
		uint64_t len;
		if (!parse_length(v, &len))
			return fail(p, 400, "Content-Length is not a decimal number");
		if (p->have_length && len != p->req.content_length)
			return fail(p, 400, "Content-Length fields with different values");
		p->have_length = true;
		p->req.content_length = len;
	} else if (ieq(line, nn, "transfer-encoding")) {
		return fail(p, 501, "Transfer-Encoding (chunked) is not supported: send Content-Length");
	} else if (ieq(line, nn, "authorization")) {
		if (p->req.authorization)
			return fail(p, 400, "more than one Authorization field");
		p->req.authorization = v;
	} else if (ieq(line, nn, "connection")) {
		connection_tokens(p, v);
	} else if (ieq(line, nn, "expect")) {
		if (!ieq(v, strlen(v), "100-continue"))
			return fail(p, 417, "only Expect: 100-continue is supported");
		p->req.expect_continue = true;
	}
	return HTTP_NEED_MORE;
}

/* The empty line: decide the framing and the connection's fate. */
static enum http_result head_done(struct http_parser *p)
{
	if (p->req.version_minor == 1 && !p->req.host)
		return fail(p, 400, "HTTP/1.1 request without Host");
	if (p->req.content_length > HTTP_MAX_BODY)
		return fail(p, 413, "request body too large");
	p->req.keep_alive = !p->conn_close && (p->req.version_minor == 1 || p->conn_keep);
	p->req.body = p->body;
	if (p->req.content_length == 0) {
		p->state = HTTP_S_DONE;
		return HTTP_COMPLETE;
	}
	p->state = HTTP_S_BODY;
	return HTTP_NEED_MORE;
}

/* A line ended (its LF is the last byte in head[]). */
static enum http_result line_done(struct http_parser *p)
{
	char *line = p->head + p->line_start;
	size_t n = p->head_len - 1 - p->line_start;
	enum http_result r;

	if (n && line[n - 1] == '\r')
		n--;
	line[n] = 0;
	if (memchr(line, 0, n))
		return fail(p, 400, "NUL byte in the request head");
	if (p->state == HTTP_S_LINE) {
		if (!n) {
			if (++p->empty_lines > HTTP_MAX_EMPTY_LINES)
				return fail(p, 400, "empty lines instead of a request line");
			p->head_len = 0;
			return HTTP_NEED_MORE;
		}
		r = request_line(p, line, n);
		p->state = r == HTTP_ERROR ? HTTP_S_ERROR : HTTP_S_HEADERS;
	} else {
		r = n ? header_line(p, line, n) : head_done(p);
	}
	p->line_start = p->head_len;
	return r;
}

enum http_result http_feed(struct http_parser *p, const void *data, size_t len, size_t *used)
{
	const uint8_t *d = data;
	size_t i = 0;
	enum http_result r;

	*used = 0;
	if (p->state == HTTP_S_ERROR)
		return HTTP_ERROR;
	if (p->state == HTTP_S_DONE)
		return HTTP_COMPLETE;
	while (i < len) {
		if (p->state == HTTP_S_BODY) {
			size_t want = (size_t)p->req.content_length - p->body_len;
			size_t n = len - i < want ? len - i : want;
			memcpy(p->body + p->body_len, d + i, n);
			p->body_len += n;
			i += n;
			if (p->body_len == p->req.content_length) {
				p->body[p->body_len] = 0;
				p->state = HTTP_S_DONE;
				*used = i;
				return HTTP_COMPLETE;
			}
			continue;
		}
		if (p->head_len == HTTP_MAX_HEAD) {
			*used = i;
			if (p->state == HTTP_S_LINE)
				return fail(p, 414, "request line too long");
			return fail(p, 431, "request header fields too large");
		}
		p->head[p->head_len++] = (char)d[i++];
		if (d[i - 1] != '\n')
			continue;
		r = line_done(p);
		if (r != HTTP_NEED_MORE) {
			*used = i;
			return r;
		}
	}
	*used = i;
	return HTTP_NEED_MORE;
}

bool http_take_continue(struct http_parser *p)
{
	if (p->state != HTTP_S_BODY || !p->req.expect_continue || p->continue_taken)
		return false;
	p->continue_taken = true;
	return true;
}

bool http_query_param(const char *query, const char *name, const char **value, size_t *len)
{
	size_t nl = strlen(name);
	const char *s = query;

	while (s && *s) {
		const char *amp = strchr(s, '&');
		const char *e = amp ? amp : s + strlen(s);
		if ((size_t)(e - s) >= nl && !memcmp(s, name, nl) && (s + nl == e || s[nl] == '=')) {
			*value = s + nl == e ? e : s + nl + 1;
			*len = (size_t)(e - *value);
			return true;
		}
		s = amp ? amp + 1 : NULL;
	}
	return false;
}
