/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_IOV_H
#define KVMLITE_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Scatter-gather lists; every function stops at the end of the list. */

size_t iov_size(const struct iovec *iov, unsigned int cnt);
/* Copies bytes from the list, starting @offset bytes in; returns them. */
size_t iov_to_buf(const struct iovec *iov, unsigned int cnt, size_t offset,
		  void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int cnt, size_t offset,
		    const void *buf, size_t len);
size_t iov_memset(const struct iovec *iov, unsigned int cnt, size_t offset,
		  int c, size_t len);

#endif
