/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_IOLOOP_H
#define KVMLITE_IOLOOP_H

#include <stdint.h>

/*
 * The I/O thread: one epoll loop serving every host file descriptor that
 * feeds the guest (console input, sockets, timers), so that no vCPU thread
 * ever blocks on host I/O.  Handlers run on the I/O thread.
 */
typedef void (*ioloop_fn)(void *opaque, uint32_t events);

struct ioloop;

struct ioloop *ioloop_new(void);
/* @events is an EPOLLIN/EPOLLOUT mask; returns 0 or -1 with errno set. */
int ioloop_add(struct ioloop *loop, int fd, uint32_t events, ioloop_fn fn,
	       void *opaque);
int ioloop_modify(struct ioloop *loop, int fd, uint32_t events);
void ioloop_remove(struct ioloop *loop, int fd);
int ioloop_start(struct ioloop *loop);
/* Pins the running I/O thread to host CPU @cpu (-pin-io). */
int ioloop_pin(struct ioloop *loop, int cpu);
void ioloop_stop(struct ioloop *loop);
void ioloop_free(struct ioloop *loop);

#endif
