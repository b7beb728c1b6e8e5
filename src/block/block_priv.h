/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_BLOCK_PRIV_H
#define KVMLITE_BLOCK_PRIV_H

/* Shared by the engines, the file layer and the drivers in src/block. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmlite/block.h"

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* Bytes a format probe looks at, as in QEMU. */
#define BLOCK_PROBE_SIZE	512

/* --- engines: run struct block_io asynchronously ------------------------ */

struct block_engine;

struct block_engine_ops {
	const char *name;
	/* Queues @io; it starts by the next kick at the latest. */
	void (*submit)(struct block_engine *e, struct block_io *io);
	/* Starts what was queued (NULL: submit starts at once). */
	void (*kick)(struct block_engine *e);
	/* Completes what has finished, calling each io->complete. */
	void (*reap)(struct block_engine *e);
	/* Nothing may be in flight. */
	void (*free)(struct block_engine *e);
};

struct block_engine {
	const struct block_engine_ops *ops;
	unsigned int plugged;
};

/*
 * Both signal @efd when I/O completes.  io_uring returns NULL with @err
 * set when the kernel does not offer what kvmlite needs.
 */
struct block_engine *uring_engine_new(int efd, char *err, size_t errlen);
struct block_engine *threads_engine_new(int efd, char *err, size_t errlen);

/* Makes @efd readable, so that its owner reaps. */
void engine_signal(int efd);
void engine_submit(struct block_engine *e, struct block_io *io);
void engine_plug(struct block_engine *e);
void engine_unplug(struct block_engine *e);
void engine_kick(struct block_engine *e);

/* --- the host file ------------------------------------------------------- */

struct block_file {
	int fd;
	bool direct;		/* O_DIRECT */
	bool read_only;
	bool is_blockdev;
	uint32_t mem_align;	/* O_DIRECT buffer address alignment */
	uint32_t req_align;	/* O_DIRECT offset and length alignment */
	uint64_t length;
	/* Learnt from EOPNOTSUPP, so that it is not asked again. */
	bool no_zero_range;
	bool no_punch_hole;
	struct block_engine *engine;
};

/* Errors: "Could not open '<path>': <why>" and QEMU's other texts. */
int block_file_open(struct block_file *f, const char *path, bool read_only,
		    bool direct, char *err, size_t errlen);
void block_file_close(struct block_file *f);
int block_file_lock(struct block_file *f, const char *path, char *err,
		    size_t errlen);
/* Reads the first bytes synchronously, for probing; returns bytes read. */
int block_file_read_head(struct block_file *f, uint8_t *buf, size_t len);
/*
 * Runs @op (fields op, offset, len, iov, iovcnt, may_unmap, done set);
 * op->done runs on the reaping thread.  Short transfers are continued, a
 * read at end of file reads zeroes.
 */
void block_file_submit(struct block_file *f, struct block_file_op *op);

/* --- format drivers ------------------------------------------------------ */

/*
 * Requests reach a driver checked: in range, aligned, writable.  It ends
 * each with block_request_complete(), from any point of its work.
 */
struct block_driver {
	const char *format;
	/* Whether the image's first BLOCK_PROBE_SIZE bytes are this format. */
	bool (*probe)(const uint8_t *buf, size_t len);
	int (*open)(struct block *bs, char *err, size_t errlen);
	void (*close)(struct block *bs);
	uint64_t (*length)(struct block *bs);
	void (*readv)(struct block *bs, struct block_request *req);
	void (*writev)(struct block *bs, struct block_request *req);
	void (*flush)(struct block *bs, struct block_request *req);
	void (*discard)(struct block *bs, struct block_request *req);
	void (*write_zeroes)(struct block *bs, struct block_request *req);
	/*
	 * For drivers that finish requests on their own threads: completes
	 * them, from block_reap() (NULL: everything goes through engines).
	 */
	void (*reap)(struct block *bs);
};

extern const struct block_driver block_raw_driver;
extern const struct block_driver block_qcow2_driver;

struct block {
	struct block_options opts;	/* strings owned */
	const struct block_driver *drv;
	void *drv_state;
	bool probed;		/* the format was guessed */
	struct block_file file;
	/* -snapshot: the image under the overlay, open for its lock. */
	struct block_file under;
	struct backing_policy *policy;
	struct block_engine *engine;
	int efd;
	uint64_t length;
	unsigned int inflight;
	unsigned int submitting;	/* inside block_submit() */
	/* Requests finished without I/O, for the next reap. */
	struct block_request *ready, *ready_tail;
};

/*
 * Opens @o's image with @policy, which the block owns from then on (freed
 * at once on failure).
 */
struct block *block_open_image(const struct block_options *o,
			       struct backing_policy *policy, char *err,
			       size_t errlen);
/* -snapshot: @o's image under a temporary overlay (overlay.c). */
struct block *block_open_overlay(const struct block_options *o,
				 struct backing_policy *policy, char *err,
				 size_t errlen);

/* The driver whose probe claims @buf, or NULL for none (raw). */
const struct block_driver *block_probe(const uint8_t *buf, size_t len);
void block_request_complete(struct block_request *req, int ret);
/*
 * Runs @req as the operation @op on the image's file at @offset, and
 * completes it when that is done.
 */
void block_request_to_file(struct block *bs, struct block_request *req,
			   enum block_op op, uint64_t offset);

#endif
