/*
 * vm.h - a guest VM: its memory (EPT), its vCPUs, its console, its fate.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "config.h"
#include "ept.h"
#include "guest_abi.h"
#include "guest_out.h"
#include "lapic.h"
#include "upcall.h"
#include "vm_console.h"
#include "vplatform.h"

#define VM_MAX       CONFIG_MAX_VMS
#define VCPU_MAX     GUEST_VCPUS_MAX

/* WAITING: a write needs a frame and none is free; retried each round. */
/* BLOCKED: halted until its next interrupt is due (wake, a TSC). */
/* WAIT_SIPI: an application processor of an SMP Linux VM that its boot
 * processor has not started yet (INIT, then a STARTUP IPI: linux_smp.c). */
enum vcpu_state { VCPU_RUNNABLE, VCPU_WAITING, VCPU_BLOCKED, VCPU_HALTED, VCPU_WAIT_SIPI,
		  VCPU_DONE };

struct vm;
struct vcpu;

/*
 * What differs between the kinds of VM, one table each instead of a flag
 * tested across the core: an image VM runs one of our test images
 * (vm.c; docs/hypercalls.md), a Linux VM an unmodified kernel
 * (linux_vm.c).  Both have a board of devices/vplatform.c on their port
 * bus (vm_port_io): the Linux VM the PC, the image VM COM1 alone.
 */
struct vm_kind {
	const char *name;
	/* Our test guests' ABI.  An unmodified Linux VM has none: any of its
	 * processes could otherwise power it off, print with the lock held or
	 * read the engine's counters (a side channel). */
	bool hypercalls;
	/* It reads what is typed on its serial console (a shell), so the
	 * operator may attach to it and type (control/console.c, the API).
	 * Our test images print by hypercall and read nothing. */
	bool reads_console;
	/* Each vCPU starts with its stack below the entry (one per vCPU);
	 * else the guest sets its own (rsp 0). */
	bool stack_below_entry;
	/* Before each entry of v: its interrupt lines brought up to now; true
	 * if an interrupt was injected.  NULL: a kind without interrupts. */
	bool (*prepare)(struct vcpu *v);
	/* HLT, interruptible when the guest's IF was set. */
	enum core_action (*halt)(struct vcpu *v, bool interruptible);
	/* A summary line of its own, or NULL. */
	void (*report)(const struct vm *vm);
	/* An MSR the architecture does not virtualize (core_msr), or NULL:
	 * #GP. */
	enum core_action (*msr)(struct vcpu *v, uint32_t msr, bool write, uint64_t *val);
	/* After port I/O of v: a device's interrupt line may have risen for
	 * another vCPU to take (an SMP VM's 8259 goes to vCPU 0), or NULL. */
	void (*io_done)(struct vcpu *v);
};
extern const struct vm_kind image_vm_kind;

/* A vCPU: the generic part; the architecture's (registers, VMCS, FPU
 * image, exit counts) is arch, which only arch/ looks into. */
struct vcpu {
	struct arch_vcpu arch;
	struct vm *vm;
	unsigned index;
	bool set_up;         /* arch_vcpu_setup done, on its CPU */
	enum vcpu_state state;
	unsigned cpu;        /* the CPU it runs on, always */
	bool starved;        /* its last slice ended waiting for a frame */
	uint64_t rounds, errors; /* the memtest guest's last report */
	uint64_t wake;       /* BLOCKED until this TSC */
	/* Where its time went, in TSC ticks: in the guest, and in the
	 * hypervisor between an exit and the next entry; irq_trips interrupts
	 * injected, irq_trip_ticks from the exits before them to their entry. */
	uint64_t guest_ticks, host_ticks, last_exit, irq_trips, irq_trip_ticks;
	/* An SMP Linux VM's vCPU (struct vm's lapic): its local APIC, and how
	 * its boot processor started it (INIT seen, then the STARTUP IPI's
	 * vector: it starts in real mode at vector << 12). */
	struct lapic lapic;
	bool init_seen, sipi_started;
	uint8_t sipi_vector;
};

struct vm {
	unsigned id;
	const struct vm_config *cfg;
	char name[CONFIG_NAME_MAX];
	uint64_t npages;     /* RAM in 4 KiB pages */
	uint64_t frame_budget; /* frames of its own it may hold: limit=, else npages */
	uint16_t vpid;
	struct ept ept;
	struct vcpu vcpu[VCPU_MAX];
	unsigned nvcpus;
	bool stopped;
	bool in_engine;      /* its RAM is registered with the dedup engine */
	/* A CPU that may still run it with old translations answers nothing
	 * (core_cpu_wedged): its memory stays as it is, never freed. */
	bool memory_held;
	struct arch_ept_cpus ept_cpus; /* where its EPT's translations may be (arch) */
	bool pending;        /* start=late: not built yet, waits to join (fleet.c) */
	/* Paused (sched_pause_vm): its vCPUs enter no guest while pause_holds
	 * > 0.  The API's pause is one hold (api_paused), and each memory
	 * image being streamed holds one more (api_vm.c). */
	unsigned pause_holds;
	bool api_paused;
	volatile unsigned in_guest; /* its vCPUs between the decision to enter and the exit */
	bool warned_oom;
	char why[128];
	struct guest_out out; /* its console output as lines (guest_out.c) */
	struct vm_console con; /* typed input for its UART, its last output (vm_console.c) */
	uint64_t ept_violations;
	uint64_t rounds, errors;  /* the memtest guest's last progress report */
	bool powered_off;
	uint32_t exit_code;
	/* Where its vCPUs start: 32-bit flat, paging off, with these registers
	 * (an image guest's stack is below entry, one per vCPU). */
	uint64_t entry, entry_rbx, entry_rsi;
	const struct vm_kind *kind; /* image_vm_kind or linux_vm_kind; NULL: never built */
	/* An SMP Linux VM: a local APIC per vCPU, the ACPI MADT (linux_smp.c),
	 * and the IPIs its vCPUs sent each other, by vector; NMIs are not
	 * delivered (counted). */
	bool lapic;
	uint64_t ipis[256], ipis_init, ipis_startup, nmis_dropped;
	uint64_t started, ended; /* TSC at creation and at its stop */
	struct vplatform plat;   /* its board (vm_kind) */
};

extern struct vm vms[VM_MAX];
extern unsigned nvms;

/* Builds VM id from its config: EPT, image at its entry, the parameter
 * page.  0, or -1 with the reason printed (the VM is left stopped). */
int vm_create(unsigned id, const struct vm_config *cfg, const void *image, uint64_t size);

/* Stops vm (all its vCPUs), says why, and gives its memory back; the
 * others keep running. */
void vm_stop(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies len bytes from the host into guest-physical memory from gpa,
 * making each page private (a COW break where shared).  0, or -1 when it
 * leaves RAM or frames ran out. */
int copy_to_guest(struct vm *vm, uint64_t gpa, const void *src, uint64_t len);

/* The host pointer to guest-physical gpa for len bytes within one page, or
 * NULL if outside RAM.  With back (to write), the page is made private
 * first (a COW break); without, it may be a shared or zero frame. */
void *vm_gpa_ptr(struct vm *vm, uint64_t gpa, uint64_t len, bool back);

/* Copies between guest-physical memory and the host, page by page.
 * 0, or -1 if any byte lies outside the guest's RAM (nothing copied then). */
int copy_from_guest(struct vm *vm, void *dst, uint64_t gpa, uint64_t len);

/* The vCPU that holds arch state a (the upcalls' way back to the core). */
static inline struct vcpu *vcpu_of(struct arch_vcpu *a)
{
	return (struct vcpu *)((char *)a - offsetof(struct vcpu, arch));
}

/* The VM called name (the console's and the API's VMs are named), or NULL. */
struct vm *vm_by_name(const char *name);
/* All exits of vm so far. */
uint64_t vm_exit_count(const struct vm *vm);

/* The serial port (and the console hypercall): one byte from the guest. */
void vm_serial_out(struct vm *vm, char c);

/* Typing into vm's serial console (the console's attach, the API): up to
 * n bytes of s join its input queue, which its UART takes as the guest
 * reads (vm_console.c), and a vCPU halted until its next timer is woken.
 * Returns how many were taken (fewer when the queue is full), or -1 when
 * the VM has no serial console that reads (an image VM, a VM not started
 * or stopped). */
int vm_console_type(struct vm *vm, const void *s, unsigned n);

/* Port I/O of v to its VM's board (core_port_io). */
enum core_action vm_port_io(struct vcpu *v, uint16_t port, unsigned size, bool in,
			    uint32_t *value);

/* A line of the hypervisor's about what the VM asked (a hypercall's
 * report): through the VM's console ring, after its own lines and bounded
 * like them, not printed with the lock held: a guest that makes many only
 * loses its own (issue 23, finding 4).  fmt is the whole line, without
 * its newline ("vm %s: ..." with the VM's name, as the hypervisor's lines
 * about a VM read). */
void vm_note(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
