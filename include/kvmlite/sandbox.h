/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_SANDBOX_H
#define KVMLITE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The seccomp sandbox (src/core/sandbox.c): each thread, by what it
 * does, gets an allow-list of system calls; anything else kills the
 * whole process.  The lists are documented in README.md ("Sandbox").
 */
enum sandbox_role {
	SANDBOX_MAIN,		/* resets, then the way out */
	SANDBOX_VCPU,		/* KVM_RUN and the devices it exits to */
	SANDBOX_IO,		/* the I/O thread: chardevs, monitor, TAP */
	SANDBOX_BLOCK,		/* virtio-blk threads and block workers */
	SANDBOX_NR_ROLES,
};

/*
 * From now on, sandbox_enter() installs filters.  Called once, after
 * every host resource is open and before the threads that run the
 * guest start (they enter their roles as they start).
 */
void sandbox_arm(void);
bool sandbox_armed(void);

/*
 * Puts the calling thread under @role's filter, once per thread, if the
 * sandbox is armed; a thread started earlier calls it again before its
 * first piece of guest-driven work.  A filter that cannot be installed
 * ends kvmlite: running unconfined is not an option.
 */
void sandbox_enter(enum sandbox_role role);

/* Installs @role's filter now, armed or not (the unit test's way in). */
int sandbox_install(enum sandbox_role role);

const char *sandbox_role_name(enum sandbox_role role);

#endif
