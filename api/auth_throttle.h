/*
 * auth_throttle.h - slowing down an address that sends wrong tokens
 * (auth_throttle.c), for the API's routes that need the token.
 *
 * Issue 23: wrong tokens were answered at full speed, so the only bound on
 * guessing was the network.  Now each wrong token from an address locks
 * that address out of the token routes for a while, doubling with each
 * wrong token in a row: 1 s, 2 s, 4 s ... up to AUTH_LOCK_MAX_S; while
 * locked out its requests to those routes are answered at once with 429
 * Too Many Requests and Retry-After, without the token being compared.
 * So an address gets one guess per lockout, and after seven in a row one a
 * minute.  Nothing waits: no connection is held, no CPU spins; the other
 * addresses, and the routes without a token, are served as ever.  A right
 * token clears the address's record; a record with no wrong token for
 * AUTH_FORGET_S is forgotten.
 *
 * The table holds AUTH_PEERS addresses; when it is full, a new address
 * takes the slot of the one whose lockout ended longest ago, or, when all
 * are locked out, of the one whose lockout ends first (many addresses
 * guessing at once still each wait their lockout, less a little for the
 * one evicted).  Plain C, clock in milliseconds from the caller.
 */
#ifndef API_AUTH_THROTTLE_H
#define API_AUTH_THROTTLE_H

#include <stdint.h>

#define AUTH_PEERS      32
#define AUTH_LOCK_MAX_S 64u
#define AUTH_FORGET_S   600u

struct auth_throttle {
	struct auth_peer {
		uint32_t peer;
		uint32_t fails;      /* wrong tokens in a row (0: slot free) */
		uint64_t until_ms;   /* locked out until then */
	} p[AUTH_PEERS];
};

/* Milliseconds peer must still wait before its token is compared (0: now). */
uint64_t auth_throttle_wait(const struct auth_throttle *t, uint32_t peer, uint64_t now_ms);
/* A wrong token from peer at now_ms: it is locked out for the next lockout.
 * Returns that lockout, in milliseconds. */
uint64_t auth_throttle_failed(struct auth_throttle *t, uint32_t peer, uint64_t now_ms);
/* The right token from peer: its record is cleared. */
void auth_throttle_passed(struct auth_throttle *t, uint32_t peer);

#endif
