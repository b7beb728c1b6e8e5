// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include "kvmlite/log.h"
#include "kvmlite/unimp.h"

struct unimp_log *unimp_log_new(void)
{
	struct unimp_log *log = calloc(1, sizeof(*log));

	if (log)
		pthread_mutex_init(&log->lock, NULL);
	return log;
}

void unimp_log_port(struct unimp_log *log, uint16_t port, bool is_write)
{
	uint8_t bit = 1U << (port & 7);

	if (__atomic_fetch_or(&log->ports[port >> 3], bit, __ATOMIC_RELAXED) &
	    bit)
		return;
	log_msg("unimplemented port 0x%04x %s", port,
		is_write ? "write" : "read");
}

/* Returns true the first time @addr is seen, while there is room. */
static bool mmio_first_time(struct unimp_log *log, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < log->nr_mmio; i++)
		if (log->mmio[i] == addr)
			return false;
	if (log->nr_mmio == UNIMP_MMIO_MAX)
		return false;
	log->mmio[log->nr_mmio++] = addr;
	if (log->nr_mmio == UNIMP_MMIO_MAX)
		log_msg("unimplemented MMIO: %d addresses logged, no more "
			"will be", UNIMP_MMIO_MAX);
	return true;
}

void unimp_log_mmio(struct unimp_log *log, uint64_t addr, bool is_write)
{
	bool first;

	pthread_mutex_lock(&log->lock);
	first = mmio_first_time(log, addr);
	pthread_mutex_unlock(&log->lock);
	if (first)
		log_msg("unimplemented MMIO 0x%llx %s",
			(unsigned long long)addr, is_write ? "write" : "read");
}
