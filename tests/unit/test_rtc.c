// SPDX-License-Identifier: MIT
/*
 * The MC146818 against a clock the test moves by hand: register
 * encodings, UIP, SET, the three interrupts and the CMOS memory sizes.
 */
#include <stdlib.h>

#include "check.h"
#include "kvmlite/mc146818.h"

#define NSEC		1000000000ULL
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
/* 2006-06-17T16:01:21Z, a Saturday. */
#define EPOCH_2006	1150560081LL

static uint64_t now;		/* the monotonic clock */
static uint64_t deadline;	/* 0: no timer armed */
static int level, raises;

static uint64_t fake_now(void *opaque) { (void)opaque; return now; }
static int64_t fake_wall(void *opaque) { (void)opaque; return EPOCH_2006 * NSEC + 250000000; }
static void fake_arm(void *opaque, uint64_t d) { (void)opaque; deadline = d; }
static void fake_cancel(void *opaque) { (void)opaque; deadline = 0; }

static void fake_irq(void *opaque, int lvl)
{
	(void)opaque;
	raises += lvl && !level;
	level = lvl;
}

static const struct irq_line irq = { fake_irq, NULL };
static const struct rtc_clock clk = {
	fake_now, fake_wall, fake_arm, fake_cancel, NULL,
};

static struct rtc *make(enum rtc_base base, int64_t start, uint64_t low,
			uint64_t high)
{
	struct rtc_config cfg = { { base, start }, low, high };

	now = 1000 * NSEC;
	deadline = 0;
	level = raises = 0;
	return rtc_new_with_clock(&irq, &cfg, &clk);
}

static struct rtc *make_2006(void)
{
	return make(RTC_BASE_DATE, EPOCH_2006, 64 * MiB, 0);
}

static uint8_t rd(struct rtc *rtc, uint8_t reg)
{
	uint8_t v = reg;

	rtc_io(rtc, 0, &v, 1, true);
	rtc_io(rtc, 1, &v, 1, false);
	return v;
}

static void wr(struct rtc *rtc, uint8_t reg, uint8_t val)
{
	rtc_io(rtc, 0, &reg, 1, true);
	rtc_io(rtc, 1, &val, 1, true);
}

/* Moves the clock to @to, firing the timer at each deadline on the way. */
static void advance_to(struct rtc *rtc, uint64_t to)
{
	while (deadline && deadline <= to) {
		now = deadline;
		deadline = 0;
		rtc_timer_expired(rtc);
	}
	now = to;
}

/* The IRQ 8 level once the clock is at @to. */
static int level_at(struct rtc *rtc, uint64_t to)
{
	advance_to(rtc, to);
	return level;
}

struct reg_val {
	uint8_t reg;
	uint8_t val;
};

static void write_regs(struct rtc *rtc, const struct reg_val *rv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		wr(rtc, rv[i].reg, rv[i].val);
}

/* Reads each register of @rv in turn and checks its value. */
static void check_regs(struct rtc *rtc, const struct reg_val *rv, size_t n)
{
	uint8_t v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = rd(rtc, rv[i].reg);
		CHECK_EQ(v, rv[i].val);
		if (v != rv[i].val)
			printf("    register 0x%02x\n", rv[i].reg);
	}
}

TEST(fixed_time_bcd_24h)
{
	static const struct reg_val regs[] = {
		{ 0x00, 0x21 },
		{ 0x02, 0x01 },
		{ 0x04, 0x16 },
		{ 0x06, 0x07 },	/* Saturday */
		{ 0x07, 0x17 },
		{ 0x08, 0x06 },
		{ 0x09, 0x06 },
		{ 0x32, 0x20 },
		{ 0x0a, 0x26 },
		{ 0x0b, 0x02 },
		{ 0x0d, 0x80 },
	};
	struct rtc *rtc = make_2006();

	check_regs(rtc, regs, ARRAY_SIZE(regs));
	rtc_free(rtc);
}

TEST(binary_mode)
{
	static const struct reg_val regs[] = {
		{ 0x00, 21 },
		{ 0x02, 1 },
		{ 0x04, 16 },
		{ 0x06, 7 },
		{ 0x07, 17 },
		{ 0x08, 6 },
		{ 0x09, 6 },
		{ 0x32, 20 },
	};
	struct rtc *rtc = make_2006();

	wr(rtc, 0x0b, 0x06);
	check_regs(rtc, regs, ARRAY_SIZE(regs));
	rtc_free(rtc);
}

static uint8_t hour_at(int64_t epoch, uint8_t b)
{
	struct rtc *rtc = make(RTC_BASE_DATE, epoch, 64 * MiB, 0);
	uint8_t h;

	wr(rtc, 0x0b, b);
	h = rd(rtc, 0x04);
	rtc_free(rtc);
	return h;
}

TEST(twelve_hour)
{
	int64_t day = 1150502400;	/* 2006-06-17T00:00:00Z */

	CHECK_EQ(hour_at(day, 0x00), 0x12);		/* 12 AM */
	CHECK_EQ(hour_at(day + 3600, 0x00), 0x01);
	CHECK_EQ(hour_at(day + 11 * 3600, 0x00), 0x11);
	CHECK_EQ(hour_at(day + 12 * 3600, 0x00), 0x92);	/* 12 PM */
	CHECK_EQ(hour_at(day + 13 * 3600, 0x00), 0x81);
	CHECK_EQ(hour_at(day + 23 * 3600, 0x00), 0x91);
	CHECK_EQ(hour_at(day + 23 * 3600, 0x04), 0x8b);	/* binary */
	CHECK_EQ(hour_at(day + 12 * 3600, 0x04), 0x8c);
	CHECK_EQ(hour_at(day, 0x04), 0x0c);
	CHECK_EQ(hour_at(day, 0x02), 0x00);
	CHECK_EQ(hour_at(day + 23 * 3600, 0x06), 23);
}

TEST(century_and_leap_day)
{
	struct rtc *rtc = make(RTC_BASE_DATE, 4107542399LL, 64 * MiB, 0);

	/* 2100-02-28T23:59:59, then 2100-03-01: 2100 is not a leap year. */
	CHECK_EQ(rd(rtc, 0x32), 0x21);
	CHECK_EQ(rd(rtc, 0x09), 0x00);
	CHECK_EQ(rd(rtc, 0x08), 0x02);
	now += NSEC;
	CHECK_EQ(rd(rtc, 0x08), 0x03);
	CHECK_EQ(rd(rtc, 0x07), 0x01);
	CHECK_EQ(rd(rtc, 0x06), 0x02);	/* Monday */
	rtc_free(rtc);
}

TEST(host_time_advances)
{
	struct rtc *rtc = make(RTC_BASE_UTC, 0, 64 * MiB, 0);

	/* The wall clock is 0.25 s into 16:01:21. */
	CHECK_EQ(rd(rtc, 0x00), 0x21);
	now += 740000000;
	CHECK_EQ(rd(rtc, 0x00), 0x21);
	now += 10000000;
	CHECK_EQ(rd(rtc, 0x00), 0x22);
	now += 39 * NSEC;
	CHECK_EQ(rd(rtc, 0x00), 0x01);
	CHECK_EQ(rd(rtc, 0x02), 0x02);
	rtc_free(rtc);
}

TEST(uip_window)
{
	struct rtc *rtc = make_2006();
	uint64_t second = now + NSEC;

	CHECK_EQ(rd(rtc, 0x0a) & 0x80, 0);
	now = second - 244001;
	CHECK_EQ(rd(rtc, 0x0a) & 0x80, 0);
	now = second - 244000;
	CHECK_EQ(rd(rtc, 0x0a) & 0x80, 0x80);
	CHECK_EQ(rd(rtc, 0x00), 0x21);
	now = second - 1;
	CHECK_EQ(rd(rtc, 0x0a) & 0x80, 0x80);
	now = second;
	CHECK_EQ(rd(rtc, 0x0a) & 0x80, 0);
	CHECK_EQ(rd(rtc, 0x00), 0x22);
	/* Under SET there are no updates to be in progress. */
	wr(rtc, 0x0b, 0x82);
	now = second + NSEC - 1000;
	CHECK_EQ(rd(rtc, 0x0a) & 0x80, 0);
	rtc_free(rtc);
}

TEST(set_freezes_and_guest_time_counts)
{
	static const struct reg_val set[] = {
		{ 0x04, 0x09 },
		{ 0x02, 0x30 },
		{ 0x00, 0x58 },
		{ 0x09, 0x99 },
		{ 0x08, 0x12 },
		{ 0x07, 0x31 },
		{ 0x32, 0x19 },
	};
	static const struct reg_val counted[] = {
		{ 0x00, 0x00 },
		{ 0x02, 0x31 },
		{ 0x04, 0x09 },
		{ 0x09, 0x99 },
		{ 0x32, 0x19 },
		{ 0x06, 0x06 },	/* 1999-12-31 was a Friday */
	};
	struct rtc *rtc = make_2006();

	wr(rtc, 0x0b, 0x82);
	now += 5 * NSEC;
	CHECK_EQ(rd(rtc, 0x00), 0x21);
	write_regs(rtc, set, ARRAY_SIZE(set));
	CHECK_EQ(rd(rtc, 0x00), 0x58);
	wr(rtc, 0x0b, 0x02);
	CHECK_EQ(rd(rtc, 0x00), 0x58);
	now += 2 * NSEC;
	check_regs(rtc, counted, ARRAY_SIZE(counted));
	/* A write to a counting clock changes nothing. */
	wr(rtc, 0x00, 0x10);
	CHECK_EQ(rd(rtc, 0x00), 0x00);
	rtc_free(rtc);
}

TEST(divider_reset_holds)
{
	struct rtc *rtc = make_2006();

	wr(rtc, 0x0a, 0x76);
	now += 10 * NSEC;
	CHECK_EQ(rd(rtc, 0x00), 0x21);
	wr(rtc, 0x0a, 0x26);
	now += NSEC / 2 - 1;
	CHECK_EQ(rd(rtc, 0x00), 0x21);
	now += 1;
	CHECK_EQ(rd(rtc, 0x00), 0x22);
	rtc_free(rtc);
}

TEST(update_ended_interrupt)
{
	struct rtc *rtc = make_2006();
	uint64_t start = now;
	int i;

	CHECK_EQ(rd(rtc, 0x0c), 0);
	wr(rtc, 0x0b, 0x12);
	CHECK(deadline);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(level_at(rtc, start + (i + 1) * NSEC - 1), 0);
		CHECK_EQ(level_at(rtc, start + (i + 1) * NSEC), 1);
		/* PF runs at 1024 Hz too, enabled or not. */
		CHECK_EQ(rd(rtc, 0x0c), 0xd0);
		CHECK_EQ(level, 0);
	}
	CHECK_EQ(raises, 5);
	/* Without UIE the flag is still set, but no interrupt. */
	wr(rtc, 0x0b, 0x02);
	CHECK_EQ(deadline, 0);
	now += NSEC;
	CHECK_EQ(rd(rtc, 0x0c), 0x50);
	CHECK_EQ(raises, 5);
	rtc_free(rtc);
}

static int periodic_irqs(uint8_t a)
{
	struct rtc *rtc = make_2006();
	uint64_t end = now + NSEC;
	int n = 0;

	wr(rtc, 0x0a, a);
	wr(rtc, 0x0b, 0x42);
	while (deadline && deadline <= end) {
		now = deadline;
		deadline = 0;
		rtc_timer_expired(rtc);
		if (level) {
			n++;
			CHECK_EQ(rd(rtc, 0x0c) & 0xe0, 0xc0);
		}
	}
	rtc_free(rtc);
	return n;
}

TEST(periodic_rates)
{
	CHECK_EQ(periodic_irqs(0x26), 1024);
	CHECK_EQ(periodic_irqs(0x2f), 2);
	CHECK_EQ(periodic_irqs(0x23), 8192);
	CHECK_EQ(periodic_irqs(0x21), 256);
	CHECK_EQ(periodic_irqs(0x22), 128);
	CHECK_EQ(periodic_irqs(0x20), 0);
	CHECK_EQ(periodic_irqs(0x66), 0);	/* divider in reset */
}

TEST(alarm)
{
	struct rtc *rtc = make_2006();
	uint64_t start = now;

	/* 16:01:25 exactly. */
	wr(rtc, 0x01, 0x25);
	wr(rtc, 0x03, 0x01);
	wr(rtc, 0x05, 0x16);
	wr(rtc, 0x0b, 0x22);
	CHECK_EQ(level_at(rtc, start + 3 * NSEC), 0);
	CHECK_EQ(level_at(rtc, start + 4 * NSEC), 1);
	CHECK_EQ(rd(rtc, 0x0c), 0xf0);
	CHECK_EQ(level_at(rtc, start + 5 * NSEC), 0);
	/* Any hour and minute: next at second 25 of the next minute. */
	wr(rtc, 0x03, 0xc0);
	wr(rtc, 0x05, 0xff);
	rd(rtc, 0x0c);
	CHECK_EQ(level_at(rtc, start + 63 * NSEC), 0);
	CHECK_EQ(level_at(rtc, start + 64 * NSEC), 1);
	CHECK_EQ(rd(rtc, 0x0c) & 0x20, 0x20);
	/* All don't care: every second. */
	wr(rtc, 0x01, 0xc5);
	advance_to(rtc, start + 65 * NSEC);
	CHECK_EQ(rd(rtc, 0x0c), 0xf0);
	rtc_free(rtc);
}

TEST(enabling_raises_pending)
{
	struct rtc *rtc = make_2006();

	now += NSEC;
	wr(rtc, 0x0b, 0x12);
	CHECK_EQ(level, 1);
	CHECK_EQ(rd(rtc, 0x0c), 0xd0);
	CHECK_EQ(level, 0);
	CHECK_EQ(rd(rtc, 0x0c), 0x00);
	rtc_free(rtc);
}

TEST(reset)
{
	struct rtc *rtc = make_2006();

	wr(rtc, 0x0b, 0x7a);
	wr(rtc, 0x40, 0x5a);
	now += NSEC;
	rtc_timer_expired(rtc);
	CHECK_EQ(level, 1);
	rtc_reset(rtc);
	CHECK_EQ(level, 0);
	CHECK_EQ(deadline, 0);
	CHECK_EQ(rd(rtc, 0x0b), 0x02);
	CHECK_EQ(rd(rtc, 0x0c), 0x00);
	CHECK_EQ(rd(rtc, 0x40), 0x5a);
	CHECK_EQ(rd(rtc, 0x00), 0x22);
	rtc_free(rtc);
}

TEST(nvram_and_readonly)
{
	struct rtc *rtc = make_2006();
	unsigned int i;

	for (i = 0x0e; i < 128; i++)
		if (i != 0x32)
			wr(rtc, i, i ^ 0xa5);
	for (i = 0x0e; i < 128; i++)
		if (i != 0x32)
			CHECK_EQ(rd(rtc, i), i ^ 0xa5);
	wr(rtc, 0x0d, 0x00);
	CHECK_EQ(rd(rtc, 0x0d), 0x80);
	wr(rtc, 0x0c, 0xff);
	CHECK_EQ(rd(rtc, 0x0c), 0x00);
	wr(rtc, 0x0a, 0xa6);	/* UIP is read-only */
	CHECK_EQ(rd(rtc, 0x0a), 0x26);
	rtc_free(rtc);
}

TEST(nmi_mask_and_index)
{
	struct rtc *rtc = make_2006();
	uint8_t v = 0x8f;

	CHECK(!rtc_nmi_masked(rtc));
	wr(rtc, 0x8f, 0x33);	/* bit 7 masks NMI; the index is 0x0f */
	CHECK(rtc_nmi_masked(rtc));
	CHECK_EQ(rd(rtc, 0x0f), 0x33);
	CHECK(!rtc_nmi_masked(rtc));
	rtc_io(rtc, 0, &v, 1, false);
	CHECK_EQ(v, 0xff);
	rtc_free(rtc);
}

static void check_memory(uint64_t low, uint64_t high, uint16_t ext,
			 uint16_t above16, uint32_t above4g)
{
	struct rtc *rtc = make(RTC_BASE_UTC, 0, low, high);

	CHECK_EQ(rd(rtc, 0x15) | rd(rtc, 0x16) << 8, 640);
	CHECK_EQ(rd(rtc, 0x17) | rd(rtc, 0x18) << 8, ext);
	CHECK_EQ(rd(rtc, 0x30) | rd(rtc, 0x31) << 8, ext);
	CHECK_EQ(rd(rtc, 0x34) | rd(rtc, 0x35) << 8, above16);
	CHECK_EQ(rd(rtc, 0x5b) | rd(rtc, 0x5c) << 8 | rd(rtc, 0x5d) << 16,
		 above4g);
	rtc_free(rtc);
}

TEST(memory_sizes)
{
	check_memory(64 * MiB, 0, 63 * 1024, 0x0300, 0);
	/* -m 4G on pc: 3 GiB low, 1 GiB high. */
	check_memory(3 * GiB, GiB, 0xffff, 0xbf00, 0x4000);
	check_memory(3 * GiB, 13 * GiB, 0xffff, 0xbf00, 0x34000);
	check_memory(MiB / 2, 0, 0, 0, 0);
}

int main(void)
{
	RUN(fixed_time_bcd_24h);
	RUN(binary_mode);
	RUN(twelve_hour);
	RUN(century_and_leap_day);
	RUN(host_time_advances);
	RUN(uip_window);
	RUN(set_freezes_and_guest_time_counts);
	RUN(divider_reset_holds);
	RUN(update_ended_interrupt);
	RUN(periodic_rates);
	RUN(alarm);
	RUN(enabling_raises_pending);
	RUN(reset);
	RUN(nvram_and_readonly);
	RUN(nmi_mask_and_index);
	RUN(memory_sizes);
	return check_summary();
}
