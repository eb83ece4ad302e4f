/*
 * arch/cc.h - lwIP's compiler and platform header, for the hypervisor.
 *
 * lwIP includes "arch/cc.h" by that name (lwip/arch.h); "arch" is lwIP's
 * word for a port, not our arch/ layer: nothing here touches hardware.
 * The hypervisor is x86-64, little-endian, built with GCC against newlib,
 * so lwIP's defaults (<stdint.h>, <inttypes.h>, <limits.h>, <ctype.h>,
 * GCC's packed attribute) fit as they are.  What the port supplies is the
 * three things lwIP cannot know: where its diagnostics go (the console,
 * through newlib's printf), what a failed assertion does (a state lwIP
 * says cannot happen: print it, leave lwIP and start it afresh - never
 * power off, which a packet could then trigger; control/net.c says why),
 * and its random numbers (TCP's initial local ports).  The two functions
 * are in control/net.c, the glue that may call the core; see lwip_port.h.
 */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#include "lwip_port.h"

/* newlib's <sys/types.h> has ssize_t (and BYTE_ORDER, little-endian) but
 * its <limits.h> no SSIZE_MAX, without which lwIP would typedef ssize_t
 * again, as int. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() lwip_port_rand()

/* errno values for lwIP's err_to_errno() tables: newlib's. */
#define LWIP_ERRNO_STDINCLUDE 1

#endif
