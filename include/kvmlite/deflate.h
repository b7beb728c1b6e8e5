/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_DEFLATE_H
#define KVMLITE_DEFLATE_H

#include <stddef.h>

/*
 * Raw DEFLATE (RFC 1951) as qcow2 stores compressed clusters: no zlib or
 * gzip wrapper, one whole buffer in and one whole buffer out, so that
 * neither side keeps state between calls.
 */

enum inflate_status {
	INFLATE_OK = 0,			/* the final block ended */
	INFLATE_ERR_OUTPUT_FULL = -1,	/* more data than the output holds */
	INFLATE_ERR_TRUNCATED = -2,	/* the input ends inside the stream */
	INFLATE_ERR_BLOCK_TYPE = -3,	/* block type 3 */
	INFLATE_ERR_STORED_LENGTH = -4,	/* LEN is not the complement of NLEN */
	INFLATE_ERR_CODE = -5,		/* a dynamic block's code lengths */
	INFLATE_ERR_SYMBOL = -6,	/* a code no symbol has, or a reserved one */
	INFLATE_ERR_DISTANCE = -7,	/* reaches back before the output */
	INFLATE_ERR_SHORT = -8,		/* inflate_cluster: ended before the end */
};

/*
 * Decompresses @in into @out up to the end of the block marked final;
 * whatever follows it in @in is ignored.  Returns INFLATE_OK, or an
 * error of enum inflate_status.  *@produced is the number of bytes written
 * either way; on INFLATE_ERR_OUTPUT_FULL @out is full and holds the start
 * of the data.  Bytes of @out past *@produced may have been written.
 * Reads only @in, writes only @out, and runs in time linear in
 * @in_len + @out_len whatever the input.
 */
int inflate_raw(const void *in, size_t in_len, void *out, size_t out_len,
		size_t *produced);

/*
 * Decompresses a qcow2 compressed cluster: @in is the stored data, whose
 * length is only known to 512 bytes (trailing bytes are ignored), and
 * exactly @out_len bytes must come out.  As QEMU does, data that goes on
 * past @out_len is accepted: the cluster is its first @out_len bytes.
 * Returns 0 or an error of enum inflate_status.
 */
int inflate_cluster(const void *in, size_t in_len, void *out, size_t out_len);

/* A few words for an enum inflate_status, for error messages. */
const char *inflate_strerror(int status);

/*
 * The compressor.  A context holds the match finder's tables (about
 * 100 KiB), so that a run of clusters does not allocate per cluster; one
 * context per thread.
 */
struct deflate_ctx;

/* NULL when out of memory. */
struct deflate_ctx *deflate_new(void);
void deflate_free(struct deflate_ctx *ctx);

/*
 * Compresses @in into @out as one raw DEFLATE stream that QEMU's qcow2
 * driver can read (whose decoder is set up for a 4 KiB window).
 * Returns the stream's length, or 0 when it would not fit in @out_cap
 * bytes: the data is not compressible enough.  @out may have been
 * written either way.
 */
size_t deflate_compress(struct deflate_ctx *ctx, const void *in, size_t in_len,
			void *out, size_t out_cap);

#endif
