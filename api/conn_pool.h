/*
 * conn_pool.h - who gets a slot of the API's connection pool (conn_pool.c):
 * the admission policy of net/http_server.c, plain C so that the host can
 * test it against a simulated clock.
 *
 * The pool is small and static (HTTP_CONNS slots), so it must not be
 * possible to hold it: issue 23 found that eight keep-alive connections
 * each sending a cheap request every 9 s kept every slot, and that a slow
 * sender held one for 30 s at a time.  A new connection from address P is
 * placed by these rules, in order:
 *
 *   1. P already holds per_peer_max slots: it displaces one of its own -
 *      by 3a, 3b or 3c among P's, else P's oldest once that one is
 *      new_grace_ms old - or it is refused.  So one address never holds
 *      the whole pool, and never locks itself out for long either: after
 *      a flood from an address (its connections busy with the requests it
 *      pipelined, which the server answers as TCP asks, for as long as
 *      they keep coming), a new connection from it is served at once,
 *      whatever its old ones still do (issue 23: the operator behind the
 *      same address - one NAT, or an emulator's user network - waited
 *      over a minute); and a connection just made is not churned out by
 *      its own address's next ones before its request is in.
 *   2. A free slot: it takes it.
 *   3. The pool is full: it displaces, of all connections,
 *        a. the one idle longest between two requests (a keep-alive
 *           connection waiting for its next request: its client
 *           reconnects when it has one);
 *        b. else the oldest that has sent nothing since its accept, once
 *           new_grace_ms have passed (a connection just accepted gets the
 *           time for its first request to arrive);
 *        c. else the one whose request has been arriving longest, once
 *           longer than slow_ms (a request arrives in a round trip or
 *           two; one still arriving after that is a slow sender);
 *        d. else the oldest connection of the address holding the most
 *           slots, if that address holds at least two more than P (the
 *           pool is shared fairly among addresses: P with none gets one
 *           whenever some address holds two or more);
 *      else it is refused.
 *   An answer going out is never displaced by a, b or c (only by 1, for
 *   its own address, or d): it goes as fast as its client reads (a memory
 *   image takes minutes), and a client that stops reading is closed by
 *   the server's idle timeout.
 *
 * The displaced connection is closed at once (a reset), the newcomer takes
 * its slot.  What an operator can count on: a slot whenever its address
 * already holds its share, or a connection is idle, silent past its grace
 * or slow, or another address holds two more than its own.  What still
 * holds the pool: HTTP_CONNS addresses each keeping a
 * request in progress at all times (or reconnecting within the grace),
 * which is load, not a trickle; the server's per-poll work cap keeps it
 * from stalling anything but the API.
 */
#ifndef API_CONN_POOL_H
#define API_CONN_POOL_H

#include <stdbool.h>
#include <stdint.h>

/* Where a connection is in its request-answer cycle. */
enum pool_state {
	POOL_NEW,       /* accepted; no byte of a request yet */
	POOL_IDLE,      /* between two requests (keep-alive) */
	POOL_ARRIVING,  /* a request's bytes are arriving */
	POOL_ANSWERING, /* its answer is going out, as fast as the client reads it */
};

/* What the policy needs to know of one slot. */
struct pool_slot {
	bool used;
	enum pool_state state;
	uint32_t peer;      /* the client's address */
	uint64_t since_ms;  /* when it entered its state (the accept, for a new one) */
	uint64_t opened_ms; /* when it was accepted */
};

struct pool_policy {
	unsigned per_peer_max; /* slots one address may hold (>= 1) */
	uint64_t new_grace_ms; /* rule 3b: silent this long after its accept, it may go */
	uint64_t slow_ms;      /* rule 3c: a request arriving longer than this is slow */
};

enum pool_verdict { POOL_TAKE, POOL_DISPLACE, POOL_REFUSE };

struct pool_choice {
	enum pool_verdict verdict;
	unsigned slot;   /* POOL_TAKE: the free slot; POOL_DISPLACE: the victim's */
	char rule[3];    /* the rule that decided: "1", "2", "3a" ... "3d" ("" when refused) */
};

/* Where a new connection from peer, at now_ms, goes among the n slots. */
struct pool_choice pool_admit(const struct pool_slot *slots, unsigned n, uint32_t peer,
			      uint64_t now_ms, const struct pool_policy *p);

#endif
