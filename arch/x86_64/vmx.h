/*
 * vmx.h - VMX instructions as small inline wrappers (one instruction each).
 *
 * VMCS accessors check the field's width at compile time from its encoding
 * (bits 14:13: 0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural width), as
 * Linux's vmx_ops.h does; a write that fails is counted in vmx_errors, which
 * the VMCS setup checks once at its end.
 */
#ifndef ARCH_VMX_H
#define ARCH_VMX_H

#include <stdint.h>

#include "arch.h"

extern unsigned vmx_errors;

static inline int vmxon(uint64_t phys)
{
	uint8_t bad;
	__asm__ volatile("vmxon %1; setna %0" : "=qm"(bad) : "m"(phys) : "cc", "memory");
	return bad ? -1 : 0;
}

static inline void vmxoff(void) { __asm__ volatile("vmxoff" ::: "cc"); }

static inline int vmclear(uint64_t phys)
{
	uint8_t bad;
	__asm__ volatile("vmclear %1; setna %0" : "=qm"(bad) : "m"(phys) : "cc", "memory");
	return bad ? -1 : 0;
}

static inline int vmptrld(uint64_t phys)
{
	uint8_t bad;
	__asm__ volatile("vmptrld %1; setna %0" : "=qm"(bad) : "m"(phys) : "cc", "memory");
	return bad ? -1 : 0;
}

static inline uint64_t vmx_read(uint64_t field)
{
	uint64_t v;
	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
	return v;
}

static inline void vmx_write(uint64_t field, uint64_t v)
{
	uint8_t bad;
	__asm__ volatile("vmwrite %2, %1; setna %0" : "=qm"(bad) : "r"(field), "rm"(v) : "cc");
	vmx_errors += bad;
}

#define VMCS_WIDTH(f) (((f) >> 13) & 3)
#define VMCS_CHECK(f, wid, what) \
	_Static_assert(VMCS_WIDTH(f) == (wid), "VMCS field " #f " is not " what)
/* Accesses check the width of a constant field at compile time. */
#define vmcs_write_(wid, what, f, v) do { VMCS_CHECK(f, wid, what); vmx_write((f), (uint64_t)(v)); } while (0)
#define vmcs_read_(wid, what, f) __extension__({ VMCS_CHECK(f, wid, what); vmx_read(f); })
#define vmcs_write16(f, v)  vmcs_write_(0, "16-bit", f, v)
#define vmcs_write64(f, v)  vmcs_write_(1, "64-bit", f, v)
#define vmcs_write32(f, v)  vmcs_write_(2, "32-bit", f, v)
#define vmcs_writenat(f, v) vmcs_write_(3, "natural-width", f, v)
#define vmcs_read16(f)  ((uint16_t)vmcs_read_(0, "16-bit", f))
#define vmcs_read64(f)  ((uint64_t)vmcs_read_(1, "64-bit", f))
#define vmcs_read32(f)  ((uint32_t)vmcs_read_(2, "32-bit", f))
#define vmcs_readnat(f) ((uint64_t)vmcs_read_(3, "natural-width", f))

#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT    2

static inline void invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, zero; } desc = { eptp, 0 };
	__asm__ volatile("invept %0, %1" :: "m"(desc), "r"(type) : "cc", "memory");
}

#define INVVPID_SINGLE_CONTEXT 1

/* Drops the cached translations of the guest whose VPID is vpid. */
static inline void invvpid_single(uint16_t vpid)
{
	struct { uint64_t vpid, addr; } desc = { vpid, 0 };
	__asm__ volatile("invvpid %0, %1" :: "m"(desc), "r"((uint64_t)INVVPID_SINGLE_CONTEXT)
			 : "cc", "memory");
}

/* The MXCSR at reset: all SSE exceptions masked, round to nearest. */
#define MXCSR_DEFAULT 0x1F80
static inline void ldmxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" :: "m"(v)); }

static inline void fxsave(void *area) { __asm__ volatile("fxsave64 (%0)" :: "r"(area) : "memory"); }
static inline void fxrstor(const void *area) { __asm__ volatile("fxrstor64 (%0)" :: "r"(area) : "memory"); }

/* vmx_entry.S */
int vmx_enter(struct guest_regs *regs, int launched);
void vmx_exit(void);

#endif
