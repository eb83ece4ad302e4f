/*
 * api_vm.h - the API's VM actions and memory image (api_vm.c); the
 * endpoints of api_serve.c call them with the route's VM name.
 */
#ifndef KERNEL_API_VM_H
#define KERNEL_API_VM_H

#include "http_server.h"

/* POST /api/vms/NAME/pause, /resume: 200 with the VM's paused state. */
void api_vm_pause(const char *name, struct http_answer *a);
void api_vm_resume(const char *name, struct http_answer *a);
/* POST /api/vms/NAME/stop: 202. */
void api_vm_stop(const char *name, struct http_answer *a);
/* GET /api/vms/NAME/memory: the VM's RAM as a raw image, streamed. */
void api_vm_memory(const char *name, struct http_answer *a);

#endif
