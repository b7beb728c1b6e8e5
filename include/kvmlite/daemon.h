/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_DAEMON_H
#define KVMLITE_DAEMON_H

#include <stddef.h>

/*
 * -daemonize: forks into the background before anything is set up (a KVM
 * VM belongs to the process that made it).  The original process stays
 * until the daemon reports and exits 0 only if setup succeeded; returns
 * in the daemon only, with the fd to report on, or -1 if it cannot fork.
 */
int daemon_begin(char *err, size_t errlen);
/* Setup done: stdio to /dev/null, and the waiting parent exits 0. */
void daemon_ready(int fd);

/*
 * -pidfile: creates @path holding "<pid>\n" and keeps it locked for the
 * life of the process, so a second kvmlite with the same file fails; the
 * file is removed at exit.  -1 with QEMU's message in @err.
 */
int pidfile_create(const char *path, char *err, size_t errlen);

#endif
