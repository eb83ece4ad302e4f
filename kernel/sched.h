/* sched.h - run the VMs' vCPUs (see sched.c). */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H
/* Runs every runnable vCPU in turn until none is left; after each round,
 * the console's input and, when it is on, a scanner step. */
void sched_run(void);
/* Prints each VM's fate and the exits by reason. */
void sched_report(void);
#endif
