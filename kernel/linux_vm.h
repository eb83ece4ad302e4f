/*
 * linux_vm.h - a VM that boots an unmodified Linux kernel (linux_vm.c).
 */
#ifndef KERNEL_LINUX_VM_H
#define KERNEL_LINUX_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_info.h"
#include "config.h"
#include "upcall.h"

struct vm;
struct vcpu;

/* Checks a kernel= VM's files before anything starts (the kernel's
 * format, its fit in RAM with the initrd and command line).  0, or -1 with
 * the reason, naming the file, in why. */
int linux_vm_check(const struct vm_config *c, const struct boot_info *bi, char *why, size_t n);

/* Builds VM id from a kernel= config line: its RAM, the kernel's pieces,
 * the initrd, the command line, the boot information and the platform.
 * 0, or -1 with the reason printed (the VM is left stopped). */
int linux_vm_create(unsigned id, const struct vm_config *c, const struct boot_info *bi);

/* Before each entry of the vCPU: the devices' interrupt lines brought up
 * to now, an interrupt injected if one waits and the guest can take it,
 * and the deadline of its next timer interrupt. */
bool linux_vcpu_prepare(struct vcpu *v); /* true: an interrupt was injected */

/* One summary line: where the VM's time went, its interrupts. */
void linux_vm_report(const struct vm *vm);

/* HLT: block until the next interrupt is due (or power off when nothing
 * can wake it). */
enum core_action linux_vcpu_halt(struct vcpu *v, bool interruptible);

/* Port I/O to the VM's platform. */
enum core_action linux_port_io(struct vcpu *v, uint16_t port, unsigned size, bool in,
			       uint32_t *value);

#endif
