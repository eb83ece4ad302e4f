/*
 * arch.h - what the generic core asks of the architecture: the one seam
 * between kernel/ and arch/x86_64/, downwards.
 *
 * The core (kernel/) includes nothing else from arch/: it starts CPUs, runs
 * a vCPU for a slice, invalidates a VM's EPT on the CPUs that may cache it,
 * writes to the console UART and powers off through these calls, and holds
 * each vCPU's architectural state as an opaque-to-it struct arch_vcpu.
 * The other direction, the few calls arch/ makes into the core, is
 * kernel/include/upcall.h.  `make check-seams` enforces both (Jailhouse's
 * hypervisor/ against arch/x86/, with include/jailhouse/control.h, is the
 * model).
 *
 * Locking: the core serializes its calls with its lock (kernel/lock.c);
 * calls marked "lock not needed" may be made without it.
 */
#ifndef ARCH_H
#define ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_info.h"

#define ARCH_MAX_CPUS 8     /* per-CPU tables are sized for this many */

/* ---- memory ---- */

/* The hypervisor maps all physical memory 1:1 (arch_paging_init and the
 * loader's hand-over tables): the one place that says so. */
static inline void *phys_to_virt(uint64_t phys) { return (void *)(uintptr_t)phys; }

/* Replaces the loader's page tables by our own (frames from the core).
 * 0, or -1 when frames ran out. */
int arch_paging_init(const struct boot_info *bi) __attribute__((warn_unused_result));

/* ---- this CPU, the console, power ---- */

/* The boot CPU's first step: descriptor tables, per-CPU data, the FPU/SSE
 * unit (newlib may use it), then the console UART. */
void arch_boot_cpu_init(void);
/* The console.  Output is queued (64 KiB, arch/x86_64/uart_tx.c) and goes
 * into the UART's 16-byte FIFO as it empties, pumped after writes, VM
 * exits and in waits: no CPU waits for the UART.  One writer at a time
 * (the caller's lock); what finds the queue full is dropped, counted and
 * said in the output. */
void arch_console_write(const char *s, size_t n);
/* Bytes free in the queue.  Guests' lines take only what leaves the
 * hypervisor's own ARCH_CONSOLE_OWN of it (guest_out.c). */
#define ARCH_CONSOLE_QUEUE 65536
#define ARCH_CONSOLE_OWN 16384
size_t arch_console_room(void);
/* Sends everything queued, waiting for the UART (bounded): power-off and
 * fatal errors only. */
void arch_console_flush(void);
/* A received console byte, or -1 if none waits (never blocks). */
int arch_console_getc(void);
/* The ACPI power-off port and S5 sleep type, when the firmware gave them. */
void arch_power_set_acpi(uint16_t pm1a_cnt, uint16_t slp_typ);
/* Prints "power: off (why)" and powers the machine off; never returns. */
void arch_power_off(const char *why) __attribute__((noreturn));

/* ---- virtualization on this CPU ---- */

/* Checks and reports, by name, every hardware feature the hypervisor needs.
 * 0 when all are present, else the number missing. */
unsigned arch_virt_check(void);
/* Turns virtualization on on this CPU (VMXON).  0, or -1 said why. */
int arch_virt_cpu_on(void) __attribute__((warn_unused_result));
/* No device interrupts are used: masks the legacy interrupt controller. */
void arch_mask_legacy_irqs(void);

/* ---- CPUs ---- */

/* Starts the other CPUs (at most want - 1; want 0 = all), each of which
 * turns virtualization on and then calls ap_entry(its index), which must
 * not return.  madt_cpus: how many the firmware listed (0: unknown).
 * Returns the number of CPUs online, this one included.  Lock not held. */
unsigned arch_start_cpus(const struct boot_info *bi, unsigned want, unsigned madt_cpus,
			 void (*ap_entry)(unsigned cpu));
unsigned arch_cpu_index(void);               /* this CPU: 0 = boot CPU */
bool arch_cpu_online(unsigned cpu);
uint32_t arch_cpu_hw_id(unsigned cpu);       /* its local APIC id */
void arch_cpu_relax(void);                   /* a spin-wait hint */
void arch_debug_break(void);                 /* the emulator's magic breakpoint (Bochs) */

/* Which CPUs may hold translations of one VM's EPT (shootdown.c): the core
 * keeps one per VM, zeroed when the VM is made, and passes it to
 * arch_vcpu_setup and arch_ept_invalidate; only arch/ looks inside. */
struct arch_ept_cpus {
	volatile uint32_t mask;          /* CPUs that may hold its translations */
	uint64_t left[ARCH_MAX_CPUS];    /* requests each had answered when it left the VM */
};

/* Invalidates the cached translations of the EPT whose pointer is eptp (the
 * VM that cpus tracks) on this CPU and on every other CPU that may cache
 * them: those in its guest now are asked by IPI and waited for, those that
 * have left it answer before they enter a guest again.  0 when done; -1
 * when a CPU in the VM answered neither the IPI nor INIT within the bound
 * (said on the console, and core_cpu_wedged told): it may still use its old
 * translations, so nothing they reach may be freed or shared. */
int arch_ept_invalidate(uint64_t eptp, struct arch_ept_cpus *cpus)
	__attribute__((warn_unused_result));
/* Answers invalidation requests from other CPUs.  Lock not needed: the
 * core calls it while spinning for its lock and while idle. */
void arch_poll_requests(void);
/* Makes CPU cpu's guest exit soon (an IPI: external-interrupt exiting),
 * so that the core injects what it has just made pending for a vCPU
 * there; harmless when that CPU runs no guest.  Lock not needed. */
void arch_cpu_kick(unsigned cpu);
/* Invalidation IPIs sent so far, all CPUs; and by CPU cpu. */
uint64_t arch_shootdowns_sent(void);
uint64_t arch_shootdowns_sent_by(unsigned cpu);
/* Requests posted without an IPI (to CPUs that had left the VM), and CPUs
 * not asked at all (they had flushed since they left it), all CPUs. */
uint64_t arch_shootdowns_posted(void);
uint64_t arch_shootdowns_skipped(void);
/* The longest an invalidation waited for the other CPUs' answers, in
 * time-stamp-counter ticks (under Bochs: emulated instructions). */
uint64_t arch_shootdown_worst_wait(void);
/* How many invalidations waited longer than ARCH_SHOOTDOWN_SLOW_TICKS. */
#define ARCH_SHOOTDOWN_SLOW_TICKS 100000
uint64_t arch_shootdowns_slow(void);
/* Whether the IPI made guests that run with interrupts disabled exit
 * (vcpu.c probes it), and what was done if not: a phrase. */
const char *arch_shootdown_kick(void);

/* ---- time ---- */

/* The time-stamp counter, which guests read unchanged (no offsetting). */
uint64_t arch_time_now(void);
/* Its rate in ticks per second, measured at boot against the PIT (under
 * Bochs: the emulated instructions per second, its `ips`). */
uint64_t arch_time_hz(void);

/* A seed for what a guest must not predict (the engine's randomized frame
 * pool, dedup/same.c): from RDRAND when the CPU has it (*hardware true),
 * else the TSC and the real-time clock mixed (*hardware false: one who
 * knows when the machine booted may guess it). */
uint64_t arch_random_seed(bool *hardware);

/* The machine's real-time clock, as it reads now. */
struct arch_datetime {
	unsigned year, month, day, hour, minute, second;
};
/* false when no clock answered sensibly. */
bool arch_wallclock(struct arch_datetime *t);

/* ---- the network card: the hypervisor's own, never a guest's ---- */

/* Bytes of an Ethernet frame the card sends or receives, its CRC not
 * included (1514, and a VLAN tag's 4). */
#define ARCH_NIC_FRAME_MAX 1518

/* Finds the card (an Intel 82540EM on PCI), gives it receive and transmit
 * rings in the hypervisor's own frames and starts it, polled; mac gets its
 * address.  0, or -1 with the reason printed.  Call once, on the boot CPU,
 * before the other CPUs start (its registers' mapping is made uncacheable
 * on this CPU). */
int arch_nic_probe(uint8_t mac[6]) __attribute__((warn_unused_result));
/* Routes the card's interrupt, where the machine has a line for it, to
 * this CPU (the boot CPU), where it only makes a running guest exit: the
 * frames are still polled.  Prints what it did; nothing without a card. */
void arch_nic_irq_on(void);
/* One frame to send, gathered from parts (a chain of buffers). */
struct arch_nic_part {
	const void *data;
	uint32_t len;
};
/* Queues the frame for sending.  0, or -1 when it is longer than
 * ARCH_NIC_FRAME_MAX or the transmit ring is full (it is dropped: TCP
 * sends it again). */
int arch_nic_send(const struct arch_nic_part *parts, unsigned nparts);
/* Copies the next received frame into buf[0..cap) and returns its length;
 * 0 when none has arrived.  Frames received with an error or longer than
 * cap are dropped and counted. */
uint32_t arch_nic_recv(void *buf, uint32_t cap);
/* A received frame waits for arch_nic_recv (a read of memory the card
 * writes, cheap enough for every VM exit). */
bool arch_nic_pending(void);
bool arch_nic_link_up(void);
struct arch_nic_stats {
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
	uint64_t irqs;         /* its interrupts that made a guest exit */
	uint64_t irqs_foreign; /* its vector with none of its causes (a shared line) */
	bool irq_masked;       /* so many in a row that its interrupt was masked */
};
void arch_nic_stats(struct arch_nic_stats *s);

/* ---- vCPUs ---- */

/* A vCPU's general registers while the host runs; RSP and RIP live in the
 * VMCS.  vmx_entry.S reaches them through offsets generated from this
 * struct (asm-offsets.c). */
struct guest_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

#define ARCH_EXIT_REASONS 76 /* basic exit reasons 0..75 (SDM 3D Appendix C) */
#define ARCH_SYSCALL_MSRS 4

/* What a vCPU is to the architecture: the core embeds it in struct vcpu
 * and never looks inside. */
struct arch_vcpu {
	struct guest_regs regs;
	uint8_t fpu[512] __attribute__((aligned(16))); /* the guest's FXSAVE image */
	uint64_t vmcs;          /* physical; 0 until arch_vcpu_setup */
	int launched;           /* VMLAUNCH done: VMRESUME from now on */
	const char *vm_name;    /* for messages */
	struct arch_ept_cpus *ept_cpus; /* where its VM's translations may be */
	unsigned index, nvcpus; /* this vCPU in its VM; CPUID leaf 0x40000001 */
	bool lapic;             /* its VM models a local APIC: CPUID offers x2APIC */
	uint64_t exits[ARCH_EXIT_REASONS];
	uint64_t slice_end;     /* TSC at which its slice ends */
	/* Guest state the VMCS does not switch, loaded into the CPU while the
	 * vCPU owns it (vcpu.c): the debug registers, the page-fault address
	 * (CR2), SWAPGS's MSR, and the virtual task priority that MOV CR8 reads
	 * and writes. */
	uint64_t dr[4], dr6, cr2, kernel_gs_base;
	uint64_t syscall[ARCH_SYSCALL_MSRS]; /* STAR, LSTAR, CSTAR, FMASK */
	uint8_t tpr;
	/* Set by the core before each entry: the TSC at which the guest must
	 * exit (its next virtual timer interrupt), or 0 for none. */
	uint64_t deadline;
};

/* What the core tells the architecture about a new vCPU. */
struct arch_vcpu_config {
	const char *vm_name;
	unsigned index, nvcpus;
	uint64_t eptp;          /* ept_eptp() of its VM */
	struct arch_ept_cpus *ept_cpus; /* its VM's */
	uint16_t vpid;
	uint64_t entry;         /* where it starts: 32-bit flat, paging off */
	uint64_t rsp, rbx, rsi; /* and its registers there (the rest are 0) */
	bool lapic;             /* CPUID offers the local APIC the core models */
	/* An application processor started by a STARTUP IPI: real mode at
	 * sipi_vector:0000 (CS = vector << 8), as after INIT and SIPI; entry
	 * and the registers above are then unused. */
	bool sipi;
	uint8_t sipi_vector;
};

/* Creates and fills the vCPU's VMCS on this CPU (which runs it from then
 * on).  0, or -1 said why. */
int arch_vcpu_setup(struct arch_vcpu *a, const struct arch_vcpu_config *c)
	__attribute__((warn_unused_result));
/* Makes the vCPU current on this CPU and starts its time slice.  0, or -1. */
int arch_vcpu_load(struct arch_vcpu *a) __attribute__((warn_unused_result));
/* Runs the guest until it exits.  Call without the core's lock.  Returns
 * 0 after an exit (external interrupts are acknowledged before it returns,
 * so an exit the core drops loses nothing), or -1 when the entry failed. */
int arch_vcpu_enter(struct arch_vcpu *a);

enum arch_exit_action { ARCH_RESUME, ARCH_YIELD };
/* Handles the exit (or failed entry, enter_rc = -1) that arch_vcpu_enter
 * returned; under the core's lock.  YIELD: the slice is over, or the vCPU
 * no longer runs. */
enum arch_exit_action arch_vcpu_handle_exit(struct arch_vcpu *a, int enter_rc);
/* Whether the vCPU can take an external interrupt at its next entry
 * (interrupts enabled, no STI or MOV SS shadow, no event already being
 * delivered).  When it cannot, the guest is made to exit as soon as it can
 * (interrupt-window exiting).  Its VMCS must be current: call from the run
 * loop, under the core's lock. */
bool arch_vcpu_irq_ready(struct arch_vcpu *a);
/* Delivers external interrupt vector at the next entry (after
 * arch_vcpu_irq_ready said yes). */
void arch_vcpu_inject_irq(struct arch_vcpu *a, uint8_t vector);
/* The vCPU's exits so far, all reasons. */
uint64_t arch_vcpu_exits(const struct arch_vcpu *a);
/* Prints the vCPU's registers (for a VM that is stopped for a fault). */
void arch_vcpu_dump(const struct arch_vcpu *a);
/* Prints one line: every exit reason seen since boot, with its count. */
void arch_exits_report(const char *prefix);

#endif
