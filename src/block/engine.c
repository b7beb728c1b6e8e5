// SPDX-License-Identifier: MIT
/*
 * What both engines share: batching.  While a device holds the engine
 * plugged, submissions only queue, and the unplug starts them with one
 * system call.
 */
#include <stdint.h>
#include <unistd.h>

#include "block_priv.h"

void engine_signal(int efd)
{
	uint64_t one = 1;
	ssize_t n = write(efd, &one, sizeof(one));

	/* It only fails when the counter is full: it is signalled anyway. */
	(void)n;
}

void engine_kick(struct block_engine *e)
{
	if (e->ops->kick)
		e->ops->kick(e);
}

void engine_submit(struct block_engine *e, struct block_io *io)
{
	e->ops->submit(e, io);
	if (!e->plugged)
		engine_kick(e);
}

void engine_plug(struct block_engine *e)
{
	e->plugged++;
}

void engine_unplug(struct block_engine *e)
{
	if (e->plugged && !--e->plugged)
		engine_kick(e);
}
