/*
 * test_conn_pool.c - the API's connection pool policy (api/conn_pool.c):
 * each rule alone, then issue 23's attacks against a simulated server and
 * clock - eight keep-alive connections sending a cheap request every 9 s,
 * slow senders, one address and two addresses hammering, a flood from the
 * operator's own address - with an operator connecting now and then, who
 * must be let in every time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conn_pool.h"

#define N 8
static const struct pool_policy pol = { .per_peer_max = 6, .new_grace_ms = 1000, .slow_ms = 2000 };

static struct pool_slot slot(uint32_t peer, enum pool_state st, uint64_t since, uint64_t opened)
{
	return (struct pool_slot){ true, st, peer, since, opened };
}

static void expect_at(unsigned line, const struct pool_slot *s, uint32_t peer, uint64_t now,
		      enum pool_verdict v, unsigned at, const char *rule)
{
	struct pool_choice c = pool_admit(s, N, peer, now, &pol);
	if (c.verdict != v || (v != POOL_REFUSE && c.slot != at) || strcmp(c.rule, rule))
		fail_msg("line %u: verdict %d slot %u rule '%s'; expected %d %u '%s'", line, c.verdict,
			 c.slot, c.rule, v, at, rule);
}
#define expect(...) expect_at(__LINE__, __VA_ARGS__)

static void test_rules(void **state)
{
	struct pool_slot s[N];
	unsigned i;
	(void)state;

	memset(s, 0, sizeof(s));
	expect(s, 1, 0, POOL_TAKE, 0, "2");
	s[0] = slot(1, POOL_IDLE, 0, 0);
	expect(s, 1, 0, POOL_TAKE, 1, "2");
	/* Full of answers going out (never displaced by 3a-c), one address
	 * each: no address holds two more than another. */
	for (i = 0; i < N; i++)
		s[i] = slot(10 + i, POOL_ANSWERING, 0, i);
	expect(s, 99, 100000, POOL_REFUSE, 0, "");
	/* 3c: a request arriving for more than 2 s; not at 2 s. */
	s[3] = slot(13, POOL_ARRIVING, 1000, 3);
	s[5] = slot(15, POOL_ARRIVING, 2000, 5);
	expect(s, 99, 3001, POOL_DISPLACE, 3, "3c");
	expect(s, 99, 3000, POOL_REFUSE, 0, "");
	/* 3b before 3c: silent since its accept 1 s or more; not before. */
	s[6] = slot(16, POOL_NEW, 2500, 6);
	expect(s, 99, 3400, POOL_DISPLACE, 3, "3c");
	expect(s, 99, 3500, POOL_DISPLACE, 6, "3b");
	/* 3a before 3b: the longest idle between requests, however short. */
	s[1] = slot(11, POOL_IDLE, 3499, 1);
	s[2] = slot(12, POOL_IDLE, 3400, 2);
	expect(s, 99, 3500, POOL_DISPLACE, 2, "3a");
	/* 3d: an address holding two more than the newcomer gives up its
	 * oldest connection, whatever it does. */
	for (i = 0; i < N; i++)
		s[i] = slot(i < 2 ? 7 : 10 + i, POOL_ANSWERING, 0, 100 - i);
	expect(s, 99, 0, POOL_DISPLACE, 1, "3d");        /* 7 holds 2 >= 0 + 2: its oldest */
	expect(s, 13, 0, POOL_REFUSE, 0, "");            /* not for one holding one: 2 < 1 + 2 */
	s[2].peer = 7;
	expect(s, 13, 0, POOL_DISPLACE, 2, "3d");        /* 3 >= 1 + 2 */
	/* 1: an address at its share displaces only its own: idle, silent,
	 * slow, else its oldest - never refused for its own old ones. */
	for (i = 0; i < N; i++)
		s[i] = slot(i < 6 ? 7 : 20 + i, i < 6 ? POOL_ANSWERING : POOL_IDLE, 0, 4000 + i);
	expect(s, 7, 5000, POOL_DISPLACE, 0, "1");       /* all answering: its oldest, 1 s old */
	expect(s, 7, 4999, POOL_REFUSE, 0, "");          /* ... not before */
	s[4] = slot(7, POOL_ARRIVING, 0, 4);
	expect(s, 7, 5000, POOL_DISPLACE, 4, "1");       /* its slow one */
	s[3] = slot(7, POOL_NEW, 3000, 3);
	expect(s, 7, 5000, POOL_DISPLACE, 3, "1");       /* its silent one, first */
	s[2] = slot(7, POOL_IDLE, 4999, 2);
	expect(s, 7, 5000, POOL_DISPLACE, 2, "1");       /* its idle one, first */
	expect(s, 8, 5000, POOL_DISPLACE, 6, "3a");      /* another address: anyone's idle */
	memset(&s[6], 0, 2 * sizeof(s[0]));
	expect(s, 7, 5000, POOL_DISPLACE, 2, "1");       /* at its share, even with slots free */
	expect(s, 8, 5000, POOL_TAKE, 6, "2");
}

/* ---- a simulated server: slots, a 10 ms clock, clients ---- */

struct client {
	uint32_t peer;
	int slot;             /* -1: not connected */
	uint64_t next_ms;     /* when it next acts */
	unsigned kind;        /* what it does (below) */
	uint64_t served, refused, displaced;
	uint64_t wants_ms, worst_wait_ms; /* the operator: since when it wants in; its longest wait */
};

enum { TRICKLE, SLOWLORIS, HAMMER, OPERATOR };

static struct pool_slot pool[N];
static struct client *owner[N];
static uint64_t now;

static void set_state(struct client *c, enum pool_state st)
{
	pool[c->slot].state = st;
	pool[c->slot].since_ms = now;
}

static int connect_(struct client *c)
{
	struct pool_choice ch = pool_admit(pool, N, c->peer, now, &pol);
	if (ch.verdict == POOL_REFUSE) {
		c->refused++;
		return -1;
	}
	if (ch.verdict == POOL_DISPLACE) {
		owner[ch.slot]->slot = -1;
		owner[ch.slot]->displaced++;
	}
	pool[ch.slot] = slot(c->peer, POOL_NEW, now, now);
	owner[ch.slot] = c;
	c->slot = (int)ch.slot;
	return 0;
}

static void disconnect(struct client *c)
{
	memset(&pool[c->slot], 0, sizeof(pool[0]));
	owner[c->slot] = NULL;
	c->slot = -1;
}

/* One client's move at now.  A request: arriving 10 ms, answering 10 ms
 * (slow senders: arriving until their 30 s are up).  Attackers reconnect
 * at once when displaced or refused. */
static void act(struct client *c)
{
	if (now < c->next_ms)
		return;
	if (c->slot < 0 && connect_(c)) {
		c->next_ms = now + 10;
		return;
	}
	switch (pool[c->slot].state) {
	case POOL_NEW:
	case POOL_IDLE:
		set_state(c, POOL_ARRIVING);
		c->next_ms = now + (c->kind == SLOWLORIS ? 30000 : 10);
		break;
	case POOL_ARRIVING:
		set_state(c, POOL_ANSWERING);
		c->next_ms = now + 10;
		break;
	case POOL_ANSWERING:
		c->served++;
		if (now - c->wants_ms > c->worst_wait_ms)
			c->worst_wait_ms = now - c->wants_ms;
		set_state(c, POOL_IDLE);
		c->next_ms = now + (c->kind == TRICKLE ? 9000 : 0);
		if (c->kind == OPERATOR) { /* one request a connection, every 10 s */
			disconnect(c);
			c->next_ms = c->wants_ms = now + 10000;
		}
		break;
	}
}

/* Runs the attackers and an operator for 10 simulated minutes; the
 * operator must be served every time it comes. */
/* Runs the attackers and an operator (from op_peer) for 10 simulated
 * minutes: the operator must be served every time it comes, within
 * max_wait_ms (retrying every 10 ms when refused), and never displaced. */
static void run_from(struct client *att, unsigned natt, const char *what, uint32_t op_peer,
		     uint64_t max_wait_ms)
{
	struct client op = { .peer = op_peer, .slot = -1, .next_ms = 5000, .kind = OPERATOR,
			     .wants_ms = 5000 };
	unsigned i;

	memset(pool, 0, sizeof(pool));
	memset(owner, 0, sizeof(owner));
	for (now = 0; now < 600000; now += 10) {
		for (i = 0; i < natt; i++)
			act(&att[i]);
		act(&op);
	}
	if (op.displaced || op.served < 59 || op.worst_wait_ms > max_wait_ms)
		fail_msg("%s: the operator was served %lu times (the longest wait %lu ms), refused %lu, "
			 "displaced %lu", what, (unsigned long)op.served, (unsigned long)op.worst_wait_ms,
			 (unsigned long)op.refused, (unsigned long)op.displaced);
}

/* From another address: served at once (a request takes 20 ms). */
static void run(struct client *att, unsigned natt, const char *what)
{
	run_from(att, natt, what, 1000, 20);
}

static void test_trickle(void **state)
{
	struct client att[N];
	unsigned i;
	(void)state;
	/* Issue 23: eight keep-alive connections, a cheap request every 9 s
	 * each, from eight addresses (one address would hold six only). */
	for (i = 0; i < N; i++)
		att[i] = (struct client){ .peer = 1 + i, .slot = -1, .next_ms = i, .kind = TRICKLE };
	run(att, N, "trickle");
	for (i = 0; i < N; i++)
		assert_true(att[i].served > 0);
}

static void test_slow_senders(void **state)
{
	struct client att[N];
	unsigned i;
	(void)state;
	/* Eight requests that take 30 s each to arrive. */
	for (i = 0; i < N; i++)
		att[i] = (struct client){ .peer = 1 + i, .slot = -1, .next_ms = i, .kind = SLOWLORIS };
	run(att, N, "slow senders");
}

static void test_one_address_hammers(void **state)
{
	struct client att[2 * N];
	unsigned i, held = 0;
	(void)state;
	/* Sixteen connections from one address, requests back to back. */
	for (i = 0; i < 2 * N; i++)
		att[i] = (struct client){ .peer = 7, .slot = -1, .next_ms = i, .kind = HAMMER };
	run(att, 2 * N, "one address");
	for (i = 0; i < N; i++)
		held += owner[i] && owner[i]->peer == 7;
	assert_true(held <= pol.per_peer_max);
}

static void test_two_addresses_hammer(void **state)
{
	struct client att[2 * N];
	unsigned i;
	(void)state;
	/* Two addresses, eight connections each, requests back to back: the
	 * pool is full of busy connections, and fairness (3c) lets the
	 * operator in. */
	for (i = 0; i < 2 * N; i++)
		att[i] = (struct client){ .peer = 7 + i % 2, .slot = -1, .next_ms = i, .kind = HAMMER };
	run(att, 2 * N, "two addresses");
}

/* Issue 23's flood from the operator's own address (one NAT, or the
 * emulator's user network): eight connections busy with pipelined
 * requests, reconnecting at once when displaced; the operator, from the
 * same address, still gets in every time, displacing the address's
 * oldest connection once one has had its second of grace: within a
 * second and its request's 20 ms. */
static void test_flood_from_the_operators_address(void **state)
{
	struct client att[N];
	unsigned i;
	(void)state;
	for (i = 0; i < N; i++)
		att[i] = (struct client){ .peer = 7, .slot = -1, .next_ms = i, .kind = HAMMER };
	run_from(att, N, "a flood from the operator's address", 7, 1000 + 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_trickle),
		cmocka_unit_test(test_slow_senders),
		cmocka_unit_test(test_one_address_hammers),
		cmocka_unit_test(test_two_addresses_hammer),
		cmocka_unit_test(test_flood_from_the_operators_address),
	};
	return cmocka_run_group_tests_name("conn_pool", tests, NULL, NULL);
}
