/* setup.h - bring one CPU into the state the hypervisor runs in (setup.c). */
#ifndef ARCH_SETUP_H
#define ARCH_SETUP_H
/* Descriptor tables and per-CPU data of CPU cpu, and its FPU/SSE unit. */
void cpu_init(unsigned cpu);
#endif
