/*
 * json_write.h - a JSON writer into a fixed buffer, for the API's
 * responses (/api/stats, /api/vms, /api/history, error bodies).
 *
 * The writer places the commas and colons itself: a caller says begin
 * object, key, value, ..., end.  Strings are escaped (quote, backslash,
 * control characters) and must be UTF-8: well-formed sequences pass
 * through, each byte of an ill-formed one becomes U+FFFD, so the output is
 * always valid JSON text.  Nothing is allocated.
 *
 * Overflow: a piece that does not fit is not written, nor is anything
 * after it; jw_ok() is then false and buf holds the prefix written before
 * (NUL-terminated).  The caller answers 500, or sizes a larger buffer, or
 * sends what is complete and writes the rest into a fresh writer (a VM
 * row per writer, say).  Misuse (a value where a key is due, an end that
 * closes nothing, nesting deeper than JW_MAX_DEPTH) also makes jw_ok()
 * false, so a bug cannot produce malformed JSON unnoticed.
 */
#ifndef API_JSON_WRITE_H
#define API_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16u

struct json_writer {
	char *buf;
	size_t cap;      /* bytes of buf, its NUL included */
	size_t len;      /* bytes written, without the NUL */
	bool overflow;   /* a piece did not fit */
	bool misuse;     /* calls out of JSON's grammar */
	bool key_due;    /* a key was written, its value comes next */
	bool top_done;   /* the top-level value is complete */
	unsigned depth;
	uint32_t is_object; /* bit d: the container at depth d+1 is an object */
	uint32_t has_item;  /* bit d: it has an element already */
};

/* A writer over buf[0..cap) (cap >= 1). */
void jw_init(struct json_writer *w, char *buf, size_t cap);
/* One complete value was written, it fit, and every call was in order. */
bool jw_ok(const struct json_writer *w);

void jw_object_begin(struct json_writer *w);
void jw_object_end(struct json_writer *w);
void jw_array_begin(struct json_writer *w);
void jw_array_end(struct json_writer *w);
/* A key of the object being written (escaped like a string). */
void jw_key(struct json_writer *w, const char *key);

void jw_string(struct json_writer *w, const char *s);
void jw_string_n(struct json_writer *w, const char *s, size_t n);
void jw_u64(struct json_writer *w, uint64_t v);
void jw_i64(struct json_writer *w, int64_t v);
void jw_bool(struct json_writer *w, bool v);
void jw_null(struct json_writer *w);

/* Key and value in one call. */
void jw_kv_string(struct json_writer *w, const char *key, const char *s);
void jw_kv_u64(struct json_writer *w, const char *key, uint64_t v);
void jw_kv_i64(struct json_writer *w, const char *key, int64_t v);
void jw_kv_bool(struct json_writer *w, const char *key, bool v);

#endif
