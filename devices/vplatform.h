/*
 * vplatform.h - the boards VMs see (vplatform.c): the PC of a Linux VM
 * (its legacy devices on a port bus, and its clock), and the image VM's
 * (COM1 alone).
 */
#ifndef KERNEL_VPLATFORM_H
#define KERNEL_VPLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "pic8259.h"
#include "portbus.h"
#include "pit8254.h"
#include "rtc_cmos.h"
#include "uart16550.h"

struct vplatform {
	struct pic8259 pic;
	struct pit8254 pit;
	struct uart16550 uart;
	struct rtc_cmos rtc;
	uint64_t tsc0, tsc_hz;  /* the TSC at power-on (PIT time 0) and its rate */
	uint64_t unix0;         /* the wall clock at power-on, seconds */
	uint64_t irqs;          /* interrupts delivered to the guest */
	uint64_t timer_edges;   /* PIT channel 0 edges raised as IRQ 0 */
	bool reset;             /* the guest asked for a reset (keyboard controller) */
	struct portbus bus;     /* the ports its devices claim */
	int tx;                 /* during vplat_port_io: the byte the UART sent, or -1 */
};

/* The PC, in its power-on state at TSC now (rate tsc_hz), the wall clock
 * unix0. */
void vplat_init(struct vplatform *p, uint64_t now, uint64_t tsc_hz, uint64_t unix0);
/* The image VM's board: the same 16550A at COM1, no other device (its
 * IRQ line goes nowhere: our test images run with interrupts off). */
void vplat_init_image(struct vplatform *p);

/* An IN (fills *value) or OUT of size bytes at port at TSC now.  A byte
 * the guest sent out of its UART is returned in *tx (else -1). */
void vplat_port_io(struct vplatform *p, uint64_t now, uint16_t port, unsigned size, bool in,
		   uint32_t *value, int *tx);

/* Brings the interrupt lines up to TSC now (timer edges, the UART's line).
 * Then: whether an interrupt waits for the CPU, and the INTA cycle that
 * takes it (its vector). */
void vplat_update(struct vplatform *p, uint64_t now);
bool vplat_irq_pending(const struct vplatform *p);
uint8_t vplat_irq_ack(struct vplatform *p);

/* The TSC at which the next timer interrupt is due, or 0 for none. */
uint64_t vplat_next_event(const struct vplatform *p, uint64_t now);

#endif
