// SPDX-License-Identifier: MIT
/*
 * The thread-pool engine, for kernels without a usable io_uring: workers
 * run preadv, pwritev, fdatasync and fallocate and hand the results back
 * through a list and the image's eventfd.  Workers are started as the
 * queue needs them, up to THREADS_MAX, and live until the image closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kvmlite/sandbox.h"
#include "block_priv.h"

#define THREADS_MAX	64

struct threads_engine {
	struct block_engine base;
	int efd;
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct block_io *queue, *queue_tail;	/* waiting for a worker */
	struct block_io *done;			/* finished, newest first */
	unsigned int nr_queued;
	unsigned int nr_threads;
	unsigned int idle;
	bool stopping;
	pthread_t threads[THREADS_MAX];
};

static int64_t threads_run(const struct block_io *io)
{
	ssize_t ret = -1;

	switch (io->cmd) {
	case BLOCK_IO_READV:
		ret = preadv(io->fd, io->iov, io->iovcnt, io->offset);
		break;
	case BLOCK_IO_WRITEV:
		ret = pwritev(io->fd, io->iov, io->iovcnt, io->offset);
		break;
	case BLOCK_IO_FDATASYNC:
		ret = fdatasync(io->fd);
		break;
	case BLOCK_IO_FALLOCATE:
		ret = fallocate(io->fd, io->mode, io->offset, io->len);
		break;
	}
	return ret < 0 ? -errno : ret;
}

/* Called with the lock held; NULL once the engine stops. */
static struct block_io *threads_next(struct threads_engine *t)
{
	struct block_io *io;

	while (!t->queue && !t->stopping) {
		t->idle++;
		pthread_cond_wait(&t->work, &t->lock);
		t->idle--;
	}
	io = t->queue;
	if (io) {
		t->nr_queued--;
		t->queue = io->next;
		if (!t->queue)
			t->queue_tail = NULL;
	}
	return io;
}

static void *threads_worker(void *opaque)
{
	struct threads_engine *t = opaque;
	struct block_io *io;

	pthread_setname_np(pthread_self(), "worker");
	pthread_mutex_lock(&t->lock);
	while ((io = threads_next(t))) {
		pthread_mutex_unlock(&t->lock);
		/* A worker from before the sandbox was armed enters it here. */
		sandbox_enter(SANDBOX_BLOCK);
		io->res = threads_run(io);
		pthread_mutex_lock(&t->lock);
		io->next = t->done;
		t->done = io;
		engine_signal(t->efd);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* Workers take no signals: those are for the main thread and the vCPUs. */
static void threads_spawn(struct threads_engine *t)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!pthread_create(&t->threads[t->nr_threads], NULL, threads_worker,
			    t))
		t->nr_threads++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void threads_submit(struct block_engine *e, struct block_io *io)
{
	struct threads_engine *t = container_of(e, struct threads_engine,
						base);

	io->next = NULL;
	pthread_mutex_lock(&t->lock);
	if (t->queue_tail)
		t->queue_tail->next = io;
	else
		t->queue = io;
	t->queue_tail = io;
	if (++t->nr_queued > t->idle && t->nr_threads < THREADS_MAX)
		threads_spawn(t);
	pthread_cond_signal(&t->work);
	pthread_mutex_unlock(&t->lock);
}

/* The done list is newest first: reverse it to complete in order. */
static void threads_reap(struct block_engine *e)
{
	struct threads_engine *t = container_of(e, struct threads_engine,
						base);
	struct block_io *list, *io, *ordered = NULL;

	pthread_mutex_lock(&t->lock);
	list = t->done;
	t->done = NULL;
	pthread_mutex_unlock(&t->lock);
	while (list) {
		io = list;
		list = io->next;
		io->next = ordered;
		ordered = io;
	}
	while (ordered) {
		io = ordered;
		ordered = io->next;
		io->complete(io);
	}
}

static void threads_free(struct block_engine *e)
{
	struct threads_engine *t = container_of(e, struct threads_engine,
						base);
	unsigned int i;

	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_broadcast(&t->work);
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < t->nr_threads; i++)
		pthread_join(t->threads[i], NULL);
	pthread_cond_destroy(&t->work);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static const struct block_engine_ops threads_ops = {
	.name = "threads",
	.submit = threads_submit,
	.reap = threads_reap,
	.free = threads_free,
};

struct block_engine *threads_engine_new(int efd, char *err, size_t errlen)
{
	struct threads_engine *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->base.ops = &threads_ops;
	t->efd = efd;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->work, NULL);
	return &t->base;
}
