/*
 * test_support.h - what the hypervisor does only for its test guests.
 *
 * Named apart so that it is plain which parts of the product exist for
 * testing: the memtest recipe handed to a guest through its parameter page
 * (guests/memtest.c reads it) and the corrupt= fault injector that proves
 * the memtest oracle catches a single flipped bit (tests/system).
 */
#ifndef KERNEL_TEST_SUPPORT_H
#define KERNEL_TEST_SUPPORT_H

#include "guest_abi.h"
#include "vm.h"

/* The parameter page of VM id: its size and the recipe of config cfg. */
void test_support_params(struct guest_params *gp, const struct vm_config *cfg, unsigned id,
			 uint64_t npages);

/* Called when vCPU index of vm reports round `round`: the corrupt= test
 * flips one bit of one data page after round 1 (in this VM's view only). */
void test_support_after_round(struct vm *vm, unsigned index, uint32_t round);

#endif
