/* smp.h - application processors (see smp.c). */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H
#include "boot_info.h"
/* Starts the APs (at most want - 1 of them; want 0 = all), each of which
 * turns VMX on and calls ap_ready(cpu), then waits to be given work.
 * Returns the number of CPUs online, the boot CPU included. */
unsigned smp_start(const struct boot_info *bi, unsigned want, unsigned madt_cpus);
/* What each AP runs once it is up (kernel/sched.c). */
void ap_work(unsigned cpu) __attribute__((noreturn));
#endif
