/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_BLOCK_H
#define KVMLITE_BLOCK_H

/*
 * The block layer: a disk image read through a format driver (raw or
 * qcow2) from a host file, with asynchronous requests.
 *
 * Threading model.  block_open(), block_lock() and block_close() run while
 * no one else uses the image.  In between, one thread at a time -- a
 * device's I/O thread -- owns it: it alone calls block_submit(),
 * block_plug()/block_unplug(), block_reap() and block_drain().  The host
 * I/O runs in the kernel (aio=io_uring) or on worker threads
 * (aio=threads); as requests finish, block_event_fd() becomes readable,
 * and the owner calls block_reap(), which runs the done callbacks on the
 * owner's thread.  So a device never sees a callback on a foreign thread
 * and needs no lock for its request state.
 *
 * block_submit() never blocks on I/O and never calls done itself: every
 * outcome, an error found at once included, is delivered by a later
 * block_reap() (or block_drain()).  A done callback may submit requests.
 *
 * Cache modes follow QEMU: writeback (the default) goes through the host
 * page cache and makes writes durable on FLUSH; none is O_DIRECT;
 * writethrough flushes after every write; directsync is both; unsafe
 * ignores FLUSH.  With O_DIRECT, READ and WRITE offsets and lengths must
 * be multiples of block_alignment() (devices advertise it as their
 * logical block size); guest buffers that the host cannot use directly are
 * bounced through an aligned copy.
 *
 * Images are locked as QEMU locks them (OFD locks on the bytes QEMU uses),
 * so kvmlite and QEMU each see the other's users.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum block_cache {
	BLOCK_CACHE_WRITEBACK,
	BLOCK_CACHE_NONE,
	BLOCK_CACHE_WRITETHROUGH,
	BLOCK_CACHE_DIRECTSYNC,
	BLOCK_CACHE_UNSAFE,
};

enum block_aio {
	BLOCK_AIO_AUTO,		/* io_uring if the kernel has it, or threads */
	BLOCK_AIO_THREADS,
	BLOCK_AIO_IO_URING,
	/* QEMU's Linux AIO; kvmlite's native engine is io_uring. */
	BLOCK_AIO_NATIVE,
};

enum block_discard {
	BLOCK_DISCARD_IGNORE,	/* QEMU's default: DISCARD does nothing */
	BLOCK_DISCARD_UNMAP,	/* punch holes */
};

struct block_options {
	const char *filename;
	const char *format;	/* "raw", "qcow2", or NULL to probe */
	enum block_cache cache;
	enum block_aio aio;
	enum block_discard discard;
	bool read_only;
	/* qcow2's -drive l2-cache-size= and refcount-cache-size= (0: QEMU's
	   defaults). */
	uint64_t l2_cache_size;
	uint64_t refcount_cache_size;
	/* -snapshot: writes go to a temporary overlay, lost at close. */
	bool snapshot;
	/*
	 * Directories, ':'-separated, where backing files may be besides
	 * the image's own (see kvmlite/backing_policy.h), or NULL.
	 */
	const char *backing_dirs;
};

/* QEMU's option values ("none", "io_uring", "unmap"...); 0 or -1. */
int block_parse_cache(const char *name, enum block_cache *out);
int block_parse_aio(const char *name, enum block_aio *out);
int block_parse_discard(const char *name, enum block_discard *out);
bool block_cache_direct(enum block_cache cache);
bool block_format_known(const char *format);

/*
 * The message QEMU gives when aio=native comes without O_DIRECT, or NULL
 * if @o is consistent.
 */
const char *block_options_conflict(const struct block_options *o);

enum block_op {
	BLOCK_OP_READ,
	BLOCK_OP_WRITE,
	BLOCK_OP_FLUSH,
	BLOCK_OP_DISCARD,
	BLOCK_OP_WRITE_ZEROES,
};

struct block_request;

/* @ret is 0 or a negative errno. */
typedef void (*block_done_fn)(struct block_request *req, int ret);

/* --- what the engines and drivers in src/block share -------------------- */

enum block_io_cmd {
	BLOCK_IO_READV,
	BLOCK_IO_WRITEV,
	BLOCK_IO_FDATASYNC,
	BLOCK_IO_FALLOCATE,
};

/* One host system call, as an engine runs it. */
struct block_io {
	enum block_io_cmd cmd;
	int fd;
	uint64_t offset;
	const struct iovec *iov;	/* READV, WRITEV */
	unsigned int iovcnt;
	uint64_t len;			/* FALLOCATE */
	int mode;			/* FALLOCATE */
	int64_t res;			/* bytes transferred, or -errno */
	void (*complete)(struct block_io *io);	/* on the reaping thread */
	struct block_io *next;		/* the engine's queues */
};

struct block_file;

/*
 * One whole operation on a host file, which the file layer may run as
 * several system calls (short transfers, bounce buffers, fallbacks).
 */
struct block_file_op {
	struct block_io io;
	struct block_file *file;
	enum block_op op;
	uint64_t offset;
	uint64_t len;
	const struct iovec *iov;
	unsigned int iovcnt;
	bool may_unmap;
	/* progress */
	uint64_t done_bytes;
	struct iovec *rest;	/* what is left after a short transfer */
	void *bounce;
	struct iovec seg;	/* the bounce buffer, or a run of zeroes */
	int zero_method;
	void (*done)(struct block_file_op *op, int ret);
};

/* --- requests ------------------------------------------------------------ */

struct block_request {
	/* Set by the submitter. */
	enum block_op op;
	uint64_t offset;		/* bytes */
	const struct iovec *iov;	/* READ, WRITE: valid until done */
	unsigned int iovcnt;
	uint64_t len;			/* DISCARD, WRITE_ZEROES; READ, WRITE:
					   set by block_submit() */
	bool may_unmap;			/* WRITE_ZEROES may deallocate */
	block_done_fn done;
	void *opaque;

	/* Private to the block layer. */
	struct block *bs;
	int stage;
	int ret;
	struct block_request *next;
	struct block_file_op fop;	/* a driver's host operation */
};

struct block;

/*
 * Opens and probes the image; errors are QEMU's ("Could not open 'x': No
 * such file or directory", "Unknown driver 'foo'"...).  A raw image
 * opened writable without format= gets QEMU's probing warning on stderr,
 * and writes that would make it look like another format are refused.
 * Backing files are followed as kvmlite/backing_policy.h says.
 */
struct block *block_open(const struct block_options *o, char *err,
			 size_t errlen);
/*
 * Takes the image's locks for a user that reads, and writes unless
 * read-only; as in QEMU, that happens when a device attaches.  A
 * conflict gives QEMU's two-line "Failed to get "write" lock" message.
 */
int block_lock(struct block *bs, char *err, size_t errlen);
/* Waits for requests in flight, flushes (except cache=unsafe), unlocks. */
void block_close(struct block *bs);

const char *block_format(const struct block *bs);
/* The file name as the user gave it, and the cache= mode. */
const char *block_filename(const struct block *bs);
enum block_cache block_cache_mode(const struct block *bs);
/* Bytes the image takes on the host, or -1 if unknown. */
int64_t block_allocated_size(const struct block *bs);
const char *block_engine_name(const struct block *bs);
uint64_t block_length(const struct block *bs);
bool block_read_only(const struct block *bs);
/* Writes are cached until FLUSH (writeback, none, unsafe). */
bool block_write_cache(const struct block *bs);
/* discard=unmap: DISCARD and WRITE_ZEROES may deallocate. */
bool block_discard_unmap(const struct block *bs);
/* READ/WRITE offsets and lengths must be multiples of this. */
uint32_t block_alignment(const struct block *bs);

int block_event_fd(const struct block *bs);
void block_submit(struct block *bs, struct block_request *req);
/* Between plug and unplug, submissions are batched into one system call. */
void block_plug(struct block *bs);
void block_unplug(struct block *bs);
/* Runs the callbacks of the requests that have finished. */
void block_reap(struct block *bs);
/* Waits until no request is in flight, running their callbacks. */
void block_drain(struct block *bs);

/*
 * Registers the provider of query-block and "info block" for the
 * machine's drives (src/block/block_info.c); 0 or -1.
 */
struct machine;
int block_info_init(struct machine *m);

#endif
