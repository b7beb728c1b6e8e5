// SPDX-License-Identifier: MIT
/*
 * The raw format: the image is the disk, byte for byte, so each request
 * is one operation on the file.  As in QEMU, when the format was only
 * guessed, a write that would make block 0 look like another format is
 * refused: otherwise a guest could turn its disk into, say, a qcow2 header
 * naming a host file as its backing file, and the next probe would open it.
 */
#include <errno.h>

#include "kvmlite/iov.h"
#include "block_priv.h"

static void raw_start(struct block *bs, struct block_request *req,
		      enum block_op op)
{
	block_request_to_file(bs, req, op, req->offset);
}

/* Only whole first sectors are judged, as in QEMU. */
static bool raw_write_keeps_format(const struct block_request *req)
{
	uint8_t head[BLOCK_PROBE_SIZE];

	if (req->offset >= BLOCK_PROBE_SIZE)
		return true;
	if (req->offset || req->len < BLOCK_PROBE_SIZE)
		return false;
	iov_to_buf(req->iov, req->iovcnt, 0, head, sizeof(head));
	return !block_probe(head, sizeof(head));
}

static void raw_readv(struct block *bs, struct block_request *req)
{
	raw_start(bs, req, BLOCK_OP_READ);
}

static void raw_writev(struct block *bs, struct block_request *req)
{
	if (bs->probed && !raw_write_keeps_format(req)) {
		block_request_complete(req, -EPERM);
		return;
	}
	raw_start(bs, req, BLOCK_OP_WRITE);
}

static void raw_flush(struct block *bs, struct block_request *req)
{
	raw_start(bs, req, BLOCK_OP_FLUSH);
}

static void raw_discard(struct block *bs, struct block_request *req)
{
	raw_start(bs, req, BLOCK_OP_DISCARD);
}

static void raw_write_zeroes(struct block *bs, struct block_request *req)
{
	raw_start(bs, req, BLOCK_OP_WRITE_ZEROES);
}

static uint64_t raw_length(struct block *bs)
{
	return bs->file.length;
}

const struct block_driver block_raw_driver = {
	.format = "raw",
	.length = raw_length,
	.readv = raw_readv,
	.writev = raw_writev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
};
