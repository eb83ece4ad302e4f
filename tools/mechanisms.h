/*
 * mechanisms.h - dedupsim's savings by mechanism: what zero pages,
 * identical pages and sub-page patches (delta/, tools/patchsim.c) each
 * save of the images, one row per mechanism, beside Difference Engine's
 * published breakdown.  A mechanism is a row filled by a function of its
 * own (compressed pages, issue 20, become one more row).
 */
#ifndef TOOLS_MECHANISMS_H
#define TOOLS_MECHANISMS_H

#include <stdint.h>
#include <stdio.h>

struct mechanisms;

/* Measures the images (one per VM, whole 4 KiB pages): NULL when out of
 * memory. */
struct mechanisms *mechanisms_measure(unsigned n, const unsigned char *const *img, const uint64_t *sizes);
/* The table as text, or as the JSON members "mechanisms": {...} (no
 * braces around, no trailing comma). */
void mechanisms_print(FILE *f, const struct mechanisms *m);
void mechanisms_json(FILE *f, const struct mechanisms *m);
void mechanisms_free(struct mechanisms *m);

#endif
