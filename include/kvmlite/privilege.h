/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_PRIVILEGE_H
#define KVMLITE_PRIVILEGE_H

#include <stddef.h>

struct config;

/*
 * -chroot, then -runas (src/core/privilege.c): once every host resource
 * is open, before the sandbox.  0, or -1 with QEMU's message in @err.
 */
int privileges_drop(const struct config *cfg, char *err, size_t errlen);

#endif
