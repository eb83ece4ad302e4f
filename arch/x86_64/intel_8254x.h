/*
 * intel_8254x.h - the Intel 8254x gigabit Ethernet controller (the 82540EM
 * that QEMU, Bochs and VirtualBox emulate as "e1000"): its registers, bits
 * and legacy descriptors, named as in Intel's "PCI/PCI-X Family of Gigabit
 * Ethernet Controllers Software Developer's Manual" (8254x, rev. 4.0):
 * register offsets from table 13-2, bits from section 13.4, descriptors
 * from sections 3.2.3 and 3.3.3.  Only those the driver
 * (arch/x86_64/e1000.c) uses.
 */
#ifndef ARCH_INTEL_8254X_H
#define ARCH_INTEL_8254X_H

#include <stdint.h>

#define E1000_VENDOR_INTEL   0x8086
#define E1000_DEV_82540EM    0x100E /* the desktop adapter QEMU calls "e1000" */

/* Registers: byte offsets into BAR0 (memory-mapped, 128 KiB) */
#define E1000_CTRL     0x00000 /* Device Control */
#define E1000_STATUS   0x00008 /* Device Status */
#define E1000_EERD     0x00014 /* EEPROM Read */
#define E1000_ICR      0x000C0 /* Interrupt Cause Read (clears on read) */
#define E1000_IMS      0x000D0 /* Interrupt Mask Set/Read */
#define E1000_IMC      0x000D8 /* Interrupt Mask Clear */
#define E1000_RCTL     0x00100 /* Receive Control */
#define E1000_TCTL     0x00400 /* Transmit Control */
#define E1000_TIPG     0x00410 /* Transmit Inter Packet Gap */
#define E1000_RDBAL    0x02800 /* Receive Descriptor Base Address Low */
#define E1000_RDBAH    0x02804 /* ... High */
#define E1000_RDLEN    0x02808 /* Receive Descriptor Length (bytes, a multiple of 128) */
#define E1000_RDH      0x02810 /* Receive Descriptor Head */
#define E1000_RDT      0x02818 /* Receive Descriptor Tail */
#define E1000_TDBAL    0x03800 /* Transmit Descriptor Base Address Low */
#define E1000_TDBAH    0x03804
#define E1000_TDLEN    0x03808
#define E1000_TDH      0x03810
#define E1000_TDT      0x03818
#define E1000_MTA      0x05200 /* Multicast Table Array: 128 registers */
#define E1000_MTA_REGS 128
#define E1000_RAL0     0x05400 /* Receive Address Low, entry 0 */
#define E1000_RAH0     0x05404 /* Receive Address High, entry 0 */

/* ICR / IMS bits (13.4.17-13.4.20) */
#define E1000_ICR_RXDMT0 (1u << 4) /* receive descriptors below the minimum threshold */
#define E1000_ICR_RXO    (1u << 6) /* receiver overrun: frames dropped, the ring full */
#define E1000_ICR_RXT0   (1u << 7) /* receiver timer: a frame was received (RDTR = 0: at once) */
#define E1000_MMIO_SIZE 0x20000

/* CTRL */
#define E1000_CTRL_FD       (1u << 0)  /* full duplex */
#define E1000_CTRL_LRST     (1u << 3)  /* link reset */
#define E1000_CTRL_ASDE     (1u << 5)  /* auto-speed detection enable */
#define E1000_CTRL_SLU      (1u << 6)  /* set link up */
#define E1000_CTRL_ILOS     (1u << 7)  /* invert loss-of-signal */
#define E1000_CTRL_RST      (1u << 26) /* device reset (self-clearing) */
#define E1000_CTRL_VME      (1u << 30) /* VLAN mode enable */
#define E1000_CTRL_PHY_RST  (1u << 31) /* PHY reset */

/* STATUS */
#define E1000_STATUS_LU     (1u << 1)  /* link up */

/* EERD (82540: START bit 0, DONE bit 4, ADDR 15:8, DATA 31:16) */
#define E1000_EERD_START      (1u << 0)
#define E1000_EERD_DONE       (1u << 4)
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_DATA_SHIFT 16

/* RAH */
#define E1000_RAH_AV        (1u << 31) /* address valid */

/* RCTL */
#define E1000_RCTL_EN       (1u << 1)  /* receiver enable */
#define E1000_RCTL_BAM      (1u << 15) /* broadcast accept mode (ARP requests) */
#define E1000_RCTL_BSIZE_2048 (0u << 16) /* buffer size 2048 (BSEX = 0) */
#define E1000_RCTL_SECRC    (1u << 26) /* strip Ethernet CRC */

/* TCTL */
#define E1000_TCTL_EN       (1u << 1)  /* transmit enable */
#define E1000_TCTL_PSP      (1u << 3)  /* pad short packets */
#define E1000_TCTL_CT_SHIFT   4        /* collision threshold */
#define E1000_TCTL_COLD_SHIFT 12       /* collision distance */
#define E1000_TCTL_CT_VALUE   0x0F     /* the manual's recommendation (13.4.33) */
#define E1000_TCTL_COLD_FD    0x40     /* full duplex (13.4.33) */

/* TIPG: the manual's values for the 82540EM's copper PHY (13.4.34) */
#define E1000_TIPG_IPGT_SHIFT  0
#define E1000_TIPG_IPGR1_SHIFT 10
#define E1000_TIPG_IPGR2_SHIFT 20
#define E1000_TIPG_IPGT_COPPER 10
#define E1000_TIPG_IPGR1       8
#define E1000_TIPG_IPGR2       6

/* Legacy receive descriptor (3.2.3) */
struct e1000_rx_desc {
	uint64_t addr;     /* buffer address (physical) */
	uint16_t length;   /* bytes written into the buffer */
	uint16_t csum;     /* packet checksum */
	uint8_t status;
	uint8_t errors;
	uint16_t special;
} __attribute__((packed));
#define E1000_RXD_STAT_DD   (1u << 0)  /* descriptor done */
#define E1000_RXD_STAT_EOP  (1u << 1)  /* end of packet */

/* Legacy transmit descriptor (3.3.3) */
struct e1000_tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;       /* checksum offset */
	uint8_t cmd;
	uint8_t status;
	uint8_t css;       /* checksum start */
	uint16_t special;
} __attribute__((packed));
#define E1000_TXD_CMD_EOP   (1u << 0)  /* end of packet */
#define E1000_TXD_CMD_IFCS  (1u << 1)  /* insert FCS (the CRC) */
#define E1000_TXD_CMD_RS    (1u << 3)  /* report status: DD when done */
#define E1000_TXD_STAT_DD   (1u << 0)  /* descriptor done */

_Static_assert(sizeof(struct e1000_rx_desc) == 16, "8254x legacy RX descriptor is 16 bytes");
_Static_assert(sizeof(struct e1000_tx_desc) == 16, "8254x legacy TX descriptor is 16 bytes");

#endif
