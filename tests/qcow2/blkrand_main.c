// SPDX-License-Identifier: MIT
/*
 * blkrand IMAGE SHADOW OPS SEED [crash|verify|verify-crash]: the random
 * I/O of tests/qcow2/blkrand.c from the command line, for debugging.
 * blkrand IMAGE FORMAT seqwrite|seqread|randread BLOCK_KIB QD: MB/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkrand.h"

int main(int argc, char **argv)
{
	struct blkrand_opts o = { .queue_depth = 8, .discard = true };
	const char *mode = argc > 5 ? argv[5] : "";

	if (argc == 6 && strstr("seqwrite seqread randread", argv[3])) {
		printf("%.1f\n", blkrand_bench(argv[1], argv[2],
					       !strcmp(argv[3], "seqwrite"),
					       !strcmp(argv[3], "randread"),
					       atoi(argv[4]) * 1024,
					       atoi(argv[5])));
		return 0;
	}
	if (argc < 5) {
		fprintf(stderr, "usage: blkrand IMAGE SHADOW OPS SEED [crash|verify|verify-crash]\n");
		return 2;
	}
	o.image = argv[1];
	o.shadow = argv[2];
	o.ops = atoi(argv[3]);
	o.seed = atoi(argv[4]);
	o.crash_mode = !strcmp(mode, "crash");
	if (getenv("BLKRAND_NODISCARD"))
		o.discard = false;
	if (getenv("BLKRAND_QD"))
		o.queue_depth = atoi(getenv("BLKRAND_QD"));
	if (!strncmp(mode, "verify", 6))
		return blkrand_verify(o.image, o.format, o.shadow,
				      !strcmp(mode, "verify-crash")) ? 1 : 0;
	return blkrand_run(&o) ? 1 : 0;
}
