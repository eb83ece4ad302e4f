/*
 * uart_16550.h - the 16550 UART's registers, named as in the NS16550A /
 * TI PC16550D datasheet, and the PC's COM1 address.  Used by the console
 * driver (arch/x86_64/uart.c), by the guest's virtual COM1
 * (the image VM's board, devices/vplatform.c) and by the 16550A model (devices/uart16550.c).
 */
#ifndef UART_16550_H
#define UART_16550_H

#define COM1_BASE  0x3F8
#define UART_PORTS 8      /* registers at base + 0..7 */

#define UART_RBR 0        /* receiver buffer (read, DLAB = 0) */
#define UART_THR 0        /* transmitter holding (write, DLAB = 0) */
#define UART_DLL 0        /* divisor latch low (DLAB = 1) */
#define UART_IER 1        /* interrupt enable (DLAB = 0) */
#define UART_DLM 1        /* divisor latch high (DLAB = 1) */
#define UART_FCR 2        /* FIFO control (write) */
#define UART_LCR 3        /* line control */
#define UART_MCR 4        /* modem control */
#define UART_LSR 5        /* line status */
#define UART_IIR 2        /* interrupt identification (read) */
#define UART_MSR 6        /* modem status */
#define UART_SCR 7        /* scratch */

#define UART_FCR_ENABLE_CLEAR 0xC7 /* FIFOs on and cleared, 14-byte trigger */
#define UART_LCR_8N1   0x03
#define UART_LCR_DLAB  0x80
#define UART_MCR_DTR_RTS 0x03
#define UART_LSR_DR    0x01        /* data ready */
#define UART_LSR_THRE  0x20        /* transmitter holding register empty */
#define UART_LSR_TEMT  0x40        /* transmitter empty */

#define UART_DIVISOR_115200 1      /* 1.8432 MHz / 16 / 115200 */

/* IER (Linux: UART_IER_RDI, _THRI, _RLSI, _MSI) */
#define UART_IER_ERBFI 0x01        /* received data available */
#define UART_IER_ETBEI 0x02        /* transmitter holding register empty */
#define UART_IER_ELSI  0x04        /* receiver line status */
#define UART_IER_EDSSI 0x08        /* modem status */
#define UART_IER_MASK  0x0F        /* bits 7-4 read as 0 on a 16550A */

/* IIR: bit 0 clear when an interrupt is pending, bits 3-1 its source */
#define UART_IIR_NO_INT 0x01
#define UART_IIR_ID_MASK 0x0E
#define UART_IIR_MODEM 0x00        /* modem status (lowest priority) */
#define UART_IIR_THRE  0x02        /* transmitter holding register empty */
#define UART_IIR_RDA   0x04        /* received data available (trigger level) */
#define UART_IIR_RLS   0x06        /* receiver line status (highest) */
#define UART_IIR_CTI   0x0C        /* character timeout (FIFO mode) */
#define UART_IIR_FIFOS 0xC0        /* FIFOs enabled (16550A: both bits) */

/* FCR */
#define UART_FCR_FIFO_EN  0x01
#define UART_FCR_RX_RESET 0x02
#define UART_FCR_TX_RESET 0x04
#define UART_FCR_DMA_MODE 0x08
#define UART_FCR_TRIGGER_MASK 0xC0 /* RX trigger: 1, 4, 8 or 14 bytes */
#define UART_FCR_TRIGGER_1  0x00
#define UART_FCR_TRIGGER_4  0x40
#define UART_FCR_TRIGGER_8  0x80
#define UART_FCR_TRIGGER_14 0xC0
#define UART_FIFO_SIZE 16

/* MCR */
#define UART_MCR_DTR   0x01
#define UART_MCR_RTS   0x02
#define UART_MCR_OUT1  0x04
#define UART_MCR_OUT2  0x08        /* on a PC: enables the IRQ line's driver */
#define UART_MCR_LOOP  0x10
#define UART_MCR_MASK  0x1F

/* LSR */
#define UART_LSR_OE    0x02        /* overrun error */
#define UART_LSR_PE    0x04        /* parity error */
#define UART_LSR_FE    0x08        /* framing error */
#define UART_LSR_BI    0x10        /* break interrupt */
#define UART_LSR_ERRS  0x1E        /* the bits that raise a line status interrupt */
#define UART_LSR_RXFE  0x80        /* error in the RX FIFO */

/* MSR: delta bits 3-0, the (complemented) input pins 7-4 */
#define UART_MSR_DCTS  0x01
#define UART_MSR_DDSR  0x02
#define UART_MSR_TERI  0x04        /* trailing edge of ring indicator */
#define UART_MSR_DDCD  0x08
#define UART_MSR_DELTAS 0x0F
#define UART_MSR_CTS   0x10
#define UART_MSR_DSR   0x20
#define UART_MSR_RI    0x40
#define UART_MSR_DCD   0x80

#endif
