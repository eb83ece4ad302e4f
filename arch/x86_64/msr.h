/*
 * msr.h - model-specific registers used by dedupvisor, named as in the
 * Intel SDM Vol. 4 ("Model-Specific Registers"), with the bits we read.
 */
#ifndef ARCH_MSR_H
#define ARCH_MSR_H

#define IA32_TIME_STAMP_COUNTER       0x010
#define IA32_PLATFORM_ID              0x017
#define IA32_FEATURE_CONTROL          0x03A
#define   FEATURE_CONTROL_LOCK            (1ull << 0)
#define   FEATURE_CONTROL_VMX_INSIDE_SMX  (1ull << 1)
#define   FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)

#define IA32_PRED_CMD                 0x049
#define   PRED_CMD_IBPB                   (1ull << 0)
#define IA32_BIOS_UPDT_TRIG           0x079
#define IA32_BIOS_SIGN_ID             0x08B  /* the microcode revision */
#define IA32_ARCH_CAPABILITIES        0x10A
#define   ARCH_CAP_RDCL_NO                (1ull << 0)
#define   ARCH_CAP_SKIP_L1DFL_VMENTRY     (1ull << 3)
#define   ARCH_CAP_MDS_NO                 (1ull << 5)
#define   ARCH_CAP_TAA_NO                 (1ull << 8)
#define IA32_FLUSH_CMD                0x10B
#define   FLUSH_CMD_L1D                   (1ull << 0)
#define IA32_SYSENTER_CS              0x174
#define IA32_SYSENTER_ESP             0x175
#define IA32_SYSENTER_EIP             0x176
#define IA32_MISC_ENABLE              0x1A0
#define   MISC_ENABLE_FAST_STRING         (1ull << 0)
#define   MISC_ENABLE_BTS_UNAVAIL         (1ull << 11)
#define   MISC_ENABLE_PEBS_UNAVAIL        (1ull << 12)
#define IA32_MCG_CAP                  0x179
#define   MCG_CAP_COUNT_MASK              0xFFull   /* bits 7:0: banks */
#define IA32_MCG_STATUS               0x17A
#define   MCG_STATUS_RIPV                 (1ull << 0) /* restart IP valid */
#define   MCG_STATUS_EIPV                 (1ull << 1)
#define   MCG_STATUS_MCIP                 (1ull << 2) /* machine check in progress */
#define IA32_MC0_STATUS               0x401     /* IA32_MCi_STATUS = 0x401 + 4 * i */
#define   MCI_STATUS_VAL                  (1ull << 63)
#define   MCI_STATUS_UC                   (1ull << 61)
#define   MCI_STATUS_PCC                  (1ull << 57)
#define IA32_DEBUGCTL                 0x1D9
#define IA32_VMX_BASIC                0x480
#define   VMX_BASIC_REVISION_MASK         0x7FFFFFFFu    /* bits 30:0 */
#define   VMX_BASIC_TRUE_CTLS             (1ull << 55)
#define IA32_VMX_PINBASED_CTLS        0x481
#define IA32_VMX_PROCBASED_CTLS       0x482
#define IA32_VMX_EXIT_CTLS            0x483
#define IA32_VMX_ENTRY_CTLS           0x484
#define IA32_VMX_MISC                 0x485
#define   VMX_MISC_PREEMPTION_RATE_MASK   0x1F  /* bits 4:0: timer = TSC >> rate */
#define IA32_VMX_CR0_FIXED0           0x486
#define IA32_VMX_CR0_FIXED1           0x487
#define IA32_VMX_CR4_FIXED0           0x488
#define IA32_VMX_CR4_FIXED1           0x489
#define IA32_VMX_PROCBASED_CTLS2      0x48B
#define IA32_VMX_EPT_VPID_CAP         0x48C
#define IA32_VMX_TRUE_PINBASED_CTLS   0x48D
#define IA32_VMX_TRUE_PROCBASED_CTLS  0x48E
#define IA32_VMX_TRUE_EXIT_CTLS       0x48F
#define IA32_VMX_TRUE_ENTRY_CTLS      0x490

#define IA32_EFER                     0xC0000080
#define   EFER_SCE                        (1ull << 0)
#define   EFER_LME                        (1ull << 8)
#define   EFER_LMA                        (1ull << 10)
#define   EFER_NXE                        (1ull << 11)
#define   EFER_GUEST_WRITABLE             (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define IA32_STAR                     0xC0000081  /* SYSCALL's segments */
#define IA32_LSTAR                    0xC0000082  /* SYSCALL's 64-bit entry */
#define IA32_CSTAR                    0xC0000083  /* SYSCALL's compatibility-mode entry */
#define IA32_FMASK                    0xC0000084  /* SYSCALL's RFLAGS mask */
#define IA32_FS_BASE                  0xC0000100
#define IA32_GS_BASE                  0xC0000101
#define IA32_KERNEL_GS_BASE           0xC0000102

#endif
