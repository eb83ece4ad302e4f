/*
 * vmx_exit_reasons.h - basic exit reasons, named as in the Intel SDM
 * Vol. 3D, Appendix C ("VMX Basic Exit Reasons").  Only those used.
 */
#ifndef ARCH_VMX_EXIT_REASONS_H
#define ARCH_VMX_EXIT_REASONS_H

#define EXIT_REASON_EXCEPTION_NMI        0
#define EXIT_REASON_EXTERNAL_INTERRUPT   1
#define EXIT_REASON_TRIPLE_FAULT         2
#define EXIT_REASON_INIT_SIGNAL          3
#define EXIT_REASON_SIPI                 4
#define EXIT_REASON_IO_SMI               5
#define EXIT_REASON_OTHER_SMI            6
#define EXIT_REASON_INTERRUPT_WINDOW     7
#define EXIT_REASON_CPUID               10
#define EXIT_REASON_HLT                 12
#define EXIT_REASON_INVD                13
#define EXIT_REASON_RDPMC               15
#define EXIT_REASON_VMCALL              18
#define EXIT_REASON_VMCLEAR             19
#define EXIT_REASON_VMLAUNCH            20
#define EXIT_REASON_VMPTRLD             21
#define EXIT_REASON_VMPTRST             22
#define EXIT_REASON_VMREAD              23
#define EXIT_REASON_VMRESUME            24
#define EXIT_REASON_VMWRITE             25
#define EXIT_REASON_VMXOFF              26
#define EXIT_REASON_VMXON               27
#define EXIT_REASON_CR_ACCESS           28
#define EXIT_REASON_IO_INSTRUCTION      30
#define EXIT_REASON_MSR_READ            31
#define EXIT_REASON_MSR_WRITE           32
#define EXIT_REASON_INVALID_STATE       33
#define EXIT_REASON_MWAIT_INSTRUCTION   36
#define EXIT_REASON_MCE_DURING_VMENTRY  41
#define EXIT_REASON_MONITOR_INSTRUCTION 39
#define EXIT_REASON_EPT_VIOLATION       48
#define EXIT_REASON_EPT_MISCONFIG       49
#define EXIT_REASON_INVEPT              50
#define EXIT_REASON_PREEMPTION_TIMER    52
#define EXIT_REASON_INVVPID             53
#define EXIT_REASON_WBINVD              54
#define EXIT_REASON_XSETBV              55
#define EXIT_REASON_NOTIFY              75
#define EXIT_REASON_MAX                 75

#define EXIT_REASON_BASIC_MASK          0xFFFFu    /* bits 15:0 of VM_EXIT_REASON */
#define EXIT_REASON_FAILED_ENTRY        (1u << 31) /* bit 31 of VM_EXIT_REASON */

/* Exit qualification for EPT violations (SDM 3C 28.2.1, Table 28-7). */
#define EPT_QUAL_READ                   (1u << 0)  /* a data read */
#define EPT_QUAL_WRITE                  (1u << 1)  /* a data write */
#define EPT_QUAL_FETCH                  (1u << 2)  /* an instruction fetch */

/* Exit qualification for notify VM exits (SDM 3C 28.2.1): the guest's
 * context could not be saved whole. */
#define NOTIFY_VM_CONTEXT_INVALID       (1u << 0)

#endif
