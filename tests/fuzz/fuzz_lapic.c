/*
 * fuzz_lapic.c - a vCPU's local APIC (devices/lapic.c) driven by a hostile
 * guest and a hostile sender: any x2APIC MSR read or written with any
 * value, interrupts of any vector arriving, the CPU taking what is
 * pending, INIT, IA32_APIC_BASE writes, at times that only move forward.
 *
 * Feeds: records of 8 bytes: an operation, its register or vector, a
 * 32-bit value, and how far the TSC moves before it.
 * Checks, after each: what lapic_pending offers is requested (IRR) and of
 * a class above PPR's; PPR is the higher of TPR and the class in service
 * (recomputed here from the register reads, the SDM's rule); no vector
 * below 16 is ever requested or in service; the current count never
 * exceeds the initial count; the next timer event is 0 or not in the past;
 * an interrupt sent is one the ICR write described.
 */
#include <string.h>

#include "fuzz_common.h"
#include "lapic.h"

#define R(off) (X2APIC_MSR_BASE + (off) / 16)

static int top(const uint32_t *map)
{
	for (int v = 255; v >= 0; v--)
		if ((map[v / 32] >> (v % 32)) & 1)
			return v;
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct lapic a;
	uint64_t now = 1000;

	lapic_init(&a, fz_u8(&f) & 0x3F, fz_u8(&f) & 1);
	while (f.n >= 8) {
		uint8_t op = fz_u8(&f), arg = fz_u8(&f);
		uint32_t v = fz_u32(&f);
		uint64_t val, next;
		struct lapic_ipi ipi = { 0, 0 };
		int rc, p, isrv;

		now += (uint64_t)fz_u16(&f) << (op >> 4);
		switch (op & 7) {
		case 0:
			(void)lapic_read(&a, now, X2APIC_MSR_BASE + arg, &val);
			break;
		case 1: case 2:
			/* The ICR takes 64 bits: the destination from the next bytes. */
			val = arg == (APIC_ICR_LOW >> 4) ? (uint64_t)v << 32 | (op & 8 ? 0xFB : v & 0xCFFFF) : v;
			rc = lapic_write(&a, now, X2APIC_MSR_BASE + arg, val, &ipi);
			if (rc == 1)
				CHECK((arg == (APIC_ICR_LOW >> 4) && ipi.icr_low == (uint32_t)val &&
				       ipi.dest == (uint32_t)(val >> 32)) ||
				      (arg == (APIC_SELF_IPI >> 4) && ipi.dest == a.id &&
				       ipi.icr_low == (APIC_ICR_SELF | (v & 0xFF))),
				      "sent dest %x icr %x for MSR %x value %llx", ipi.dest, ipi.icr_low,
				      X2APIC_MSR_BASE + arg, (unsigned long long)val);
			break;
		case 3:
			(void)lapic_deliver(&a, arg, op & 8);
			break;
		case 4:
			lapic_update(&a, now);
			p = lapic_pending(&a);
			if (p >= 0)
				lapic_ack(&a, (uint8_t)p);
			break;
		case 5:
			(void)lapic_base_write(&a, op & 8 ? (uint64_t)v << 8 : lapic_base_read(&a) & ~((uint64_t)v & 0xC00));
			break;
		case 6:
			if (arg == 0)
				lapic_reset(&a);
			break;
		default:
			(void)lapic_write(&a, now, R(APIC_EOI), 0, &ipi);
			break;
		}
		p = lapic_pending(&a);
		isrv = top(a.isr);
		if (p >= 0) {
			CHECK((a.irr[p / 32] >> (p % 32)) & 1, "pending %d not in IRR", p);
			CHECK(((uint32_t)p & 0xF0) > (lapic_ppr(&a) & 0xF0), "pending %d under PPR %x", p,
			      lapic_ppr(&a));
		}
		CHECK(lapic_ppr(&a) == ((a.tpr & 0xF0) >= (isrv < 0 ? 0u : (uint32_t)isrv & 0xF0)
					? a.tpr : (uint32_t)isrv & 0xF0),
		      "PPR %x with TPR %x, ISRV %d", lapic_ppr(&a), a.tpr, isrv);
		CHECK((a.irr[0] & 0xFFFF) == 0 && (a.isr[0] & 0xFFFF) == 0,
		      "a vector below 16 requested or in service: IRR %x ISR %x", a.irr[0], a.isr[0]);
		if (lapic_read(&a, now, R(APIC_TIMER_CCR), &val) == 0)
			CHECK(val <= a.timer_initial, "current count %llu over the initial %u",
			      (unsigned long long)val, a.timer_initial);
		next = lapic_next_event(&a, now);
		CHECK(next == 0 || next >= now, "next event %llu before now %llu",
		      (unsigned long long)next, (unsigned long long)now);
	}
	return 0;
}
