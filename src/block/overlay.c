// SPDX-License-Identifier: MIT
/*
 * -snapshot, as in QEMU: the disk is opened through a temporary qcow2
 * overlay whose backing file is the image, so that the guest's writes go
 * to the overlay and vanish with it.  The overlay is unlinked as soon as
 * it is open; its cache mode is unsafe, as QEMU's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmlite/qcow2.h"
#include "block_priv.h"

/* The image's format and size, as its backing file will be seen. */
static int probe_image(const struct block_options *o, const char **fmt,
		       uint64_t *size, char *err, size_t errlen)
{
	struct image_open_opts io = { .filename = o->filename,
				      .format = o->format };
	struct image *img = image_open(&io, err, errlen);

	if (!img)
		return -1;
	*fmt = !strcmp(image_format(img), "raw") ? "raw" : "qcow2";
	*size = image_size(img);
	image_close(img);
	return 0;
}

static int make_overlay(const struct block_options *o, char *path,
			char *err, size_t errlen)
{
	struct qcow2_create_opts c = { 0 };
	char backing[PATH_MAX];
	int fd, ret;

	if (probe_image(o, &c.backing_fmt, &c.size, err, errlen))
		return -1;
	if (!realpath(o->filename, backing)) {
		snprintf(err, errlen, "Could not open '%s': %s", o->filename,
			 strerror(errno));
		return -1;
	}
	c.backing_file = backing;
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(err, errlen, "Could not create temporary overlay: %s",
			 strerror(errno));
		return -1;
	}
	ret = qcow2_create(fd, &c, err, errlen);
	close(fd);
	if (ret)
		unlink(path);
	return ret ? -1 : 0;
}

struct block *block_open_overlay(const struct block_options *o, char *err,
				 size_t errlen)
{
	char path[] = "/var/tmp/kvmlite-snapshot-XXXXXX";
	struct block_options over = *o;
	struct block *bs;

	if (make_overlay(o, path, err, errlen))
		return NULL;
	over.filename = path;
	over.format = "qcow2";
	over.cache = BLOCK_CACHE_UNSAFE;
	over.read_only = false;
	over.snapshot = false;
	bs = block_open(&over, err, errlen);
	unlink(path);
	return bs;
}
