/*
 * test_shootdown.c - arch/x86_64/shootdown.c against a model of CPUs with
 * TLBs.
 *
 * Each model CPU has a TLB that caches, per VM and page, the version of the
 * EPT entry it walked; the EPT entry's version goes up at each change.  A
 * guest access on a CPU uses its cached entry when there is one: an entry
 * older than the EPT's is a stale translation, the failure the protocol
 * must make impossible.  INVEPT all-context empties a CPU's TLB, single-
 * context one VM's part of it.  A CPU answers an IPI at once (it exits and
 * polls), unless the test makes it deaf; INIT makes a deaf CPU answer
 * unless it is wedged for good.  Time moves 1000 ticks at each reading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "shootdown.h"

#define NCPU 4
#define NVM 3
#define NPAGE 8

static struct sd_cpu cpus[NCPU];
static struct arch_ept_cpus track[NVM];
static uint64_t ept[NVM][NPAGE];           /* each entry's version, from 1 */
static uint64_t tlb[NCPU][NVM][NPAGE];     /* cached version, 0: none */
static unsigned on_cpu;                    /* who executes the hw calls */
static uint64_t clock_now;
static bool deaf[NCPU], deaf_to_init[NCPU];
static unsigned ipis_to[NCPU], kicks_to[NCPU], events[3];
static struct sd_hw hw;

static uint64_t eptp_of(unsigned vm) { return 0x1000u * (vm + 1); }

static void hw_invept_single(uint64_t eptp)
{
	memset(tlb[on_cpu][eptp / 0x1000u - 1], 0, sizeof(tlb[0][0]));
}

static void hw_invept_all(void) { memset(tlb[on_cpu], 0, sizeof(tlb[0])); }

/* CPU c answers what is posted to it, as its exit and poll would. */
static void answer(unsigned c)
{
	unsigned saved = on_cpu;
	on_cpu = c;
	sd_poll(&hw, c);
	on_cpu = saved;
}

static void hw_ipi(unsigned c)
{
	ipis_to[c]++;
	if (!deaf[c])
		answer(c);
}

static void hw_kick(unsigned c)
{
	kicks_to[c]++;
	if (!deaf_to_init[c])
		answer(c);
}

static void hw_report(enum sd_event e, unsigned c, uint64_t waited)
{
	(void)c;
	(void)waited;
	events[e]++;
}

static uint64_t hw_now(void) { return clock_now += 1000; }
static void hw_relax(void) {}

static void reset(void)
{
	memset(cpus, 0, sizeof(cpus));
	memset(track, 0, sizeof(track));
	memset(tlb, 0, sizeof(tlb));
	memset(deaf, 0, sizeof(deaf));
	memset(deaf_to_init, 0, sizeof(deaf_to_init));
	memset(ipis_to, 0, sizeof(ipis_to));
	memset(kicks_to, 0, sizeof(kicks_to));
	memset(events, 0, sizeof(events));
	for (unsigned v = 0; v < NVM; v++)
		for (unsigned g = 0; g < NPAGE; g++)
			ept[v][g] = 1;
	for (unsigned c = 0; c < NCPU; c++)
		cpus[c].online = true;
	hw = (struct sd_hw){ cpus, NCPU, hw_invept_single, hw_invept_all, hw_ipi, hw_kick, hw_report,
			     hw_now, hw_relax, 1000000, 3000000, 100000 };
	clock_now = 0;
}

/* CPU c makes a vCPU of vm current (under the lock, in the hypervisor). */
static void load(unsigned c, unsigned vm)
{
	on_cpu = c;
	sd_load(&hw, c, &track[vm]);
}

/* CPU c enters its guest (it polls first, as the run loop does) and
 * touches page g of the VM it has loaded: a stale translation fails. */
static void touch(unsigned c, unsigned g)
{
	unsigned vm = (unsigned)(cpus[c].cur - track);
	answer(c);
	if (tlb[c][vm][g])
		assert_int_equal(tlb[c][vm][g], ept[vm][g]);
	else
		tlb[c][vm][g] = ept[vm][g];
}

/* CPU r changes page g of vm and invalidates. */
static int change(unsigned r, unsigned vm, unsigned g)
{
	ept[vm][g]++;
	on_cpu = r;
	return sd_invalidate(&hw, r, eptp_of(vm), &track[vm]);
}

/* After an invalidation of vm returned 0, no CPU with a vCPU of vm loaded
 * holds a stale translation of it; and any CPU that holds a stale one (of
 * any VM) owes an answer, which it gives before it enters a guest again
 * (touch() checks that it never uses one). */
static void check_no_stale_where_it_runs(unsigned vm)
{
	for (unsigned c = 0; c < NCPU; c++)
		for (unsigned v = 0; v < NVM; v++)
			for (unsigned g = 0; g < NPAGE; g++)
				if (tlb[c][v][g] && tlb[c][v][g] != ept[v][g]) {
					assert_true(v != vm || cpus[c].cur != &track[v] || cpus[c].wedged);
					assert_true(cpus[c].flush_done < cpus[c].flush_req);
				}
}

/* One VM per CPU, as the scheduler places single-vCPU VMs: a COW break on
 * the VM's own CPU asks nobody; a change from another CPU (the scanner)
 * asks the VM's CPU alone. */
static void test_only_cpus_in_the_vm_are_asked(void **state)
{
	(void)state;
	reset();
	load(0, 0), touch(0, 1);
	load(1, 1), touch(1, 1);
	for (unsigned i = 0; i < 100; i++) {
		assert_int_equal(change(0, 0, i % NPAGE), 0); /* COW breaks in VM 0, on CPU 0 */
		touch(0, i % NPAGE);
	}
	assert_int_equal(cpus[0].ipis, 0);
	assert_int_equal(cpus[0].posted + cpus[0].skipped, 0);
	assert_int_equal(change(0, 1, 1), 0);  /* the scanner on CPU 0 merges in VM 1 */
	assert_int_equal(cpus[0].ipis, 1);
	assert_int_equal(ipis_to[1], 1);
	assert_int_equal(ipis_to[2] + ipis_to[3], 0);
	touch(1, 1);
	check_no_stale_where_it_runs(1);
}

/* A CPU that ran the VM and left it is not interrupted: it gets a request
 * it answers before its next entry; once it has answered, it is not asked
 * again. */
static void test_a_cpu_that_left_is_posted_then_forgotten(void **state)
{
	(void)state;
	reset();
	load(1, 0), touch(1, 3);       /* CPU 1 caches VM 0's page 3 */
	load(1, 1), touch(1, 0);       /* and moves on to VM 1 */
	load(0, 0);
	assert_int_equal(change(0, 0, 3), 0);
	assert_int_equal(ipis_to[1], 0);
	assert_int_equal(cpus[0].posted, 1);
	check_no_stale_where_it_runs(0);  /* stale on CPU 1, which owes an answer */
	load(1, 0), touch(1, 3);          /* back in VM 0: its poll flushed first */
	load(1, 1), touch(1, 0);
	assert_int_equal(change(0, 0, 3), 0); /* posted again: it cached VM 0 since */
	assert_int_equal(cpus[0].posted, 2);
	touch(1, 0);                      /* it answers (enters VM 1) */
	assert_int_equal(change(0, 0, 3), 0);
	assert_int_equal(cpus[0].skipped, 1);
	assert_int_equal(change(0, 0, 3), 0);
	assert_int_equal(cpus[0].posted + cpus[0].skipped, 3); /* its bit is gone */
	assert_int_equal(ipis_to[1], 0);
}

/* Random loads, touches, changes and idle polls: no stale translation is
 * ever used, and fewer IPIs go out than one per other CPU per change. */
static void test_random_never_stale(void **state)
{
	uint64_t rng = 0x5EED, changes = 0, ipis = 0;
	(void)state;
	reset();
	for (unsigned c = 0; c < NCPU; c++)
		load(c, c % NVM);
	for (unsigned i = 0; i < 200000; i++) {
		unsigned c, r;
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		c = (unsigned)(rng >> 33) % NCPU;
		r = (unsigned)(rng >> 40) % 10;
		if (r < 2)
			load(c, (unsigned)(rng >> 50) % NVM);
		else if (r < 6)
			touch(c, (unsigned)(rng >> 20) % NPAGE);
		else if (r < 9) {
			unsigned vm = (unsigned)(rng >> 50) % NVM;
			assert_int_equal(change(c, vm, (unsigned)(rng >> 20) % NPAGE), 0);
			changes++;
			check_no_stale_where_it_runs(vm);
		} else
			answer(c);
	}
	for (unsigned c = 0; c < NCPU; c++)
		ipis += cpus[c].ipis;
	assert_true(changes > 50000);
	assert_true(ipis < changes * (NCPU - 1));
	assert_int_equal(events[SD_KICKED] + events[SD_WEDGED], 0);
}

/* A CPU in the VM that answers no IPI is sent INIT after kick_ticks; one
 * that answers INIT ends the wait there. */
static void test_init_reaches_a_cpu_deaf_to_ipis(void **state)
{
	(void)state;
	reset();
	load(1, 0), touch(1, 2);
	deaf[1] = true;
	load(0, 1);
	assert_int_equal(change(0, 0, 2), 0);
	assert_int_equal(kicks_to[1], 1);
	assert_int_equal(events[SD_KICKED], 1);
	assert_int_equal(events[SD_WEDGED], 0);
	assert_true(cpus[0].worst_wait >= hw.kick_ticks && cpus[0].worst_wait < hw.wedge_ticks);
	deaf[1] = false;
	touch(1, 2);
}

/* One that answers nothing is given up on after wedge_ticks: -1, reported
 * once; later invalidations of that VM do not wait for it (-1 at once),
 * those of other VMs are not held up; when it answers, it counts again. */
static void test_a_silent_cpu_is_given_up_on(void **state)
{
	uint64_t t0;
	(void)state;
	reset();
	load(1, 0), touch(1, 2);
	load(2, 1), touch(2, 2);
	deaf[1] = deaf_to_init[1] = true;
	load(0, 2);
	assert_int_equal(change(0, 0, 2), -1);
	assert_int_equal(events[SD_KICKED], 1);
	assert_int_equal(events[SD_WEDGED], 1);
	assert_true(cpus[1].wedged);
	assert_true(cpus[0].worst_wait >= hw.wedge_ticks);
	t0 = clock_now;
	assert_int_equal(change(0, 0, 2), -1);
	assert_true(clock_now - t0 < hw.kick_ticks);
	assert_int_equal(events[SD_WEDGED], 1);
	assert_int_equal(change(0, 1, 2), 0); /* VM 1, on CPU 2: not held up */
	deaf[1] = deaf_to_init[1] = false;
	answer(1);                          /* it comes back and answers */
	assert_int_equal(change(0, 0, 2), 0);
	assert_int_equal(events[SD_REVIVED], 1);
	assert_false(cpus[1].wedged);
	touch(1, 2);
	check_no_stale_where_it_runs(0);
}

/* A CPU that has left the VM is never waited for, deaf or not. */
static void test_a_deaf_cpu_elsewhere_holds_nothing_up(void **state)
{
	(void)state;
	reset();
	load(1, 0), touch(1, 5);
	load(1, 1);
	deaf[1] = deaf_to_init[1] = true;
	load(0, 0);
	assert_int_equal(change(0, 0, 5), 0);
	assert_int_equal(kicks_to[1], 0);
	assert_int_equal(ipis_to[1], 0);
	assert_int_equal(cpus[0].worst_wait, 0); /* no IPI, no wait */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_cpus_in_the_vm_are_asked),
		cmocka_unit_test(test_a_cpu_that_left_is_posted_then_forgotten),
		cmocka_unit_test(test_random_never_stale),
		cmocka_unit_test(test_init_reaches_a_cpu_deaf_to_ipis),
		cmocka_unit_test(test_a_silent_cpu_is_given_up_on),
		cmocka_unit_test(test_a_deaf_cpu_elsewhere_holds_nothing_up),
	};
	return cmocka_run_group_tests_name("shootdown", tests, NULL, NULL);
}
