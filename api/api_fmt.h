/*
 * api_fmt.h - decimal digits of a 64-bit integer, for the API's writers
 * (json_write.c, prom_write.c, response.c): no printf in the paths that
 * format every counter of every response.
 */
#ifndef API_FMT_H
#define API_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest decimal: "-9223372036854775808" and 18446744073709551615. */
#define API_DEC_MAX 20u

/* Writes v in decimal to out (API_DEC_MAX bytes, no NUL); returns the length. */
static inline size_t api_u64_dec(char *out, uint64_t v)
{
	char tmp[API_DEC_MAX];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* The same for a signed value; INT64_MIN included. */
static inline size_t api_i64_dec(char *out, int64_t v)
{
	if (v >= 0)
		return api_u64_dec(out, (uint64_t)v);
	out[0] = '-';
	return 1 + api_u64_dec(out + 1, 0 - (uint64_t)v);
}

#endif
