/*
 * i8042.h - the 8042 keyboard controller's ports and the one command the
 * Linux VM's board models (devices/vplatform.c): Linux resets the machine
 * through it.  Names as the 8042 datasheet and the PC/AT reference give them.
 */
#ifndef I8042_H
#define I8042_H

#define I8042_DATA            0x60 /* data port */
#define I8042_CMD             0x64 /* write: command; read: status */
#define I8042_CMD_PULSE_RESET 0xFE /* pulse output line 0 (the CPU's reset) low */

#endif
