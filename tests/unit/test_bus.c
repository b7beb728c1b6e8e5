// SPDX-License-Identifier: MIT
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "kvmlite/bus.h"

struct recorder {
	uint64_t offset;
	uint32_t len;
	bool is_write;
	int calls;
};

static void record_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		      bool is_write)
{
	struct recorder *rec = opaque;

	rec->offset = offset;
	rec->len = len;
	rec->is_write = is_write;
	rec->calls++;
	if (!is_write)
		memset(data, 0x5a, len);
}

TEST(finds_registered_range_with_relative_offset)
{
	struct bus *bus = bus_new("pio");
	struct recorder rec = { 0 };
	uint8_t val = 0;

	CHECK_EQ(bus_register(bus, 0x3f8, 8, record_io, &rec, "uart"), 0);
	CHECK(bus_access(bus, 0x3fd, &val, 1, false));
	CHECK_EQ(rec.offset, 5);
	CHECK_EQ(rec.len, 1);
	CHECK_EQ(val, 0x5a);
	bus_free(bus);
}

TEST(unclaimed_read_is_all_ones_and_reported)
{
	struct bus *bus = bus_new("pio");
	struct recorder rec = { 0 };
	uint32_t val = 0;

	bus_register(bus, 0x3f8, 8, record_io, &rec, "uart");
	CHECK(!bus_access(bus, 0x400, &val, 4, false));
	CHECK_EQ(val, 0xffffffff);
	CHECK(!bus_access(bus, 0x3f7, &val, 1, true));
	CHECK_EQ(rec.calls, 0);
	bus_free(bus);
}

TEST(range_bounds_are_exact)
{
	struct bus *bus = bus_new("mmio");
	struct recorder rec = { 0 };
	struct bus_range r;

	bus_register(bus, 0x1000, 0x100, record_io, &rec, "dev");
	CHECK(!bus_find(bus, 0xfff, &r));
	CHECK(bus_find(bus, 0x1000, &r));
	CHECK(bus_find(bus, 0x10ff, &r));
	CHECK(!bus_find(bus, 0x1100, &r));
	bus_free(bus);
}

TEST(overlapping_and_empty_ranges_are_refused)
{
	struct bus *bus = bus_new("pio");
	struct recorder rec = { 0 };

	CHECK_EQ(bus_register(bus, 0x40, 4, record_io, &rec, "pit"), 0);
	CHECK_EQ(bus_register(bus, 0x43, 1, record_io, &rec, "x"), -1);
	CHECK_EQ(bus_register(bus, 0x3c, 5, record_io, &rec, "x"), -1);
	CHECK_EQ(bus_register(bus, 0x3c, 4, record_io, &rec, "x"), 0);
	CHECK_EQ(bus_register(bus, 0x44, 0, record_io, &rec, "x"), -1);
	CHECK_EQ(bus_register(bus, UINT64_MAX, 2, record_io, &rec, "x"), -1);
	bus_free(bus);
}

TEST(many_ranges_in_any_order_all_found)
{
	struct bus *bus = bus_new("pio");
	struct recorder recs[64] = { 0 };
	int i;

	/* Insert in a scrambled order; lookups must still find each. */
	for (i = 0; i < 64; i++) {
		int slot = (i * 37) % 64;

		CHECK_EQ(bus_register(bus, slot * 16, 8, record_io,
				      &recs[slot], "dev"), 0);
	}
	for (i = 0; i < 64; i++) {
		struct bus_range r;

		CHECK(bus_find(bus, i * 16 + 7, &r) && r.opaque == &recs[i]);
		CHECK(!bus_find(bus, i * 16 + 8, &r));
	}
	bus_free(bus);
}

TEST(unregister_removes_only_that_range)
{
	struct bus *bus = bus_new("pio");
	struct recorder a = { 0 }, b = { 0 };
	struct bus_range r;

	bus_register(bus, 0x10, 4, record_io, &a, "a");
	bus_register(bus, 0x20, 4, record_io, &b, "b");
	CHECK_EQ(bus_unregister(bus, 0x10), 0);
	CHECK(!bus_find(bus, 0x10, &r));
	CHECK(bus_find(bus, 0x20, &r));
	CHECK_EQ(bus_unregister(bus, 0x11), -1);
	bus_free(bus);
}

/*
 * A guest may move a BAR as often as it likes: readers on other threads
 * keep finding the ranges that stay (ASan sees any use of a freed
 * snapshot), and the snapshots replaced are freed, not kept.
 */
#ifdef __SANITIZE_ADDRESS__
#define RSS_MEANINGFUL	0	/* ASan keeps freed memory in quarantine */
#else
#define RSS_MEANINGFUL	1
#endif

struct hammer {
	struct bus *bus;
	int stop;
	unsigned long misses;
};

static void *hammer_reads(void *arg)
{
	struct hammer *h = arg;
	uint32_t val;

	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED))
		if (!bus_access(h->bus, 0x2000, &val, 4, false))
			h->misses++;
	return NULL;
}

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	if (f)
		fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST(remapping_frees_old_snapshots_under_readers)
{
	struct hammer h = { .bus = bus_new("mmio") };
	struct recorder rec = { 0 }, moving = { 0 };
	pthread_t reader;
	long before;
	int i;

	CHECK_EQ(bus_register(h.bus, 0x2000, 0x100, record_io, &rec, "stays"),
		 0);
	for (i = 0; i < 64; i++)
		bus_register(h.bus, 0x10000 + i * 0x100, 0x10, record_io,
			     &moving, "other");
	before = rss_kib();
	CHECK_EQ(pthread_create(&reader, NULL, hammer_reads, &h), 0);
	for (i = 0; i < 200000; i++) {
		CHECK_EQ(bus_register(h.bus, 0x1000, 0x100, record_io,
				      &moving, "bar"), 0);
		CHECK_EQ(bus_unregister(h.bus, 0x1000), 0);
	}
	__atomic_store_n(&h.stop, 1, __ATOMIC_RELAXED);
	pthread_join(reader, NULL);
	CHECK_EQ(h.misses, 0);
	CHECK(rec.calls > 0);
	/* 400000 snapshots of 66 ranges kept would be a gigabyte. */
	CHECK(!RSS_MEANINGFUL || rss_kib() - before < 16 * 1024);
	bus_free(h.bus);
}

int main(void)
{
	RUN(finds_registered_range_with_relative_offset);
	RUN(unclaimed_read_is_all_ones_and_reported);
	RUN(range_bounds_are_exact);
	RUN(overlapping_and_empty_ranges_are_refused);
	RUN(many_ranges_in_any_order_all_found);
	RUN(unregister_removes_only_that_range);
	RUN(remapping_frees_old_snapshots_under_readers);
	return check_summary();
}
