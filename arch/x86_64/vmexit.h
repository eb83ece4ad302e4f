/* vmexit.h - VM-exit dispatch (see vmexit.c). */
#ifndef ARCH_VMEXIT_H
#define ARCH_VMEXIT_H
#include "../../kernel/vm.h"
enum exit_action { EXIT_RESUME, EXIT_YIELD };
enum exit_action vmexit_dispatch(struct vcpu *v, unsigned reason);
#endif
