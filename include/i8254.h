/*
 * i8254.h - the Intel 8254 programmable interval timer: the PC's ports and
 * the control word, status byte and read-back command, named as in the
 * 8254 datasheet; and the PC's port 0x61 (system control port B) bits that
 * belong to the timer.  Used by the guest's virtual PIT (devices/pit8254.c).
 */
#ifndef I8254_H
#define I8254_H

#define PIT_HZ           1193182u  /* the input clock: 14.31818 MHz / 12 */
#define PIT_CH0          0x40   /* counter 0: IRQ0 */
#define PIT_CH1          0x41   /* counter 1: DRAM refresh on old PCs */
#define PIT_CH2          0x42   /* counter 2: the speaker, gated by port 0x61 */
#define PIT_MODE         0x43   /* control word register (write only) */
#define PIT_PORT_B       0x61   /* system control port B */

/* Control word: SC1 SC0 | RW1 RW0 | M2 M1 M0 | BCD */
#define PIT_CW_SC_SHIFT  6
#define PIT_CW_SC_MASK   0xC0
#define PIT_CW_SC_READBACK 0xC0 /* SC = 11: read-back command */
#define PIT_CW_RW_SHIFT  4
#define PIT_CW_RW_MASK   0x30
#define PIT_RW_LATCH     0      /* counter latch command */
#define PIT_RW_LSB       1      /* read/write least significant byte only */
#define PIT_RW_MSB       2      /* read/write most significant byte only */
#define PIT_RW_LSB_MSB   3      /* LSB first, then MSB */
#define PIT_CW_M_SHIFT   1
#define PIT_CW_M_MASK    0x0E
#define PIT_CW_BCD       0x01   /* binary coded decimal counter (4 decades) */

/* Modes (M2 M1 M0; X10 and X11 are modes 2 and 3) */
#define PIT_MODE_INT_ON_TC     0 /* interrupt on terminal count */
#define PIT_MODE_ONESHOT       1 /* hardware retriggerable one-shot */
#define PIT_MODE_RATE_GEN      2 /* rate generator */
#define PIT_MODE_SQUARE_WAVE   3 /* square wave mode */
#define PIT_MODE_SW_STROBE     4 /* software triggered strobe */
#define PIT_MODE_HW_STROBE     5 /* hardware triggered strobe (retriggerable) */

/* Read-back command: 1 1 COUNT# STATUS# CNT2 CNT1 CNT0 0 (active low) */
#define PIT_RB_COUNT     0x20   /* 0 = latch the count of the selected counters */
#define PIT_RB_STATUS    0x10   /* 0 = latch their status */
#define PIT_RB_CNT(n)    (0x02u << (n))

/* Status byte: OUTPUT | NULL COUNT | RW1 RW0 | M2 M1 M0 | BCD */
#define PIT_STATUS_OUTPUT     0x80
#define PIT_STATUS_NULL_COUNT 0x40

/* Port 0x61 */
#define PIT_B_GATE2      0x01   /* timer 2 gate (r/w) */
#define PIT_B_SPKR_DATA  0x02   /* speaker data enable (r/w) */
#define PIT_B_WRITABLE   0x0F   /* bits 2-3: parity / channel check enables */
#define PIT_B_REFRESH    0x10   /* refresh cycle toggle (read only) */
#define PIT_B_OUT2       0x20   /* timer 2 OUT (read only) */
#define PIT_REFRESH_TICKS 18    /* the toggle's half period: ~15 us */

#endif
