/*
 * dashboard.h - the dashboard page (api/dashboard.html), embedded in the
 * hypervisor's image at build time: the Makefile turns the file into a C
 * array with xxd -i ($(B)/generated/dashboard_html.c).  GET / serves it.
 */
#ifndef API_DASHBOARD_H
#define API_DASHBOARD_H

extern const unsigned char dashboard_html[];
extern const unsigned int dashboard_html_len;

#endif
