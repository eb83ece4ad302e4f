/* points.h - measurement points: the fleet at one consistent instant (see points.c). */
#ifndef CONTROL_POINTS_H
#define CONTROL_POINTS_H
#include <stdbool.h>
#include "config.h"
/* Keeps cfg (dedup.measure_s, dedup.dump_point). */
void points_init(const struct config *cfg);
/* A measurement point; why: what called it.  With hv_lock held, on the
 * boot CPU: the guests stop for an instant, then the point counts between
 * the boot CPU's rounds (points_tick), and when it is done the first VM
 * waiting to join joins.  One asked for while one is under way begins
 * after it. */
void points_measure(const char *why);
/* Between the boot CPU's rounds: a step of the point under way, or the
 * periodic point if dedup.measure_s says one is due. */
void points_tick(void);
/* A point is under way. */
bool points_busy(void);
/* The point under way, if any, to its end now (nothing runs any more). */
void points_finish(void);
/* One summary line: the points taken, and what they cost the guests. */
void points_report(void);
#endif
