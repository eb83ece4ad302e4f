/*
 * callgrind_marks.h - callgrind's client requests for the host tools:
 * under callgrind (make bench), only what a tool brackets with
 * CALLGRIND_TOGGLE_COLLECT is counted, and CALLGRIND_DUMP_STATS_AT writes
 * one dump named by its argument; without valgrind's header they do
 * nothing.  DEDUPSIM_CALLGRIND is the Makefile's: 1 when the header is there.
 */
#ifndef TOOLS_CALLGRIND_MARKS_H
#define TOOLS_CALLGRIND_MARKS_H

#if defined(DEDUPSIM_CALLGRIND) && DEDUPSIM_CALLGRIND
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#else
#define HAVE_CALLGRIND 0
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(what) ((void)(what))
#endif

#endif
