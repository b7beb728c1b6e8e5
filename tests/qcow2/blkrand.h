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
   batch's data, sector by sector). */
int blkrand_verify(const char *image, const char *shadow, bool crash_mode);

#endif
