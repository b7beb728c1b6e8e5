// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a qcow2 image from the input is opened read-only from a
 * memory file, its first megabytes and a few places the input picks are
 * read, and it is checked as kvmlite-img check would.  Whatever the image
 * says, this must neither crash nor hang nor allocate without bound.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmlite/qcow2.h"

#define READ_SPAN	(1u << 20)

static void read_some(struct qcow2 *q, const uint8_t *data, size_t size)
{
	static uint8_t buf[READ_SPAN];
	uint64_t disk = qcow2_size(q), off;
	struct iovec iov = { buf, sizeof(buf) };
	size_t i;

	if (disk >= sizeof(buf))
		qcow2_readv(q, 0, &iov, 1);
	for (i = 0; i + 8 <= size && i < 64; i += 8) {
		off = (*(const uint64_t *)(data + i)) % (disk ? disk : 1);
		iov.iov_len = disk - off < 65536 ? disk - off : 65536;
		qcow2_readv(q, off, &iov, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qcow2_open_opts o = { .filename = "fuzz.qcow2",
				     .read_only = true, .no_backing = true,
				     .l2_cache_size = 1,
				     .refcount_cache_size = 1 };
	struct qcow2_check_result res;
	FILE *null = fopen("/dev/null", "w");
	char err[512];
	struct qcow2 *q;

	o.fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (o.fd < 0 || write(o.fd, data, size) != (ssize_t)size) {
		close(o.fd);
		fclose(null);
		return 0;
	}
	if (!qcow2_open(&o, &q, err, sizeof(err))) {
		read_some(q, data, size);
		qcow2_check(q, 0, &res, null);
		qcow2_close(q);
	}
	close(o.fd);
	fclose(null);
	return 0;
}
