/* sched.h - run the VMs' vCPUs (see sched.c). */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H
#include <stdbool.h>
/* Places every vCPU on an online CPU (before sched_run); with
 * own_scanner_cpu and two CPUs or more, the last one is the scanner's. */
void sched_place(bool own_scanner_cpu);
/* On the boot CPU, with hv_lock held: runs its vCPUs and the scanner, and
 * between_rounds after each round of them (kmain's: the operator's side).
 * When no vCPU anywhere is left running, when_idle may start more work (a
 * VM waiting to join: true); when it does not, the run is over.
 * nic_ready (may be NULL) is called between two exits of a slice on the
 * boot CPU when the NIC has received frames (sched.c says when), in the
 * same state as between_rounds.  All are kmain's to hand, so the scheduler
 * knows neither the operator's side nor the fleet. */
void sched_run(void (*between_rounds)(void), bool (*when_idle)(void), void (*nic_ready)(void));
/* No vCPU anywhere is running, waiting or halted-but-wakeable. */
bool sched_idle(void);
/* Some vCPU is active and every active one waits for a frame. */
bool sched_all_waiting(void);
/* With hv_lock held: lets the other CPUs take it for a moment (their
 * exits wait on it), answering invalidation requests meanwhile. */
void sched_breathe(void);
/* Places a VM started later (fleet.c) as sched_place placed the others. */
struct vm;
void sched_place_vm(struct vm *vm);
/* A measurement point: returns once no vCPU is in its guest, and none
 * enters one until sched_resume().  With hv_lock held (it breathes). */
void sched_pause(void);
void sched_resume(void);
/* The same for one VM: takes a hold on it (vm->pause_holds) and returns
 * once none of its vCPUs is in the guest; its vCPUs enter none until every
 * hold is given back (sched_resume_vm).  With hv_lock held (it breathes:
 * the VM may be stopped meanwhile, so look at vm->stopped after). */
void sched_pause_vm(struct vm *vm);
void sched_resume_vm(struct vm *vm);
/* The number of CPUs online (arch_start_cpus()'s answer). */
void sched_set_cpus(unsigned n);
/* What each other CPU runs once it is up: its vCPUs, or the scanner. */
void ap_work(unsigned cpu) __attribute__((noreturn));
/* Prints each VM's fate and the exits by reason. */
void sched_report(void);
#endif
