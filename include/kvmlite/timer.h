/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_TIMER_H
#define KVMLITE_TIMER_H

#include <stdint.h>

struct ioloop;

/*
 * A one-shot host timer on CLOCK_MONOTONIC, served by the I/O thread
 * through a timerfd: device models arm it for their next event (a PIT
 * OUT edge, an RTC tick) and re-arm it from the callback.
 */
typedef void (*timer_fn)(void *opaque);

struct timer;

struct timer *timer_new(struct ioloop *loop, timer_fn fn, void *opaque);
void timer_free(struct timer *timer);
/* Fires once at @deadline_ns (CLOCK_MONOTONIC); replaces any earlier arm. */
int timer_arm(struct timer *timer, uint64_t deadline_ns);
void timer_cancel(struct timer *timer);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t clock_now_ns(void);

#endif
