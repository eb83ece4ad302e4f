/*
 * api_console.h - a VM's serial console over the API (api_console.c); the
 * endpoints of api_serve.c call them with the route's VM name.
 */
#ifndef CONTROL_API_CONSOLE_H
#define CONTROL_API_CONSOLE_H

#include "http_server.h"

/* GET /api/vms/NAME/console: the last bytes the VM wrote, raw. */
void api_vm_console_get(const char *name, struct http_answer *a);
/* POST /api/vms/NAME/console (token): the body typed to the VM. */
void api_vm_console_type(const char *name, const struct http_request *req, struct http_answer *a);

#endif
