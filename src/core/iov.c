// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <string.h>

#include "kvmlite/iov.h"

size_t iov_size(const struct iovec *iov, unsigned int cnt)
{
	size_t total = 0;
	unsigned int i;

	for (i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	return total;
}

enum iov_dir { IOV_TO_BUF, IOV_FROM_BUF, IOV_FILL };

/* The one walk behind the three copies; @c is the fill byte. */
static size_t iov_walk(const struct iovec *iov, unsigned int cnt,
		       size_t offset, uint8_t *buf, size_t len,
		       enum iov_dir dir, int c)
{
	size_t done = 0, n;
	unsigned int i;
	uint8_t *seg;

	for (i = 0; i < cnt && done < len; i++) {
		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		seg = (uint8_t *)iov[i].iov_base + offset;
		n = iov[i].iov_len - offset;
		if (n > len - done)
			n = len - done;
		if (dir == IOV_TO_BUF)
			memcpy(buf + done, seg, n);
		else if (dir == IOV_FROM_BUF)
			memcpy(seg, buf + done, n);
		else
			memset(seg, c, n);
		done += n;
		offset = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int cnt, size_t offset,
		  void *buf, size_t len)
{
	return iov_walk(iov, cnt, offset, buf, len, IOV_TO_BUF, 0);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int cnt, size_t offset,
		    const void *buf, size_t len)
{
	return iov_walk(iov, cnt, offset, (uint8_t *)buf, len, IOV_FROM_BUF,
			0);
}

size_t iov_memset(const struct iovec *iov, unsigned int cnt, size_t offset,
		  int c, size_t len)
{
	return iov_walk(iov, cnt, offset, NULL, len, IOV_FILL, c);
}
