/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_MONITOR_H
#define KVMLITE_MONITOR_H

#include <stddef.h>

/*
 * The human monitor (HMP) and QMP, as -monitor, -qmp and -nographic ask
 * for them.  Every monitor connection is served on the I/O thread; the
 * commands are src/monitor/commands.c's, shared by both protocols, and
 * the machine's events (src/core/lifecycle.c) reach every QMP client.
 */
struct machine;
struct monitor;

/*
 * Opens the configured monitors on a machine that is set up but not yet
 * running (servers listen at once; wait=on blocks here until the first
 * client).  NULL with one line in @err if one cannot be opened.
 */
struct monitor *monitor_new(struct machine *m, char *err, size_t errlen);

/*
 * With the I/O thread stopped: sends what is still queued (giving slow
 * clients a moment), then closes every connection and server.  NULL is
 * a no-op.
 */
void monitor_close(struct monitor *mon);

#endif
