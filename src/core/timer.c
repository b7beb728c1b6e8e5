// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "kvmlite/ioloop.h"
#include "kvmlite/timer.h"

struct timer {
	struct ioloop *loop;
	int fd;
	timer_fn fn;
	void *opaque;
};

uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void timer_expired(void *opaque, uint32_t events)
{
	struct timer *timer = opaque;
	uint64_t count;

	(void)events;
	if (read(timer->fd, &count, sizeof(count)) == sizeof(count))
		timer->fn(timer->opaque);
}

struct timer *timer_new(struct ioloop *loop, timer_fn fn, void *opaque)
{
	struct timer *timer = calloc(1, sizeof(*timer));

	if (!timer)
		return NULL;
	timer->loop = loop;
	timer->fn = fn;
	timer->opaque = opaque;
	timer->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timer->fd < 0 ||
	    ioloop_add(loop, timer->fd, EPOLLIN, timer_expired, timer)) {
		if (timer->fd >= 0)
			close(timer->fd);
		free(timer);
		return NULL;
	}
	return timer;
}

void timer_free(struct timer *timer)
{
	if (!timer)
		return;
	ioloop_remove(timer->loop, timer->fd);
	close(timer->fd);
	free(timer);
}

int timer_arm(struct timer *timer, uint64_t deadline_ns)
{
	struct itimerspec its = { 0 };

	/* An all-zero it_value disarms; a deadline in the past fires now. */
	if (deadline_ns == 0)
		deadline_ns = 1;
	its.it_value.tv_sec = deadline_ns / 1000000000ULL;
	its.it_value.tv_nsec = deadline_ns % 1000000000ULL;
	return timerfd_settime(timer->fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void timer_cancel(struct timer *timer)
{
	struct itimerspec its = { 0 };

	timerfd_settime(timer->fd, TFD_TIMER_ABSTIME, &its, NULL);
}
