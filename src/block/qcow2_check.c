// SPDX-License-Identifier: MIT
/*
 * Checking and repairing qcow2 refcounts.
 */
#include <errno.h>
#include <stdio.h>

#include "qcow2_priv.h"

int qcow2_repair_dirty(struct qcow2 *q, char *err, size_t errlen)
{
	(void)q;
	snprintf(err, errlen, "qcow2: Image was not closed cleanly; repair it with 'kvmlite-img check -r all'");
	return -EINVAL;
}
