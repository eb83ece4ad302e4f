/*
 * exit_decode.c - plain-C decisions of exit handling (see exit_decode.h).
 */
#include "cpu.h"
#include "cpuid_bits.h"
#include "exit_decode.h"
#include "msr.h"
#include "vectors.h"
#include "vmcs_fields.h"

struct io_access io_decode(uint64_t q)
{
	struct io_access a = { (unsigned)(q & 7) + 1, (unsigned)(q >> 16) & 0xFFFF,
			       (q >> 3) & 1, (q >> 4) & 1, (q >> 5) & 1 };
	return a;
}

uint64_t io_merge_in(uint64_t rax, unsigned size, uint32_t value)
{
	if (size == 4)
		return value;
	if (size == 2)
		return (rax & ~0xFFFFull) | (value & 0xFFFF);
	return (rax & ~0xFFull) | (value & 0xFF);
}

struct cr_access cr_decode(uint64_t q)
{
	struct cr_access a = { (unsigned)(q & 0xF), (unsigned)(q >> 4) & 3, (unsigned)(q >> 8) & 0xF };
	return a;
}

/* The policy: offer what is virtualized, hide what is not.
 *   VMX                not offered to guests
 *   MONITOR/MWAIT      intercepted (MWAIT behaves as HLT): not offered
 *   XSAVE, AVX and the VEX-encoded FMA, F16C, AVX2, AVX-512
 *                      XCR0 and the upper vector state are not switched
 *                      between guests: not offered (CR4.OSXSAVE #GPs)
 *   PDCM, DS, DTES64, leaf 0xA   no performance counters are virtualized
 *   local APIC, x2APIC, TSC deadline   a one-vCPU Linux guest runs on the
 *                      8259 PIC and the 8254 PIT; an SMP one gets a local
 *                      APIC in x2APIC mode (cpuid_offer_lapic), no TSC
 *                      deadline
 *   MCE/MCA, MTRR, PAT, PSN, thermal and power (ACPI, TM, TM2, PBE, EIST,
 *                      leaf 6), SMX: their MSRs are not virtualized
 *   RDTSCP, INVPCID    their VM-execution controls are off: they would #UD
 *   leaf 7             only the features that need nothing of us
 *                      (FSGSBASE, BMI, SMEP/SMAP, ERMS, RDSEED, ADX,
 *                      CLFLUSHOPT, CLWB, SHA)
 *   topology (0xB, 0x1F), HTT   one thread per package
 *   TSC rate           leaf 0x15 says the measured rate (crystal = TSC
 *                      Hz, ratio 1/1), leaf 0x16 its MHz: Linux believes
 *                      these without calibrating; leaf 0 reaches 0x16
 *   hypervisor bit     set; leaves 0x40000000/1 are ours. */
void cpuid_adjust(uint32_t leaf, uint32_t subleaf, uint32_t out[4], unsigned vcpu, unsigned nvcpus,
		  uint64_t tsc_hz)
{
	switch (leaf) {
	case 0:
		if (out[0] < CPUID_LEAF_FREQUENCY)
			out[0] = CPUID_LEAF_FREQUENCY;
		break;
	case CPUID_LEAF_HV_BASE:
		out[0] = CPUID_LEAF_HV_VCPU;
		out[1] = 0x75646544; /* "Dedu" */
		out[2] = 0x73695670; /* "pVis" */
		out[3] = 0x2020726f; /* "or  " */
		break;
	case CPUID_LEAF_HV_VCPU:
		out[0] = vcpu;
		out[1] = nvcpus;
		out[2] = out[3] = 0;
		break;
	case CPUID_LEAF_FEATURES:
		/* One logical processor per package; its initial APIC id is the
		 * vCPU's index, not the host CPU's. */
		out[1] = (out[1] & 0x0000FFFFu) | (uint32_t)(vcpu & 0xFF) << 24;
		out[2] &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_MONITOR | CPUID_1_ECX_PDCM |
			    CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX |
			    CPUID_1_ECX_DTES64 | CPUID_1_ECX_DS_CPL | CPUID_1_ECX_SMX |
			    CPUID_1_ECX_EIST | CPUID_1_ECX_TM2 | CPUID_1_ECX_FMA | CPUID_1_ECX_X2APIC |
			    CPUID_1_ECX_TSC_DEADLINE | CPUID_1_ECX_F16C);
		out[2] |= CPUID_1_ECX_HYPERVISOR;
		out[3] &= ~(CPUID_1_EDX_MCE | CPUID_1_EDX_APIC | CPUID_1_EDX_MTRR | CPUID_1_EDX_MCA |
			    CPUID_1_EDX_PAT | CPUID_1_EDX_PSN | CPUID_1_EDX_DS | CPUID_1_EDX_ACPI |
			    CPUID_1_EDX_HTT | CPUID_1_EDX_TM | CPUID_1_EDX_PBE);
		break;
	case CPUID_LEAF_EXT_FEATURES:
		if (subleaf) { /* no subleaves beyond 0 */
			out[0] = out[1] = out[2] = out[3] = 0;
			break;
		}
		out[0] = 0;
		out[1] &= CPUID_7_EBX_FSGSBASE | CPUID_7_EBX_BMI1 | CPUID_7_EBX_SMEP |
			  CPUID_7_EBX_BMI2 | CPUID_7_EBX_ERMS | CPUID_7_EBX_RDSEED | CPUID_7_EBX_ADX |
			  CPUID_7_EBX_SMAP | CPUID_7_EBX_CLFLUSHOPT | CPUID_7_EBX_CLWB |
			  CPUID_7_EBX_SHA;
		out[2] = out[3] = 0;
		break;
	case CPUID_LEAF_TSC:
		/* TSC Hz = ECX * EBX / EAX; ECX is 32 bits wide. */
		out[0] = 1;
		out[1] = tsc_hz > 0xFFFFFFFFull ? 4 : 1;
		out[2] = (uint32_t)(tsc_hz > 0xFFFFFFFFull ? tsc_hz / 4 : tsc_hz);
		out[3] = 0;
		break;
	case CPUID_LEAF_FREQUENCY:
		out[0] = out[1] = (uint32_t)(tsc_hz / 1000000);
		out[2] = out[3] = 0;
		break;
	case CPUID_LEAF_EXT_INFO:
		out[3] &= ~CPUID_81_EDX_RDTSCP;
		break;
	case CPUID_LEAF_MONITOR: case CPUID_LEAF_THERMAL_POWER: case CPUID_LEAF_PMU:
	case CPUID_LEAF_XSAVE: case CPUID_LEAF_TOPOLOGY: case CPUID_LEAF_TOPOLOGY_V2:
		out[0] = out[1] = out[2] = out[3] = 0;
		break;
	}
}

struct event_exit event_decode(uint32_t info, uint32_t code)
{
	struct event_exit e = { EV_UNEXPECTED, info & INTR_INFO_VECTOR_MASK, 0, false, 0, false };
	uint32_t type = info & INTR_TYPE_MASK;

	if (!(info & INTR_INFO_VALID))
		return e;
	if (type == INTR_TYPE_NMI_INTR && e.vector == EXC_NMI) {
		e.action = EV_HOST_NMI;
	} else if (type == INTR_TYPE_HW_EXCEPTION && e.vector == EXC_MC) {
		e.action = EV_HOST_MC;
	} else if (type == INTR_TYPE_HW_EXCEPTION && (e.vector == EXC_DB || e.vector == EXC_AC)) {
		e.action = EV_REFLECT;
		e.has_code = (info & INTR_INFO_DELIVER_CODE) != 0;
		e.code = e.has_code ? code : 0;
		e.inject = e.vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID |
			   (e.has_code ? INTR_INFO_DELIVER_CODE : 0);
	} else if (type == INTR_TYPE_PRIV_SW_EXCEPTION && e.vector == EXC_DB) {
		e.action = EV_REFLECT; /* INT1 (ICEBP): its #DB, after the instruction */
		e.inject = EXC_DB | INTR_TYPE_PRIV_SW_EXCEPTION | INTR_INFO_VALID;
		e.length = true;
	}
	return e;
}

#define DR6_B0_B3 0xFull
#define DR6_BD    (1ull << 13)
#define DR6_BS    (1ull << 14)
#define DR6_RTM   (1ull << 16) /* active low in DR6, active high in q */
uint64_t dr6_after_db(uint64_t dr6, uint64_t q)
{
	dr6 = (dr6 & ~DR6_B0_B3) | (q & (DR6_B0_B3 | DR6_BD | DR6_BS));
	if (q & DR6_RTM)
		dr6 &= ~DR6_RTM;
	else
		dr6 |= DR6_RTM;
	return dr6 & ~(1ull << 12);
}

enum mce_action mce_decide(uint64_t mcg_status, const uint64_t *bank, unsigned nbanks)
{
	enum mce_action a = MCE_RESUME;
	unsigned i;

	for (i = 0; i < nbanks; i++) {
		if (!(bank[i] & MCI_STATUS_VAL))
			continue;
		if (bank[i] & MCI_STATUS_PCC)
			return MCE_FATAL;
		if (bank[i] & MCI_STATUS_UC)
			a = MCE_STOP_VM;
	}
	if (!(mcg_status & MCG_STATUS_RIPV))
		a = MCE_STOP_VM;
	return a;
}

bool cr0_write_faults(uint64_t val)
{
	return (val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
	       ((val & CR0_NW) && !(val & CR0_CD));
}

uint64_t cr4_host_owned(void)
{
	return CR4_VMXE | CR4_OSXSAVE | CR4_PKE | CR4_PCE;
}

void cpuid_offer_lapic(uint32_t leaf, uint32_t out[4])
{
	if (leaf != CPUID_LEAF_FEATURES)
		return;
	out[2] |= CPUID_1_ECX_X2APIC;
	out[3] |= CPUID_1_EDX_APIC;
}
