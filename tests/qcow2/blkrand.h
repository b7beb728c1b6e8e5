/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_TESTS_BLKRAND_H
#define KVMLITE_TESTS_BLKRAND_H

/*
 * Random I/O through the block layer, checked against a raw shadow copy
 * of the disk: shared by the qcow2 interoperability test and the crash
 * test.
 */

#include <stdbool.h>
#include <stdint.h>

#include "kvmlite/block.h"

struct blkrand_opts {
	const char *image;
	const char *shadow;	/* raw file with the expected contents */
	const char *format;
	unsigned int ops;
	unsigned int seed;
	unsigned int max_len;	/* bytes per request */
	unsigned int queue_depth;
	bool discard;		/* DISCARD and WRITE_ZEROES too */
	bool direct;		/* cache=none */
	enum block_aio aio;
	/*
	 * Crash mode: batches of writes, each followed by a FLUSH, and only
	 * then copied into the shadow; the batch in progress is described
	 * in "<shadow>.pending" first, so that verify can accept it.
	 */
	bool crash_mode;
};

/* 0 when every read matched; prints what did not. */
int blkrand_run(const struct blkrand_opts *o);
/* Whether the image reads as the shadow (in crash mode: or the pending
   batch's data, sector by sector).  @format NULL: probed. */
int blkrand_verify(const char *image, const char *format, const char *shadow,
		   bool crash_mode);

/*
 * MB/s of reading or writing the whole disk in @block_len requests, @qd
 * in flight, with cache=none (blocks in order, or as many at random
 * places); the close, with its flush, is timed too.
 */
double blkrand_bench(const char *image, const char *format, bool write,
		     bool random_order, unsigned int block_len,
		     unsigned int qd);

#endif
