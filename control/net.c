/*
 * net.c - the core's side of the network: the NIC as lwIP's netif, lwIP's
 * port functions, and the poll that drives both.
 *
 * With net.ip in the config, net_start() brings up the hypervisor's own
 * NIC (arch_nic_probe: an e1000 the hypervisor keeps to itself), gives
 * lwIP (NO_SYS=1, Debian's source, see net/lwipopts.h) one netif with the
 * static address, and starts the API's HTTP server (net/http_server.c)
 * with the endpoints of api_serve.c.  With net.ip = dhcp the netif starts
 * without an address and lwIP's DHCP client asks for one; the boot goes
 * on meanwhile, and net_poll says the address when the lease comes (and
 * again if a renewal changes it).  Nothing runs in an interrupt handler:
 * net_poll(), called by the boot CPU between scheduling rounds, between
 * two exits of a slice when frames wait (control_nic_ready: the NIC's
 * interrupt makes the guest exit, issue 24), and in a loop when there is
 * no VT-x (net_serve), moves received frames from the
 * NIC into lwIP and runs lwIP's timers; lwIP's output goes straight to the
 * NIC's transmit ring.  It also takes the API's per-second history sample
 * when a second has begun (api_history.c).  All of it runs on the boot CPU under the core's
 * lock, so lwIP has one caller at a time and the handlers read the engine
 * and the VMs consistently.
 *
 * lwIP's port functions (net/lwip_port.h) live here too: its clock is the
 * architecture's TSC, and only the core may call arch.h; net/ stays plain C.
 *
 * What an lwIP assertion does.  lwIP asserts states it holds impossible;
 * were a received packet to reach one, powering off (what it did, like the
 * core's panics) would make that packet a remote kill of every VM (issue
 * 23).  Returning into lwIP instead, as lwIP built without assertions
 * does, would run on from a broken state: the next write may go anywhere
 * in the hypervisor's memory, guests' included (the state is lwIP's, in
 * the hypervisor's .bss; tcp_recved on a listening PCB, one such
 * assertion, writes past the smaller structure).  So every call into
 * lwIP runs under a guard (guarded: net_poll's work and net_start's): the
 * assertion prints its message, file and line, and jumps back to the guard
 * (longjmp), never into lwIP again; the guard then throws lwIP's whole
 * state away - its .data restored from a copy taken before lwip_init, its
 * .bss zeroed (the linker script gathers both: linker.ld) - forgets the
 * server's connections (a stream's VM pause is released) and starts lwIP
 * and the server afresh, as at boot.  The clients of that moment see their
 * connections reset; the VMs never notice.  No lwIP memory is shared with
 * the NIC (its rings copy frames in and out), so nothing outside lwIP's
 * own state points into it.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/dhcp.h>
#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/sys.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>

#include "api_account.h"
#include "api_history.h"
#include "api_serve.h"
#include "arch.h"
#include "http_server.h"
#include "lwip_port.h"
#include "net.h"

#define NET_RX_BUDGET 32  /* frames taken per poll: the rest wait in the ring */
#define NET_TX_PARTS  16  /* a pbuf chain longer than this is flattened first */
#define HTTP_PORT     80

_Static_assert(PBUF_POOL_BUFSIZE >= ARCH_NIC_FRAME_MAX, "a received frame fits one pool pbuf");

static struct netif nif;
static const struct config *conf;
static bool up, started; /* up: serving now; started: since boot (a failed reset ends up) */
static struct pbuf *spare;      /* a pool pbuf kept for the next frame (lwIP's memory) */
static const char *token_note; /* the API line's last words, for the DHCP lease */
static uint32_t leased;         /* the DHCP address last said (0: none yet) */
/* What the stack costs the boot CPU, in TSC ticks: polls that found no
 * frame (the cost of the API while nobody talks to it: the NIC's ring
 * read, lwIP's timers) and the others (net_report). */
static struct { uint64_t polls, ticks, idle_polls, idle_ticks, frames; } cost;

/* The guard (above): where an assertion jumps, and lwIP's state. */
static jmp_buf guard_jmp;
static volatile bool guarded;
static uint64_t asserts, resets;
extern char __lwip_data_start[], __lwip_data_end[], __lwip_bss_start[], __lwip_bss_end[];
static void *lwip_data_copy; /* lwIP's .data as at boot, before lwip_init */
/* test.lwip_assert: an assertion injected after that many answers (test support). */
static bool injected;

/* ---- lwIP's port ---- */

/* The TSC in milliseconds: lwIP's clock (32 bits) and the HTTP server's. */
static uint64_t clock_ms(void)
{
	uint64_t per_ms = arch_time_hz() / 1000;
	return arch_time_now() / (per_ms ? per_ms : 1);
}

u32_t sys_now(void)
{
	return (u32_t)clock_ms();
}

uint32_t lwip_port_rand(void)
{
	static uint32_t x;
	if (!x)
		x = (uint32_t)arch_time_now() | 1;
	/* xorshift32 (Marsaglia 2003): ports and sequence numbers, no secret. */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
	/* Said in full the first 8 times, then every 64th (a packet that
	 * asserts can be sent again and again: the console is not its). */
	asserts++;
	if (asserts <= 8 || asserts % 64 == 0)
		printf("lwip: assertion failed: %s (%s:%d); %lu so far%s\n", msg, file, line, asserts,
		       guarded ? ": the network stack is reset, the VMs run on" : "");
	if (guarded)
		longjmp(guard_jmp, 1);
	/* Outside a guard no lwIP code runs: this cannot happen. */
	arch_power_off("lwIP assertion failed outside the network's guard");
}

/* Runs fn under the guard: 0, or -1 when an lwIP assertion ended it. */
static int guard(int (*fn)(void), int *rc)
{
	if (setjmp(guard_jmp)) {
		guarded = false;
		return -1;
	}
	guarded = true;
	*rc = fn();
	guarded = false;
	return 0;
}

/* ---- the netif over the NIC ---- */

/* lwIP's frame out: the pbuf chain, gathered into the NIC's buffer. */
static err_t link_output(struct netif *n, struct pbuf *p)
{
	struct arch_nic_part parts[NET_TX_PARTS];
	static uint8_t flat[ARCH_NIC_FRAME_MAX];
	unsigned k = 0;
	struct pbuf *q;

	(void)n;
	for (q = p; q && k < NET_TX_PARTS; q = q->next)
		parts[k++] = (struct arch_nic_part){ q->payload, q->len };
	if (q) {
		if (p->tot_len > sizeof(flat))
			return ERR_IF;
		parts[0] = (struct arch_nic_part){ flat, pbuf_copy_partial(p, flat, p->tot_len, 0) };
		k = 1;
	}
	return arch_nic_send(parts, k) ? ERR_IF : ERR_OK;
}

static err_t netif_setup(struct netif *n)
{
	n->name[0] = 'e';
	n->name[1] = '0';
	n->mtu = 1500;
	n->hwaddr_len = ETH_HWADDR_LEN;
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	n->output = etharp_output;
	n->linkoutput = link_output;
	return ERR_OK;
}

static void ip_str(char *out, size_t cap, uint32_t ip)
{
	snprintf(out, cap, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

/* The API's line: where it listens. */
static void say_api(const char *how, uint32_t ip, uint32_t mask, uint32_t gw)
{
	char a[16], g[16];
	unsigned bits = 0;

	while (bits < 32 && (mask << bits & 0x80000000u))
		bits++;
	ip_str(a, sizeof(a), ip);
	ip_str(g, sizeof(g), gw);
	printf("net: %sAPI on http://%s:%u/ (%s/%u, gateway %s; %u connections; %s)\n", how, a,
	       HTTP_PORT, a, bits, gw ? g : "none", HTTP_CONNS, token_note);
}

static uint32_t host_order(const ip4_addr_t *a)
{
	return lwip_ntohl(ip4_addr_get_u32(a));
}

/* net.ip = dhcp: says the lease's address once it comes, and when it changes. */
static void dhcp_watch(void)
{
	uint32_t ip;
	if (!dhcp_supplied_address(&nif))
		return;
	ip = host_order(netif_ip4_addr(&nif));
	if (ip == leased)
		return;
	leased = ip;
	say_api("DHCP lease: ", ip, host_order(netif_ip4_netmask(&nif)), host_order(netif_ip4_gw(&nif)));
}

static uint8_t mac[6];

/* lwIP, its interface, the server and the DHCP client, from lwIP's state
 * as at boot (net_start, and after a reset).  0, or -1 said. */
static int stack_start(void)
{
	const struct config *cfg = conf;
	ip4_addr_t ip, mask, gw;

	lwip_init();
	IP4_ADDR(&ip, cfg->net_ip >> 24, cfg->net_ip >> 16 & 255, cfg->net_ip >> 8 & 255,
		 cfg->net_ip & 255);
	IP4_ADDR(&mask, cfg->net_mask >> 24, cfg->net_mask >> 16 & 255, cfg->net_mask >> 8 & 255,
		 cfg->net_mask & 255);
	IP4_ADDR(&gw, cfg->net_gw >> 24, cfg->net_gw >> 16 & 255, cfg->net_gw >> 8 & 255,
		 cfg->net_gw & 255);
	memcpy(nif.hwaddr, mac, sizeof(mac));
	if (!netif_add(&nif, &ip, &mask, &gw, NULL, netif_setup, ethernet_input)) {
		printf("net: lwIP refused the interface: the API is off\n");
		return -1;
	}
	netif_set_default(&nif);
	netif_set_up(&nif);
	netif_set_link_up(&nif);
	if (http_server_start(HTTP_PORT, cfg->api_token, api_serve, NULL, clock_ms)) {
		printf("net: the HTTP server could not listen on port %u: the API is off\n", HTTP_PORT);
		return -1;
	}
	token_note = cfg->api_token[0] ? "token set"
		     : "no api.token: the routes that change things answer 403";
	if (cfg->net_dhcp) {
		err_t e = dhcp_start(&nif);
		if (e != ERR_OK) {
			printf("net: the DHCP client could not start (lwIP error %d): the API is off\n", e);
			return -1;
		}
		printf("net: asking a DHCP server for an address (MAC %02x:%02x:%02x:%02x:%02x:%02x); "
		       "the API's address follows when the lease comes\n", mac[0], mac[1], mac[2], mac[3],
		       mac[4], mac[5]);
	} else {
		say_api("", cfg->net_ip, cfg->net_mask, cfg->net_gw);
	}
	return 0;
}

/* lwIP's state back to what it was at boot: the guard's recovery. */
static void stack_forget(void)
{
	http_server_abandon(); /* ours: no lwIP call */
	memcpy(__lwip_data_start, lwip_data_copy, (size_t)(__lwip_data_end - __lwip_data_start));
	memset(__lwip_bss_start, 0, (size_t)(__lwip_bss_end - __lwip_bss_start));
	memset(&nif, 0, sizeof(nif));
	spare = NULL;
	leased = 0;
}

/* After an assertion: lwIP afresh (itself guarded: an assertion while
 * starting leaves the API off). */
static void stack_reset(void)
{
	int rc = -1;

	stack_forget();
	resets++;
	if (guard(stack_start, &rc) || rc) {
		if (rc == 0)
			stack_forget();
		up = false;
		printf("net: the network stack could not start again: the API is off; the VMs run on\n");
		return;
	}
	if (resets <= 8 || resets % 64 == 0)
		printf("net: lwIP reset (%lu so far): the connections of that moment were lost\n", resets);
}

int net_start(const struct config *cfg)
{
	size_t n = (size_t)(__lwip_data_end - __lwip_data_start);
	int rc = -1;

	if (!cfg->net_ip && !cfg->net_dhcp)
		return -1;
	if (arch_nic_probe(mac)) {
		printf("net: no network: the API is off\n");
		return -1;
	}
	lwip_data_copy = malloc(n ? n : 1);
	if (!lwip_data_copy) {
		printf("net: no memory for lwIP's reset copy: the API is off\n");
		return -1;
	}
	memcpy(lwip_data_copy, __lwip_data_start, n);
	conf = cfg;
	if (guard(stack_start, &rc) || rc)
		return -1;
	up = started = true;
	return 0;
}

bool net_up(void)
{
	return up;
}

/* test.lwip_assert = N: once the server has answered N requests, one real
 * lwIP assertion (test support, for the guard): a pbuf freed twice, which
 * pbuf_free asserts before it changes anything. */
static void test_assert(void)
{
	struct http_server_stats st;
	struct pbuf *p;

	if (!conf->test_lwip_assert || injected)
		return;
	http_server_get_stats(&st);
	if (st.requests < conf->test_lwip_assert)
		return;
	injected = true;
	printf("net: test: an lwIP assertion, injected after %lu answers (test.lwip_assert)\n",
	       st.requests);
	p = pbuf_alloc(PBUF_RAW, 16, PBUF_RAM);
	if (p) {
		pbuf_free(p);
		pbuf_free(p); /* "pbuf_free: p->ref > 0" */
	}
}

/* One poll's work with lwIP; the number of frames taken in. */
static int poll_stack(void)
{
	unsigned i;

	for (i = 0; i < NET_RX_BUDGET; i++) {
		uint32_t len;
		if (!spare)
			spare = pbuf_alloc(PBUF_RAW, ARCH_NIC_FRAME_MAX, PBUF_POOL);
		if (!spare)
			break; /* the pool is empty: frames wait in the ring */
		len = arch_nic_recv(spare->payload, ARCH_NIC_FRAME_MAX);
		if (!len)
			break;
		pbuf_realloc(spare, (u16_t)len);
		if (nif.input(spare, &nif) != ERR_OK)
			pbuf_free(spare);
		spare = NULL;
	}
	sys_check_timeouts();
	http_server_run(); /* the requests waiting, HTTP_POLL_WORK at most */
	dhcp_watch();
	test_assert();
	return (int)i;
}

void net_poll(void)
{
	uint64_t t0, t;
	int i = 0;

	if (!up)
		return;
	t0 = arch_time_now();
	api_history_tick(); /* under the lock the API reads under */
	api_account_tick(); /* one step of the PSS walk, at most a walk a second */
	if (guard(poll_stack, &i))
		stack_reset();
	t = arch_time_now() - t0;
	cost.polls++;
	cost.ticks += t;
	cost.frames += (uint64_t)i;
	if (!i) {
		cost.idle_polls++;
		cost.idle_ticks += t;
	}
}

/* part / whole in hundredths of a percent (the hypervisor has no floating point). */
static uint64_t pct100(uint64_t part, uint64_t whole)
{
	return whole ? part * 10000 / whole : 0;
}

void net_report(uint64_t elapsed)
{
	struct http_server_stats s;
	struct arch_nic_stats nic;
	if (!started)
		return;
	http_server_get_stats(&s);
	printf("summary: net: %lu polls in %lu TSC ticks (%lu.%02lu%% of the boot CPU); %lu without a "
	       "frame, %lu ticks each on average (%lu.%02lu%% of the boot CPU); %lu frames in\n",
	       cost.polls, cost.ticks, pct100(cost.ticks, elapsed) / 100, pct100(cost.ticks, elapsed) % 100,
	       cost.idle_polls, cost.idle_polls ? cost.idle_ticks / cost.idle_polls : 0,
	       pct100(cost.idle_ticks, elapsed) / 100, pct100(cost.idle_ticks, elapsed) % 100, cost.frames);
	printf("summary: api: %lu connections accepted, %lu refused (no slot for them), %lu requests, "
	       "%lu idle timeouts, %lu aborted, %lu memory images (%lu cut short); %lu displaced "
	       "(idle, silent or slow, for a newcomer), %lu answered 429 (wrong tokens)\n", s.accepted,
	       s.refused, s.requests, s.timeouts, s.aborted, s.streams, s.streams_cut, s.displaced,
	       s.throttled);
	printf("summary: net: lwIP assertions %lu, stack resets %lu\n", asserts, resets);
	arch_nic_stats(&nic);
	printf("summary: nic: %lu frames in, %lu out, %lu dropped in, %lu out; %lu interrupts made "
	       "a guest exit%s\n", nic.rx_frames, nic.tx_frames, nic.rx_dropped, nic.tx_dropped, nic.irqs,
	       nic.irq_masked ? "; its line kept interrupting without a cause of its: masked, polled only" : "");
	if (nic.irqs_foreign)
		printf("summary: nic: %lu interrupts on its line without a cause of its\n", nic.irqs_foreign);
}

void net_serve(void)
{
	for (;;) {
		net_poll();
		arch_poll_requests();
		arch_cpu_relax();
	}
}
