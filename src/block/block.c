// SPDX-License-Identifier: MIT
/*
 * The generic block layer: options, probing, and the request path common
 * to every format.  Requests are checked here (range, alignment, a
 * read-only image), QEMU's cache and discard policies applied (unsafe
 * drops FLUSH, writethrough adds one after each write, discard=ignore
 * drops DISCARD), and only then handed to the format driver.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmlite/backing_policy.h"
#include "kvmlite/iov.h"
#include "block_priv.h"

enum request_stage {
	STAGE_MAIN,	/* the operation asked for */
	STAGE_FLUSH,	/* writethrough's flush after a write */
};

static const struct block_driver *const drivers[] = {
	&block_raw_driver,
	&block_qcow2_driver,
};

#define NR_DRIVERS	(sizeof(drivers) / sizeof(drivers[0]))

/* --- options ------------------------------------------------------------- */

struct name_value {
	const char *name;
	int value;
};

static int lookup(const struct name_value *table, size_t n, const char *name,
		  int *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(table[i].name, name)) {
			*out = table[i].value;
			return 0;
		}
	}
	return -1;
}

#define LOOKUP(table, name, out)					\
	lookup(table, sizeof(table) / sizeof(table[0]), name, out)

int block_parse_cache(const char *name, enum block_cache *out)
{
	static const struct name_value modes[] = {
		{ "writeback", BLOCK_CACHE_WRITEBACK },
		{ "none", BLOCK_CACHE_NONE },
		{ "off", BLOCK_CACHE_NONE },
		{ "writethrough", BLOCK_CACHE_WRITETHROUGH },
		{ "directsync", BLOCK_CACHE_DIRECTSYNC },
		{ "unsafe", BLOCK_CACHE_UNSAFE },
	};
	int v;

	if (LOOKUP(modes, name, &v))
		return -1;
	*out = v;
	return 0;
}

int block_parse_aio(const char *name, enum block_aio *out)
{
	static const struct name_value engines[] = {
		{ "threads", BLOCK_AIO_THREADS },
		{ "io_uring", BLOCK_AIO_IO_URING },
		{ "native", BLOCK_AIO_NATIVE },
	};
	int v;

	if (LOOKUP(engines, name, &v))
		return -1;
	*out = v;
	return 0;
}

int block_parse_discard(const char *name, enum block_discard *out)
{
	static const struct name_value modes[] = {
		{ "ignore", BLOCK_DISCARD_IGNORE },
		{ "off", BLOCK_DISCARD_IGNORE },
		{ "unmap", BLOCK_DISCARD_UNMAP },
		{ "on", BLOCK_DISCARD_UNMAP },
	};
	int v;

	if (LOOKUP(modes, name, &v))
		return -1;
	*out = v;
	return 0;
}

bool block_cache_direct(enum block_cache cache)
{
	return cache == BLOCK_CACHE_NONE || cache == BLOCK_CACHE_DIRECTSYNC;
}

const char *block_options_conflict(const struct block_options *o)
{
	if (o->aio == BLOCK_AIO_NATIVE && !block_cache_direct(o->cache))
		return "aio=native was specified, but it requires cache.direct=on, which was not specified.";
	return NULL;
}

/* --- opening ------------------------------------------------------------- */

const struct block_driver *block_probe(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < NR_DRIVERS; i++)
		if (drivers[i]->probe && drivers[i]->probe(buf, len))
			return drivers[i];
	return NULL;
}

static const struct block_driver *find_driver(const char *format)
{
	size_t i;

	for (i = 0; i < NR_DRIVERS; i++)
		if (!strcmp(drivers[i]->format, format))
			return drivers[i];
	return NULL;
}

bool block_format_known(const char *format)
{
	return find_driver(format) != NULL;
}

static void warn_probed_raw(const char *path)
{
	fprintf(stderr,
		"WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
		"         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n"
		"         Specify the 'raw' format explicitly to remove the restrictions.\n",
		path);
}

static int choose_driver(struct block *bs, char *err, size_t errlen)
{
	uint8_t head[BLOCK_PROBE_SIZE];
	int n;

	if (bs->opts.format) {
		bs->drv = find_driver(bs->opts.format);
		return 0;
	}
	n = block_file_read_head(&bs->file, head, sizeof(head));
	if (n < 0) {
		snprintf(err, errlen, "Could not read image for determining its format: %s",
			 strerror(-n));
		return -1;
	}
	bs->probed = true;
	bs->drv = block_probe(head, n);
	if (!bs->drv)
		bs->drv = &block_raw_driver;
	if (bs->drv == &block_raw_driver && !bs->opts.read_only)
		warn_probed_raw(bs->opts.filename);
	return 0;
}

static int open_engine(struct block *bs, char *err, size_t errlen)
{
	enum block_aio aio = bs->opts.aio;
	char why[256];

	if (aio == BLOCK_AIO_THREADS) {
		bs->engine = threads_engine_new(bs->efd, err, errlen);
		return bs->engine ? 0 : -1;
	}
	bs->engine = uring_engine_new(bs->efd, why, sizeof(why));
	if (!bs->engine && aio == BLOCK_AIO_AUTO)
		bs->engine = threads_engine_new(bs->efd, why, sizeof(why));
	if (bs->engine)
		return 0;
	snprintf(err, errlen, "Unable to use %s: %s",
		 aio == BLOCK_AIO_NATIVE ? "native AIO" : "io_uring", why);
	return -1;
}

static void block_free(struct block *bs)
{
	if (bs->engine)
		bs->engine->ops->free(bs->engine);
	block_file_close(&bs->file);
	block_file_close(&bs->under);
	backing_policy_free(bs->policy);
	if (bs->efd >= 0)
		close(bs->efd);
	free((char *)bs->opts.filename);
	free(bs);
}

struct block *block_open_image(const struct block_options *o,
			       struct backing_policy *policy, char *err,
			       size_t errlen)
{
	struct block *bs = calloc(1, sizeof(*bs));

	if (!bs) {
		snprintf(err, errlen, "out of memory");
		backing_policy_free(policy);
		return NULL;
	}
	bs->policy = policy;
	bs->opts = *o;
	bs->opts.filename = strdup(o->filename);
	bs->file.fd = -1;
	bs->under.fd = -1;
	bs->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!bs->opts.filename || bs->efd < 0) {
		snprintf(err, errlen, "out of memory");
		block_free(bs);
		return NULL;
	}
	if (block_file_open(&bs->file, o->filename, o->read_only,
			    block_cache_direct(o->cache), err, errlen) ||
	    choose_driver(bs, err, errlen) ||
	    open_engine(bs, err, errlen)) {
		block_free(bs);
		return NULL;
	}
	bs->file.engine = bs->engine;
	bs->opts.format = bs->drv->format;
	if (bs->drv->open && bs->drv->open(bs, err, errlen)) {
		block_free(bs);
		return NULL;
	}
	bs->length = bs->drv->length(bs);
	return bs;
}

struct block *block_open(const struct block_options *o, char *err,
			 size_t errlen)
{
	const char *conflict = block_options_conflict(o);
	struct backing_policy *policy;

	if (conflict) {
		snprintf(err, errlen, "%s", conflict);
		return NULL;
	}
	if (o->format && !find_driver(o->format)) {
		snprintf(err, errlen, "Unknown driver '%s'", o->format);
		return NULL;
	}
	policy = backing_policy_new(o->filename, o->backing_dirs, err, errlen);
	if (!policy)
		return NULL;
	if (o->snapshot)
		return block_open_overlay(o, policy, err, errlen);
	return block_open_image(o, policy, err, errlen);
}

int block_lock(struct block *bs, char *err, size_t errlen)
{
	if (bs->under.fd >= 0 &&
	    block_file_lock(&bs->under, bs->opts.filename, err, errlen))
		return -1;
	return block_file_lock(&bs->file, bs->opts.filename, err, errlen);
}

static void ignore_result(struct block_request *req, int ret)
{
	(void)req;
	(void)ret;
}

void block_close(struct block *bs)
{
	struct block_request flush = {
		.op = BLOCK_OP_FLUSH,
		.done = ignore_result,
	};

	if (!bs)
		return;
	block_drain(bs);
	if (!bs->opts.read_only && bs->opts.cache != BLOCK_CACHE_UNSAFE) {
		block_submit(bs, &flush);
		block_drain(bs);
	}
	if (bs->drv->close)
		bs->drv->close(bs);
	block_free(bs);
}

/* --- properties ---------------------------------------------------------- */

const char *block_format(const struct block *bs)
{
	return bs->drv->format;
}

const char *block_filename(const struct block *bs)
{
	return bs->opts.filename;
}

enum block_cache block_cache_mode(const struct block *bs)
{
	return bs->opts.cache;
}

int64_t block_allocated_size(const struct block *bs)
{
	struct stat st;

	if (fstat(bs->file.fd, &st))
		return -1;
	return (int64_t)st.st_blocks * 512;
}

const char *block_engine_name(const struct block *bs)
{
	return bs->engine->ops->name;
}

uint64_t block_length(const struct block *bs)
{
	return bs->length;
}

bool block_read_only(const struct block *bs)
{
	return bs->opts.read_only;
}

static bool writethrough(const struct block *bs)
{
	return bs->opts.cache == BLOCK_CACHE_WRITETHROUGH ||
	       bs->opts.cache == BLOCK_CACHE_DIRECTSYNC;
}

bool block_write_cache(const struct block *bs)
{
	return !writethrough(bs);
}

bool block_discard_unmap(const struct block *bs)
{
	return bs->opts.discard == BLOCK_DISCARD_UNMAP;
}

uint32_t block_alignment(const struct block *bs)
{
	return bs->file.direct ? bs->file.req_align : 1;
}

int block_event_fd(const struct block *bs)
{
	return bs->efd;
}

/* --- requests ------------------------------------------------------------ */

static bool is_write(enum block_op op)
{
	return op == BLOCK_OP_WRITE || op == BLOCK_OP_DISCARD ||
	       op == BLOCK_OP_WRITE_ZEROES;
}

static int check_request(struct block *bs, struct block_request *req)
{
	uint32_t align = block_alignment(bs);

	if (req->op == BLOCK_OP_FLUSH)
		return 0;
	if (req->op == BLOCK_OP_READ || req->op == BLOCK_OP_WRITE)
		req->len = iov_size(req->iov, req->iovcnt);
	if (is_write(req->op) && bs->opts.read_only)
		return -EROFS;
	if (req->offset > bs->length || req->len > bs->length - req->offset)
		return -EIO;
	if (req->op != BLOCK_OP_DISCARD && (req->offset | req->len) % align)
		return -EINVAL;
	return 0;
}

/* What QEMU's policies turn into nothing to do. */
static bool nothing_to_do(const struct block *bs,
			  const struct block_request *req)
{
	switch (req->op) {
	case BLOCK_OP_FLUSH:
		return bs->opts.cache == BLOCK_CACHE_UNSAFE ||
		       bs->opts.read_only;
	case BLOCK_OP_DISCARD:
		return bs->opts.discard == BLOCK_DISCARD_IGNORE || !req->len;
	default:
		return !req->len;
	}
}

/* Completes @req from the next block_reap(), not from inside a submit. */
static void complete_later(struct block *bs, struct block_request *req,
			   int ret)
{
	req->ret = ret;
	req->next = NULL;
	if (bs->ready_tail)
		bs->ready_tail->next = req;
	else
		bs->ready = req;
	bs->ready_tail = req;
	engine_signal(bs->efd);
}

static void dispatch(struct block *bs, struct block_request *req,
		     enum block_op op)
{
	switch (op) {
	case BLOCK_OP_READ:
		bs->drv->readv(bs, req);
		break;
	case BLOCK_OP_WRITE:
		bs->drv->writev(bs, req);
		break;
	case BLOCK_OP_FLUSH:
		bs->drv->flush(bs, req);
		break;
	case BLOCK_OP_DISCARD:
		bs->drv->discard(bs, req);
		break;
	case BLOCK_OP_WRITE_ZEROES:
		bs->drv->write_zeroes(bs, req);
		break;
	}
}

void block_submit(struct block *bs, struct block_request *req)
{
	int ret;

	req->bs = bs;
	req->stage = STAGE_MAIN;
	bs->inflight++;
	bs->submitting++;
	ret = check_request(bs, req);
	if (req->op == BLOCK_OP_WRITE_ZEROES &&
	    bs->opts.discard != BLOCK_DISCARD_UNMAP)
		req->may_unmap = false;
	if (ret || nothing_to_do(bs, req))
		complete_later(bs, req, ret);
	else
		dispatch(bs, req, req->op);
	bs->submitting--;
}

/* writethrough: a write is only done once it is on stable storage. */
static void advance(struct block_request *req, int ret)
{
	struct block *bs = req->bs;

	if (!ret && req->stage == STAGE_MAIN && writethrough(bs) &&
	    (req->op == BLOCK_OP_WRITE || req->op == BLOCK_OP_WRITE_ZEROES)) {
		req->stage = STAGE_FLUSH;
		dispatch(bs, req, BLOCK_OP_FLUSH);
		return;
	}
	bs->inflight--;
	req->done(req, ret);
}

void block_request_complete(struct block_request *req, int ret)
{
	if (req->bs->submitting)
		complete_later(req->bs, req, ret);
	else
		advance(req, ret);
}

static void file_op_done(struct block_file_op *fop, int ret)
{
	block_request_complete(container_of(fop, struct block_request, fop),
			       ret);
}

void block_request_to_file(struct block *bs, struct block_request *req,
			   enum block_op op, uint64_t offset)
{
	struct block_file_op *fop = &req->fop;

	fop->op = op;
	fop->offset = offset;
	fop->len = req->len;
	fop->iov = req->iov;
	fop->iovcnt = req->iovcnt;
	fop->may_unmap = req->may_unmap;
	fop->done = file_op_done;
	block_file_submit(&bs->file, fop);
}

void block_plug(struct block *bs)
{
	engine_plug(bs->engine);
}

void block_unplug(struct block *bs)
{
	engine_unplug(bs->engine);
}

void block_reap(struct block *bs)
{
	struct block_request *req;
	uint64_t count;

	/* Cleared first: what finishes from here on signals it again. */
	if (read(bs->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	bs->engine->ops->reap(bs->engine);
	if (bs->drv->reap)
		bs->drv->reap(bs);
	req = bs->ready;
	bs->ready = NULL;
	bs->ready_tail = NULL;
	while (req) {
		struct block_request *next = req->next;

		advance(req, req->ret);
		req = next;
	}
}

void block_drain(struct block *bs)
{
	struct pollfd pfd = { .fd = bs->efd, .events = POLLIN };

	engine_kick(bs->engine);
	while (bs->inflight) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return;
		block_reap(bs);
	}
}
