// SPDX-License-Identifier: MIT
/*
 * The host file under an image: a regular file or a block device, opened
 * with O_DIRECT for cache=none and directsync.  One operation may take
 * several system calls: a short transfer is continued where it stopped
 * (and a list longer than IOV_MAX is sent in parts), O_DIRECT buffers the
 * host cannot use are bounced, and WRITE_ZEROES falls back from punching
 * holes to zeroing ranges to writing zeroes, remembering what the file
 * system refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmlite/iov.h"
#include "block_priv.h"

/* When the kernel does not say, O_DIRECT alignment is taken to be a page. */
#define SAFE_ALIGN	4096
#define ZERO_CHUNK	(256 * 1024)

/* What writes zeroes, in the order tried. */
enum zero_method {
	ZERO_PUNCH_HOLE,	/* only when the request may unmap */
	ZERO_RANGE,
	ZERO_WRITE,
};

static uint8_t zero_buf[ZERO_CHUNK] __attribute__((aligned(SAFE_ALIGN)));

static int not_regular(const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "'file' driver requires '%s' to be a regular file", path);
	return -1;
}

static void file_alignment(struct block_file *f)
{
	struct statx stx;
	int lbs;

	f->mem_align = SAFE_ALIGN;
	f->req_align = SAFE_ALIGN;
	if (!statx(f->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
		f->mem_align = stx.stx_dio_mem_align ?: 1;
		f->req_align = stx.stx_dio_offset_align;
	} else if (f->is_blockdev && !ioctl(f->fd, BLKSSZGET, &lbs) &&
		   lbs > 0) {
		f->mem_align = lbs;
		f->req_align = lbs;
	}
}

static int file_length(struct block_file *f, const struct stat *st)
{
	uint64_t size;

	if (!f->is_blockdev) {
		f->length = st->st_size;
		return 0;
	}
	if (ioctl(f->fd, BLKGETSIZE64, &size))
		return -1;
	f->length = size;
	return 0;
}

int block_file_open(struct block_file *f, const char *path, bool read_only,
		    bool direct, char *err, size_t errlen)
{
	int flags = (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		    (direct ? O_DIRECT : 0);
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->read_only = read_only;
	f->direct = direct;
	/* QEMU names the wrong kind of file before trying to open it. */
	if (!stat(path, &st) && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return not_regular(path, err, errlen);
	f->fd = open(path, flags);
	if (f->fd < 0 || fstat(f->fd, &st)) {
		snprintf(err, errlen, "Could not open '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return not_regular(path, err, errlen);
	f->is_blockdev = S_ISBLK(st.st_mode);
	if (file_length(f, &st)) {
		snprintf(err, errlen, "Could not get the size of '%s': %s",
			 path, strerror(errno));
		return -1;
	}
	if (direct)
		file_alignment(f);
	return 0;
}

void block_file_close(struct block_file *f)
{
	/* Closing the only descriptor releases its OFD locks too. */
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int block_file_read_head(struct block_file *f, uint8_t *buf, size_t len)
{
	size_t size = f->direct ? SAFE_ALIGN : len;
	ssize_t n;
	void *tmp;

	if (f->direct && f->req_align > size)
		size = f->req_align;
	if (posix_memalign(&tmp, SAFE_ALIGN, size))
		return -ENOMEM;
	n = pread(f->fd, tmp, size, 0);
	if (n < 0) {
		n = -errno;
	} else {
		if ((size_t)n > len)
			n = len;
		memcpy(buf, tmp, n);
	}
	free(tmp);
	return n;
}

/* --- completing an operation --------------------------------------------- */

static void op_finish(struct block_file_op *op, int ret)
{
	if (!ret && op->op == BLOCK_OP_READ && op->bounce)
		iov_from_buf(op->iov, op->iovcnt, 0, op->bounce, op->len);
	free(op->bounce);
	free(op->rest);
	op->bounce = NULL;
	op->rest = NULL;
	op->done(op, ret);
}

static void op_start_io(struct block_file_op *op, enum block_io_cmd cmd,
			void (*complete)(struct block_io *io))
{
	op->io.cmd = cmd;
	op->io.fd = op->file->fd;
	op->io.complete = complete;
	engine_submit(op->file->engine, &op->io);
}

/* --- READ, WRITE and writing zeroes --------------------------------------- */

static bool needs_bounce(const struct block_file *f, const struct iovec *iov,
			 unsigned int cnt)
{
	unsigned int i;

	if (!f->direct)
		return false;
	for (i = 0; i < cnt; i++)
		if ((uintptr_t)iov[i].iov_base % f->mem_align ||
		    iov[i].iov_len % f->req_align)
			return true;
	return false;
}

/*
 * Points io.iov at what is still to transfer.  After a short transfer
 * the list is resumed from a copy, whose first segment starts mid-way.
 */
static int rw_position(struct block_file_op *op)
{
	uint64_t skip = op->done_bytes, left = op->len - op->done_bytes;
	unsigned int i = 0;

	if (op->bounce || op->zero_method == ZERO_WRITE) {
		op->seg.iov_base = op->bounce ? (uint8_t *)op->bounce + skip :
						zero_buf;
		op->seg.iov_len = left;
		if (!op->bounce && left > ZERO_CHUNK)
			op->seg.iov_len = ZERO_CHUNK;
		op->io.iov = &op->seg;
		op->io.iovcnt = 1;
		return 0;
	}
	op->io.iov = op->iov;
	if (skip) {
		if (!op->rest)
			op->rest = malloc(op->iovcnt * sizeof(*op->rest));
		if (!op->rest)
			return -ENOMEM;
		while (i < op->iovcnt && skip >= op->iov[i].iov_len)
			skip -= op->iov[i++].iov_len;
		memcpy(op->rest + i, op->iov + i,
		       (op->iovcnt - i) * sizeof(*op->rest));
		op->rest[i].iov_base = (uint8_t *)op->iov[i].iov_base + skip;
		op->rest[i].iov_len -= skip;
		op->io.iov = op->rest + i;
	}
	op->io.iovcnt = op->iovcnt - i;
	if (op->io.iovcnt > IOV_MAX)
		op->io.iovcnt = IOV_MAX;
	return 0;
}

static void rw_complete(struct block_io *io);

static void rw_submit(struct block_file_op *op)
{
	int ret = rw_position(op);

	if (ret) {
		op_finish(op, ret);
		return;
	}
	op->io.offset = op->offset + op->done_bytes;
	op_start_io(op, op->op == BLOCK_OP_READ ? BLOCK_IO_READV :
						   BLOCK_IO_WRITEV,
		    rw_complete);
}

/* A read that meets the end of the file reads zeroes, as in QEMU. */
static void rw_hit_eof(struct block_file_op *op)
{
	uint64_t left = op->len - op->done_bytes;

	if (op->op != BLOCK_OP_READ) {
		op_finish(op, -EIO);
		return;
	}
	if (op->bounce)
		memset((uint8_t *)op->bounce + op->done_bytes, 0, left);
	else
		iov_memset(op->iov, op->iovcnt, op->done_bytes, 0, left);
	op_finish(op, 0);
}

static void rw_complete(struct block_io *io)
{
	struct block_file_op *op = container_of(io, struct block_file_op, io);

	if (io->res == -EINTR || io->res == -EAGAIN) {
		rw_submit(op);
		return;
	}
	if (io->res < 0) {
		op_finish(op, io->res);
		return;
	}
	if (!io->res) {
		rw_hit_eof(op);
		return;
	}
	op->done_bytes += io->res;
	if (op->done_bytes < op->len)
		rw_submit(op);
	else
		op_finish(op, 0);
}

static void rw_start(struct block_file_op *op)
{
	if (needs_bounce(op->file, op->iov, op->iovcnt)) {
		if (posix_memalign(&op->bounce, SAFE_ALIGN, op->len ? op->len :
				   1)) {
			op->bounce = NULL;
			op_finish(op, -ENOMEM);
			return;
		}
		if (op->op == BLOCK_OP_WRITE)
			iov_to_buf(op->iov, op->iovcnt, 0, op->bounce, op->len);
	}
	rw_submit(op);
}

/* --- FLUSH, DISCARD, WRITE_ZEROES -------------------------------------- */

static void sync_complete(struct block_io *io)
{
	struct block_file_op *op = container_of(io, struct block_file_op, io);

	if (io->res == -EINTR) {
		op_start_io(op, BLOCK_IO_FDATASYNC, sync_complete);
		return;
	}
	op_finish(op, io->res < 0 ? io->res : 0);
}

static void fallocate_start(struct block_file_op *op, int mode,
			    void (*complete)(struct block_io *io))
{
	op->io.offset = op->offset;
	op->io.len = op->len;
	op->io.mode = mode;
	op_start_io(op, BLOCK_IO_FALLOCATE, complete);
}

/* A discard is advisory: where holes cannot be punched it does nothing. */
static void discard_complete(struct block_io *io)
{
	struct block_file_op *op = container_of(io, struct block_file_op, io);

	if (io->res == -EOPNOTSUPP)
		op->file->no_punch_hole = true;
	op_finish(op, io->res < 0 && io->res != -EOPNOTSUPP ? io->res : 0);
}

static void discard_start(struct block_file_op *op)
{
	if (op->file->no_punch_hole) {
		op_finish(op, 0);
		return;
	}
	fallocate_start(op, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			discard_complete);
}

static bool zero_method_usable(const struct block_file_op *op, int method)
{
	switch (method) {
	case ZERO_PUNCH_HOLE:
		return op->may_unmap && !op->file->no_punch_hole;
	case ZERO_RANGE:
		return !op->file->no_zero_range;
	default:
		return true;
	}
}

static void zeroes_complete(struct block_io *io);

/* Tries @method, or the first usable one after it. */
static void zeroes_try(struct block_file_op *op, int method)
{
	while (!zero_method_usable(op, method))
		method++;
	op->zero_method = method;
	switch (method) {
	case ZERO_PUNCH_HOLE:
		fallocate_start(op, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				zeroes_complete);
		break;
	case ZERO_RANGE:
		fallocate_start(op, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				zeroes_complete);
		break;
	default:
		rw_submit(op);
		break;
	}
}

static void zeroes_complete(struct block_io *io)
{
	struct block_file_op *op = container_of(io, struct block_file_op, io);

	if (io->res != -EOPNOTSUPP) {
		op_finish(op, io->res < 0 ? io->res : 0);
		return;
	}
	if (op->zero_method == ZERO_PUNCH_HOLE)
		op->file->no_punch_hole = true;
	else
		op->file->no_zero_range = true;
	zeroes_try(op, op->zero_method + 1);
}

void block_file_submit(struct block_file *f, struct block_file_op *op)
{
	op->file = f;
	op->done_bytes = 0;
	op->rest = NULL;
	op->bounce = NULL;
	op->zero_method = ZERO_PUNCH_HOLE;
	switch (op->op) {
	case BLOCK_OP_READ:
	case BLOCK_OP_WRITE:
		rw_start(op);
		break;
	case BLOCK_OP_FLUSH:
		op_start_io(op, BLOCK_IO_FDATASYNC, sync_complete);
		break;
	case BLOCK_OP_DISCARD:
		discard_start(op);
		break;
	case BLOCK_OP_WRITE_ZEROES:
		zeroes_try(op, ZERO_PUNCH_HOLE);
		break;
	}
}
