/*
 * test_support.c - the memtest recipe and the corrupt= fault injector
 * (see test_support.h).  Nothing here runs unless a config asks for it.
 */
#include <stdio.h>

#include "test_support.h"

void test_support_params(struct guest_params *gp, const struct vm_config *cfg, unsigned id,
			 uint64_t npages)
{
	*gp = (struct guest_params){
		.magic = GUEST_PARAMS_MAGIC, .vm_id = id, .ram_pages = (uint32_t)npages,
		.seed = cfg->seed ? cfg->seed : GUEST_DEFAULT_SEED(id), .shared_seed = GUEST_SHARED_SEED,
		.rounds = cfg->rounds ? cfg->rounds : GUEST_DEFAULT_ROUNDS, .inter = cfg->inter, .dup = cfg->dup,
		.zero = cfg->zero, .unique = cfg->unique, .ws = cfg->ws,
	};
}

void test_support_after_round(struct vm *vm, unsigned index, uint32_t round)
{
	uint64_t gpa;
	uint8_t *p;

	if (round != 1 || !vm->cfg->corrupt || index != 0)
		return;
	/* One byte of one data page; vm_gpa_ptr breaks COW first, so only
	 * this VM's copy changes. */
	gpa = GUEST_DATA_GPA + (uint64_t)(vm->cfg->corrupt - 1) * 4096 + 1234;
	p = vm_gpa_ptr(vm, gpa, 1, true);
	if (!p) {
		vm_note(vm, "vm %s: corrupt=%u lies outside its RAM", vm->name, vm->cfg->corrupt);
		return;
	}
	*p ^= 0x40;
	vm_note(vm, "vm %s: test: flipped one bit of the byte at guest-physical 0x%lx", vm->name, gpa);
}
