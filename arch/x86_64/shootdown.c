/*
 * shootdown.c - invalidating a VM's EPT translations only where they may
 * be cached, and never waiting for ever.
 *
 * What a CPU may cache.  A CPU caches translations of a VM's EPT only while
 * it runs that VM's guest, tagged by the EPT pointer: running another VM it
 * uses none of them (SDM 3C 29.4.1).  They stay cached until the CPU does
 * an INVEPT that covers them.  So each VM has a mask (struct arch_ept_cpus):
 *
 *   sd_load      a CPU that makes a vCPU of the VM current (arch_vcpu_load,
 *                under the core's lock, before it ever enters the guest)
 *                sets its bit, and notes in the VM it leaves how many
 *                requests it had answered then (left[cpu]);
 *   sd_poll      a CPU answers the requests posted to it with one INVEPT
 *                all-context, before every VM entry, right after every exit,
 *                while it spins for the lock and while it idles;
 *   sd_invalidate  the CPU that changed the VM's EPT (holding the core's
 *                lock) does INVEPT single-context itself, then looks at each
 *                other CPU whose bit is set:
 *       it has a vCPU of this VM loaded   it may be in the guest right now:
 *                                         request, IPI, and wait for it;
 *       it has left the VM and answered a request since
 *                                         it holds nothing of it: its bit is
 *                                         cleared and it is not asked;
 *       it has left the VM but not answered since
 *                                         request without IPI or wait: it
 *                                         cannot use this VM's translations
 *                                         before it loads the VM again, which
 *                                         needs the lock we hold, and it
 *                                         answers before any VM entry.
 * A bit is set under the lock and read under the lock, so no CPU can join
 * the VM while an invalidation looks; what a CPU loads later it walks from
 * the EPT as changed.  A CPU whose bit is clear either never ran the VM or
 * flushed after it left it: it holds nothing stale.  (The bit is set even
 * when the CPU's last VM is the same one: a VM's slot is reused with its
 * mask zeroed.)  Before, every invalidation asked every CPU by IPI, so a
 * guest touching fresh memory - one COW break each page - made every CPU
 * exit (issue 23, finding 6).
 *
 * Waiting is bounded.  A CPU that answers nothing in kick_ticks is sent
 * INIT, which makes a guest exit whatever it does (SDM 3C 26.2: INIT is a
 * VM exit in VMX non-root operation; it outranks the debug traps and event
 * deliveries that can keep an IPI out: XSA-156), and is reported.  One that
 * still answers nothing in wedge_ticks is reported, marked wedged and no
 * longer waited for: the invalidation returns -1, and its caller (the dedup
 * engine) frees and shares nothing that CPU could still write (dedup.h).
 * A wedged CPU that has answered since is waited for again.  The bounds are
 * smp.c's; before, a CPU that never answered held the waiting CPU, and the
 * lock with it, for ever (issue 23, finding 1).
 */
#include "shootdown.h"

void sd_load(const struct sd_hw *hw, unsigned self, struct arch_ept_cpus *t)
{
	struct sd_cpu *me = &hw->cpus[self];

	if (me->cur && me->cur != t)
		me->cur->left[self] = me->flush_done;
	me->cur = t;
	__atomic_or_fetch(&t->mask, 1u << self, __ATOMIC_SEQ_CST);
}

void sd_poll(const struct sd_hw *hw, unsigned self)
{
	struct sd_cpu *me = &hw->cpus[self];
	uint64_t req = __atomic_load_n(&me->flush_req, __ATOMIC_ACQUIRE);

	if (me->flush_done != req) {
		hw->invept_all();
		__atomic_store_n(&me->flush_done, req, __ATOMIC_RELEASE);
	}
}

/* Posts a request to CPU c; returns its number. */
static uint64_t post(struct sd_cpu *p)
{
	return __atomic_add_fetch(&p->flush_req, 1, __ATOMIC_SEQ_CST);
}

static uint64_t done(const struct sd_cpu *p)
{
	return __atomic_load_n(&p->flush_done, __ATOMIC_ACQUIRE);
}

int sd_invalidate(const struct sd_hw *hw, unsigned self, uint64_t eptp, struct arch_ept_cpus *t)
{
	struct sd_cpu *me = &hw->cpus[self];
	uint64_t want[ARCH_MAX_CPUS], t0, waited;
	uint32_t mask, wait = 0, kicked = 0;
	unsigned c;
	int rc = 0;

	hw->invept_single(eptp);
	if (me->cur != t)
		__atomic_and_fetch(&t->mask, ~(1u << self), __ATOMIC_SEQ_CST);
	mask = __atomic_load_n(&t->mask, __ATOMIC_SEQ_CST);
	for (c = 0; c < hw->ncpus; c++) {
		struct sd_cpu *p = &hw->cpus[c];

		if (c == self || !(mask & (1u << c)))
			continue;
		if (!p->online) {
			__atomic_and_fetch(&t->mask, ~(1u << c), __ATOMIC_SEQ_CST);
			continue;
		}
		if (p->cur != t) {
			if (done(p) > t->left[c]) {
				__atomic_and_fetch(&t->mask, ~(1u << c), __ATOMIC_SEQ_CST);
				me->skipped++;
			} else {
				post(p);
				me->posted++;
			}
			continue;
		}
		if (p->wedged) {
			if (done(p) < p->wedged_req) {
				post(p); /* it answers before its next entry, if it comes back */
				rc = -1;
				continue;
			}
			p->wedged = false;
			hw->report(SD_REVIVED, c, 0);
		}
		want[c] = post(p);
		hw->ipi(c);
		me->ipis++;
		wait |= 1u << c;
	}
	t0 = hw->now();
	waited = 0;
	while (wait) {
		for (c = 0; c < hw->ncpus; c++) {
			struct sd_cpu *p = &hw->cpus[c];
			uint32_t bit = 1u << c;

			if (!(wait & bit))
				continue;
			if (done(p) >= want[c]) {
				wait &= ~bit;
			} else if (waited >= hw->wedge_ticks) {
				p->wedged = true;
				p->wedged_req = want[c];
				hw->report(SD_WEDGED, c, waited);
				wait &= ~bit;
				rc = -1;
			} else if (waited >= hw->kick_ticks && !(kicked & bit)) {
				kicked |= bit;
				hw->kick(c);
				hw->report(SD_KICKED, c, waited);
			}
		}
		if (wait)
			hw->relax();
		waited = hw->now() - t0;
	}
	if (waited > me->worst_wait)
		me->worst_wait = waited;
	if (waited > hw->slow_ticks)
		me->slow_waits++;
	return rc;
}
