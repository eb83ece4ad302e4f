/*
 * cpu.h - one-instruction wrappers for what C cannot express.
 *
 * Each wrapper is a single instruction (or a fixed pair) in inline assembly;
 * anything longer lives in a .S file of this directory.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

#define DEFINE_CR(n) \
	static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
	static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

static inline void lgdt(const struct desc_ptr *p) { __asm__ volatile("lgdt %0" :: "m"(*p)); }
static inline void lidt(const struct desc_ptr *p) { __asm__ volatile("lidt %0" :: "m"(*p)); }
static inline void ltr(uint16_t sel) { __asm__ volatile("ltr %0" :: "r"(sel)); }
static inline void cli(void) { __asm__ volatile("cli"); }
static inline void hlt(void) { __asm__ volatile("hlt"); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
static inline void invlpg(const void *va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
/* Keeps the compiler from moving memory accesses across it: enough to
 * order a device's descriptors (write-back RAM) against its registers
 * (uncacheable), since x86 keeps stores in order with stores and loads
 * with loads. */
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

/* VERW of a valid data selector: where CPUID says MD_CLEAR, it also
 * clears the CPU's buffers (spec_ctrl.c). */
static inline void verw(uint16_t sel) { __asm__ volatile("verw %0" :: "m"(sel) : "cc"); }

/* RDRAND (SDM Vol. 1, 7.3.17): 1 with a random value, 0 when the
 * generator had none ready (CF clear: retry). */
static inline int rdrand64(uint64_t *v)
{
	unsigned char ok;
	__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) :: "cc");
	return ok;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Debug registers DR0-DR3 and DR6 (DR7 is in the VMCS guest state). */
#define DEFINE_DR(n) \
	static inline uint64_t read_dr##n(void) { uint64_t v; __asm__ volatile("mov %%dr" #n ", %0" : "=r"(v)); return v; } \
	static inline void write_dr##n(uint64_t v) { __asm__ volatile("mov %0, %%dr" #n :: "r"(v)); }
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
#undef DEFINE_DR
#define DR6_INIT 0xFFFF0FF0ull /* DR6 at reset (SDM 3B 18.2.3) */

/* CR0/CR4 bits used here (SDM Vol. 3A 2.5). */
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_NW         (1ull << 29)
#define CR0_CD         (1ull << 30)
#define CR4_PCE        (1ull << 8)
#define CR4_PKE        (1ull << 22)
#define RFLAGS_TF      (1ull << 8)
#define RFLAGS_RF      (1ull << 16)
#define DR7_GD         (1ull << 13)
#define CR4_PAE        (1ull << 5)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_VMXE       (1ull << 13)
#define CR4_OSXSAVE    (1ull << 18)
#define RFLAGS_IF      (1ull << 9)
#define CR0_PE         (1ull << 0)
#define CR0_PG         (1ull << 31)

#endif
