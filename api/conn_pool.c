/*
 * conn_pool.c - the API's connection pool admission policy (rules in
 * conn_pool.h).  Each call looks at every slot a few times: the pool has
 * eight, and a connection is accepted once.
 */
#include <string.h>

#include "conn_pool.h"

static unsigned count_of(const struct pool_slot *s, unsigned n, uint32_t peer)
{
	unsigned i, c = 0;
	for (i = 0; i < n; i++)
		c += s[i].used && s[i].peer == peer;
	return c;
}

/* Rules 3a, 3b, 3c in turn among the used slots (of peer only, when
 * mine).  Returns the slot, or n; *rule says which rule chose it. */
static unsigned displaceable(const struct pool_slot *s, unsigned n, bool mine, uint32_t peer,
			     uint64_t now, const struct pool_policy *p, const char **rule)
{
	unsigned i, pick[3] = { n, n, n }; /* 3a, 3b, 3c */

	for (i = 0; i < n; i++) {
		uint64_t age;
		int r;
		if (!s[i].used || (mine && s[i].peer != peer))
			continue;
		age = now > s[i].since_ms ? now - s[i].since_ms : 0;
		r = s[i].state == POOL_IDLE ? 0
		  : s[i].state == POOL_NEW && age >= p->new_grace_ms ? 1
		  : s[i].state == POOL_ARRIVING && age > p->slow_ms ? 2 : -1;
		if (r >= 0 && (pick[r] == n || s[i].since_ms < s[pick[r]].since_ms))
			pick[r] = i;
	}
	for (i = 0; i < 3; i++)
		if (pick[i] < n) {
			*rule = i == 0 ? "3a" : i == 1 ? "3b" : "3c";
			return pick[i];
		}
	return n;
}

static struct pool_choice choice(enum pool_verdict v, unsigned slot, const char *rule)
{
	struct pool_choice c = { v, slot, "" };
	size_t k = strlen(rule);
	memcpy(c.rule, rule, k < sizeof(c.rule) ? k : sizeof(c.rule) - 1);
	return c;
}

struct pool_choice pool_admit(const struct pool_slot *s, unsigned n, uint32_t peer,
			      uint64_t now, const struct pool_policy *p)
{
	unsigned i, k, mine = count_of(s, n, peer), top = n, top_count = 0;
	const char *rule = "";

	/* 1: at its share, an address displaces its own: idle, silent, slow,
	 * else its oldest, if that one has had its grace. */
	if (mine >= (p->per_peer_max ? p->per_peer_max : 1)) {
		i = displaceable(s, n, true, peer, now, p, &rule);
		if (i == n)
			for (k = 0; k < n; k++)
				if (s[k].used && s[k].peer == peer && now >= s[k].opened_ms + p->new_grace_ms &&
				    (i == n || s[k].opened_ms < s[i].opened_ms))
					i = k;
		return i < n ? choice(POOL_DISPLACE, i, "1") : choice(POOL_REFUSE, 0, "");
	}
	/* 2: a free slot. */
	for (i = 0; i < n; i++)
		if (!s[i].used)
			return choice(POOL_TAKE, i, "2");
	/* 3a-c: an idle, silent or slow connection, whoever's. */
	i = displaceable(s, n, false, peer, now, p, &rule);
	if (i < n)
		return choice(POOL_DISPLACE, i, rule);
	/* 3d: the oldest of the address holding the most, if it holds two
	 * more than this one. */
	for (i = 0; i < n; i++) {
		unsigned c;
		if (!s[i].used)
			continue;
		c = count_of(s, n, s[i].peer);
		if (c > top_count || (c == top_count && s[i].peer == s[top].peer &&
				      s[i].opened_ms < s[top].opened_ms)) {
			top = i;
			top_count = c;
		}
	}
	if (top < n && top_count >= mine + 2)
		return choice(POOL_DISPLACE, top, "3d");
	return choice(POOL_REFUSE, 0, "");
}
