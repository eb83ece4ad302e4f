/*
 * portbus.h - a VM's I/O port space: ranges of ports claimed by device
 * models (portbus.c).
 *
 * Each board (devices/vplatform.c) registers its devices' port ranges
 * once, with a byte-wide IN and OUT each, as ACRN's, xhyve's and
 * Firecracker's port buses do; an access is then routed by range instead
 * of a switch that names every port.  Wide accesses are split into bytes,
 * as the ISA bus does; a port no device claims reads as all ones and
 * ignores writes (an empty bus).
 */
#ifndef DEVICES_PORTBUS_H
#define DEVICES_PORTBUS_H

#include <stdbool.h>
#include <stdint.h>

struct port_range {
	uint16_t first, last;   /* inclusive */
	uint8_t (*in)(void *dev, uint64_t now, uint16_t port);   /* IN of one byte */
	void (*out)(void *dev, uint64_t now, uint16_t port, uint8_t val); /* OUT of one byte */
	void *dev;              /* what read and write get */
};

#define PORTBUS_MAX 8 /* the PC board has 6 ranges */

struct portbus {
	struct port_range r[PORTBUS_MAX];
	unsigned n;
};

void portbus_init(struct portbus *b);
/* Claims r's ports.  0, or -1 (full, an empty range, or ports another
 * range claims: a board's bug, caught by its tests). */
int portbus_add(struct portbus *b, const struct port_range *r);
/* An IN (fills *value) or OUT of size (1, 2 or 4) bytes at port, at time
 * now (the devices' clock). */
void portbus_io(const struct portbus *b, uint64_t now, uint16_t port, unsigned size, bool in,
		uint32_t *value);

#endif
