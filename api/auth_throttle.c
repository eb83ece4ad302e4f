/*
 * auth_throttle.c - wrong tokens lock their address out, for longer each
 * time (the rules in auth_throttle.h).  A linear search of 32 records per
 * token-route request: less than the token's compare.
 */
#include "auth_throttle.h"

static struct auth_peer *find(const struct auth_throttle *t, uint32_t peer, uint64_t now)
{
	unsigned i;
	for (i = 0; i < AUTH_PEERS; i++) {
		const struct auth_peer *e = &t->p[i];
		if (e->fails && e->peer == peer && now < e->until_ms + AUTH_FORGET_S * 1000ull)
			return (struct auth_peer *)e;
	}
	return 0;
}

uint64_t auth_throttle_wait(const struct auth_throttle *t, uint32_t peer, uint64_t now)
{
	const struct auth_peer *e = find(t, peer, now);
	return e && now < e->until_ms ? e->until_ms - now : 0;
}

uint64_t auth_throttle_failed(struct auth_throttle *t, uint32_t peer, uint64_t now)
{
	struct auth_peer *e = find(t, peer, now);
	uint64_t lock;
	unsigned i;

	if (!e) {
		/* A free or forgotten record, else the one unlocked longest ago,
		 * else the one whose lockout ends first. */
		for (i = 0; i < AUTH_PEERS; i++) {
			struct auth_peer *x = &t->p[i];
			if (!x->fails || now >= x->until_ms + AUTH_FORGET_S * 1000ull) {
				e = x;
				break;
			}
			if (!e || x->until_ms < e->until_ms)
				e = x;
		}
		e->peer = peer;
		e->fails = 0;
	}
	if (e->fails < 31)
		e->fails++;
	lock = 1000ull << (e->fails - 1 < 6 ? e->fails - 1 : 6);
	if (lock > AUTH_LOCK_MAX_S * 1000ull)
		lock = AUTH_LOCK_MAX_S * 1000ull;
	e->until_ms = now + lock;
	return lock;
}

void auth_throttle_passed(struct auth_throttle *t, uint32_t peer)
{
	unsigned i;
	for (i = 0; i < AUTH_PEERS; i++)
		if (t->p[i].fails && t->p[i].peer == peer)
			t->p[i].fails = 0;
}
