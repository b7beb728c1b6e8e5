// SPDX-License-Identifier: MIT
/*
 * The qcow2 block driver: requests run on worker threads through the
 * synchronous qcow2 engine (src/block/qcow2_*.c), which lets several run
 * at once; finished ones are handed back through a list and the image's
 * eventfd, and completed by block_reap() on the owner's thread.  Reads
 * that the cached metadata maps at once skip the workers (qcow2_drv_readv).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/qcow2.h"
#include "kvmlite/sandbox.h"
#include "block_priv.h"
#include "qcow2_priv.h"

#define WORKERS_MAX	16

struct qcow2_driver {
	struct qcow2 *q;
	int efd;
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct block_request *queue, *queue_tail;
	struct block_request *done;	/* newest first */
	unsigned int nr_threads;
	unsigned int max_threads;
	unsigned int idle;
	bool stopping;
	pthread_t threads[WORKERS_MAX];
};

static bool qcow2_probe(const uint8_t *buf, size_t len)
{
	return image_probe_qcow2(buf, len);
}

static int run_request(struct qcow2 *q, struct block_request *req)
{
	switch (req->op) {
	case BLOCK_OP_READ:
		return qcow2_readv(q, req->offset, req->iov, req->iovcnt);
	case BLOCK_OP_WRITE:
		return qcow2_writev(q, req->offset, req->iov, req->iovcnt);
	case BLOCK_OP_FLUSH:
		return qcow2_flush(q);
	case BLOCK_OP_DISCARD:
		return qcow2_discard(q, req->offset, req->len);
	case BLOCK_OP_WRITE_ZEROES:
		return qcow2_write_zeroes(q, req->offset, req->len,
					  req->may_unmap);
	}
	return -EINVAL;
}

/* Called with the lock held; NULL once the driver stops. */
static struct block_request *next_request(struct qcow2_driver *d)
{
	struct block_request *req;

	while (!d->queue && !d->stopping) {
		d->idle++;
		pthread_cond_wait(&d->work, &d->lock);
		d->idle--;
	}
	req = d->queue;
	if (req) {
		d->queue = req->next;
		if (!d->queue)
			d->queue_tail = NULL;
	}
	return req;
}

static void *worker(void *opaque)
{
	struct qcow2_driver *d = opaque;
	struct block_request *req;

	pthread_mutex_lock(&d->lock);
	while ((req = next_request(d))) {
		pthread_mutex_unlock(&d->lock);
		/* A worker from before the sandbox was armed enters it here. */
		sandbox_enter(SANDBOX_BLOCK);
		req->ret = run_request(d->q, req);
		pthread_mutex_lock(&d->lock);
		req->next = d->done;
		d->done = req;
		engine_signal(d->efd);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* Workers block no signal the VMM handles elsewhere. */
static int start_worker(struct qcow2_driver *d)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&d->threads[d->nr_threads], NULL, worker, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ret)
		d->nr_threads++;
	return ret;
}

static void queue_request(struct block *bs, struct block_request *req)
{
	struct qcow2_driver *d = bs->drv_state;

	req->next = NULL;
	pthread_mutex_lock(&d->lock);
	if (d->queue_tail)
		d->queue_tail->next = req;
	else
		d->queue = req;
	d->queue_tail = req;
	if (!d->idle && d->nr_threads < d->max_threads)
		start_worker(d);
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->lock);
}

/*
 * A read the cached metadata maps to one run of the file goes there from
 * the owner's thread, as a raw image's would: the worker's hand-offs are
 * for what needs the lock, metadata I/O, or more than one host range.
 */
static void qcow2_drv_readv(struct block *bs, struct block_request *req)
{
	struct qcow2_driver *d = bs->drv_state;
	uint64_t host;

	if (qcow2_read_extent(d->q, req->offset, req->len, &host))
		queue_request(bs, req);
	else
		block_request_to_file(bs, req, BLOCK_OP_READ, host);
}

static void qcow2_reap(struct block *bs)
{
	struct qcow2_driver *d = bs->drv_state;
	struct block_request *list, *fifo = NULL, *next;

	pthread_mutex_lock(&d->lock);
	list = d->done;
	d->done = NULL;
	pthread_mutex_unlock(&d->lock);
	for (; list; list = next) {
		next = list->next;
		list->next = fifo;
		fifo = list;
	}
	for (; fifo; fifo = next) {
		next = fifo->next;
		block_request_complete(fifo, fifo->ret);
	}
}

static void stop_workers(struct qcow2_driver *d)
{
	unsigned int i;

	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_broadcast(&d->work);
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < d->nr_threads; i++)
		pthread_join(d->threads[i], NULL);
}

/*
 * Through the page cache a worker's I/O is the kernel copying, and a file's
 * buffered writes take its inode lock one at a time, so workers beyond the
 * CPUs kvmlite may run on only contend (on 2 CPUs, 1 MiB writes into new
 * clusters went from 3.0 to 4.2 GB/s with 2 workers instead of 16).  With
 * O_DIRECT a worker waits for the device, and more of them keep more in
 * flight.
 */
static unsigned int max_workers(const struct qcow2_open_opts *o)
{
	unsigned int n;
	cpu_set_t cpus;

	if (o->direct || sched_getaffinity(0, sizeof(cpus), &cpus))
		return WORKERS_MAX;
	n = CPU_COUNT(&cpus);
	return n < 2 ? 2 : n > WORKERS_MAX ? WORKERS_MAX : n;
}

static int qcow2_drv_open(struct block *bs, char *err, size_t errlen)
{
	struct qcow2_open_opts o = {
		.filename = bs->opts.filename,
		.fd = bs->file.fd,
		.read_only = bs->opts.read_only,
		.direct = bs->file.direct,
		.align = bs->file.req_align,
		.l2_cache_size = bs->opts.l2_cache_size,
		.refcount_cache_size = bs->opts.refcount_cache_size,
		.policy = bs->policy,
		.probed = bs->probed,
	};
	struct qcow2_driver *d = calloc(1, sizeof(*d));

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (qcow2_open(&o, &d->q, err, errlen)) {
		free(d);
		return -1;
	}
	d->efd = bs->efd;
	d->max_threads = max_workers(&o);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->work, NULL);
	bs->drv_state = d;
	return 0;
}

static void qcow2_drv_close(struct block *bs)
{
	struct qcow2_driver *d = bs->drv_state;

	stop_workers(d);
	qcow2_close(d->q);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->work);
	free(d);
	bs->drv_state = NULL;
}

static uint64_t qcow2_drv_length(struct block *bs)
{
	struct qcow2_driver *d = bs->drv_state;

	return qcow2_size(d->q);
}

const struct block_driver block_qcow2_driver = {
	.format = "qcow2",
	.probe = qcow2_probe,
	.open = qcow2_drv_open,
	.close = qcow2_drv_close,
	.length = qcow2_drv_length,
	.readv = qcow2_drv_readv,
	.writev = queue_request,
	.flush = queue_request,
	.discard = queue_request,
	.write_zeroes = queue_request,
	.reap = qcow2_reap,
};
