/* portio.h - a VM's I/O port space (see portio.c). */
#ifndef KERNEL_PORTIO_H
#define KERNEL_PORTIO_H
#include <stdint.h>
/* What an IN of size bytes from port reads: COM1's LSR says "transmitter
 * empty", COM1's other registers 0, any other port all ones. */
uint32_t io_in_value(unsigned port, unsigned size);
#endif
