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

/* Its kind (vm.h): interrupts from the PC board injected before each
 * entry, HLT that blocks until the next interrupt is due, a summary line
 * of where its time went. */
extern const struct vm_kind linux_vm_kind;

#endif
