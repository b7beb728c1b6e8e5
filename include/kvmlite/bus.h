/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_BUS_H
#define KVMLITE_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * An I/O bus maps address ranges to device handlers.  There is one bus for
 * port I/O and one for MMIO.  Lookups happen on every vCPU exit, so the
 * ranges live in a sorted, immutable snapshot found by binary search; a
 * registration publishes a new snapshot, so readers never take a lock.
 * A handler runs after the lookup, so it may itself (un)register ranges.
 */

/*
 * Called with @offset relative to the start of the registered range.
 * @data holds @len bytes (1, 2, 4 or 8) in guest (little-endian) order.
 */
typedef void (*bus_io_fn)(void *opaque, uint64_t offset, void *data,
			  uint32_t len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_io_fn fn;
	void *opaque;
	const char *name;
};

struct bus;

struct bus *bus_new(const char *name);
void bus_free(struct bus *bus);

/* Returns 0, or -1 when the range is empty or overlaps one already there. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn,
		 void *opaque, const char *name);
int bus_unregister(struct bus *bus, uint64_t base);

/* Copies the range holding @addr to @range; false if there is none. */
bool bus_find(struct bus *bus, uint64_t addr, struct bus_range *range);

/*
 * Performs the access.  An access no device claims reads as all ones and
 * writes are dropped; returns false in that case so the caller can log it.
 */
bool bus_access(struct bus *bus, uint64_t addr, void *data, uint32_t len,
		bool is_write);

#endif
