/*
 * pci_config.h - PCI configuration space, reached through configuration
 * mechanism #1 (ports CONFIG_ADDRESS and CONFIG_DATA), named as in the PCI
 * Local Bus Specification 3.0 (3.2.2.3.2 and 6.1, "Configuration Space
 * Organization").  Only what the NIC's probe uses (arch/x86_64/e1000.c).
 */
#ifndef ARCH_PCI_CONFIG_H
#define ARCH_PCI_CONFIG_H

#define PCI_CONFIG_ADDRESS   0xCF8
#define PCI_CONFIG_DATA      0xCFC
/* CONFIG_ADDRESS: enable | bus 23:16 | device 15:11 | function 10:8 | register 7:2 */
#define PCI_CONFIG_ENABLE    (1u << 31)
#define PCI_CONFIG_ADDR(bus, dev, fn, reg) \
	(PCI_CONFIG_ENABLE | (uint32_t)(bus) << 16 | (uint32_t)(dev) << 11 | \
	 (uint32_t)(fn) << 8 | ((uint32_t)(reg) & 0xFC))
#define PCI_BUSES            256
#define PCI_DEVICES          32
#define PCI_FUNCTIONS        8

/* The type 0 header's registers (byte offsets). */
#define PCI_VENDOR_ID        0x00 /* 16 bits; 0xFFFF: no function here */
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define PCI_HEADER_TYPE      0x0E
#define PCI_BAR0             0x10
#define PCI_INTERRUPT_LINE   0x3C /* 8 bits: the IRQ the firmware routed INTx to (0xFF: none) */
#define PCI_INTERRUPT_PIN    0x3D /* 8 bits: its INTx pin, 1-4 for A-D (0: none) */

#define PCI_VENDOR_NONE      0xFFFF

/* Command register */
#define PCI_COMMAND_IO             (1u << 0)
#define PCI_COMMAND_MEMORY         (1u << 1)  /* Memory Space enable */
#define PCI_COMMAND_MASTER         (1u << 2)  /* Bus Master enable: DMA */
#define PCI_COMMAND_INTX_DISABLE   (1u << 10) /* Interrupt Disable */

/* Header Type register */
#define PCI_HEADER_MULTI_FUNCTION  0x80

/* Base Address Registers (6.2.5.1) */
#define PCI_BAR_IO                 (1u << 0)  /* an I/O BAR, not memory */
#define PCI_BAR_MEM_TYPE_MASK      (3u << 1)
#define PCI_BAR_MEM_TYPE_64        (2u << 1)  /* 64 bits: the next BAR is the high half */
#define PCI_BAR_MEM_MASK           0xFFFFFFF0u

#endif
