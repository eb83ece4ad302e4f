/*
 * trap.c - GDT, TSS and IDT of the hypervisor, and the fatal-exception report.
 *
 * OVMF leaves TR = 0 and its own GDT in boot-services memory, which is free
 * memory to us; VM entry needs a valid host TR.  So the first thing kmain
 * does is load a GDT of our own: null, 64-bit code, data, a TSS whose IST1
 * gives double faults a known-good stack.  Every exception is fatal: the
 * handler prints vector, error code, RIP, CR2 and all registers, then powers
 * the machine off so that a test harness sees the end.  An NMI is counted
 * and returns (isr.S IRETs): one may come from outside at any time, and
 * vmexit_event.c hands over those that arrive while a guest runs.
 */
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "cpu.h"
#include "msr.h"
#include "percpu.h"
#include "trap.h"
#include "upcall.h"
#include "vectors.h"
#include "vmexit.h"

static void trap_fatal(struct trap_frame *f) __attribute__((noreturn));

struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

struct __attribute__((packed)) idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

extern const uint64_t isr_table[EXC_COUNT];
void gdt_reload_segments(uint16_t cs, uint16_t ds);

/* One GDT and TSS per CPU: a TSS descriptor is marked busy when loaded. */
static uint64_t gdt[MAX_CPUS][5] __attribute__((aligned(16)));
static struct tss64 tss[MAX_CPUS] __attribute__((aligned(16)));
static struct idt_gate idt[EXC_COUNT] __attribute__((aligned(16)));
static uint8_t df_stack[MAX_CPUS][16384] __attribute__((aligned(16)));

struct percpu percpus[MAX_CPUS];

uint64_t trap_tss_base(void)
{
	return (uint64_t)&tss[this_cpu()->index];
}

void trap_init(unsigned cpu)
{
	uint64_t base = (uint64_t)&tss[cpu], limit = sizeof(tss[cpu]) - 1;
	struct desc_ptr gp = { sizeof(gdt[cpu]) - 1, (uint64_t)gdt[cpu] };
	struct desc_ptr ip = { sizeof(idt) - 1, (uint64_t)idt };
	uint64_t *g = gdt[cpu];
	unsigned v;

	g[0] = 0;
	g[1] = 0x00AF9A000000FFFFull; /* 64-bit code, DPL0, present */
	g[2] = 0x00CF92000000FFFFull; /* data, writable, present */
	/* 64-bit available TSS: a 16-byte system descriptor (SDM 3A 8.2.3). */
	g[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
	       (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	g[4] = base >> 32;
	memset(&tss[cpu], 0, sizeof(tss[cpu]));
	tss[cpu].ist[0] = (uint64_t)(df_stack[cpu] + sizeof(df_stack[cpu]));
	tss[cpu].iomap_base = sizeof(tss[cpu]);

	for (v = 0; v < EXC_COUNT && cpu == 0; v++) {
		uint64_t h = isr_table[v];
		idt[v] = (struct idt_gate){
			.off_lo = h & 0xFFFF, .sel = SEL_KERNEL_CS,
			.ist = v == EXC_DF ? 1 : 0, .type = 0x8E, /* interrupt gate */
			.off_mid = (h >> 16) & 0xFFFF, .off_hi = (uint32_t)(h >> 32),
		};
	}
	lgdt(&gp);
	gdt_reload_segments(SEL_KERNEL_CS, SEL_KERNEL_DS);
	ltr(SEL_TSS);
	lidt(&ip);
	/* This CPU's data, at %gs:0 from now on. */
	percpus[cpu].self = &percpus[cpu];
	percpus[cpu].index = cpu;
	wrmsr(IA32_GS_BASE, (uint64_t)&percpus[cpu]);
}

static const char *const exc_names[EXC_COUNT] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD exception", "#VE virtualization exception",
	"#CP control protection",
};

void trap_handler(struct trap_frame *f)
{
	if (f->vector == EXC_NMI) {
		__atomic_add_fetch(&host_nmis, 1, __ATOMIC_RELAXED);
		return;
	}
	trap_fatal(f);
}

static void trap_fatal(struct trap_frame *f)
{
	const char *name = f->vector < EXC_COUNT && exc_names[f->vector] ? exc_names[f->vector] : "reserved";

	core_dying(); /* a console held for an attached VM shows this */
	printf("\nPANIC: CPU %u: exception %lu (%s) error code 0x%lx\n", this_cpu()->index,
	       f->vector, name, f->error);
	printf("  RIP %016lx  CS %04lx  RFLAGS %016lx\n", f->rip, f->cs, f->rflags);
	printf("  RSP %016lx  SS %04lx  CR2 %016lx  CR3 %016lx\n", f->rsp, f->ss,
	       read_cr2(), read_cr3());
	printf("  RAX %016lx  RBX %016lx  RCX %016lx  RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	printf("  RSI %016lx  RDI %016lx  RBP %016lx  R8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	printf("  R9  %016lx  R10 %016lx  R11 %016lx  R12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	printf("  R13 %016lx  R14 %016lx  R15 %016lx\n", f->r13, f->r14, f->r15);
	fflush(stdout);
	arch_power_off("fatal exception");
}
