/*
 * e1000.h - what the VM-exit path asks of the NIC driver (e1000.c).
 */
#ifndef ARCH_E1000_H
#define ARCH_E1000_H

#include <stdbool.h>

/* The NIC's interrupt is routed to this CPU. */
bool e1000_irq_here(void);
/* Its interrupt (NIC_VECTOR) made this CPU exit and was acknowledged:
 * clears its causes, which lowers the line, before the EOI. */
void e1000_irq_ack(void);

#endif
