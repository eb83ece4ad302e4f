/*
 * apic_regs.h - the local APIC's registers and fields, named as the SDM
 * names them (Vol. 3A, chapter 11 "Advanced Programmable Interrupt
 * Controller (APIC)": Table 11-1, the register map; Table 11-6, their
 * x2APIC MSRs; Figures 11-8 (LVT), 11-10 (divide configuration), 11-12
 * (ICR), 11-23 (SVR), 11-26 (APIC base)).  Used by the host's APIC
 * (arch/x86_64/apic.c) and by the guests' virtual ones (devices/lapic.c).
 *
 * In xAPIC mode a register is MMIO at base + offset; in x2APIC mode it is
 * MSR X2APIC_MSR_BASE + offset / 16, and the ICR is one 64-bit MSR.
 */
#ifndef APIC_REGS_H
#define APIC_REGS_H

#define IA32_APIC_BASE          0x1B
#define   APIC_BASE_BSP           (1ull << 8)   /* this is the boot processor */
#define   APIC_BASE_EXTD          (1ull << 10)  /* x2APIC mode enabled */
#define   APIC_BASE_EN            (1ull << 11)  /* the APIC is enabled (xAPIC or x2APIC) */
#define   APIC_BASE_ADDR_MASK     (~0xFFFull)
#define   APIC_BASE_DEFAULT       0xFEE00000ull
#define X2APIC_MSR_BASE         0x800
#define X2APIC_MSR_LAST         0x8FF

/* Register offsets (xAPIC MMIO; / 16 for the x2APIC MSR). */
#define APIC_ID                 0x020
#define APIC_VERSION            0x030
#define APIC_TPR                0x080  /* task priority */
#define APIC_PPR                0x0A0  /* processor priority (read-only) */
#define APIC_EOI                0x0B0
#define APIC_LDR                0x0D0  /* logical destination */
#define APIC_SVR                0x0F0  /* spurious interrupt vector */
#define APIC_ISR                0x100  /* 8 registers, 0x10 apart: vectors 32*i..32*i+31 */
#define APIC_TMR                0x180
#define APIC_IRR                0x200
#define APIC_ESR                0x280  /* error status */
#define APIC_LVT_CMCI           0x2F0
#define APIC_ICR_LOW            0x300
#define APIC_ICR_HIGH           0x310  /* xAPIC only: part of the 64-bit ICR in x2APIC mode */
#define APIC_LVT_TIMER          0x320
#define APIC_LVT_THERMAL        0x330
#define APIC_LVT_PERF           0x340
#define APIC_LVT_LINT0          0x350
#define APIC_LVT_LINT1          0x360
#define APIC_LVT_ERROR          0x370
#define APIC_TIMER_ICR          0x380  /* initial count */
#define APIC_TIMER_CCR          0x390  /* current count (read-only) */
#define APIC_TIMER_DCR          0x3E0  /* divide configuration */
#define APIC_SELF_IPI           0x3F0  /* x2APIC only */

/* Version register: version 0x14 (an integrated APIC), max LVT entry in
 * bits 23:16. */
#define APIC_VERSION_INTEGRATED 0x14u
#define APIC_VERSION_MAXLVT_SHIFT 16

/* SVR */
#define APIC_SVR_VECTOR_MASK    0xFFu
#define APIC_SVR_ENABLE         (1u << 8)  /* APIC software enable */
#define APIC_SVR_FOCUS_DISABLE  (1u << 9)

/* ESR bits */
#define APIC_ESR_SEND_ILLEGAL   (1u << 5)  /* send illegal vector */
#define APIC_ESR_RECV_ILLEGAL   (1u << 6)  /* receive illegal vector */
#define APIC_ESR_ILLEGAL_REG    (1u << 7)  /* illegal register address */

/* LVT entries */
#define APIC_LVT_VECTOR_MASK    0xFFu
#define APIC_LVT_DM_MASK        (7u << 8)  /* delivery mode (not the timer's) */
#define   APIC_LVT_DM_FIXED       (0u << 8)
#define   APIC_LVT_DM_SMI         (2u << 8)
#define   APIC_LVT_DM_NMI         (4u << 8)
#define   APIC_LVT_DM_INIT        (5u << 8)
#define   APIC_LVT_DM_EXTINT      (7u << 8)
#define APIC_LVT_DELIVERY_PENDING (1u << 12)
#define APIC_LVT_POLARITY_LOW   (1u << 13)  /* LINT0/1 */
#define APIC_LVT_REMOTE_IRR     (1u << 14)  /* LINT0/1, read-only */
#define APIC_LVT_LEVEL          (1u << 15)  /* LINT0/1: level-triggered */
#define APIC_LVT_MASKED         (1u << 16)
#define APIC_LVT_TIMER_MODE_MASK (3u << 17)
#define   APIC_LVT_TIMER_ONESHOT  (0u << 17)
#define   APIC_LVT_TIMER_PERIODIC (1u << 17)
#define   APIC_LVT_TIMER_TSCDEADLINE (2u << 17)

/* Divide configuration: bits 3, 1:0 (Figure 11-10). */
#define APIC_TDCR_MASK          0x0Bu

/* ICR fields (low half; in x2APIC mode the destination is bits 63:32). */
#define APIC_ICR_VECTOR_MASK    0xFFu
#define APIC_ICR_DM_MASK        (7u << 8)
#define APIC_ICR_DM_FIXED       (0u << 8)
#define APIC_ICR_DM_LOWEST      (1u << 8)
#define APIC_ICR_DM_SMI         (2u << 8)
#define APIC_ICR_DM_NMI         (4u << 8)
#define APIC_ICR_DM_INIT        (5u << 8)
#define APIC_ICR_DM_STARTUP     (6u << 8)
#define APIC_ICR_DEST_LOGICAL   (1u << 11)
#define APIC_ICR_DELIVERY_PENDING (1u << 12)  /* xAPIC only */
#define APIC_ICR_LEVEL_ASSERT   (1u << 14)
#define APIC_ICR_TRIGGER_LEVEL  (1u << 15)
#define APIC_ICR_SHORTHAND_MASK (3u << 18)
#define APIC_ICR_SELF           (1u << 18)
#define APIC_ICR_ALL_INCL_SELF  (2u << 18)
#define APIC_ICR_ALL_BUT_SELF   (3u << 18)

/* x2APIC destinations: all ones is the broadcast; a logical one is a
 * cluster (bits 31:16) and a bit mask of its members (15:0). */
#define X2APIC_BROADCAST        0xFFFFFFFFu

#endif
