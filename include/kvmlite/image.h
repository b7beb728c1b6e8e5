/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_IMAGE_H
#define KVMLITE_IMAGE_H

/*
 * Synchronous access to a disk image of any format (raw or qcow2), for
 * backing files and for kvmlite-img.  Every call may block on I/O; calls
 * on one image may come from several threads at once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct qcow2;
struct backing_policy;

/* The files of a backing chain being opened, to refuse a loop. */
struct image_chain {
	dev_t dev;
	ino_t ino;
	const struct image_chain *next;
};

enum image_flags {
	IMAGE_RW = 1 << 0,
	IMAGE_DIRECT = 1 << 1,		/* O_DIRECT */
	IMAGE_NO_BACKING = 1 << 2,	/* do not open the backing file */
	IMAGE_NO_REPAIR = 1 << 3,	/* open a dirty qcow2 image as it is */
	/*
	 * No syncs, not even to order qcow2's metadata (QEMU's
	 * cache=unsafe): for a new file that is worthless until complete,
	 * which its writer syncs once at the end.
	 */
	IMAGE_UNSAFE = 1 << 4,
};

struct image_open_opts {
	const char *filename;
	const char *format;	/* "raw", "qcow2", or NULL to probe */
	unsigned int flags;
	uint64_t l2_cache_size;		/* qcow2, bytes; 0: the default */
	uint64_t refcount_cache_size;	/* qcow2, bytes; 0: the default */
	const struct image_chain *chain;
	/* Which backing files may be followed (NULL: any, as qemu-img). */
	const struct backing_policy *policy;
};

/* What a range of an image holds, in the image itself. */
enum image_status {
	IMAGE_STATUS_DATA,
	IMAGE_STATUS_ZERO,
	IMAGE_STATUS_BACKING,	/* unallocated: the backing file shows */
};

struct image;

/* Errors as QEMU words them: "Could not open 'x': ...". */
struct image *image_open(const struct image_open_opts *o, char *err,
			 size_t errlen);
/* Flushes an image opened read-write; 0 or -errno. */
int image_close(struct image *img);

const char *image_format(const struct image *img);
const char *image_filename(const struct image *img);
uint64_t image_size(const struct image *img);
int image_fd(const struct image *img);
/* NULL for raw images. */
struct qcow2 *image_qcow2(const struct image *img);
/* NULL when there is none (or it was not opened). */
struct image *image_backing(const struct image *img);

/* 0 or -errno; reads past the end of a raw file read zeroes. */
int image_readv(struct image *img, uint64_t off, const struct iovec *iov,
		unsigned int cnt);
int image_writev(struct image *img, uint64_t off, const struct iovec *iov,
		 unsigned int cnt);
int image_read(struct image *img, uint64_t off, void *buf, size_t len);
int image_write(struct image *img, uint64_t off, const void *buf, size_t len);
int image_write_zeroes(struct image *img, uint64_t off, uint64_t len,
		       bool unmap);
int image_discard(struct image *img, uint64_t off, uint64_t len);
int image_flush(struct image *img);
/* What [@off, @off + @len) starts with; *@run is how far that goes. */
int image_status(struct image *img, uint64_t off, uint64_t len,
		 uint64_t *run);

/*
 * Builds in @out (@cap entries) the part [@off, @off + @len) of @iov;
 * returns the entries used, or -1 if @cap is too small.
 */
int image_iov_slice(const struct iovec *iov, unsigned int cnt, uint64_t off,
		    uint64_t len, struct iovec *out, unsigned int cap);
/*
 * A whole transfer on a file, continuing short ones; a read past the end
 * reads zeroes.  0 or -errno.
 */
int image_file_rw(int fd, const struct iovec *iov, unsigned int cnt,
		  uint64_t off, bool write);

/* Whether the first bytes of a file are a qcow2 header. */
bool image_probe_qcow2(const uint8_t *buf, size_t len);

#endif
