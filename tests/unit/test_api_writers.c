/*
 * test_api_writers.c - api/json_write.c, api/prom_write.c, api/response.c:
 * exact output, escaping (control characters, quotes, UTF-8 through,
 * ill-formed UTF-8 replaced), overflow at every buffer size, misuse, and
 * the exposition checked by promtool when it is installed (Debian package
 * prometheus; scripts/deps.sh installs it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "json_write.h"
#include "prom_write.h"
#include "response.h"

/* ---- JSON ---- */

static void sample_doc(struct json_writer *w)
{
	jw_object_begin(w);
	jw_kv_u64(w, "pages_shared", 1217);
	jw_kv_i64(w, "general_profit", -4096);
	jw_kv_bool(w, "run", true);
	jw_key(w, "vms");
	jw_array_begin(w);
	jw_object_begin(w);
	jw_kv_string(w, "name", "alpha");
	jw_key(w, "none");
	jw_null(w);
	jw_object_end(w);
	jw_object_begin(w);
	jw_object_end(w);
	jw_array_begin(w);
	jw_array_end(w);
	jw_u64(w, 0);
	jw_bool(w, false);
	jw_array_end(w);
	jw_object_end(w);
}

static const char sample_json[] = "{\"pages_shared\":1217,\"general_profit\":-4096,\"run\":true,"
				  "\"vms\":[{\"name\":\"alpha\",\"none\":null},{},[],0,false]}";

static void test_json_doc(void **state)
{
	char buf[256];
	struct json_writer w;
	(void)state;

	jw_init(&w, buf, sizeof(buf));
	sample_doc(&w);
	assert_true(jw_ok(&w));
	assert_string_equal(buf, sample_json);
	assert_int_equal(w.len, strlen(sample_json));

	jw_init(&w, buf, sizeof(buf));
	jw_array_begin(&w);
	jw_u64(&w, UINT64_MAX);
	jw_i64(&w, INT64_MIN);
	jw_i64(&w, INT64_MAX);
	jw_i64(&w, 0);
	jw_array_end(&w);
	assert_true(jw_ok(&w));
	assert_string_equal(buf, "[18446744073709551615,-9223372036854775808,9223372036854775807,0]");

	/* A scalar alone is a document too. */
	jw_init(&w, buf, sizeof(buf));
	assert_false(jw_ok(&w)); /* nothing written yet */
	jw_string(&w, "x");
	assert_true(jw_ok(&w));
	assert_string_equal(buf, "\"x\"");
}

static void expect_escaped(const char *in, size_t n, const char *out)
{
	char buf[256];
	struct json_writer w;
	jw_init(&w, buf, sizeof(buf));
	jw_string_n(&w, in, n);
	assert_true(jw_ok(&w));
	assert_string_equal(buf, out);
}

#define STR(s, out) expect_escaped(s, sizeof(s) - 1, out)

static void test_json_escaping(void **state)
{
	char all[32], want[256];
	int i;
	size_t n = 0;
	(void)state;

	STR("plain", "\"plain\"");
	STR("say \"hi\"", "\"say \\\"hi\\\"\"");
	STR("a\\b", "\"a\\\\b\"");
	STR("/</script>", "\"/</script>\"");
	STR("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
	STR("nul\0byte", "\"nul\\u0000byte\"");
	STR("\x7f", "\"\x7f\"");
	/* Every control character: short escapes where JSON has them. */
	for (i = 0; i < 32; i++)
		all[i] = (char)i;
	n += (size_t)sprintf(want + n, "\"");
	for (i = 0; i < 32; i++) {
		const char *s = i == '\b' ? "\\b" : i == '\t' ? "\\t" : i == '\n' ? "\\n"
			      : i == '\f' ? "\\f" : i == '\r' ? "\\r" : NULL;
		n += s ? (size_t)sprintf(want + n, "%s", s) : (size_t)sprintf(want + n, "\\u%04x", i);
	}
	sprintf(want + n, "\"");
	expect_escaped(all, sizeof(all), want);
	/* UTF-8 passes through: 2, 3 and 4 bytes, and the edges of the ranges. */
	STR("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	STR("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf",
	    "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
	/* Ill-formed: each offending byte becomes U+FFFD. */
	STR("\xff", "\"\\ufffd\"");
	STR("a\x80z", "\"a\\ufffdz\"");
	STR("\xc0\xaf", "\"\\ufffd\\ufffd\"");             /* overlong '/' */
	STR("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");  /* overlong */
	STR("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");  /* a surrogate */
	STR("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
	STR("\xf5\x80", "\"\\ufffd\\ufffd\"");
	STR("\xe2\x82", "\"\\ufffd\\ufffd\"");             /* cut short at the end */
	STR("\xe2\x82x", "\"\\ufffd\\ufffdx\"");
	/* Keys are escaped the same way. */
	{
		char buf[64];
		struct json_writer w;
		jw_init(&w, buf, sizeof(buf));
		jw_object_begin(&w);
		jw_kv_u64(&w, "a\"b\n", 1);
		jw_object_end(&w);
		assert_true(jw_ok(&w));
		assert_string_equal(buf, "{\"a\\\"b\\n\":1}");
	}
}

/* At every buffer size below the document's, the writer says so and keeps
 * a NUL-terminated prefix of it; at its size plus the NUL, it fits. */
static void test_json_overflow(void **state)
{
	size_t n = strlen(sample_json), cap;
	(void)state;
	for (cap = 1; cap <= n + 1; cap++) {
		char *buf = malloc(cap);
		struct json_writer w;
		assert_non_null(buf);
		jw_init(&w, buf, cap);
		sample_doc(&w);
		assert_true(strlen(buf) < cap);
		assert_memory_equal(buf, sample_json, strlen(buf));
		if (cap <= n) {
			assert_false(jw_ok(&w));
			assert_true(w.overflow);
		} else {
			assert_true(jw_ok(&w));
			assert_string_equal(buf, sample_json);
		}
		free(buf);
	}
}

static void test_json_misuse(void **state)
{
	char buf[256];
	struct json_writer w;
	unsigned i;
	(void)state;

#define MISUSE(calls)                                                                      \
	do {                                                                               \
		jw_init(&w, buf, sizeof(buf));                                             \
		calls;                                                                     \
		assert_false(jw_ok(&w));                                                   \
	} while (0)
	MISUSE((jw_object_begin(&w), jw_u64(&w, 1), jw_object_end(&w)));   /* no key */
	MISUSE((jw_array_begin(&w), jw_key(&w, "k"), jw_array_end(&w)));  /* key in array */
	MISUSE((jw_object_begin(&w), jw_key(&w, "k"), jw_object_end(&w))); /* no value */
	MISUSE((jw_object_begin(&w), jw_key(&w, "a"), jw_key(&w, "b")));
	MISUSE((jw_object_begin(&w), jw_array_end(&w)));
	MISUSE((jw_array_begin(&w), jw_object_end(&w)));
	MISUSE((jw_object_end(&w)));
	MISUSE((jw_key(&w, "k")));
	MISUSE((jw_u64(&w, 1), jw_u64(&w, 2)));                             /* two documents */
	MISUSE((jw_object_begin(&w)));                                       /* left open */
	jw_init(&w, buf, sizeof(buf));
	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw_array_begin(&w);
	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw_array_end(&w);
	assert_true(jw_ok(&w));
	MISUSE(for (i = 0; i <= JW_MAX_DEPTH; i++) jw_array_begin(&w));
#undef MISUSE
}

/* ---- Prometheus ---- */

static const struct prom_label alpha_private[] = { { "vm", "alpha" }, { "backing", "private" } };
static const struct prom_label odd[] = { { "vm", "a\\b\"c\nd" } };

static void sample_exposition(struct prom_writer *w)
{
	prom_family(w, "pages_shared", PROM_GAUGE,
		    "Shared frames with two or more mappings (KSM's pages_shared).");
	prom_sample_u64(w, NULL, 0, 1217);
	prom_family(w, "cow_breaks_total", PROM_COUNTER, "Copies made on writes to shared pages.");
	prom_sample_u64(w, NULL, 0, UINT64_MAX);
	prom_family(w, "general_profit_bytes", PROM_GAUGE,
		    "Bytes saved less metadata bytes; back\\slash and\nnewline escaped.");
	prom_sample_i64(w, NULL, 0, -4096);
	prom_family(w, "vm_pages", PROM_GAUGE, "Guest pages of a VM by how they are backed.");
	prom_sample_u64(w, alpha_private, 2, 1200);
	prom_sample_u64(w, odd, 1, 0);
	prom_family(w, "pss_age_seconds", PROM_GAUGE, "Seconds, to the millisecond.");
	prom_sample_milli(w, NULL, 0, 1250);
	prom_sample_milli(w, alpha_private, 2, 7);
	prom_sample_milli(w, NULL, 0, UINT64_MAX);
}

static const char sample_prom[] =
	"# HELP dedupvisor_pages_shared Shared frames with two or more mappings (KSM's pages_shared).\n"
	"# TYPE dedupvisor_pages_shared gauge\n"
	"dedupvisor_pages_shared 1217\n"
	"# HELP dedupvisor_cow_breaks_total Copies made on writes to shared pages.\n"
	"# TYPE dedupvisor_cow_breaks_total counter\n"
	"dedupvisor_cow_breaks_total 18446744073709551615\n"
	"# HELP dedupvisor_general_profit_bytes Bytes saved less metadata bytes; back\\\\slash and\\n"
	"newline escaped.\n"
	"# TYPE dedupvisor_general_profit_bytes gauge\n"
	"dedupvisor_general_profit_bytes -4096\n"
	"# HELP dedupvisor_vm_pages Guest pages of a VM by how they are backed.\n"
	"# TYPE dedupvisor_vm_pages gauge\n"
	"dedupvisor_vm_pages{vm=\"alpha\",backing=\"private\"} 1200\n"
	"dedupvisor_vm_pages{vm=\"a\\\\b\\\"c\\nd\"} 0\n"
	"# HELP dedupvisor_pss_age_seconds Seconds, to the millisecond.\n"
	"# TYPE dedupvisor_pss_age_seconds gauge\n"
	"dedupvisor_pss_age_seconds 1.250\n"
	"dedupvisor_pss_age_seconds{vm=\"alpha\",backing=\"private\"} 0.007\n"
	"dedupvisor_pss_age_seconds 18446744073709551.615\n";

static void test_prom_format(void **state)
{
	static char buf[2048];
	struct prom_writer w;
	(void)state;
	prom_init(&w, buf, sizeof(buf));
	sample_exposition(&w);
	assert_true(prom_ok(&w));
	assert_string_equal(buf, sample_prom);
}

static void test_prom_overflow(void **state)
{
	size_t n = strlen(sample_prom), cap;
	(void)state;
	for (cap = 1; cap <= n + 1; cap++) {
		char *buf = malloc(cap);
		struct prom_writer w;
		assert_non_null(buf);
		prom_init(&w, buf, cap);
		sample_exposition(&w);
		assert_memory_equal(buf, sample_prom, strlen(buf));
		assert_true(cap > n ? prom_ok(&w) : !prom_ok(&w) && w.overflow);
		free(buf);
	}
}

static void test_prom_misuse(void **state)
{
	static char buf[1024];
	static const struct prom_label bad_name[] = { { "1vm", "a" } };
	static const struct prom_label reserved[] = { { "__name__", "a" } };
	static const struct prom_label twice[] = { { "vm", "a" }, { "vm", "b" } };
	struct prom_writer w;
	(void)state;

#define MISUSE(calls, why)                                                                  \
	do {                                                                                \
		prom_init(&w, buf, sizeof(buf));                                            \
		calls;                                                                      \
		assert_false(prom_ok(&w));                                                  \
		assert_false(w.overflow);                                                   \
		assert_non_null(strstr(w.misuse_why, why));                                 \
	} while (0)
	MISUSE(prom_family(&w, "cow_breaks", PROM_COUNTER, "h"), "_total");
	MISUSE(prom_family(&w, "pages_total", PROM_GAUGE, "h"), "_total");
	MISUSE(prom_family(&w, "pages-shared", PROM_GAUGE, "h"), "characters");
	MISUSE(prom_family(&w, "", PROM_GAUGE, "h"), "characters");
	MISUSE((prom_family(&w, "a", PROM_GAUGE, "h"), prom_family(&w, "a", PROM_GAUGE, "h")),
	       "twice");
	MISUSE(prom_sample_u64(&w, NULL, 0, 1), "before any family");
	MISUSE((prom_family(&w, "a", PROM_GAUGE, "h"), prom_sample_u64(&w, bad_name, 1, 1)),
	       "label name");
	MISUSE((prom_family(&w, "a", PROM_GAUGE, "h"), prom_sample_u64(&w, reserved, 1, 1)),
	       "reserved");
	MISUSE((prom_family(&w, "a", PROM_GAUGE, "h"), prom_sample_u64(&w, twice, 2, 1)), "twice");
	MISUSE((prom_family(&w, "a_total", PROM_COUNTER, "h"), prom_sample_i64(&w, NULL, 0, -1)),
	       "negative");
#undef MISUSE
	/* The family table's bound. */
	{
		static char names[PROM_MAX_FAMILIES + 1][16];
		static char big[PROM_MAX_FAMILIES * 64];
		unsigned i;
		prom_init(&w, big, sizeof(big));
		for (i = 0; i < PROM_MAX_FAMILIES; i++) {
			snprintf(names[i], sizeof(names[i]), "f%u", i);
			prom_family(&w, names[i], PROM_GAUGE, "h");
		}
		assert_true(prom_ok(&w));
		snprintf(names[i], sizeof(names[i]), "f%u", i);
		prom_family(&w, names[i], PROM_GAUGE, "h");
		assert_false(prom_ok(&w));
	}
}

/* Runs promtool check metrics on text; returns its exit status and puts
 * its output in out. */
static int promtool(const char *text, char *out, size_t cap)
{
	char in_path[] = "/tmp/dedupvisor-prom-XXXXXX", cmd[128];
	int fd = mkstemp(in_path), rc;
	FILE *f, *p;
	size_t n;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics <%s 2>&1", in_path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	rc = pclose(p);
	unlink(in_path);
	return rc;
}

/* promtool accepts the exposition with no lint complaint; and it does
 * complain about one that breaks the conventions, so the check can fail. */
static void test_promtool(void **state)
{
	static char buf[4096], out[4096];
	struct prom_writer w;
	int rc;
	(void)state;

	if (system("command -v promtool >/dev/null 2>&1")) {
		print_message("promtool not installed (Debian package prometheus): check skipped\n");
		skip();
	}
	prom_init(&w, buf, sizeof(buf));
	sample_exposition(&w);
	prom_family(&w, "vm_exits_total", PROM_COUNTER, "VM exits of a VM.");
	prom_sample_u64(&w, alpha_private, 1, 10785);
	prom_family(&w, "scan_rate_pages_per_second", PROM_GAUGE, "Pages visited in the last second.");
	prom_sample_u64(&w, NULL, 0, 5000);
	assert_true(prom_ok(&w));
	rc = promtool(buf, out, sizeof(out));
	if (rc || out[0])
		fail_msg("promtool check metrics: status %d: %s\n--- exposition:\n%s", rc, out, buf);

	rc = promtool("# HELP dedupvisor_cow_breaks Copies.\n# TYPE dedupvisor_cow_breaks counter\n"
		      "dedupvisor_cow_breaks 1\n", out, sizeof(out));
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(out, "_total"));
}

/* ---- responses ---- */

static void test_response_head(void **state)
{
	char buf[512];
	int n;
	(void)state;

	n = http_response_head(buf, sizeof(buf), 200, HTTP_CT_JSON, 1234, true, NULL);
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				 "Content-Length: 1234\r\nConnection: keep-alive\r\n"
				 "Cache-Control: no-store\r\n\r\n");
	assert_int_equal(n, strlen(buf));
	n = http_response_head(buf, sizeof(buf), 200, PROM_CONTENT_TYPE, 0, false, "X-A: b\r\n");
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
				 "charset=utf-8\r\nContent-Length: 0\r\nConnection: close\r\n"
				 "Cache-Control: no-store\r\nX-A: b\r\n\r\n");
	assert_int_equal(n, strlen(buf));
	assert_int_equal(http_response_head(buf, sizeof(buf), 99, HTTP_CT_JSON, 0, true, NULL), -1);
	/* Every status the parser and router produce has its phrase. */
	{
		static const int used[] = { 100, 200, 400, 401, 403, 404, 405, 413, 414, 417, 429,
					    431, 500, 501, 505 };
		size_t i;
		for (i = 0; i < sizeof(used) / sizeof(used[0]); i++)
			assert_true(strlen(http_reason(used[i])) > 0);
		assert_string_equal(http_reason(431), "Request Header Fields Too Large");
		assert_string_equal(http_reason(429), "Too Many Requests"); /* a token guesser, slowed */
		assert_string_equal(http_reason(299), "");
	}
}

static void test_error_response(void **state)
{
	static const char allow[] = "Allow: GET, HEAD\r\n";
	static const char body[] = "{\"status\":405,\"error\":\"Method Not Allowed\","
				   "\"reason\":\"not \\\"here\\\"\"}";
	char buf[512], want[512], head[256];
	int n, full;
	size_t cap;
	(void)state;

	snprintf(head, sizeof(head), "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: "
		 "application/json\r\nContent-Length: %zu\r\nConnection: keep-alive\r\n"
		 "Cache-Control: no-store\r\n%s\r\n", strlen(body), allow);
	snprintf(want, sizeof(want), "%s%s", head, body);
	full = http_error_response(buf, sizeof(buf), 405, "not \"here\"", true, allow, true);
	assert_string_equal(buf, want);
	assert_int_equal(full, strlen(want));
	/* HEAD: the same head, no body. */
	n = http_error_response(buf, sizeof(buf), 405, "not \"here\"", true, allow, false);
	assert_int_equal(n, strlen(head));
	assert_memory_equal(buf, head, strlen(head));
	/* Without a reason. */
	n = http_error_response(buf, sizeof(buf), 404, NULL, false, NULL, true);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\r\n\r\n{\"status\":404,\"error\":\"Not Found\"}"));
	/* Every buffer too small says so. */
	for (cap = 1; cap <= (size_t)full; cap++)
		assert_int_equal(http_error_response(buf, cap, 405, "not \"here\"", true, allow, true),
				 -1);
	assert_int_equal(http_error_response(buf, (size_t)full + 1, 405, "not \"here\"", true, allow,
					     true),
			 full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_doc),      cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_overflow), cmocka_unit_test(test_json_misuse),
		cmocka_unit_test(test_prom_format),   cmocka_unit_test(test_prom_overflow),
		cmocka_unit_test(test_prom_misuse),   cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_response_head), cmocka_unit_test(test_error_response),
	};
	return cmocka_run_group_tests_name("api_writers", tests, NULL, NULL);
}
