/* memdump.h - VMs' memory out through the emulator's debugger (see memdump.c). */
#ifndef KERNEL_MEMDUMP_H
#define KERNEL_MEMDUMP_H
/* Dumps every VM in the engine, in order; with every vCPU paused. */
void memdump_all(void);
#endif
