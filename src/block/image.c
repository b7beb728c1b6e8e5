// SPDX-License-Identifier: MIT
/*
 * Synchronous images of either format, for backing files and for
 * kvmlite-img.  Raw images are plain file I/O; qcow2 goes to the qcow2
 * engine.  A backing chain is opened link by link, each link knowing the
 * files before it, so that a loop is refused instead of followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmlite/image.h"
#include "kvmlite/iov.h"
#include "kvmlite/qcow2.h"

struct image {
	char *filename;
	const char *format;
	int fd;
	bool rw;
	bool unsafe;
	uint64_t size;
	struct qcow2 *q;
};

bool image_probe_qcow2(const uint8_t *buf, size_t len)
{
	return len >= 4 && buf[0] == 'Q' && buf[1] == 'F' && buf[2] == 'I' &&
	       buf[3] == 0xfb;
}

static bool in_chain(const struct image_chain *c, const struct stat *st)
{
	for (; c; c = c->next)
		if (c->dev == st->st_dev && c->ino == st->st_ino)
			return true;
	return false;
}

static int open_fd(struct image *img, const struct image_open_opts *o,
		   char *err, size_t errlen)
{
	int flags = (o->flags & IMAGE_RW ? O_RDWR : O_RDONLY) | O_CLOEXEC |
		    (o->flags & IMAGE_DIRECT ? O_DIRECT : 0);
	struct stat st;

	img->fd = open(o->filename, flags);
	if (img->fd < 0 || fstat(img->fd, &st)) {
		snprintf(err, errlen, "Could not open '%s': %s", o->filename,
			 strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "'file' driver requires '%s' to be a regular file",
			 o->filename);
		return -1;
	}
	if (in_chain(o->chain, &st)) {
		snprintf(err, errlen, "'%s' is its own backing file (a loop in the backing chain)",
			 o->filename);
		return -1;
	}
	img->size = S_ISBLK(st.st_mode) ? (uint64_t)lseek(img->fd, 0, SEEK_END)
					: (uint64_t)st.st_size;
	return 0;
}

static int choose_format(struct image *img, const struct image_open_opts *o,
			 char *err, size_t errlen)
{
	uint8_t head[4] = { 0 };

	if (o->format && strcmp(o->format, "raw") &&
	    strcmp(o->format, "qcow2")) {
		snprintf(err, errlen, "Unknown driver '%s'", o->format);
		return -1;
	}
	if (o->format) {
		img->format = !strcmp(o->format, "raw") ? "raw" : "qcow2";
		return 0;
	}
	if (pread(img->fd, head, sizeof(head), 0) < 0) {
		snprintf(err, errlen, "Could not read image for determining its format: %s",
			 strerror(errno));
		return -1;
	}
	img->format = image_probe_qcow2(head, sizeof(head)) ? "qcow2" : "raw";
	return 0;
}

static int open_qcow2(struct image *img, const struct image_open_opts *o,
		      char *err, size_t errlen)
{
	struct qcow2_open_opts qo = {
		.filename = o->filename,
		.fd = img->fd,
		.read_only = !(o->flags & IMAGE_RW),
		.direct = o->flags & IMAGE_DIRECT,
		.align = 4096,
		.no_backing = o->flags & IMAGE_NO_BACKING,
		.no_repair = o->flags & IMAGE_NO_REPAIR,
		.unsafe = o->flags & IMAGE_UNSAFE,
		.l2_cache_size = o->l2_cache_size,
		.refcount_cache_size = o->refcount_cache_size,
		.chain = o->chain,
		.policy = o->policy,
		.probed = !o->format,
	};

	if (qcow2_open(&qo, &img->q, err, errlen))
		return -1;
	img->size = qcow2_size(img->q);
	return 0;
}

struct image *image_open(const struct image_open_opts *o, char *err,
			 size_t errlen)
{
	struct image *img = calloc(1, sizeof(*img));

	if (!img) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	img->fd = -1;
	img->rw = o->flags & IMAGE_RW;
	img->unsafe = o->flags & IMAGE_UNSAFE;
	img->filename = strdup(o->filename);
	if (!img->filename || open_fd(img, o, err, errlen) ||
	    choose_format(img, o, err, errlen) ||
	    (!strcmp(img->format, "qcow2") && open_qcow2(img, o, err, errlen))) {
		if (img->fd >= 0)
			close(img->fd);
		free(img->filename);
		free(img);
		return NULL;
	}
	return img;
}

int image_close(struct image *img)
{
	int ret = 0;

	if (!img)
		return 0;
	if (img->q)
		ret = qcow2_close(img->q);
	else if (img->rw && fdatasync(img->fd))
		ret = -errno;
	close(img->fd);
	free(img->filename);
	free(img);
	return ret;
}

const char *image_format(const struct image *img)
{
	return img->format;
}

const char *image_filename(const struct image *img)
{
	return img->filename;
}

uint64_t image_size(const struct image *img)
{
	return img->q ? qcow2_size(img->q) : img->size;
}

int image_fd(const struct image *img)
{
	return img->fd;
}

struct qcow2 *image_qcow2(const struct image *img)
{
	return img->q;
}

struct image *image_backing(const struct image *img)
{
	return img->q ? qcow2_backing(img->q) : NULL;
}

/* --- raw I/O ----------------------------------------------------------------- */

int image_iov_slice(const struct iovec *iov, unsigned int cnt, uint64_t off,
		    uint64_t len, struct iovec *out, unsigned int cap)
{
	unsigned int i, n = 0;

	for (i = 0; i < cnt && len; i++) {
		uint64_t seg = iov[i].iov_len;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		if (n == cap)
			return -1;
		out[n].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[n].iov_len = seg - off < len ? seg - off : len;
		len -= out[n].iov_len;
		off = 0;
		n++;
	}
	return n;
}

#define RW_SEGMENTS	64

int image_file_rw(int fd, const struct iovec *iov, unsigned int cnt,
		  uint64_t off, bool write)
{
	uint64_t total = iov_size(iov, cnt), done = 0;
	struct iovec part[RW_SEGMENTS];

	while (done < total) {
		int n = image_iov_slice(iov, cnt, done, total - done, part,
					RW_SEGMENTS);
		ssize_t r;

		r = write ? pwritev(fd, part, n < 0 ? RW_SEGMENTS : n,
				    off + done) :
			    preadv(fd, part, n < 0 ? RW_SEGMENTS : n,
				   off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r) {
			if (write)
				return -EIO;
			iov_memset(iov, cnt, done, 0, total - done);
			return 0;
		}
		done += r;
	}
	return 0;
}

static int raw_rw(struct image *img, uint64_t off, const struct iovec *iov,
		  unsigned int cnt, bool write)
{
	int ret = image_file_rw(img->fd, iov, cnt, off, write);

	if (!ret && write && off + iov_size(iov, cnt) > img->size)
		img->size = off + iov_size(iov, cnt);
	return ret;
}

int image_readv(struct image *img, uint64_t off, const struct iovec *iov,
		unsigned int cnt)
{
	return img->q ? qcow2_readv(img->q, off, iov, cnt) :
			raw_rw(img, off, iov, cnt, false);
}

int image_writev(struct image *img, uint64_t off, const struct iovec *iov,
		 unsigned int cnt)
{
	if (!img->rw)
		return -EROFS;
	return img->q ? qcow2_writev(img->q, off, iov, cnt) :
			raw_rw(img, off, iov, cnt, true);
}

int image_read(struct image *img, uint64_t off, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return image_readv(img, off, &iov, 1);
}

int image_write(struct image *img, uint64_t off, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return image_writev(img, off, &iov, 1);
}

static int raw_zeroes(struct image *img, uint64_t off, uint64_t len,
		      int mode)
{
	static const uint8_t zeroes[65536];
	uint64_t n;
	int ret;

	if (!fallocate(img->fd, mode | FALLOC_FL_KEEP_SIZE, off, len))
		return 0;
	if (mode == FALLOC_FL_PUNCH_HOLE &&
	    !fallocate(img->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		       off, len))
		return 0;
	for (; len; off += n, len -= n) {
		n = len < sizeof(zeroes) ? len : sizeof(zeroes);
		ret = image_write(img, off, zeroes, n);
		if (ret)
			return ret;
	}
	return 0;
}

int image_write_zeroes(struct image *img, uint64_t off, uint64_t len,
		       bool unmap)
{
	if (!img->rw)
		return -EROFS;
	if (img->q)
		return qcow2_write_zeroes(img->q, off, len, unmap);
	return raw_zeroes(img, off, len, unmap ? FALLOC_FL_PUNCH_HOLE :
						 FALLOC_FL_ZERO_RANGE);
}

int image_discard(struct image *img, uint64_t off, uint64_t len)
{
	if (!img->rw)
		return -EROFS;
	if (img->q)
		return qcow2_discard(img->q, off, len);
	fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
		  len);
	return 0;
}

int image_flush(struct image *img)
{
	if (img->q)
		return qcow2_flush(img->q);
	return img->rw && !img->unsafe && fdatasync(img->fd) ? -errno : 0;
}

/* Raw: holes read as zeroes, as SEEK_DATA and SEEK_HOLE tell. */
static int raw_status(struct image *img, uint64_t off, uint64_t len,
		      uint64_t *run)
{
	off_t data = lseek(img->fd, off, SEEK_DATA), hole;

	*run = len;
	if (data < 0)
		return errno == ENXIO ? IMAGE_STATUS_ZERO : IMAGE_STATUS_DATA;
	if ((uint64_t)data > off) {
		if ((uint64_t)data - off < len)
			*run = data - off;
		return IMAGE_STATUS_ZERO;
	}
	hole = lseek(img->fd, off, SEEK_HOLE);
	if (hole > (off_t)off && (uint64_t)hole - off < len)
		*run = hole - off;
	return IMAGE_STATUS_DATA;
}

int image_status(struct image *img, uint64_t off, uint64_t len,
		 uint64_t *run)
{
	if (img->q)
		return qcow2_status(img->q, off, len, run);
	return raw_status(img, off, len, run);
}
