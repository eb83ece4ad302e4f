/* console.h - the operator's console on COM1 (see console.c). */
#ifndef CONTROL_CONSOLE_H
#define CONTROL_CONSOLE_H
/* Reads what waits on COM1 and runs each complete line (never blocks). */
void console_poll(void);
/* Runs one command line (what console_poll does per line). */
void console_run(const char *line);
#endif
