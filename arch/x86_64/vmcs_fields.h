/*
 * vmcs_fields.h - VMCS field encodings used by dedupvisor, grouped and named
 * as in the Intel SDM Vol. 3D, Appendix B ("Field Encoding in VMCS").
 * Bits 14:13 of an encoding give the field's width (vmx.h checks it).
 */
#ifndef ARCH_VMCS_FIELDS_H
#define ARCH_VMCS_FIELDS_H

/* B.1.1 16-bit control fields */
#define VIRTUAL_PROCESSOR_ID            0x0000
/* B.1.2 16-bit guest-state fields */
#define GUEST_ES_SELECTOR               0x0800
#define GUEST_CS_SELECTOR               0x0802
#define GUEST_SS_SELECTOR               0x0804
#define GUEST_DS_SELECTOR               0x0806
#define GUEST_FS_SELECTOR               0x0808
#define GUEST_GS_SELECTOR               0x080A
#define GUEST_LDTR_SELECTOR             0x080C
#define GUEST_TR_SELECTOR               0x080E
/* B.1.3 16-bit host-state fields */
#define HOST_ES_SELECTOR                0x0C00
#define HOST_CS_SELECTOR                0x0C02
#define HOST_SS_SELECTOR                0x0C04
#define HOST_DS_SELECTOR                0x0C06
#define HOST_FS_SELECTOR                0x0C08
#define HOST_GS_SELECTOR                0x0C0A
#define HOST_TR_SELECTOR                0x0C0C

/* B.2.1 64-bit control fields */
#define MSR_BITMAP                      0x2004
#define EPT_POINTER                     0x201A
/* B.2.2 64-bit read-only data field */
#define GUEST_PHYSICAL_ADDRESS          0x2400
/* B.2.3 64-bit guest-state fields */
#define VMCS_LINK_POINTER               0x2800
#define GUEST_IA32_DEBUGCTL             0x2802
#define GUEST_IA32_PAT                  0x2804
#define GUEST_IA32_EFER                 0x2806
/* B.2.4 64-bit host-state fields */
#define HOST_IA32_PAT                   0x2C00
#define HOST_IA32_EFER                  0x2C02

/* B.3.1 32-bit control fields */
#define PIN_BASED_VM_EXEC_CONTROL       0x4000
#define CPU_BASED_VM_EXEC_CONTROL       0x4002
#define EXCEPTION_BITMAP                0x4004
#define VM_EXIT_CONTROLS                0x400C
#define VM_EXIT_MSR_STORE_COUNT         0x400E
#define VM_EXIT_MSR_LOAD_COUNT          0x4010
#define VM_ENTRY_CONTROLS               0x4012
#define VM_ENTRY_MSR_LOAD_COUNT         0x4014
#define VM_ENTRY_INTR_INFO_FIELD        0x4016
#define VM_ENTRY_EXCEPTION_ERROR_CODE   0x4018
#define VM_ENTRY_INSTRUCTION_LEN        0x401A
#define SECONDARY_VM_EXEC_CONTROL       0x401E
#define NOTIFY_WINDOW                   0x4024
/* B.3.2 32-bit read-only data fields */
#define VM_INSTRUCTION_ERROR            0x4400
#define VM_EXIT_REASON                  0x4402
#define VM_EXIT_INTR_INFO               0x4404
#define VM_EXIT_INTR_ERROR_CODE         0x4406
#define IDT_VECTORING_INFO_FIELD        0x4408
#define IDT_VECTORING_ERROR_CODE        0x440A
#define VM_EXIT_INSTRUCTION_LEN         0x440C
/* B.3.3 32-bit guest-state fields */
#define GUEST_ES_LIMIT                  0x4800
#define GUEST_CS_LIMIT                  0x4802
#define GUEST_SS_LIMIT                  0x4804
#define GUEST_DS_LIMIT                  0x4806
#define GUEST_FS_LIMIT                  0x4808
#define GUEST_GS_LIMIT                  0x480A
#define GUEST_LDTR_LIMIT                0x480C
#define GUEST_TR_LIMIT                  0x480E
#define GUEST_GDTR_LIMIT                0x4810
#define GUEST_IDTR_LIMIT                0x4812
#define GUEST_ES_AR_BYTES               0x4814
#define GUEST_CS_AR_BYTES               0x4816
#define GUEST_SS_AR_BYTES               0x4818
#define GUEST_DS_AR_BYTES               0x481A
#define GUEST_FS_AR_BYTES               0x481C
#define GUEST_GS_AR_BYTES               0x481E
#define GUEST_LDTR_AR_BYTES             0x4820
#define GUEST_TR_AR_BYTES               0x4822
#define GUEST_INTERRUPTIBILITY_INFO     0x4824
#define GUEST_ACTIVITY_STATE            0x4826
#define GUEST_SYSENTER_CS               0x482A
#define VMX_PREEMPTION_TIMER_VALUE      0x482E
/* B.3.4 32-bit host-state field */
#define HOST_IA32_SYSENTER_CS           0x4C00

/* B.4.1 natural-width control fields */
#define CR0_GUEST_HOST_MASK             0x6000
#define CR4_GUEST_HOST_MASK             0x6002
#define CR0_READ_SHADOW                 0x6004
#define CR4_READ_SHADOW                 0x6006
/* B.4.2 natural-width read-only data fields */
#define EXIT_QUALIFICATION              0x6400
#define GUEST_LINEAR_ADDRESS            0x640A
/* B.4.3 natural-width guest-state fields */
#define GUEST_CR0                       0x6800
#define GUEST_CR3                       0x6802
#define GUEST_CR4                       0x6804
#define GUEST_ES_BASE                   0x6806
#define GUEST_CS_BASE                   0x6808
#define GUEST_SS_BASE                   0x680A
#define GUEST_DS_BASE                   0x680C
#define GUEST_FS_BASE                   0x680E
#define GUEST_GS_BASE                   0x6810
#define GUEST_LDTR_BASE                 0x6812
#define GUEST_TR_BASE                   0x6814
#define GUEST_GDTR_BASE                 0x6816
#define GUEST_IDTR_BASE                 0x6818
#define GUEST_DR7                       0x681A
#define GUEST_RSP                       0x681C
#define GUEST_RIP                       0x681E
#define GUEST_RFLAGS                    0x6820
#define GUEST_PENDING_DBG_EXCEPTIONS    0x6822
#define GUEST_SYSENTER_ESP              0x6824
#define GUEST_SYSENTER_EIP              0x6826
/* B.4.4 natural-width host-state fields */
#define HOST_CR0                        0x6C00
#define HOST_CR3                        0x6C02
#define HOST_CR4                        0x6C04
#define HOST_FS_BASE                    0x6C06
#define HOST_GS_BASE                    0x6C08
#define HOST_TR_BASE                    0x6C0A
#define HOST_GDTR_BASE                  0x6C0C
#define HOST_IDTR_BASE                  0x6C0E
#define HOST_IA32_SYSENTER_ESP          0x6C10
#define HOST_IA32_SYSENTER_EIP          0x6C12
#define HOST_RSP                        0x6C14
#define HOST_RIP                        0x6C16

/* Control bits (SDM 3C 25.6 / 25.7 / 25.8), only those we set. */
#define PIN_EXTERNAL_INTERRUPT_EXITING  (1u << 0)
#define PIN_NMI_EXITING                 (1u << 3)
#define PIN_PREEMPTION_TIMER            (1u << 6)
#define CPU_INTR_WINDOW_EXITING         (1u << 2)  /* "interrupt-window exiting" */
#define CPU_HLT_EXITING                 (1u << 7)
#define CPU_RDPMC_EXITING               (1u << 11)
#define CPU_MWAIT_EXITING               (1u << 10)
#define CPU_CR8_LOAD_EXITING            (1u << 19)
#define CPU_CR8_STORE_EXITING           (1u << 20)
#define CPU_UNCOND_IO_EXITING           (1u << 24)
#define CPU_USE_MSR_BITMAPS             (1u << 28)
#define CPU_MONITOR_EXITING             (1u << 29)
#define CPU_SECONDARY_CONTROLS          (1u << 31)
#define SEC_ENABLE_EPT                  (1u << 1)
#define SEC_ENABLE_VPID                 (1u << 5)
#define SEC_WBINVD_EXITING              (1u << 6)
#define SEC_UNRESTRICTED_GUEST          (1u << 7)
#define SEC_NOTIFY_VM_EXITING           (1u << 31) /* "notify VM exiting" */
#define EXIT_SAVE_DEBUG_CONTROLS        (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE       (1u << 9)
#define EXIT_ACK_INTR_ON_EXIT           (1u << 15)
#define EXIT_SAVE_IA32_PAT              (1u << 18)
#define EXIT_LOAD_IA32_PAT              (1u << 19)
#define EXIT_SAVE_IA32_EFER             (1u << 20)
#define EXIT_LOAD_IA32_EFER             (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER      (1u << 22)
#define ENTRY_LOAD_DEBUG_CONTROLS       (1u << 2)
#define ENTRY_IA32E_MODE_GUEST          (1u << 9)
#define ENTRY_LOAD_IA32_PAT             (1u << 14)
#define ENTRY_LOAD_IA32_EFER            (1u << 15)

/* VM-entry interruption-information (25.8.3), and VM-exit interruption
 * information (25.9.2, the same layout). */
#define INTR_INFO_VALID                 (1u << 31)
#define INTR_INFO_VECTOR_MASK           0xFFu
#define INTR_TYPE_EXT_INTR              (0u << 8)
#define INTR_TYPE_NMI_INTR              (2u << 8)
#define INTR_TYPE_HW_EXCEPTION          (3u << 8)
#define INTR_TYPE_MASK                  (7u << 8)
#define INTR_TYPE_SOFT_INTR             (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION     (5u << 8)
#define INTR_TYPE_SW_EXCEPTION          (6u << 8)
/* Segment access rights (25.4.1): L, 64-bit code segment. */
#define SEG_AR_L                        (1u << 13)
/* Guest interruptibility state (25.4.2). */
#define GUEST_INTR_STATE_STI            (1u << 0)
#define GUEST_INTR_STATE_MOV_SS         (1u << 1)
/* Pending debug exceptions (25.4.2): BS, a single step pending. */
#define PENDING_DBG_BS                  (1ull << 14)
#define INTR_INFO_DELIVER_CODE          (1u << 11)

#endif
