/*
 * lwipopts.h - lwIP's configuration for the hypervisor's API server.
 *
 * One NIC, one static IPv4 address, one TCP listener (the HTTP API on port
 * 80, net/http_server.c), all driven from the boot CPU's scheduler loop
 * under the hypervisor's lock (control/net.c: net_poll).  Hence NO_SYS=1
 * (no threads), the raw API only (no sockets, no netconn), and no
 * lightweight protection (one caller at a time).  No DNS, IPv6, IGMP
 * or fragmentation.  The address comes from the config (net.ip), or from
 * a DHCP server with net.ip = dhcp.
 *
 * Memory is static and bounded: lwIP's own heap (MEM_SIZE) and pools
 * (MEMP_*, PBUF_POOL_*) are arrays in the image's .bss, never newlib's
 * malloc (MEM_LIBC_MALLOC=0), so the network can neither grow the
 * hypervisor's heap nor be starved by the engine.  The budget:
 *   receive   PBUF_POOL_SIZE 32 frames of 1536 bytes       48 KiB
 *             (the driver's ring holds 32: each frame it hands up is
 *             copied into one pool pbuf, freed within the same poll: no
 *             out-of-order queue, and the server copies bytes out at once)
 *   send      MEM_SIZE: segments copied out of the server's buffers
 *             (TCP_WRITE_FLAG_COPY), at most TCP_SND_BUF (4 MSS, 5.7
 *             KiB) unacknowledged per connection; 8 pooled connections
 *             x 5.7 KiB = 46 KiB, plus ARP and ICMP replies   64 KiB
 *   PCBs      MEMP_NUM_TCP_PCB 32: the server's 8 connections (its pool,
 *             HTTP_CONNS), 8 closed ones lingering in TIME_WAIT, and 16 for
 *             handshakes in progress (SYN_RCVD: a PCB before the server
 *             sees the connection, and one tcp_alloc cannot take back).
 *             When all are taken lwIP reuses the oldest TIME_WAIT PCB
 *             first; a SYN that finds none is dropped and its client sends
 *             it again 1 s, 3 s ... later: with 16 PCBs, a burst of 32
 *             clients (qemu-api) waited up to 6 s, and some 10 s (~200 B a
 *             PCB: 3 KiB more for 16).
 * About 130 KiB of .bss in all (`size build/dedupvisor.elf`).
 */
#ifndef NET_LWIPOPTS_H
#define NET_LWIPOPTS_H

/* ---- the system: none (polled, single caller) ---- */
#define NO_SYS                   1
#define SYS_LIGHTWEIGHT_PROT     0
#define LWIP_TIMERS              1   /* sys_check_timeouts() from net_poll */
#define LWIP_SOCKET              0
#define LWIP_NETCONN             0
#define LWIP_NETIF_API           0

/* ---- protocols ---- */
#define LWIP_IPV4                1
#define LWIP_IPV6                0
#define LWIP_ARP                 1
#define LWIP_ETHERNET            1
#define LWIP_ICMP                1   /* ping answers: a quick check that the NIC works */
#define LWIP_RAW                 0
#define LWIP_UDP                 1   /* unused ports answer ICMP port-unreachable */
#define LWIP_TCP                 1
#define LWIP_DHCP                1   /* net.ip = dhcp (control/net.c) */
#define LWIP_AUTOIP              0
#define LWIP_DNS                 0
#define LWIP_IGMP                0
#define IP_REASSEMBLY            0   /* requests fit in one MSS-sized segment each */
#define IP_FRAG                  0
#define LWIP_SINGLE_NETIF        1
#define LWIP_HAVE_LOOPIF         0
#define LWIP_NETIF_LOOPBACK      0
#define ETHARP_SUPPORT_STATIC_ENTRIES 0

/* ---- memory: static, bounded (derivation above) ---- */
#define MEM_LIBC_MALLOC          0
#define MEMP_MEM_MALLOC          0
#define MEM_ALIGNMENT            8
#define MEM_SIZE                 (64 * 1024)
#define MEMP_NUM_PBUF            16
#define MEMP_NUM_UDP_PCB         2   /* DHCP's, and one spare */
#define MEMP_NUM_TCP_PCB         32
#define MEMP_NUM_TCP_PCB_LISTEN  1
#define MEMP_NUM_TCP_SEG         (8 * TCP_SND_QUEUELEN)
#define MEMP_NUM_ARP_QUEUE       8
#define ARP_TABLE_SIZE           8
#define PBUF_POOL_SIZE           32
#define PBUF_POOL_BUFSIZE        1536 /* a whole Ethernet frame, VLAN tag included */

/* ---- TCP ---- */
#define TCP_MSS                  1460
#define TCP_WND                  (4 * TCP_MSS)
#define TCP_SND_BUF              (4 * TCP_MSS)
#define TCP_SND_QUEUELEN         (4 * TCP_SND_BUF / TCP_MSS)
/* Segments out of order are dropped (the peer sends them again), so no
 * received frame is held by TCP: the pool's frames are in use only while
 * net_poll hands them up, and the server copies their bytes out at once. */
#define TCP_QUEUE_OOSEQ          0
#define LWIP_TCP_KEEPALIVE       0
#define LWIP_TCP_TIMESTAMPS      0
#define LWIP_WND_SCALE           0

/* ---- no statistics, no debug output (LWIP_DEBUG stays undefined: lwIP
 * tests it with #ifdef) ---- */
#define LWIP_STATS               0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0

#endif
