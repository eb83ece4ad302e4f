/*
 * fuzz_devices.c - a Linux VM's PC (devices/vplatform.c and the models in
 * devices/) driven by a hostile guest: any port, any value, any order, at
 * times that only move forward.
 *
 * Feeds: records of 6 bytes: the port (one of the modelled ones, or any),
 * IN or OUT, the size, the value, and how far the TSC moves before it; a
 * record with bit 7 of its kind also types the value's low byte on the
 * console first, as the hypervisor feeds its UART (kernel/linux_vm.c:
 * only while the receive FIFO has room);
 * after each, the platform's lines are brought up to date and, when the
 * PIC raises INTR, the interrupt is acknowledged as the CPU would.
 * Checks: an acknowledged vector lies in the 8 vectors of one of the PICs'
 * ICW2 bases; the next timer event is never in the past; a port no device
 * claims reads all ones; nothing reads or writes outside the models' state
 * (ASan, UBSan).
 */
#include <string.h>

#include "fuzz_common.h"
#include "vplatform.h"

static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1, 0x40, 0x41, 0x42, 0x43,
				  0x61, 0x70, 0x71, 0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC, 0x3FD,
				  0x3FE, 0x3FF, 0x64, 0x60, 0xCF8, 0xCFC };
#define NPORTS (sizeof(ports) / sizeof(ports[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vplatform p;
	struct fz f = { data, size };
	uint64_t now = 1000, hz = 1000000 + (uint64_t)fz_u16(&f) * 1000;

	vplat_init(&p, now, hz, fz_u32(&f));
	while (f.n >= 6) {
		uint8_t sel = fz_u8(&f), kind = fz_u8(&f);
		uint16_t port = sel < 2 * NPORTS ? ports[sel % NPORTS] : fz_u16(&f);
		unsigned sz = 1u << (kind & 3) > 4 ? 1 : 1u << (kind & 3);
		bool in = kind & 4;
		uint32_t v = fz_u32(&f);
		uint64_t next;
		int tx;

		now += (uint64_t)fz_u16(&f) << ((kind >> 3) & 15);
		if ((kind & 0x80) && uart_rx_room(&p.uart))
			CHECK(uart_rx_push(&p.uart, (uint8_t)v) == 1, "a byte refused with room %u",
			      uart_rx_room(&p.uart));
		vplat_port_io(&p, now, port, sz, in, &v, &tx);
		CHECK(tx >= -1 && tx <= 255, "tx %d", tx);
		if (in && sz == 1 && (port == 0x60 || port == 0x2F8 || port == 0xCFC))
			CHECK(v == 0xFF, "unclaimed port 0x%x read 0x%x", port, v);
		vplat_update(&p, now);
		if (vplat_irq_pending(&p)) {
			uint8_t vec = vplat_irq_ack(&p);
			CHECK((vec & 0xF8) == p.pic.master.vector_base || (vec & 0xF8) == p.pic.slave.vector_base,
			      "vector 0x%x outside the PICs' bases 0x%x, 0x%x", vec,
			      p.pic.master.vector_base, p.pic.slave.vector_base);
		}
		next = vplat_next_event(&p, now);
		CHECK(next == 0 || next >= now, "next event %llu before now %llu",
		      (unsigned long long)next, (unsigned long long)now);
	}
	return 0;
}
