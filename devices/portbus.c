/*
 * portbus.c - routing port I/O to the device that claims the port
 * (portbus.h).  A board has a handful of ranges: a linear search is
 * shorter than any index and as fast at this size.
 */
#include <stddef.h>

#include "portbus.h"

void portbus_init(struct portbus *b)
{
	b->n = 0;
}

static const struct port_range *find(const struct portbus *b, uint16_t port)
{
	unsigned i;
	for (i = 0; i < b->n; i++)
		if (port >= b->r[i].first && port <= b->r[i].last)
			return &b->r[i];
	return NULL;
}

int portbus_add(struct portbus *b, const struct port_range *r)
{
	unsigned i;

	if (b->n == PORTBUS_MAX || r->first > r->last)
		return -1;
	for (i = 0; i < b->n; i++)
		if (r->first <= b->r[i].last && b->r[i].first <= r->last)
			return -1;
	b->r[b->n++] = *r;
	return 0;
}

void portbus_io(const struct portbus *b, uint64_t now, uint16_t port, unsigned size, bool in,
		uint32_t *value)
{
	unsigned i;

	if (in)
		*value = 0;
	for (i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		const struct port_range *r = find(b, p);
		if (in)
			*value |= (uint32_t)(r ? r->in(r->dev, now, p) : 0xFF) << (8 * i);
		else if (r)
			r->out(r->dev, now, p, (uint8_t)(*value >> (8 * i)));
	}
}
