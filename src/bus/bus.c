// SPDX-License-Identifier: MIT
/*
 * Address-range dispatch for port I/O and MMIO exits.
 *
 * Readers (vCPU threads, on every exit) binary-search the current
 * snapshot; they never lock or allocate.  Writers
 * (device setup, and BAR relocation, which a guest may repeat as often
 * as it likes) serialise on a mutex, build a new sorted snapshot, publish
 * it, and free the old one once no reader can still be searching it.
 *
 * That moment is found with two reader counts, as in sleepable RCU: for
 * the few instructions its search takes, a reader is counted in the count
 * the epoch selects.  A reader still holding the old snapshot is counted
 * in one of the two from before the publish until it is done, so the
 * writer waits for each count to be seen at zero.  New readers are kept
 * out of the count being waited for (it first drains the one the epoch
 * does not select, then flips the epoch and drains the other), so each
 * wait ends.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/bus.h"

struct bus_table {
	size_t nr;
	struct bus_range ranges[];
};

struct bus {
	const char *name;
	struct bus_table *table;
	unsigned int epoch;
	unsigned long readers[2];
	pthread_mutex_t lock;
};

static struct bus_table *table_alloc(size_t nr)
{
	struct bus_table *t;

	t = calloc(1, sizeof(*t) + nr * sizeof(t->ranges[0]));
	if (t)
		t->nr = nr;
	return t;
}

struct bus *bus_new(const char *name)
{
	struct bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return NULL;
	bus->name = name;
	bus->table = table_alloc(0);
	if (!bus->table) {
		free(bus);
		return NULL;
	}
	pthread_mutex_init(&bus->lock, NULL);
	return bus;
}

void bus_free(struct bus *bus)
{
	if (!bus)
		return;
	free(bus->table);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

/* Index of the first range whose end lies above @addr. */
static size_t table_search(const struct bus_table *t, uint64_t addr)
{
	size_t lo = 0, hi = t->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &t->ranges[mid];

		if (addr - r->base >= r->len && addr >= r->base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void drain(struct bus *bus, unsigned int idx)
{
	while (__atomic_load_n(&bus->readers[idx & 1], __ATOMIC_SEQ_CST))
		sched_yield();
}

/* Called with bus->lock held. */
static void publish(struct bus *bus, struct bus_table *next)
{
	struct bus_table *old = bus->table;
	unsigned int epoch = bus->epoch;

	__atomic_store_n(&bus->table, next, __ATOMIC_SEQ_CST);
	drain(bus, epoch + 1);
	__atomic_store_n(&bus->epoch, epoch + 1, __ATOMIC_SEQ_CST);
	drain(bus, epoch);
	free(old);
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn,
		 void *opaque, const char *name)
{
	struct bus_range range = { base, len, fn, opaque, name };
	struct bus_table *cur, *next;
	size_t pos;
	int ret = -1;

	if (len == 0 || base + len - 1 < base)
		return -1;
	pthread_mutex_lock(&bus->lock);
	cur = bus->table;
	pos = table_search(cur, base);
	if (pos < cur->nr && cur->ranges[pos].base <= base + len - 1)
		goto out;
	next = table_alloc(cur->nr + 1);
	if (!next)
		goto out;
	memcpy(next->ranges, cur->ranges, pos * sizeof(range));
	next->ranges[pos] = range;
	memcpy(&next->ranges[pos + 1], &cur->ranges[pos],
	       (cur->nr - pos) * sizeof(range));
	publish(bus, next);
	ret = 0;
out:
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	struct bus_table *cur, *next;
	size_t pos;
	int ret = -1;

	pthread_mutex_lock(&bus->lock);
	cur = bus->table;
	pos = table_search(cur, base);
	if (pos >= cur->nr || cur->ranges[pos].base != base)
		goto out;
	next = table_alloc(cur->nr - 1);
	if (!next)
		goto out;
	memcpy(next->ranges, cur->ranges, pos * sizeof(next->ranges[0]));
	memcpy(&next->ranges[pos], &cur->ranges[pos + 1],
	       (cur->nr - pos - 1) * sizeof(next->ranges[0]));
	publish(bus, next);
	ret = 0;
out:
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

bool bus_find(struct bus *bus, uint64_t addr, struct bus_range *range)
{
	unsigned int idx = __atomic_load_n(&bus->epoch, __ATOMIC_SEQ_CST) & 1;
	const struct bus_table *t;
	bool found;
	size_t pos;

	__atomic_fetch_add(&bus->readers[idx], 1, __ATOMIC_SEQ_CST);
	t = __atomic_load_n(&bus->table, __ATOMIC_SEQ_CST);
	pos = table_search(t, addr);
	found = pos < t->nr && addr >= t->ranges[pos].base;
	if (found)
		*range = t->ranges[pos];
	__atomic_fetch_sub(&bus->readers[idx], 1, __ATOMIC_RELEASE);
	return found;
}

bool bus_access(struct bus *bus, uint64_t addr, void *data, uint32_t len,
		bool is_write)
{
	struct bus_range r;

	if (!bus_find(bus, addr, &r)) {
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	r.fn(r.opaque, addr - r.base, data, len, is_write);
	return true;
}
