/*
 * response.h - the head of an HTTP/1.1 response, and whole error answers.
 *
 *   HTTP/1.1 405 Method Not Allowed
 *   Content-Type: application/json
 *   Content-Length: 73
 *   Connection: keep-alive
 *   Cache-Control: no-store
 *   Allow: GET, HEAD
 *
 * Every answer carries Content-Length (no chunked coding: a streamed
 * memory image knows its size up front) and Cache-Control: no-store (the
 * figures are live).  Error bodies are JSON:
 *   {"status":405,"error":"Method Not Allowed","reason":"..."}
 */
#ifndef API_RESPONSE_H
#define API_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The interim answer to Expect: 100-continue (http_take_continue). */
#define HTTP_100_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

#define HTTP_CT_JSON "application/json"
#define HTTP_CT_HTML "text/html; charset=utf-8"
#define HTTP_CT_OCTETS "application/octet-stream"

/* The reason phrase of status (RFC 9110 §15), "" for one we never send. */
const char *http_reason(int status);

/* Writes the head (status line, fields, empty line) into buf[0..cap):
 * extra is more fields, each with its CRLF (NULL or "" for none).
 * Returns its length, or -1 when it does not fit (buf is then garbage). */
int http_response_head(char *buf, size_t cap, int status, const char *content_type,
		       uint64_t content_length, bool keep_alive, const char *extra);

/* A whole error answer: head and JSON body, the body left out for a HEAD
 * request (with_body false; Content-Length still the body's).  Returns the
 * length, or -1 when it does not fit. */
int http_error_response(char *buf, size_t cap, int status, const char *reason, bool keep_alive,
			const char *extra, bool with_body);

#endif
