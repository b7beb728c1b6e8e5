// SPDX-License-Identifier: MIT
/*
 * The I/O thread.  Handlers are looked up through the epoll data pointer,
 * so dispatch costs no search.  A removed handler's registration stays
 * allocated until the I/O thread has finished the batch of events it was
 * working on: an event already fetched by epoll_wait may still name it.
 * Between batches none can, so the thread frees them there (monitor
 * clients come and go for as long as the VM runs).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvmlite/ioloop.h"
#include "kvmlite/sandbox.h"

#define IOLOOP_MAX_EVENTS 16
#define IOLOOP_SLICE_NS	100000	/* the shortest slice EEVDF grants */

struct ioloop_handler {
	int fd;
	ioloop_fn fn;
	void *opaque;
	int removed;
	struct ioloop_handler *next;
};

struct ioloop {
	int epfd;
	int stopfd;
	pthread_t thread;
	int running;
	int stopping;
	pthread_mutex_t lock;
	struct ioloop_handler *handlers;
};

static void ioloop_on_stop(void *opaque, uint32_t events)
{
	struct ioloop *loop = opaque;
	uint64_t count;

	(void)events;
	if (read(loop->stopfd, &count, sizeof(count)) > 0)
		loop->stopping = 1;
}

struct ioloop *ioloop_new(void)
{
	struct ioloop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = -1;
	loop->stopfd = -1;
	pthread_mutex_init(&loop->lock, NULL);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epfd < 0 || loop->stopfd < 0 ||
	    ioloop_add(loop, loop->stopfd, EPOLLIN, ioloop_on_stop, loop)) {
		ioloop_free(loop);
		return NULL;
	}
	return loop;
}

static struct ioloop_handler *ioloop_find(struct ioloop *loop, int fd)
{
	struct ioloop_handler *h;

	for (h = loop->handlers; h; h = h->next)
		if (h->fd == fd && !h->removed)
			return h;
	return NULL;
}

int ioloop_add(struct ioloop *loop, int fd, uint32_t events, ioloop_fn fn,
	       void *opaque)
{
	struct ioloop_handler *h = calloc(1, sizeof(*h));
	struct epoll_event ev = { .events = events };
	int ret;

	if (!h)
		return -1;
	h->fd = fd;
	h->fn = fn;
	h->opaque = opaque;
	ev.data.ptr = h;
	pthread_mutex_lock(&loop->lock);
	ret = epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
	if (ret == 0) {
		h->next = loop->handlers;
		loop->handlers = h;
	}
	pthread_mutex_unlock(&loop->lock);
	if (ret)
		free(h);
	return ret;
}

int ioloop_modify(struct ioloop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	struct ioloop_handler *h;
	int ret = -1;

	pthread_mutex_lock(&loop->lock);
	h = ioloop_find(loop, fd);
	if (h) {
		ev.data.ptr = h;
		ret = epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev);
	} else {
		errno = ENOENT;
	}
	pthread_mutex_unlock(&loop->lock);
	return ret;
}

void ioloop_remove(struct ioloop *loop, int fd)
{
	struct ioloop_handler *h;

	pthread_mutex_lock(&loop->lock);
	h = ioloop_find(loop, fd);
	if (h) {
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
		h->removed = 1;
	}
	pthread_mutex_unlock(&loop->lock);
}

/*
 * Asks for a short scheduler slice (Linux 6.12 and later; older kernels
 * ignore it): each handler runs briefly, and a short slice means an early
 * deadline, so a wake-up preempts a vCPU thread busy in the guest instead
 * of waiting for its slice to end.  Monitor round trips and timer ticks
 * under load depend on it.  Needs no privilege; the nice value stays.
 */
static void ioloop_short_slice(void)
{
	/* sched_attr as sched_setattr(2) has it (<linux/sched/types.h>
	 * cannot be included along with glibc's <sched.h>). */
	struct {
		uint32_t size;
		uint32_t sched_policy;
		uint64_t sched_flags;
		int32_t sched_nice;
		uint32_t sched_priority;
		uint64_t sched_runtime;
		uint64_t sched_deadline;
		uint64_t sched_period;
	} attr = {
		.size = sizeof(attr),
		.sched_policy = SCHED_OTHER,
		.sched_runtime = IOLOOP_SLICE_NS,
	};

	errno = 0;
	attr.sched_nice = getpriority(PRIO_PROCESS, 0);
	if (!errno)
		syscall(SYS_sched_setattr, 0, &attr, 0);
}

/* Between two batches of events, on the I/O thread. */
static void ioloop_sweep(struct ioloop *loop)
{
	struct ioloop_handler **p, *h;

	pthread_mutex_lock(&loop->lock);
	for (p = &loop->handlers; (h = *p);) {
		if (h->removed) {
			*p = h->next;
			free(h);
		} else {
			p = &h->next;
		}
	}
	pthread_mutex_unlock(&loop->lock);
}

static void *ioloop_thread(void *opaque)
{
	struct ioloop *loop = opaque;
	struct epoll_event events[IOLOOP_MAX_EVENTS];
	int i, n;

	/* By itself: naming another thread needs /proc, gone after -chroot. */
	pthread_setname_np(pthread_self(), "io");
	ioloop_short_slice();
	sandbox_enter(SANDBOX_IO);
	while (!loop->stopping) {
		n = epoll_wait(loop->epfd, events, IOLOOP_MAX_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			struct ioloop_handler *h = events[i].data.ptr;

			if (!__atomic_load_n(&h->removed, __ATOMIC_ACQUIRE))
				h->fn(h->opaque, events[i].events);
		}
		ioloop_sweep(loop);
	}
	return NULL;
}

int ioloop_start(struct ioloop *loop)
{
	if (pthread_create(&loop->thread, NULL, ioloop_thread, loop))
		return -1;
	loop->running = 1;
	return 0;
}

void ioloop_stop(struct ioloop *loop)
{
	uint64_t one = 1;

	if (!loop->running)
		return;
	if (write(loop->stopfd, &one, sizeof(one)) != sizeof(one))
		return;
	pthread_join(loop->thread, NULL);
	loop->running = 0;
}

void ioloop_free(struct ioloop *loop)
{
	struct ioloop_handler *h, *next;

	if (!loop)
		return;
	ioloop_stop(loop);
	for (h = loop->handlers; h; h = next) {
		next = h->next;
		free(h);
	}
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->stopfd >= 0)
		close(loop->stopfd);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}

int ioloop_pin(struct ioloop *loop, int cpu)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	return pthread_setaffinity_np(loop->thread, sizeof(cpus), &cpus);
}
