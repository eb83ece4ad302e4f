/* sharing_audit.h - dedup.audit: every page checked after every full scan
 * (see sharing_audit.c). */
#ifndef KERNEL_SHARING_AUDIT_H
#define KERNEL_SHARING_AUDIT_H
#include <stdint.h>
#include "frames.h"
#include "vm.h"

/* Allocates the per-frame counts.  0, or -1 (said: no audit then). */
int sharing_audit_init(const struct frame_pool *fp);
/* One audit of the n_vms VMs of vm_list, under the hypervisor lock; prints a line,
 * and each problem (up to a few). */
void sharing_audit(const struct frame_pool *fp, struct vm *vm_list, unsigned n_vms, uint64_t full_scans);
/* The summary's line: audits made and problems found. */
void sharing_audit_summary(void);
#endif
