// SPDX-License-Identifier: MIT
/* "null": a port whose output is discarded and which never has input. */
#include <stdio.h>
#include <stdlib.h>

#include "chardev_priv.h"

static ssize_t null_write(struct chardev *chr, const void *buf, size_t len)
{
	(void)chr;
	(void)buf;
	return len;
}

static void null_close(struct chardev *chr)
{
	free(chr);
}

static const struct chardev_ops null_ops = {
	.write = null_write,
	.close = null_close,
};

struct chardev *chardev_null_open(const char *label, char *err,
				  size_t errlen)
{
	struct chardev *chr = calloc(1, sizeof(*chr));

	if (!chr) {
		snprintf(err, errlen, "Out of memory");
		return NULL;
	}
	chardev_init(chr, &null_ops, label);
	return chr;
}
