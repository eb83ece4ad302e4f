/*
 * json_write.c - the bounded JSON writer (see json_write.h).
 *
 * The grammar is tracked with two bit stacks, one bit per open container:
 * is it an object, has it an element yet.  A value or a key first asks
 * separator() for the comma it needs (none after a key: the colon was
 * written with the key), and records that the container now has an item.
 */
#include <string.h>

#include "api_fmt.h"
#include "json_write.h"

void jw_init(struct json_writer *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	if (cap)
		buf[0] = 0;
	else
		w->overflow = true;
}

bool jw_ok(const struct json_writer *w)
{
	return !w->overflow && !w->misuse && w->depth == 0 && w->top_done;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	if (n >= w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

static uint32_t bit(unsigned depth)
{
	return 1u << (depth - 1);
}

/* Before a value: is one allowed here, and which comma does it need. */
static bool value_start(struct json_writer *w)
{
	if (w->depth == 0) {
		if (w->top_done)
			w->misuse = true;
		return !w->misuse;
	}
	if (w->is_object & bit(w->depth)) {
		if (!w->key_due)
			w->misuse = true;
		w->key_due = false;
		return !w->misuse;
	}
	if (w->has_item & bit(w->depth))
		put(w, ",", 1);
	w->has_item |= bit(w->depth);
	return !w->misuse;
}

/* After a value: at depth 0, the document is complete. */
static void value_end(struct json_writer *w)
{
	if (w->depth == 0)
		w->top_done = true;
}

/* The length of the well-formed UTF-8 sequence at s[0..n) (Unicode Table
 * 3-7: no overlongs, no surrogates, nothing past U+10FFFF), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
	}
	return len;
}

static void put_escaped(struct json_writer *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	put(w, "\"", 1);
	while (i < n) {
		unsigned char c = s[i];
		size_t u = utf8_len(s + i, n - i);
		char esc[6];
		const char *e = NULL;
		size_t en = 2;

		if (u > 1 || (u == 1 && c >= 0x20 && c != '"' && c != '\\')) {
			i += u; /* passes through: written with its run */
			continue;
		}
		put(w, (const char *)s + run, i - run);
		if (c == '"')
			e = "\\\"";
		else if (c == '\\')
			e = "\\\\";
		else if (c == '\n')
			e = "\\n";
		else if (c == '\r')
			e = "\\r";
		else if (c == '\t')
			e = "\\t";
		else if (c == '\b')
			e = "\\b";
		else if (c == '\f')
			e = "\\f";
		else if (u == 0)
			e = "\\ufffd", en = 6;
		else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			e = esc, en = 6;
		}
		put(w, e, en);
		run = ++i;
	}
	put(w, (const char *)s + run, n - run);
	put(w, "\"", 1);
}

static void open_container(struct json_writer *w, bool object)
{
	if (!value_start(w))
		return;
	if (w->depth == JW_MAX_DEPTH) {
		w->misuse = true;
		return;
	}
	put(w, object ? "{" : "[", 1);
	w->depth++;
	w->has_item &= ~bit(w->depth);
	if (object)
		w->is_object |= bit(w->depth);
	else
		w->is_object &= ~bit(w->depth);
}

static void close_container(struct json_writer *w, bool object)
{
	if (w->misuse || w->depth == 0 || !(w->is_object & bit(w->depth)) != !object ||
	    w->key_due) {
		w->misuse = true;
		return;
	}
	put(w, object ? "}" : "]", 1);
	w->depth--;
	value_end(w);
}

void jw_object_begin(struct json_writer *w) { open_container(w, true); }
void jw_object_end(struct json_writer *w) { close_container(w, true); }
void jw_array_begin(struct json_writer *w) { open_container(w, false); }
void jw_array_end(struct json_writer *w) { close_container(w, false); }

void jw_key(struct json_writer *w, const char *key)
{
	if (w->depth == 0 || !(w->is_object & bit(w->depth)) || w->key_due) {
		w->misuse = true;
		return;
	}
	if (w->has_item & bit(w->depth))
		put(w, ",", 1);
	w->has_item |= bit(w->depth);
	put_escaped(w, key, strlen(key));
	put(w, ":", 1);
	w->key_due = true;
}

void jw_string_n(struct json_writer *w, const char *s, size_t n)
{
	if (!value_start(w))
		return;
	put_escaped(w, s, n);
	value_end(w);
}

void jw_string(struct json_writer *w, const char *s)
{
	jw_string_n(w, s, strlen(s));
}

static void put_raw_value(struct json_writer *w, const char *s, size_t n)
{
	if (!value_start(w))
		return;
	put(w, s, n);
	value_end(w);
}

void jw_u64(struct json_writer *w, uint64_t v)
{
	char d[API_DEC_MAX];
	put_raw_value(w, d, api_u64_dec(d, v));
}

void jw_i64(struct json_writer *w, int64_t v)
{
	char d[API_DEC_MAX];
	put_raw_value(w, d, api_i64_dec(d, v));
}

void jw_bool(struct json_writer *w, bool v)
{
	put_raw_value(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct json_writer *w)
{
	put_raw_value(w, "null", 4);
}

void jw_kv_string(struct json_writer *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_string(w, s);
}

void jw_kv_u64(struct json_writer *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_u64(w, v);
}

void jw_kv_i64(struct json_writer *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_i64(w, v);
}

void jw_kv_bool(struct json_writer *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}
