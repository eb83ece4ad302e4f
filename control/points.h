/* points.h - measurement points: the fleet at one consistent instant (see points.c). */
#ifndef CONTROL_POINTS_H
#define CONTROL_POINTS_H
#include "config.h"
/* Keeps cfg (dedup.measure_s, dedup.dump_point). */
void points_init(const struct config *cfg);
/* A measurement point; why: what called it.  With hv_lock held, on the
 * boot CPU; then the first VM waiting to join joins. */
void points_measure(const char *why);
/* The periodic point, if dedup.measure_s says one is due. */
void points_tick(void);
#endif
