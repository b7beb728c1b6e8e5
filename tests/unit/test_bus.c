// SPDX-License-Identifier: MIT
#include <stdlib.h>

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

	bus_register(bus, 0x1000, 0x100, record_io, &rec, "dev");
	CHECK(bus_find(bus, 0xfff) == NULL);
	CHECK(bus_find(bus, 0x1000) != NULL);
	CHECK(bus_find(bus, 0x10ff) != NULL);
	CHECK(bus_find(bus, 0x1100) == NULL);
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
		const struct bus_range *r = bus_find(bus, i * 16 + 7);

		CHECK(r && r->opaque == &recs[i]);
		CHECK(bus_find(bus, i * 16 + 8) == NULL);
	}
	bus_free(bus);
}

TEST(unregister_removes_only_that_range)
{
	struct bus *bus = bus_new("pio");
	struct recorder a = { 0 }, b = { 0 };

	bus_register(bus, 0x10, 4, record_io, &a, "a");
	bus_register(bus, 0x20, 4, record_io, &b, "b");
	CHECK_EQ(bus_unregister(bus, 0x10), 0);
	CHECK(bus_find(bus, 0x10) == NULL);
	CHECK(bus_find(bus, 0x20) != NULL);
	CHECK_EQ(bus_unregister(bus, 0x11), -1);
	bus_free(bus);
}

int main(void)
{
	RUN(finds_registered_range_with_relative_offset);
	RUN(unclaimed_read_is_all_ones_and_reported);
	RUN(range_bounds_are_exact);
	RUN(overlapping_and_empty_ranges_are_refused);
	RUN(many_ranges_in_any_order_all_found);
	RUN(unregister_removes_only_that_range);
	return check_summary();
}
