/*
 * prom_write.c - Prometheus text exposition 0.0.4 (see prom_write.h).
 *
 * The format, as the writer produces it: one "# HELP name text" and one
 * "# TYPE name counter|gauge" line per family, then its samples,
 * "name{label="value",...} value", every line ending in a single LF.
 * Names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: [a-zA-Z_][a-zA-Z0-9_]*,
 * not beginning with "__" (reserved for Prometheus).
 */
#include <string.h>

#include "api_fmt.h"
#include "prom_write.h"

void prom_init(struct prom_writer *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	if (cap)
		buf[0] = 0;
	else
		w->overflow = true;
}

bool prom_ok(const struct prom_writer *w)
{
	return !w->overflow && !w->misuse;
}

static void misuse(struct prom_writer *w, const char *why)
{
	if (!w->misuse)
		w->misuse_why = why;
	w->misuse = true;
}

static void put(struct prom_writer *w, const char *s, size_t n)
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

static void puts_(struct prom_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static bool alpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool valid_name(const char *s, bool colon)
{
	if (!alpha_(*s) && !(colon && *s == ':'))
		return false;
	for (s++; *s; s++)
		if (!alpha_(*s) && !digit(*s) && !(colon && *s == ':'))
			return false;
	return true;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !strcmp(s + n - t, tail);
}

/* Text with backslash and newline escaped, and, in label values, quotes. */
static void put_escaped(struct prom_writer *w, const char *s, bool quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *e = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n"
				: quote && *s == '"' ? "\\\"" : NULL;
		if (!e)
			continue;
		put(w, run, (size_t)(s - run));
		put(w, e, 2);
		run = s + 1;
	}
	put(w, run, (size_t)(s - run));
}

static void put_name(struct prom_writer *w, const char *name)
{
	puts_(w, PROM_PREFIX);
	puts_(w, name);
}

/* Why family name of type cannot be written, or NULL. */
static const char *family_error(const struct prom_writer *w, const char *name, enum prom_type type)
{
	unsigned i;

	if (!valid_name(name, true))
		return "metric name has characters outside [a-zA-Z0-9_:]";
	if ((type == PROM_COUNTER) != ends_with(name, "_total"))
		return "a counter's name, and only a counter's, ends in _total";
	for (i = 0; i < w->nfamilies; i++)
		if (!strcmp(w->families[i], name))
			return "a metric family written twice";
	if (w->nfamilies == PROM_MAX_FAMILIES)
		return "more than PROM_MAX_FAMILIES families";
	return NULL;
}

void prom_family(struct prom_writer *w, const char *name, enum prom_type type, const char *help)
{
	const char *why = family_error(w, name, type);

	if (why) {
		misuse(w, why);
		return;
	}
	w->families[w->nfamilies++] = name;
	w->type = type;

	puts_(w, "# HELP ");
	put_name(w, name);
	puts_(w, " ");
	put_escaped(w, help, false);
	puts_(w, "\n# TYPE ");
	put_name(w, name);
	puts_(w, type == PROM_COUNTER ? " counter\n" : " gauge\n");
}

/* Why these labels cannot be written, or NULL. */
static const char *labels_error(const struct prom_label *labels, size_t nlabels)
{
	size_t i, j;

	for (i = 0; i < nlabels; i++) {
		if (!valid_name(labels[i].name, false) || !strncmp(labels[i].name, "__", 2))
			return "label name not [a-zA-Z_][a-zA-Z0-9_]* or reserved (__)";
		for (j = 0; j < i; j++)
			if (!strcmp(labels[i].name, labels[j].name))
				return "a label given twice";
	}
	return NULL;
}

static void sample(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		   const char *digits, size_t nd)
{
	const char *why = w->nfamilies ? labels_error(labels, nlabels) : "a sample before any family";
	size_t i;

	if (why) {
		misuse(w, why);
		return;
	}
	put_name(w, w->families[w->nfamilies - 1]);
	for (i = 0; i < nlabels; i++) {
		puts_(w, i ? "," : "{");
		puts_(w, labels[i].name);
		puts_(w, "=\"");
		put_escaped(w, labels[i].value, true);
		puts_(w, "\"");
	}
	if (nlabels)
		puts_(w, "}");
	puts_(w, " ");
	put(w, digits, nd);
	puts_(w, "\n");
}

void prom_sample_u64(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		     uint64_t v)
{
	char d[API_DEC_MAX];
	sample(w, labels, nlabels, d, api_u64_dec(d, v));
}

void prom_sample_i64(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		     int64_t v)
{
	char d[API_DEC_MAX];
	if (v < 0 && w->nfamilies && w->type == PROM_COUNTER) {
		misuse(w, "a counter cannot be negative");
		return;
	}
	sample(w, labels, nlabels, d, api_i64_dec(d, v));
}

void prom_sample_milli(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		       uint64_t milli)
{
	char d[API_DEC_MAX + 4];
	size_t n = api_u64_dec(d, milli / 1000);
	uint64_t f = milli % 1000;

	d[n++] = '.';
	d[n++] = (char)('0' + f / 100);
	d[n++] = (char)('0' + f / 10 % 10);
	d[n++] = (char)('0' + f % 10);
	sample(w, labels, nlabels, d, n);
}
