// SPDX-License-Identifier: MIT
/*
 * qcow2: recognised, so that a qcow2 image is never mistaken for a raw
 * disk, but not yet opened (issue 6 brings the driver).
 */
#include <stdio.h>

#include "block_priv.h"

/* "QFI\xfb", whatever the version: no other format may claim it. */
static bool qcow2_probe(const uint8_t *buf, size_t len)
{
	return len >= 4 && buf[0] == 'Q' && buf[1] == 'F' && buf[2] == 'I' &&
	       buf[3] == 0xfb;
}

static int qcow2_open(struct block *bs, char *err, size_t errlen)
{
	uint8_t head[BLOCK_PROBE_SIZE];
	int n = block_file_read_head(&bs->file, head, sizeof(head));

	if (n < 0 || !qcow2_probe(head, n))
		snprintf(err, errlen, "Image is not in qcow2 format");
	else
		snprintf(err, errlen, "'%s' is a qcow2 image, which kvmlite "
			 "cannot open yet; convert it with qemu-img convert "
			 "-O raw", bs->opts.filename);
	return -1;
}

const struct block_driver block_qcow2_driver = {
	.format = "qcow2",
	.probe = qcow2_probe,
	.open = qcow2_open,
};
