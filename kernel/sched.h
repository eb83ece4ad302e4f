/* sched.h - run the VMs' vCPUs (see sched.c). */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H
#include <stdbool.h>
/* Runs every runnable vCPU in turn until none is left, with a scanner step
 * after each round when scan is set. */
void sched_run(bool scan);
/* Prints each VM's fate and the exits by reason. */
void sched_report(void);
#endif
