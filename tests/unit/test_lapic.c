/* test_lapic.c - a vCPU's local APIC in x2APIC mode (devices/lapic.c), as
 * the SDM specifies it and as Linux's x2APIC drivers use it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapic.h"

#define R(off) (X2APIC_MSR_BASE + (off) / 16)

static uint64_t rd(struct lapic *a, uint64_t now, uint32_t off)
{
	uint64_t v = 0xDEAD;
	assert_int_equal(lapic_read(a, now, R(off), &v), 0);
	return v;
}

static void wr(struct lapic *a, uint64_t now, uint32_t off, uint64_t v)
{
	struct lapic_ipi ipi;
	assert_int_equal(lapic_write(a, now, R(off), v, &ipi), 0);
}

static void test_reset_state(void **state)
{
	struct lapic bsp, ap;
	uint64_t v;

	(void)state;
	lapic_init(&bsp, 0, true);
	lapic_init(&ap, 0x23, false);
	/* The firmware's hand-over: x2APIC on, the BSP in virtual-wire mode. */
	assert_int_equal(lapic_base_read(&bsp), 0xFEE00000u | APIC_BASE_BSP | APIC_BASE_EN | APIC_BASE_EXTD);
	assert_int_equal(lapic_base_read(&ap), 0xFEE00000u | APIC_BASE_EN | APIC_BASE_EXTD);
	assert_int_equal(rd(&bsp, 0, APIC_SVR) & APIC_SVR_ENABLE, APIC_SVR_ENABLE);
	assert_int_equal(rd(&bsp, 0, APIC_LVT_LINT0), APIC_LVT_DM_EXTINT);
	assert_int_equal(rd(&bsp, 0, APIC_LVT_LINT1), APIC_LVT_DM_NMI);
	assert_true(lapic_extint_open(&bsp));
	/* An AP: software-disabled, every LVT masked (SDM 11.4.7.1). */
	assert_int_equal(rd(&ap, 0, APIC_SVR), 0xFF);
	for (uint32_t off = APIC_LVT_TIMER; off <= APIC_LVT_ERROR; off += 0x10)
		assert_int_equal(rd(&ap, 0, off), APIC_LVT_MASKED);
	assert_false(lapic_extint_open(&ap));
	/* ID, version (6 LVT entries: max LVT 5), and the derived LDR:
	 * cluster 0x23 >> 4 = 2, member bit 0x23 & 15 = 3. */
	assert_int_equal(rd(&ap, 0, APIC_ID), 0x23);
	assert_int_equal(rd(&ap, 0, APIC_VERSION), 0x00050014);
	assert_int_equal(rd(&ap, 0, APIC_LDR), (2u << 16) | (1u << 3));
	assert_int_equal(rd(&ap, 0, APIC_PPR), 0);
	/* Registers that do not exist in x2APIC mode, or not in this one. */
	assert_int_equal(lapic_read(&ap, 0, R(APIC_LVT_CMCI), &v), -1);
	assert_int_equal(lapic_read(&ap, 0, R(APIC_ICR_HIGH), &v), -1);
	assert_int_equal(lapic_read(&ap, 0, X2APIC_MSR_BASE + 1, &v), -1);
	assert_int_equal(lapic_read(&ap, 0, 0x7FF, &v), -1);
}

static void test_access_rules(void **state)
{
	struct lapic a;
	struct lapic_ipi ipi;
	uint64_t v;

	(void)state;
	lapic_init(&a, 1, false);
	/* Write-only registers cannot be read, read-only ones not written. */
	assert_int_equal(lapic_read(&a, 0, R(APIC_EOI), &v), -1);
	assert_int_equal(lapic_read(&a, 0, R(APIC_SELF_IPI), &v), -1);
	for (uint32_t off = 0; off <= 0x3F0; off += 0x10) {
		if (off == APIC_ID || off == APIC_VERSION || off == APIC_PPR || off == APIC_LDR ||
		    (off >= APIC_ISR && off < APIC_ESR) || off == APIC_TIMER_CCR)
			assert_int_equal(lapic_write(&a, 0, R(off), 0, &ipi), -1);
	}
	/* Reserved bits; a high half on a 32-bit register; a non-zero EOI. */
	assert_int_equal(lapic_write(&a, 0, R(APIC_TPR), 0x100, &ipi), -1);
	assert_int_equal(lapic_write(&a, 0, R(APIC_TPR), 1ull << 32, &ipi), -1);
	assert_int_equal(lapic_write(&a, 0, R(APIC_EOI), 1, &ipi), -1);
	assert_int_equal(lapic_write(&a, 0, R(APIC_SVR), 1u << 12, &ipi), -1); /* no EOI-broadcast suppression */
	assert_int_equal(lapic_write(&a, 0, R(APIC_TIMER_DCR), 0x4, &ipi), -1);
	assert_int_equal(lapic_write(&a, 0, R(APIC_LVT_TIMER), 3u << 17 | 1u << 12, &ipi), -1);
	assert_int_equal(lapic_write(&a, 0, R(APIC_LVT_TIMER), 3u << 17, &ipi), -1);
	assert_int_equal(lapic_write(&a, 0, R(APIC_LVT_TIMER), 1u << 20, &ipi), -1);
	assert_int_equal(lapic_write(&a, 0, R(APIC_ESR), 1, &ipi), -1);
	assert_int_equal(lapic_write(&a, 0, R(APIC_ICR_LOW), 1u << 20, &ipi), -1);
	/* While software-disabled an LVT entry cannot be unmasked. */
	wr(&a, 0, APIC_LVT_LINT0, APIC_LVT_DM_EXTINT);
	assert_int_equal(rd(&a, 0, APIC_LVT_LINT0), APIC_LVT_DM_EXTINT | APIC_LVT_MASKED);
	wr(&a, 0, APIC_SVR, APIC_SVR_ENABLE | 0xFF);
	wr(&a, 0, APIC_LVT_LINT0, APIC_LVT_DM_EXTINT);
	assert_int_equal(rd(&a, 0, APIC_LVT_LINT0), APIC_LVT_DM_EXTINT);
	assert_true(lapic_extint_open(&a));
	/* Read-only bits written are ignored, not a #GP: Linux's
	 * disconnect_bsp_APIC writes remote IRR and delivery status (0x5700). */
	wr(&a, 0, APIC_LVT_LINT0, APIC_LVT_REMOTE_IRR | APIC_LVT_DELIVERY_PENDING | APIC_LVT_DM_EXTINT);
	assert_int_equal(rd(&a, 0, APIC_LVT_LINT0), APIC_LVT_DM_EXTINT);
	assert_true(lapic_extint_open(&a));
	/* Software-disabling masks them all again. */
	wr(&a, 0, APIC_SVR, 0xFF);
	assert_int_equal(rd(&a, 0, APIC_LVT_LINT0) & APIC_LVT_MASKED, APIC_LVT_MASKED);
	assert_false(lapic_extint_open(&a));
}

static void test_base_msr(void **state)
{
	struct lapic a;
	uint64_t v, on;

	(void)state;
	lapic_init(&a, 0, true);
	on = lapic_base_read(&a);
	assert_int_equal(lapic_base_write(&a, on), 0);
	/* Back to xAPIC mode, EXTD alone, another base: refused. */
	assert_int_equal(lapic_base_write(&a, on & ~APIC_BASE_EXTD), -1);
	assert_int_equal(lapic_base_write(&a, on & ~APIC_BASE_EN), -1);
	assert_int_equal(lapic_base_write(&a, (on & 0xFFF) | 0xFED00000u), -1);
	/* Disabled: the registers reset, the 8259 reaches the CPU directly,
	 * no register answers; and x2APIC cannot come back directly. */
	wr(&a, 0, APIC_TPR, 0x20);
	assert_int_equal(lapic_base_write(&a, on & ~(APIC_BASE_EN | APIC_BASE_EXTD)), 0);
	assert_true(lapic_extint_open(&a));
	assert_int_equal(lapic_read(&a, 0, R(APIC_TPR), &v), -1);
	assert_false(lapic_deliver(&a, 0x40, false));
	assert_int_equal(lapic_base_write(&a, on), -1);
	assert_int_equal(a.tpr, 0);
}

/* SDM 11.8.3: the highest request whose class beats PPR, PPR the higher of
 * TPR and the class in service; EOI retires the highest in service. */
static void test_priorities(void **state)
{
	struct lapic a;

	(void)state;
	lapic_init(&a, 0, true);
	assert_int_equal(lapic_pending(&a), -1);
	assert_true(lapic_deliver(&a, 0x31, false));
	assert_true(lapic_deliver(&a, 0x45, false));
	assert_true(lapic_deliver(&a, 0x41, true));
	assert_int_equal(rd(&a, 0, APIC_IRR + 0x20), (1u << 0x05) | (1u << 0x01));
	assert_int_equal(rd(&a, 0, APIC_TMR + 0x20), 1u << 0x01);
	assert_int_equal(lapic_pending(&a), 0x45);
	lapic_ack(&a, 0x45);
	assert_int_equal(rd(&a, 0, APIC_ISR + 0x20), 1u << 0x05);
	assert_int_equal(rd(&a, 0, APIC_PPR), 0x40);
	assert_int_equal(lapic_pending(&a), -1);   /* 0x41: the same class */
	/* A higher class preempts. */
	assert_true(lapic_deliver(&a, 0x61, false));
	assert_int_equal(lapic_pending(&a), 0x61);
	lapic_ack(&a, 0x61);
	assert_int_equal(rd(&a, 0, APIC_PPR), 0x60);
	wr(&a, 0, APIC_EOI, 0);                  /* retires 0x61 */
	assert_int_equal(rd(&a, 0, APIC_PPR), 0x40);
	wr(&a, 0, APIC_EOI, 0);                  /* retires 0x45 */
	assert_int_equal(lapic_pending(&a), 0x41);
	/* TPR holds back its class and below. */
	wr(&a, 0, APIC_TPR, 0x41);
	assert_int_equal(rd(&a, 0, APIC_PPR), 0x41);
	assert_int_equal(lapic_pending(&a), -1);
	wr(&a, 0, APIC_TPR, 0x3F);
	assert_int_equal(lapic_pending(&a), 0x41);
	lapic_ack(&a, 0x41);
	wr(&a, 0, APIC_EOI, 0);                  /* a level interrupt: its TMR bit goes too */
	assert_int_equal(rd(&a, 0, APIC_TMR + 0x20), 0);
	assert_int_equal(lapic_pending(&a), -1);  /* 0x31 is below TPR's class 3 */
	wr(&a, 0, APIC_TPR, 0);
	assert_int_equal(lapic_pending(&a), 0x31);
	/* Vectors 0-15 are illegal: dropped, and ESR says so once latched. */
	assert_false(lapic_deliver(&a, 7, false));
	assert_int_equal(rd(&a, 0, APIC_ESR), 0);
	wr(&a, 0, APIC_ESR, 0);
	assert_int_equal(rd(&a, 0, APIC_ESR), APIC_ESR_RECV_ILLEGAL);
	wr(&a, 0, APIC_ESR, 0);
	assert_int_equal(rd(&a, 0, APIC_ESR), 0);
}

static void test_ipis_and_destinations(void **state)
{
	struct lapic a, b;
	struct lapic_ipi ipi;

	(void)state;
	lapic_init(&a, 0, true);
	lapic_init(&b, 1, false);
	/* Linux's x2APIC cluster mode: one ICR write, a logical destination. */
	assert_int_equal(lapic_write(&a, 0, R(APIC_ICR_LOW), (uint64_t)((0u << 16) | 2u) << 32 |
				      APIC_ICR_DEST_LOGICAL | APIC_ICR_DM_FIXED | 0xFB, &ipi), 1);
	assert_int_equal(ipi.dest, 2);
	assert_int_equal(ipi.icr_low, APIC_ICR_DEST_LOGICAL | 0xFB);
	assert_false(lapic_match(&a, ipi.dest, true));
	assert_true(lapic_match(&b, ipi.dest, true));
	assert_false(lapic_match(&b, (1u << 16) | 2u, true)); /* another cluster */
	assert_true(lapic_match(&b, 1, false));
	assert_false(lapic_match(&b, 2, false));
	assert_true(lapic_match(&b, X2APIC_BROADCAST, false));
	assert_int_equal(rd(&a, 0, APIC_ICR_LOW), (uint64_t)2 << 32 | APIC_ICR_DEST_LOGICAL | 0xFB);
	/* An AP takes no fixed interrupt before it is software-enabled. */
	assert_false(lapic_deliver(&b, 0xFB, false));
	wr(&b, 0, APIC_SVR, APIC_SVR_ENABLE | 0xFF);
	assert_true(lapic_deliver(&b, 0xFB, false));
	assert_int_equal(lapic_pending(&b), 0xFB);
	/* INIT and STARTUP as Linux sends them (wakeup_secondary_cpu_via_init). */
	assert_int_equal(lapic_write(&a, 0, R(APIC_ICR_LOW), (uint64_t)1 << 32 | APIC_ICR_TRIGGER_LEVEL |
				      APIC_ICR_LEVEL_ASSERT | APIC_ICR_DM_INIT, &ipi), 1);
	assert_int_equal(ipi.icr_low & APIC_ICR_DM_MASK, APIC_ICR_DM_INIT);
	assert_int_equal(lapic_write(&a, 0, R(APIC_ICR_LOW), (uint64_t)1 << 32 | APIC_ICR_DM_STARTUP | 0x9A,
				      &ipi), 1);
	assert_int_equal(ipi.dest, 1);
	assert_int_equal(ipi.icr_low, APIC_ICR_DM_STARTUP | 0x9A);
	/* The self-IPI register. */
	assert_int_equal(lapic_write(&b, 0, R(APIC_SELF_IPI), 0x40, &ipi), 1);
	assert_int_equal(ipi.dest, 1);
	assert_int_equal(ipi.icr_low, APIC_ICR_SELF | 0x40);
	/* Sending an illegal vector is recorded too. */
	assert_int_equal(lapic_write(&a, 0, R(APIC_ICR_LOW), (uint64_t)1 << 32 | 3, &ipi), 1);
	wr(&a, 0, APIC_ESR, 0);
	assert_int_equal(rd(&a, 0, APIC_ESR), APIC_ESR_SEND_ILLEGAL);
	/* INIT resets the registers, not the ID. */
	lapic_reset(&b);
	assert_int_equal(lapic_pending(&b), -1);
	assert_int_equal(rd(&b, 0, APIC_SVR), 0xFF);
	assert_int_equal(rd(&b, 0, APIC_ID), 1);
}

static void test_timer_oneshot(void **state)
{
	struct lapic a;
	const uint64_t t0 = 5000;

	(void)state;
	lapic_init(&a, 0, true);
	wr(&a, t0, APIC_TIMER_DCR, 0xB);        /* divide by 1 */
	wr(&a, t0, APIC_LVT_TIMER, 0xEC);       /* one-shot, vector 0xEC */
	assert_int_equal(lapic_next_event(&a, t0), 0);
	wr(&a, t0, APIC_TIMER_ICR, 1000);
	assert_int_equal(lapic_next_event(&a, t0), t0 + 1000);
	assert_int_equal(rd(&a, t0 + 500, APIC_TIMER_CCR), 500);
	lapic_update(&a, t0 + 999);
	assert_int_equal(lapic_pending(&a), -1);
	lapic_update(&a, t0 + 1000);
	assert_int_equal(lapic_pending(&a), 0xEC);
	assert_int_equal(rd(&a, t0 + 1000, APIC_TIMER_CCR), 0);
	assert_int_equal(lapic_next_event(&a, t0 + 1000), 0);   /* not re-armed */
	lapic_ack(&a, 0xEC);
	wr(&a, t0 + 1000, APIC_EOI, 0);
	lapic_update(&a, t0 + 5000);
	assert_int_equal(lapic_pending(&a), -1);
	/* Divide by 16: the count runs 16 times slower. */
	wr(&a, 10000, APIC_TIMER_DCR, 0x3);
	wr(&a, 10000, APIC_TIMER_ICR, 100);
	assert_int_equal(lapic_next_event(&a, 10000), 10000 + 1600);
	assert_int_equal(rd(&a, 10000 + 800, APIC_TIMER_CCR), 50);
	/* A new divisor mid-count: the count goes on from 50, at 1 a tick. */
	wr(&a, 10000 + 800, APIC_TIMER_DCR, 0xB);
	assert_int_equal(rd(&a, 10000 + 800, APIC_TIMER_CCR), 50);
	assert_int_equal(lapic_next_event(&a, 10000 + 800), 10000 + 850);
	/* Writing 0 stops it. */
	wr(&a, 10000 + 810, APIC_TIMER_ICR, 0);
	assert_int_equal(lapic_next_event(&a, 10000 + 810), 0);
	lapic_update(&a, 20000);
	assert_int_equal(lapic_pending(&a), -1);
}

static void test_timer_periodic_and_masked(void **state)
{
	struct lapic a;
	const uint64_t t0 = 1000;

	(void)state;
	lapic_init(&a, 0, true);
	wr(&a, t0, APIC_TIMER_DCR, 0x0);        /* divide by 2 */
	wr(&a, t0, APIC_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | 0xEC);
	wr(&a, t0, APIC_TIMER_ICR, 100);        /* a period of 200 ticks */
	/* Three periods missed: one interrupt (one IRR bit), then on time. */
	lapic_update(&a, t0 + 650);
	assert_int_equal(lapic_pending(&a), 0xEC);
	assert_int_equal(a.timer_fired, 1);
	assert_int_equal(lapic_next_event(&a, t0 + 650), t0 + 800);
	assert_int_equal(rd(&a, t0 + 650, APIC_TIMER_CCR), 100 - 50 / 2);
	lapic_ack(&a, 0xEC);
	wr(&a, t0 + 650, APIC_EOI, 0);
	lapic_update(&a, t0 + 800);
	assert_int_equal(lapic_pending(&a), 0xEC);
	assert_int_equal(a.timer_fired, 2);
	lapic_ack(&a, 0xEC);
	wr(&a, t0 + 800, APIC_EOI, 0);
	/* Masked: it still counts, but requests nothing, and no exit is needed
	 * for it. */
	wr(&a, t0 + 800, APIC_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | APIC_LVT_MASKED | 0xEC);
	assert_int_equal(lapic_next_event(&a, t0 + 800), 0);
	lapic_update(&a, t0 + 1000);
	assert_int_equal(a.timer_fired, 3);
	assert_int_equal(lapic_pending(&a), -1);
	/* TSC-deadline mode is not offered: it never fires. */
	wr(&a, t0 + 1000, APIC_LVT_TIMER, APIC_LVT_TIMER_TSCDEADLINE | 0xEC);
	lapic_update(&a, t0 + 100000);
	assert_int_equal(lapic_pending(&a), -1);
	assert_int_equal(lapic_next_event(&a, t0 + 100000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_access_rules),
		cmocka_unit_test(test_base_msr),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_ipis_and_destinations),
		cmocka_unit_test(test_timer_oneshot),
		cmocka_unit_test(test_timer_periodic_and_masked),
	};
	return cmocka_run_group_tests_name("lapic", tests, NULL, NULL);
}
