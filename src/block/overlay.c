// SPDX-License-Identifier: MIT
/*
 * -snapshot, as in QEMU: the disk is opened through a temporary qcow2
 * overlay whose backing file is the image, so that the guest's writes go
 * to the overlay and vanish with it.  The overlay is made in $TMPDIR, or
 * /var/tmp, as QEMU makes it, and unlinked the moment it exists: the
 * block layer reopens it through /proc/self/fd, so no exit, not even
 * SIGKILL, leaves it behind.  Its cache mode is unsafe, as QEMU's; it
 * inherits read-only and discard from the drive.  The image itself is
 * only read, and is locked as a reader, so that other readers may share
 * it and no writer may change it underneath.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmlite/backing_policy.h"
#include "kvmlite/qcow2.h"
#include "block_priv.h"

/*
 * The image's format and size, as its backing file will be seen; its own
 * backing file is not opened here, but under the drive's policy.
 */
static int probe_image(const struct block_options *o, const char **fmt,
		       uint64_t *size, char *err, size_t errlen)
{
	struct image_open_opts io = { .filename = o->filename,
				      .format = o->format,
				      .flags = IMAGE_NO_BACKING };
	struct image *img = image_open(&io, err, errlen);

	if (!img)
		return -1;
	*fmt = !strcmp(image_format(img), "raw") ? "raw" : "qcow2";
	*size = image_size(img);
	image_close(img);
	return 0;
}

/* An unlinked temporary file, as QEMU's get_tmp_filename() places it. */
static int temp_file(char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (!dir || !*dir)
		dir = "/var/tmp";
	if (snprintf(path, sizeof(path), "%s/vl.XXXXXX", dir) >=
	    (int)sizeof(path)) {
		snprintf(err, errlen, "Could not get temporary filename: %s",
			 strerror(ENAMETOOLONG));
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "Could not create temporary overlay '%s': %s",
			 path, strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

/*
 * The overlay, in the file @fd; its backing format is recorded only when
 * the drive gave one, so that a probed image stays probed beneath it.
 */
static int make_overlay(const struct block_options *o, int fd, char *err,
			size_t errlen)
{
	struct qcow2_create_opts c = { 0 };
	char backing[PATH_MAX];

	if (probe_image(o, &c.backing_fmt, &c.size, err, errlen))
		return -1;
	if (!realpath(o->filename, backing)) {
		snprintf(err, errlen, "Could not open '%s': %s", o->filename,
			 strerror(errno));
		return -1;
	}
	c.backing_file = backing;
	if (!o->format)
		c.backing_fmt = NULL;
	return qcow2_create(fd, &c, err, errlen);
}

static struct block *open_overlay(const struct block_options *o, int fd,
				  struct backing_policy *policy, char *err,
				  size_t errlen)
{
	struct block_options over = *o;
	char path[32];
	struct block *bs;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	over.filename = path;
	over.format = "qcow2";
	over.cache = BLOCK_CACHE_UNSAFE;
	/* Native AIO needs O_DIRECT, which unsafe caching is not. */
	if (over.aio == BLOCK_AIO_NATIVE)
		over.aio = BLOCK_AIO_AUTO;
	over.snapshot = false;
	backing_policy_allow_image(policy);
	bs = block_open_image(&over, policy, err, errlen);
	if (!bs)
		return NULL;
	/* Messages and "info block" name the drive's image. */
	free((char *)bs->opts.filename);
	bs->opts.filename = strdup(o->filename);
	if (!bs->opts.filename ||
	    block_file_open(&bs->under, o->filename, true, false, err,
			    errlen)) {
		if (!bs->opts.filename)
			snprintf(err, errlen, "out of memory");
		block_close(bs);
		return NULL;
	}
	return bs;
}

struct block *block_open_overlay(const struct block_options *o,
				 struct backing_policy *policy, char *err,
				 size_t errlen)
{
	struct block *bs = NULL;
	int fd = temp_file(err, errlen);

	if (fd >= 0 && !make_overlay(o, fd, err, errlen))
		bs = open_overlay(o, fd, policy, err, errlen);
	else
		backing_policy_free(policy);
	if (fd >= 0)
		close(fd);
	return bs;
}
