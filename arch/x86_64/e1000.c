/*
 * e1000.c - the hypervisor's own network card: an Intel 82540EM ("e1000"),
 * polled, for the HTTP API (control/net.c drives it through arch.h).
 *
 * Found by a scan of PCI configuration space (mechanism #1, ports 0xCF8 and
 * 0xCFC) for vendor 0x8086 device 0x100E; its registers (BAR0, 128 KiB of
 * MMIO) are reached through the identity map made uncacheable there
 * (paging.c).  Bring-up follows the 8254x manual's section 14: reset, mask
 * every interrupt, set link up, read the MAC, clear the multicast table,
 * then the receive and transmit rings.  The core calls arch_nic_recv()
 * and arch_nic_send() from its scheduler loop.
 *
 * Its interrupt only makes the boot CPU look sooner (issue 24).  The
 * frames are still taken by polling, between the boot CPU's rounds and
 * whenever the core sees one waiting (arch_nic_pending: a read of the
 * next receive descriptor, memory, after every VM exit there); what the
 * interrupt adds is the exit: without it a guest that makes none keeps
 * the boot CPU for its whole slice (2^20 TSC ticks).  So the card
 * interrupts on a received frame (RXT0, RDTR = 0: at once) and on a full
 * ring (RXDMT0, RXO), through its PCI INTx line, the IRQ the firmware
 * routed it to (its Interrupt Line register), and the I/O APIC's entry
 * for that IRQ (ioapic.c): level-triggered, to the boot CPU's local APIC,
 * NIC_VECTOR.  External-interrupt exiting makes the guest there exit,
 * acknowledging the interrupt on exit; vcpu.c then reads ICR here
 * (e1000_irq_ack: the read clears the causes and lowers the line) before
 * the EOI, so the EOI does not bring it back at once.  A frame that comes
 * after that read raises it again: none waits unseen.  The 8259s are
 * masked (arch_mask_legacy_irqs): the I/O APIC alone delivers it.  Where no line
 * is routed or no I/O APIC answers, or until the core asks for the
 * interrupt (arch_nic_irq_on: only when guests will run; the API served
 * without VT-x is a loop of polls that needs none), the card stays purely polled, as
 * before; polling remains the fallback either way (under Bochs 2.7 a
 * guest entered with IF = 0 does not exit for it: vcpu.c's quanta bound
 * the wait there).
 *
 * The card belongs to the hypervisor alone.  Its rings and buffers are
 * frames the core gives the hypervisor (core_frame_alloc: FRAME_KERNEL),
 * which no EPT ever maps, so the card's DMA reaches no guest memory and no
 * guest can reach the rings.  Guests cannot reach the card either: every
 * guest port access exits (unconditional I/O exiting), and the virtual
 * platform answers PCI configuration with all ones (devices/vplatform.c);
 * the BAR is outside every guest's EPT.
 *
 * Rings: NIC_RX and NIC_TX legacy descriptors of 16 bytes in one frame;
 * each descriptor owns a 2 KiB buffer, two to a frame.  Receive: the card
 * fills buffers from RDH up to RDT (exclusive) and sets DD; we take the
 * frame at rx_next, give the descriptor back by moving RDT onto it.
 * Transmit: we fill the descriptor at TDT and move TDT past it; a
 * descriptor is ours again once the card has set DD (RS asks for it).
 * At most NIC_TX - 1 are the card's at once: TDT == TDH means empty.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "apic.h"
#include "arch.h"
#include "cpu.h"
#include "e1000.h"
#include "intel_8254x.h"
#include "ioapic.h"
#include "paging.h"
#include "pci_config.h"
#include "percpu.h"
#include "upcall.h"
#include "vectors.h"

#define NIC_RX      32   /* descriptors: RDLEN = 512, a multiple of 128 */
#define NIC_TX      32
#define NIC_BUF     2048 /* RCTL.BSIZE 2048 */
#define FRAME_BYTES 4096

_Static_assert(ARCH_NIC_FRAME_MAX <= NIC_BUF, "a frame fits one buffer");
_Static_assert((NIC_RX + NIC_TX) * 16 <= FRAME_BYTES, "both rings fit one frame");

static struct {
	volatile uint8_t *regs;
	struct e1000_rx_desc *rx;
	struct e1000_tx_desc *tx;
	uint8_t *rx_buf[NIC_RX], *tx_buf[NIC_TX];
	unsigned rx_next;         /* the next descriptor the card fills */
	unsigned tx_next;         /* TDT: the next descriptor we fill */
	unsigned tx_clean;        /* the oldest descriptor the card may still hold */
	unsigned tx_busy;         /* descriptors the card holds */
	bool up;
	bool irq;                 /* its interrupt is routed, to CPU irq_cpu */
	unsigned irq_cpu, irq_line;
	unsigned irq_foreign;     /* its vector came that many times in a row, no cause of ours */
	struct arch_nic_stats st;
} nic;

static uint32_t rd(uint32_t reg) { return *(volatile uint32_t *)(nic.regs + reg); }
static void wr(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(nic.regs + reg) = v; }

static uint32_t pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ADDR(bus, dev, fn, reg));
	return inl(PCI_CONFIG_DATA);
}

static void pci_write(unsigned bus, unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ADDR(bus, dev, fn, reg));
	outl(PCI_CONFIG_DATA, v);
}

/* The first 82540EM on any bus: true with its address in *bdf. */
static bool pci_find(unsigned *bus, unsigned *dev, unsigned *fn)
{
	unsigned b, d, f, nf;

	for (b = 0; b < PCI_BUSES; b++)
		for (d = 0; d < PCI_DEVICES; d++) {
			uint32_t id = pci_read(b, d, 0, PCI_VENDOR_ID);
			if ((id & 0xFFFF) == PCI_VENDOR_NONE)
				continue;
			nf = (pci_read(b, d, 0, PCI_HEADER_TYPE & ~3u) >> 16 &
			      PCI_HEADER_MULTI_FUNCTION) ? PCI_FUNCTIONS : 1;
			for (f = 0; f < nf; f++) {
				id = pci_read(b, d, f, PCI_VENDOR_ID);
				if ((id & 0xFFFF) == E1000_VENDOR_INTEL && id >> 16 == E1000_DEV_82540EM) {
					*bus = b, *dev = d, *fn = f;
					return true;
				}
			}
		}
	return false;
}

/* A word of the EEPROM (the MAC is words 0..2), or -1 if it never answers. */
static int eeprom_read(unsigned addr)
{
	unsigned spins;
	wr(E1000_EERD, E1000_EERD_START | addr << E1000_EERD_ADDR_SHIFT);
	for (spins = 0; spins < 100000; spins++) {
		uint32_t v = rd(E1000_EERD);
		if (v & E1000_EERD_DONE)
			return (int)(v >> E1000_EERD_DATA_SHIFT);
		cpu_relax();
	}
	return -1;
}

/* n frames for the hypervisor alone, each split into 2 KiB buffers. */
static int alloc_buffers(uint8_t **buf, unsigned n, uint64_t *phys_first)
{
	unsigned i;
	for (i = 0; i < n; i += FRAME_BYTES / NIC_BUF) {
		uint64_t phys;
		unsigned j;
		if (core_frame_alloc(UPCALL_FRAME_DATA, &phys))
			return -1;
		if (i == 0 && phys_first)
			*phys_first = phys;
		for (j = 0; j < FRAME_BYTES / NIC_BUF && i + j < n; j++)
			buf[i + j] = (uint8_t *)phys_to_virt(phys) + j * NIC_BUF;
	}
	return 0;
}

static uint64_t virt_to_phys(const void *p)
{
	return (uint64_t)(uintptr_t)p; /* the identity map (arch.h: phys_to_virt) */
}

#define NIC_IRQ_CAUSES (E1000_ICR_RXT0 | E1000_ICR_RXDMT0 | E1000_ICR_RXO)

static struct { unsigned bus, dev, fn; uint32_t cmd; } found; /* for arch_nic_irq_on */

/* Routes the card's interrupt to this CPU (see the top); cmd: its PCI
 * command register as set, with INTx disabled.  Prints what it did. */
static void irq_setup(unsigned bus, unsigned dev, unsigned fn, uint32_t cmd)
{
	uint32_t r = pci_read(bus, dev, fn, PCI_INTERRUPT_LINE & ~3u);
	unsigned line = r & 0xFF, pin = (r >> 8) & 0xFF;

	if (pin < 1 || pin > 4 || line == 0 || line == 2 || line == 0xFF) {
		printf("nic: no interrupt routed (INTx pin %u, line %u): polled only\n", pin, line);
		return;
	}
	apic_init(); /* idempotent: the boot CPU's ID before the APs start */
	if (ioapic_route_level(line, NIC_VECTOR, apic_id())) {
		printf("nic: its interrupt (IRQ %u) cannot be routed: polled only\n", line);
		return;
	}
	nic.irq_cpu = this_cpu()->index;
	nic.irq_line = line;
	nic.irq = true;
	(void)rd(E1000_ICR);
	wr(E1000_IMS, NIC_IRQ_CAUSES);
	pci_write(bus, dev, fn, PCI_COMMAND, cmd & ~PCI_COMMAND_INTX_DISABLE);
	printf("nic: its interrupt: INTx%c, IRQ %u, I/O APIC pin %u, vector 0x%x, to CPU %u "
	       "(APIC ID %u); the ring is polled on it and between rounds\n", 'A' + pin - 1, line,
	       line, NIC_VECTOR, nic.irq_cpu, apic_id());
}

void arch_nic_irq_on(void)
{
	if (nic.up && !nic.irq)
		irq_setup(found.bus, found.dev, found.fn, found.cmd);
}

bool e1000_irq_here(void)
{
	return nic.irq && this_cpu()->index == nic.irq_cpu;
}

/* A line the card shares with a device nobody drives may stay asserted
 * for ever: every entry on this CPU would exit at once.  So after
 * NIC_IRQ_FOREIGN_MAX interrupts in a row that found none of the card's
 * causes, the I/O APIC's entry is masked, for good: polled only, as
 * before (net_report says so). */
#define NIC_IRQ_FOREIGN_MAX 64

void e1000_irq_ack(void)
{
	if (!nic.irq)
		return;
	if (rd(E1000_ICR) & NIC_IRQ_CAUSES) {
		nic.irq_foreign = 0;
		nic.st.irqs++;
		return;
	}
	nic.st.irqs_foreign++;
	if (++nic.irq_foreign >= NIC_IRQ_FOREIGN_MAX) {
		ioapic_mask(nic.irq_line);
		nic.irq = false;
		nic.st.irq_masked = true;
	}
}

bool arch_nic_pending(void)
{
	return nic.up && (nic.rx[nic.rx_next].status & E1000_RXD_STAT_DD);
}

int arch_nic_probe(uint8_t mac[6])
{
	unsigned bus, dev, fn, i, spins;
	uint32_t bar, cmd, ral, rah;
	uint64_t mmio, rings;

	if (!pci_find(&bus, &dev, &fn)) {
		printf("nic: no Intel 82540EM (PCI %04x:%04x) found\n", E1000_VENDOR_INTEL,
		       E1000_DEV_82540EM);
		return -1;
	}
	bar = pci_read(bus, dev, fn, PCI_BAR0);
	if (bar & PCI_BAR_IO) {
		printf("nic: %02x:%02x.%u: BAR0 is an I/O BAR, not its registers\n", bus, dev, fn);
		return -1;
	}
	mmio = bar & PCI_BAR_MEM_MASK;
	if ((bar & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64)
		mmio |= (uint64_t)pci_read(bus, dev, fn, PCI_BAR0 + 4) << 32;
	nic.regs = paging_map_uncached(mmio, E1000_MMIO_SIZE);
	if (!mmio || !nic.regs) {
		printf("nic: %02x:%02x.%u: BAR0 at 0x%lx is not mapped\n", bus, dev, fn, mmio);
		return -1;
	}
	/* Its registers on, its DMA off until its rings are ours (the
	 * firmware may have used the card), its interrupt line off until
	 * irq_setup routes it. */
	cmd = pci_read(bus, dev, fn, PCI_COMMAND) & 0xFFFF;
	cmd = (cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE) & ~PCI_COMMAND_MASTER;
	pci_write(bus, dev, fn, PCI_COMMAND, cmd);

	/* 14.3: reset, then no interrupts (IMC all, ICR read clears). */
	wr(E1000_IMC, 0xFFFFFFFF);
	wr(E1000_CTRL, rd(E1000_CTRL) | E1000_CTRL_RST);
	for (spins = 0; spins < 1000000 && (rd(E1000_CTRL) & E1000_CTRL_RST); spins++)
		cpu_relax();
	wr(E1000_IMC, 0xFFFFFFFF);
	(void)rd(E1000_ICR);
	/* 14.3: link up, speed detected from the PHY. */
	wr(E1000_CTRL, (rd(E1000_CTRL) | E1000_CTRL_SLU | E1000_CTRL_ASDE) &
	   ~(E1000_CTRL_LRST | E1000_CTRL_PHY_RST | E1000_CTRL_ILOS | E1000_CTRL_VME));

	/* The MAC: receive address 0 when the EEPROM load filled it, else
	 * the EEPROM's words 0..2. */
	ral = rd(E1000_RAL0);
	rah = rd(E1000_RAH0);
	if (rah & E1000_RAH_AV) {
		for (i = 0; i < 4; i++)
			mac[i] = (uint8_t)(ral >> (8 * i));
		mac[4] = (uint8_t)rah;
		mac[5] = (uint8_t)(rah >> 8);
	} else {
		for (i = 0; i < 3; i++) {
			int w = eeprom_read(i);
			if (w < 0) {
				printf("nic: the EEPROM does not answer: no MAC address\n");
				return -1;
			}
			mac[2 * i] = (uint8_t)w;
			mac[2 * i + 1] = (uint8_t)(w >> 8);
		}
		wr(E1000_RAL0, (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 |
		   (uint32_t)mac[3] << 24);
		wr(E1000_RAH0, (uint32_t)mac[4] | (uint32_t)mac[5] << 8 | E1000_RAH_AV);
	}
	for (i = 0; i < E1000_MTA_REGS; i++)
		wr(E1000_MTA + 4 * i, 0);

	/* The rings (one frame) and their buffers: the hypervisor's own. */
	if (core_frame_alloc(UPCALL_FRAME_DATA, &rings) || alloc_buffers(nic.rx_buf, NIC_RX, NULL) ||
	    alloc_buffers(nic.tx_buf, NIC_TX, NULL)) {
		printf("nic: out of frames for the rings\n");
		return -1;
	}
	nic.rx = phys_to_virt(rings);
	nic.tx = (struct e1000_tx_desc *)(nic.rx + NIC_RX);

	cmd |= PCI_COMMAND_MASTER;
	pci_write(bus, dev, fn, PCI_COMMAND, cmd); /* DMA: into these only */

	/* 14.4: receive.  Every descriptor but one is the card's (RDT = N-1:
	 * head == tail would mean the ring is empty). */
	for (i = 0; i < NIC_RX; i++)
		nic.rx[i] = (struct e1000_rx_desc){ .addr = virt_to_phys(nic.rx_buf[i]) };
	wr(E1000_RDBAL, (uint32_t)rings);
	wr(E1000_RDBAH, (uint32_t)(rings >> 32));
	wr(E1000_RDLEN, NIC_RX * sizeof(struct e1000_rx_desc));
	wr(E1000_RDH, 0);
	wr(E1000_RDT, NIC_RX - 1);
	nic.rx_next = 0;
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_BSIZE_2048 | E1000_RCTL_SECRC);

	/* 14.5: transmit.  All descriptors start done (ours). */
	for (i = 0; i < NIC_TX; i++)
		nic.tx[i] = (struct e1000_tx_desc){ .addr = virt_to_phys(nic.tx_buf[i]),
						    .status = E1000_TXD_STAT_DD };
	wr(E1000_TDBAL, (uint32_t)virt_to_phys(nic.tx));
	wr(E1000_TDBAH, (uint32_t)(virt_to_phys(nic.tx) >> 32));
	wr(E1000_TDLEN, NIC_TX * sizeof(struct e1000_tx_desc));
	wr(E1000_TDH, 0);
	wr(E1000_TDT, 0);
	nic.tx_next = nic.tx_clean = nic.tx_busy = 0;
	wr(E1000_TIPG, E1000_TIPG_IPGT_COPPER << E1000_TIPG_IPGT_SHIFT |
	   E1000_TIPG_IPGR1 << E1000_TIPG_IPGR1_SHIFT | E1000_TIPG_IPGR2 << E1000_TIPG_IPGR2_SHIFT);
	wr(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT_VALUE << E1000_TCTL_CT_SHIFT |
	   E1000_TCTL_COLD_FD << E1000_TCTL_COLD_SHIFT);

	nic.up = true;
	printf("nic: Intel 82540EM at PCI %02x:%02x.%u, registers at 0x%lx, MAC "
	       "%02x:%02x:%02x:%02x:%02x:%02x, link %s, polled (%u+%u descriptors)\n",
	       bus, dev, fn, mmio, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
	       arch_nic_link_up() ? "up" : "down", NIC_RX, NIC_TX);
	found.bus = bus, found.dev = dev, found.fn = fn, found.cmd = cmd;
	return 0;
}

bool arch_nic_link_up(void)
{
	return nic.up && (rd(E1000_STATUS) & E1000_STATUS_LU);
}

int arch_nic_send(const struct arch_nic_part *parts, unsigned nparts)
{
	struct e1000_tx_desc *d;
	uint32_t len = 0;
	unsigned i;

	if (!nic.up)
		return -1;
	for (i = 0; i < nparts; i++)
		len += parts[i].len;
	while (nic.tx_busy && (nic.tx[nic.tx_clean].status & E1000_TXD_STAT_DD)) {
		nic.tx_clean = (nic.tx_clean + 1) % NIC_TX;
		nic.tx_busy--;
	}
	if (len > ARCH_NIC_FRAME_MAX || nic.tx_busy == NIC_TX - 1) {
		nic.st.tx_dropped++; /* too long, or the ring is full */
		return -1;
	}
	d = &nic.tx[nic.tx_next];
	len = 0;
	for (i = 0; i < nparts; i++) {
		memcpy(nic.tx_buf[nic.tx_next] + len, parts[i].data, parts[i].len);
		len += parts[i].len;
	}
	d->length = (uint16_t)len;
	d->cso = d->css = 0;
	d->special = 0;
	d->status = 0;
	d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
	nic.tx_next = (nic.tx_next + 1) % NIC_TX;
	nic.tx_busy++;
	barrier(); /* the descriptor before the tail that hands it over */
	wr(E1000_TDT, nic.tx_next);
	nic.st.tx_frames++;
	return 0;
}

uint32_t arch_nic_recv(void *buf, uint32_t cap)
{
	while (nic.up) {
		struct e1000_rx_desc *d = &nic.rx[nic.rx_next];
		uint32_t len;
		bool ok;

		if (!(d->status & E1000_RXD_STAT_DD))
			return 0;
		barrier(); /* its fields are read after its DD bit */
		len = d->length;
		/* A frame spanning buffers (longer than 2 KiB: never with LPE off)
		 * or received with an error is dropped. */
		ok = (d->status & E1000_RXD_STAT_EOP) && !d->errors && len <= cap;
		if (ok)
			memcpy(buf, nic.rx_buf[nic.rx_next], len);
		d->status = 0;
		barrier();
		wr(E1000_RDT, nic.rx_next); /* the descriptor is the card's again */
		nic.rx_next = (nic.rx_next + 1) % NIC_RX;
		if (ok) {
			nic.st.rx_frames++;
			return len;
		}
		nic.st.rx_dropped++;
	}
	return 0;
}

void arch_nic_stats(struct arch_nic_stats *s)
{
	*s = nic.st;
}
