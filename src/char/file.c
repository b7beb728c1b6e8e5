// SPDX-License-Identifier: MIT
/* "file:PATH": output only, truncating the file as QEMU does. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chardev_priv.h"

struct file_chardev {
	struct chardev chr;
	int fd;
	/* Keeps lines written by different vCPUs from interleaving. */
	pthread_mutex_t lock;
};

static ssize_t file_write(struct chardev *chr, const void *buf, size_t len)
{
	struct file_chardev *f = container_of(chr, struct file_chardev, chr);
	int ret;

	pthread_mutex_lock(&f->lock);
	ret = chardev_write_all(f->fd, buf, len);
	pthread_mutex_unlock(&f->lock);
	return ret ? -1 : (ssize_t)len;
}

static void file_close(struct chardev *chr)
{
	struct file_chardev *f = container_of(chr, struct file_chardev, chr);

	close(f->fd);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static const struct chardev_ops file_ops = {
	.write = file_write,
	.close = file_close,
};

struct chardev *chardev_file_open(const struct chardev_spec *spec,
				  const char *label, char *err,
				  size_t errlen)
{
	struct file_chardev *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "Out of memory");
		return NULL;
	}
	f->fd = open(spec->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		     0644);
	if (f->fd < 0) {
		snprintf(err, errlen, "Could not open '%s': %s", spec->path,
			 strerror(errno));
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	chardev_init(&f->chr, &file_ops, label);
	return &f->chr;
}
