/*
 * guest_abi.h - what dedupvisor offers its guests (docs/hypercalls.md).
 *
 * Shared by the hypervisor and the guests in guests/ (built 32-bit), so
 * only fixed-width types.  A guest starts in 32-bit protected mode, flat
 * segments, paging off, at the config's entry (its image is loaded there),
 * with ESP = entry - GUEST_STACK_PER_VCPU * (its vCPU index) and the
 * parameter page (GUEST_PARAMS_GPA) mapped read-only.
 */
#ifndef GUEST_ABI_H
#define GUEST_ABI_H

#include <stdint.h>

/* VMCALL: EAX = number, arguments in EBX, ECX, EDX, ESI; result in EAX
 * (0 or a negative error below).  Guest pointers are guest-physical. */
#define HC_CONSOLE_WRITE   1 /* EBX = buffer, ECX = length (<= 4096) */
#define HC_REPORT_PROGRESS 2 /* EBX = round, ECX = errors so far, EDX = pages verified */
#define HC_REPORT_ERROR    3 /* EBX = page address, ECX = byte offset, EDX = expected, ESI = found */
#define HC_QUERY_COUNTERS  4 /* EBX = buffer for struct hc_counters, ECX = its size */
#define HC_POWER_OFF       5 /* EBX = exit code: stops this VM */

#define HC_OK      0
#define HC_EFAULT  (-14) /* a pointer outside the guest's RAM */
#define HC_ENOMEM  (-12) /* no host frame for the result now: try again later */
#define HC_EINVAL  (-22)
#define HC_ENOSYS  (-38)

#define GUEST_PARAMS_GPA 0xFFFFF000u /* just below 4 GiB, outside RAM: read-only */
#define GUEST_DATA_GPA   0x100000u /* memtest pages start at 1 MiB */
#define GUEST_PARAMS_MAGIC 0x44565052u /* "RPVD" */
#define GUEST_STACK_PER_VCPU 0x400u   /* each vCPU's stack below the entry */
#define GUEST_VCPUS_MAX      4u       /* vCPUs a VM gets at most */
/* The parameter page's defaults for a config that leaves them out. */
#define GUEST_SHARED_SEED      0x5EED5EEDu  /* the same in every VM */
#define GUEST_DEFAULT_SEED(id) (0x1000u + (id))
#define GUEST_DEFAULT_ROUNDS   3u

struct guest_params {
	uint32_t magic;
	uint32_t vm_id;
	uint32_t ram_pages;
	uint32_t seed;         /* this VM's */
	uint32_t shared_seed;  /* the same for every VM */
	uint32_t rounds;
	uint32_t inter, dup, zero, unique, ws; /* the recipe, in pages */
};

struct hc_counters {
	uint64_t exits, ept_violations, pages_backed;
	uint64_t pages_shared, pages_sharing, ksm_zero_pages, cow_breaks; /* dedup */
};

#endif
