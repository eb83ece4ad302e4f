/*
 * response.c - response heads and error answers (see response.h).
 */
#include <string.h>

#include "api_fmt.h"
#include "json_write.h"
#include "response.h"

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 417, "Expectation Failed" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

const char *http_reason(int status)
{
	size_t i;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "";
}

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

int http_response_head(char *buf, size_t cap, int status, const char *content_type,
		       uint64_t content_length, bool keep_alive, const char *extra)
{
	struct out o = { buf, cap, 0, cap == 0 };
	char d[API_DEC_MAX];

	if (status < 100 || status > 999)
		return -1;
	puts_(&o, "HTTP/1.1 ");
	put(&o, d, api_u64_dec(d, (uint64_t)status));
	puts_(&o, " ");
	puts_(&o, http_reason(status));
	puts_(&o, "\r\nContent-Type: ");
	puts_(&o, content_type);
	puts_(&o, "\r\nContent-Length: ");
	put(&o, d, api_u64_dec(d, content_length));
	puts_(&o, keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close");
	puts_(&o, "\r\nCache-Control: no-store\r\n");
	if (extra)
		puts_(&o, extra);
	puts_(&o, "\r\n");
	return o.full ? -1 : (int)o.len;
}

/* An error body is a status, a phrase and a reason of a few dozen bytes. */
#define ERROR_BODY_MAX 256u

int http_error_response(char *buf, size_t cap, int status, const char *reason, bool keep_alive,
			const char *extra, bool with_body)
{
	char body[ERROR_BODY_MAX];
	struct json_writer w;
	int head;

	jw_init(&w, body, sizeof(body));
	jw_object_begin(&w);
	jw_kv_u64(&w, "status", (uint64_t)status);
	jw_kv_string(&w, "error", http_reason(status));
	if (reason)
		jw_kv_string(&w, "reason", reason);
	jw_object_end(&w);
	if (!jw_ok(&w))
		return -1;
	head = http_response_head(buf, cap, status, HTTP_CT_JSON, w.len, keep_alive, extra);
	if (head < 0 || !with_body)
		return head;
	if (w.len >= cap - (size_t)head)
		return -1;
	memcpy(buf + head, body, w.len + 1);
	return head + (int)w.len;
}
