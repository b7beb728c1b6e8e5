// SPDX-License-Identifier: MIT
/*
 * The 8254 driven through its ports on a hand-driven clock, with the
 * timer hook and IRQ 0 recorded.  Time is set in whole PIT ticks; the
 * expected counts and OUT levels are the datasheet's, written out.
 */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "kvmlite/i8254.h"

#define T0		100000ULL	/* an arbitrary start, in ticks */
#define CW		0x43
#define P61_OUT2	0x20
#define P61_REFRESH	0x10

struct rig {
	uint64_t ns;
	bool armed;
	uint64_t deadline;
	int level;
	int edges;		/* IRQ 0 rising edges */
	struct pit *pit;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct rig *)opaque)->ns;
}

static void fake_arm(void *opaque, uint64_t deadline_ns)
{
	struct rig *r = opaque;

	r->armed = true;
	r->deadline = deadline_ns;
}

static void fake_cancel(void *opaque)
{
	((struct rig *)opaque)->armed = false;
}

static void fake_irq(void *opaque, int level)
{
	struct rig *r = opaque;

	if (level && !r->level)
		r->edges++;
	r->level = level;
}

static void rig_init(struct rig *r)
{
	struct pit_clock clock = {
		.now_ns = fake_now, .arm = fake_arm, .cancel = fake_cancel,
		.opaque = r,
	};
	struct irq_line irq = { .set_level = fake_irq, .opaque = r };

	memset(r, 0, sizeof(*r));
	r->ns = pit_ticks_to_ns(T0);
	r->pit = pit_new_custom(&irq, &clock);
}

static void at(struct rig *r, uint64_t ticks)
{
	r->ns = pit_ticks_to_ns(T0 + ticks);
}

static void outb(struct rig *r, unsigned int port, uint8_t v)
{
	if (port == 0x61)
		pit_port61_io(r->pit, 0, &v, 1, true);
	else
		pit_io(r->pit, port - 0x40, &v, 1, true);
}

static uint8_t inb(struct rig *r, unsigned int port)
{
	uint8_t v;

	if (port == 0x61)
		pit_port61_io(r->pit, 0, &v, 1, false);
	else
		pit_io(r->pit, port - 0x40, &v, 1, false);
	return v;
}

/* Control word for @ch in LSB-then-MSB access, then the count. */
static void program(struct rig *r, int ch, int mode, bool bcd,
		    uint16_t count)
{
	outb(r, CW, ch << 6 | 0x30 | mode << 1 | bcd);
	outb(r, 0x40 + ch, count & 0xff);
	outb(r, 0x40 + ch, count >> 8);
}

/* The live count, LSB then MSB. */
static uint16_t count(struct rig *r, int ch)
{
	uint16_t lo = inb(r, 0x40 + ch);

	return lo | inb(r, 0x40 + ch) << 8;
}

static uint8_t status(struct rig *r, int ch)
{
	outb(r, CW, 0xe0 | 2 << ch);
	return inb(r, 0x40 + ch);
}

static bool out(struct rig *r, int ch)
{
	return status(r, ch) & 0x80;
}

/* The live count and OUT of @ch at tick @ticks. */
static uint16_t count_at(struct rig *r, int ch, uint64_t ticks)
{
	at(r, ticks);
	return count(r, ch);
}

static bool out_at(struct rig *r, int ch, uint64_t ticks)
{
	at(r, ticks);
	return out(r, ch);
}

/* The timer hook firing at its deadline, or early or late at @ticks. */
static void fire(struct rig *r)
{
	r->ns = r->deadline;
	pit_timer_expired(r->pit);
}

/* Every expiry the timer asks for over the next second */
static void fire_for_a_second(struct rig *r)
{
	uint64_t end = r->ns + 1000000000ULL;

	while (r->armed && r->deadline <= end)
		fire(r);
}

static void expire_at(struct rig *r, uint64_t ticks)
{
	at(r, ticks);
	pit_timer_expired(r->pit);
}

/* A rising edge on GATE2 through port 0x61. */
static void retrigger(struct rig *r)
{
	outb(r, 0x61, 0);
	outb(r, 0x61, 1);
}

/* Count and OUT of @ch from tick @from on, one per tick. */
static void check_seq(struct rig *r, int ch, uint64_t from,
		      const uint16_t *counts, const char *outs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		at(r, from + i);
		CHECK_EQ(count(r, ch), counts[i]);
		CHECK_EQ(out(r, ch), outs[i] == 'h');
	}
}

/* Channel 0 from tick 0 on, in @mode with binary count @initial. */
static void check_mode(struct rig *r, int mode, uint16_t initial,
		       const uint16_t *counts, const char *outs, size_t n)
{
	rig_init(r);
	program(r, 0, mode, false, initial);
	check_seq(r, 0, 0, counts, outs, n);
}

/* Channel 2 in @mode with binary count @initial, its gate already high. */
static void gated_ch2(struct rig *r, int mode, uint16_t initial)
{
	rig_init(r);
	outb(r, 0x61, 1);
	program(r, 2, mode, false, initial);
}

TEST(tick_conversion)
{
	CHECK_EQ(pit_ns_to_ticks(1000000000ULL), 1193182);
	CHECK_EQ(pit_ns_to_ticks(838), 0);
	CHECK_EQ(pit_ns_to_ticks(839), 1);
	CHECK_EQ(pit_ticks_to_ns(1), 839);
	/* Large host uptimes do not overflow. */
	CHECK_EQ(pit_ns_to_ticks(10000000000000000000ULL),
		 11931820000000000ULL);
	CHECK_EQ(pit_ns_to_ticks(pit_ticks_to_ns(123456789)), 123456789);
}

TEST(mode0_terminal_count)
{
	static const uint16_t c[] = { 5, 4, 3, 2, 1, 0, 0xffff, 0xfffe };
	struct rig r;

	rig_init(&r);
	outb(&r, CW, 0x30);
	CHECK(!out(&r, 0));
	outb(&r, 0x40, 5);
	outb(&r, 0x40, 0);
	check_seq(&r, 0, 0, c, "lllllhhh", ARRAY_SIZE(c));
	pit_free(r.pit);
}

TEST(mode0_irq_once)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 0, false, 100);
	CHECK(r.armed);
	CHECK_EQ(r.deadline, pit_ticks_to_ns(T0 + 100));
	fire(&r);
	CHECK_EQ(r.edges, 1);
	CHECK_EQ(r.level, 0);
	CHECK(!r.armed);
	pit_free(r.pit);
}

TEST(mode0_first_byte_stops_counting)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 0, false, 100);
	at(&r, 10);
	outb(&r, 0x40, 50);
	CHECK_EQ(count_at(&r, 0, 20), 90);
	CHECK(!out(&r, 0));
	outb(&r, 0x40, 0);
	CHECK_EQ(count_at(&r, 0, 30), 40);
	pit_free(r.pit);
}

TEST(mode0_gate_holds)
{
	struct rig r;

	gated_ch2(&r, 0, 10);
	at(&r, 3);
	outb(&r, 0x61, 0);
	CHECK_EQ(count_at(&r, 2, 50), 7);
	CHECK(!out(&r, 2));
	outb(&r, 0x61, 1);
	CHECK_EQ(count_at(&r, 2, 57), 0);
	CHECK(out(&r, 2));
	pit_free(r.pit);
}

TEST(mode1_one_shot_and_retrigger)
{
	struct rig r;

	rig_init(&r);
	program(&r, 2, 1, false, 5);
	CHECK(out_at(&r, 2, 10));
	CHECK(status(&r, 2) & 0x40);	/* null count until triggered */
	outb(&r, 0x61, 1);
	CHECK_EQ(count(&r, 2), 5);
	CHECK(!out(&r, 2));
	CHECK(!(status(&r, 2) & 0x40));
	CHECK_EQ(count_at(&r, 2, 13), 2);
	/* Gate low does not stop mode 1; a rising edge restarts it. */
	retrigger(&r);
	CHECK_EQ(count_at(&r, 2, 17), 1);
	CHECK(!out(&r, 2));
	CHECK(out_at(&r, 2, 18));
	CHECK_EQ(count(&r, 2), 0);
	pit_free(r.pit);
}

TEST(mode2_rate_generator)
{
	static const uint16_t c[] = { 4, 3, 2, 1, 4, 3, 2, 1, 4 };
	struct rig r;

	check_mode(&r, 2, 4, c, "hhhlhhhlh", ARRAY_SIZE(c));
	CHECK_EQ(r.deadline, pit_ticks_to_ns(T0 + 4));
	pit_free(r.pit);
}

TEST(mode2_new_count_at_period_end)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 2, false, 10);
	at(&r, 3);
	outb(&r, 0x40, 20);
	outb(&r, 0x40, 0);
	CHECK_EQ(count(&r, 0), 7);
	CHECK_EQ(count_at(&r, 0, 9), 1);
	CHECK_EQ(count_at(&r, 0, 10), 20);
	CHECK_EQ(count_at(&r, 0, 29), 1);
	pit_free(r.pit);
}

TEST(mode2_gate)
{
	struct rig r;

	gated_ch2(&r, 2, 5);
	CHECK_EQ(count_at(&r, 2, 3), 2);
	outb(&r, 0x61, 0);
	CHECK_EQ(count_at(&r, 2, 40), 2);
	CHECK(out(&r, 2));
	outb(&r, 0x61, 1);
	CHECK_EQ(count(&r, 2), 5);
	CHECK_EQ(count_at(&r, 2, 44), 1);
	CHECK(!out(&r, 2));
	pit_free(r.pit);
}

TEST(mode3_even)
{
	static const uint16_t c[] = { 6, 4, 2, 6, 4, 2, 6 };
	struct rig r;

	check_mode(&r, 3, 6, c, "hhhlllh", ARRAY_SIZE(c));
	pit_free(r.pit);
}

TEST(mode3_odd)
{
	static const uint16_t c[] = { 5, 4, 2, 5, 2, 5, 4 };
	struct rig r;

	check_mode(&r, 3, 5, c, "hhhllhh", ARRAY_SIZE(c));
	pit_free(r.pit);
}

TEST(mode3_gate)
{
	struct rig r;

	gated_ch2(&r, 3, 8);
	CHECK(!out_at(&r, 2, 5));
	CHECK_EQ(count(&r, 2), 6);
	outb(&r, 0x61, 0);
	CHECK(out(&r, 2));
	CHECK_EQ(count_at(&r, 2, 20), 6);
	outb(&r, 0x61, 1);
	CHECK_EQ(count(&r, 2), 8);
	CHECK(!out_at(&r, 2, 24));
	pit_free(r.pit);
}

TEST(mode4_strobe)
{
	static const uint16_t c[] = { 3, 2, 1, 0, 0xffff, 0xfffe };
	struct rig r;

	rig_init(&r);
	program(&r, 0, 4, false, 3);
	CHECK_EQ(r.deadline, pit_ticks_to_ns(T0 + 4));
	check_seq(&r, 0, 0, c, "hhhlhh", ARRAY_SIZE(c));
	pit_free(r.pit);
}

TEST(mode5_triggered_strobe)
{
	struct rig r;

	rig_init(&r);
	program(&r, 2, 5, false, 3);
	CHECK(out_at(&r, 2, 10));
	outb(&r, 0x61, 1);
	CHECK_EQ(count_at(&r, 2, 12), 1);
	/* Retriggered: counts from 3 again. */
	retrigger(&r);
	CHECK_EQ(count_at(&r, 2, 15), 0);
	CHECK(!out(&r, 2));
	CHECK(out_at(&r, 2, 16));
	pit_free(r.pit);
}

TEST(bcd_counting)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 0, true, 0x0010);
	CHECK_EQ(count_at(&r, 0, 3), 0x0007);
	CHECK_EQ(status(&r, 0) & 1, 1);
	/* A BCD count of 0 is 10000. */
	program(&r, 0, 0, true, 0);
	CHECK_EQ(count_at(&r, 0, 4), 0x9999);
	CHECK_EQ(count_at(&r, 0, 4 + 10000), 0x9999);
	/* Digits above 9 count at face value: 0xA0 is 100. */
	program(&r, 0, 0, true, 0x00a0);
	CHECK_EQ(count_at(&r, 0, 20005), 0x0099);
	pit_free(r.pit);
}

TEST(binary_zero_is_65536)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 2, false, 0);
	CHECK_EQ(count(&r, 0), 0);
	CHECK_EQ(count_at(&r, 0, 1), 0xffff);
	CHECK_EQ(r.deadline, pit_ticks_to_ns(T0 + 0x10000));
	pit_free(r.pit);
}

TEST(lsb_only_and_msb_only)
{
	struct rig r;

	rig_init(&r);
	outb(&r, CW, 0x10);		/* ch0, LSB only, mode 0 */
	outb(&r, 0x40, 0x34);
	at(&r, 4);
	CHECK_EQ(inb(&r, 0x40), 0x30);
	CHECK_EQ(inb(&r, 0x40), 0x30);
	outb(&r, CW, 0x20);		/* MSB only */
	outb(&r, 0x40, 0x12);
	CHECK_EQ(inb(&r, 0x40), 0x12);
	at(&r, 5);
	CHECK_EQ(inb(&r, 0x40), 0x11);
	CHECK_EQ(status(&r, 0), 0x20);
	pit_free(r.pit);
}

TEST(read_flip_flop)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 0, false, 0x1234);
	CHECK_EQ(inb(&r, 0x40), 0x34);
	at(&r, 0x35);
	/* The MSB comes from the live count: reads can tear. */
	CHECK_EQ(inb(&r, 0x40), 0x11);
	CHECK_EQ(inb(&r, 0x40), 0xff);
	/* A control word resets the flip-flop. */
	CHECK_EQ(inb(&r, 0x40), 0x11);
	program(&r, 0, 0, false, 0x0102);
	CHECK_EQ(inb(&r, 0x40), 0x02);
	CHECK_EQ(inb(&r, 0x40), 0x01);
	pit_free(r.pit);
}

TEST(counter_latch)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 0, false, 1000);
	at(&r, 100);
	outb(&r, CW, 0x00);
	at(&r, 200);
	outb(&r, CW, 0x00);		/* ignored: not read yet */
	CHECK_EQ(inb(&r, 0x40), 900 & 0xff);
	at(&r, 300);
	CHECK_EQ(inb(&r, 0x40), 900 >> 8);
	CHECK_EQ(count(&r, 0), 700);
	outb(&r, CW, 0x00);
	CHECK_EQ(count_at(&r, 0, 400), 700);
	CHECK_EQ(count(&r, 0), 600);
	pit_free(r.pit);
}

TEST(readback_several_channels)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 2, false, 1000);
	program(&r, 2, 3, true, 0x0100);
	outb(&r, 0x61, 1);
	at(&r, 10);
	outb(&r, CW, 0xc0 | 0x08 | 0x02);	/* count + status, ch0, ch2 */
	at(&r, 20);
	CHECK_EQ(inb(&r, 0x40), 0xb4);
	CHECK_EQ(count(&r, 0), 990);
	CHECK_EQ(inb(&r, 0x42), 0xb7);
	CHECK_EQ(count(&r, 2), 0x0080);
	CHECK_EQ(count(&r, 2), 0x0060);
	pit_free(r.pit);
}

TEST(readback_status_only_and_null_count)
{
	struct rig r;

	rig_init(&r);
	outb(&r, CW, 0x74);			/* ch1, word, mode 2 */
	outb(&r, CW, 0xe0 | 0x04);		/* status only, ch1 */
	outb(&r, CW, 0xe0 | 0x04);		/* ignored until read */
	outb(&r, 0x41, 50);
	CHECK_EQ(inb(&r, 0x41), 0xf4);		/* OUT high, null count */
	outb(&r, 0x41, 0);
	CHECK_EQ(count_at(&r, 1, 5), 45);
	outb(&r, CW, 0xe0 | 0x04);
	CHECK_EQ(inb(&r, 0x41), 0xb4);
	/* Count only: no status byte first. */
	outb(&r, CW, 0xd0 | 0x04);
	CHECK_EQ(count_at(&r, 1, 9), 45);
	pit_free(r.pit);
}

TEST(port61)
{
	struct rig r;
	uint8_t a, b;

	rig_init(&r);
	/* Mode 0 with no count yet: OUT2 low. */
	CHECK_EQ(inb(&r, 0x61) & ~P61_REFRESH, 0);
	outb(&r, 0x61, 0xf3);
	CHECK_EQ(inb(&r, 0x61) & 0x0f, 0x03);
	/* The Linux TSC calibration: mode 0 on ch2, poll OUT2. */
	outb(&r, 0x61, 0x01);
	program(&r, 2, 0, false, 100);
	at(&r, 99);
	CHECK(!(inb(&r, 0x61) & P61_OUT2));
	at(&r, 100);
	CHECK(inb(&r, 0x61) & P61_OUT2);
	a = inb(&r, 0x61) & P61_REFRESH;
	at(&r, 118);
	b = inb(&r, 0x61) & P61_REFRESH;
	CHECK(a != b);
	at(&r, 136);
	CHECK_EQ(inb(&r, 0x61) & P61_REFRESH, a);
	pit_free(r.pit);
}

TEST(irq0_1khz)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 2, false, 1193);
	fire_for_a_second(&r);
	CHECK_EQ(r.edges, 1000);
	CHECK_EQ(r.deadline, pit_ticks_to_ns(T0 + 1001 * 1193));
	pit_free(r.pit);
}

TEST(irq0_square_wave_rate)
{
	struct rig r;
	int i;

	rig_init(&r);
	program(&r, 0, 3, false, 11932);
	for (i = 0; i < 100; i++)
		fire(&r);
	CHECK_EQ(r.edges, 100);
	CHECK_EQ(r.deadline, pit_ticks_to_ns(T0 + 101 * 11932));
	pit_free(r.pit);
}

TEST(irq0_early_timer_rearms)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 2, false, 1193);
	expire_at(&r, 1192);
	CHECK_EQ(r.edges, 0);
	CHECK_EQ(r.deadline, pit_ticks_to_ns(T0 + 1193));
	pit_free(r.pit);
}

TEST(irq0_delay_policy)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 2, false, 1193);
	expire_at(&r, 10 * 1193 + 7);
	CHECK_EQ(r.edges, 1);
	CHECK_EQ(r.deadline, pit_ticks_to_ns(T0 + 11 * 1193 + 7));
	/* The next one is on time, then phase-aligned again. */
	fire(&r);
	CHECK_EQ(r.edges, 2);
	CHECK_EQ(r.deadline, pit_ticks_to_ns(T0 + 12 * 1193));
	pit_free(r.pit);
}

/* A count of 2 asks for ~600 kHz; the host timer holds to ~5 kHz. */
TEST(irq0_rate_floor)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 2, false, 2);
	fire_for_a_second(&r);
	CHECK(r.edges >= 4900);
	CHECK(r.edges <= 1193182 / 239 + 1);
	pit_free(r.pit);
}

TEST(reset)
{
	struct rig r;

	rig_init(&r);
	program(&r, 0, 2, false, 1193);
	outb(&r, 0x61, 0x03);
	CHECK(r.armed);
	pit_reset(r.pit);
	CHECK(!r.armed);
	CHECK_EQ(r.level, 0);
	CHECK_EQ(status(&r, 0), 0x70);
	CHECK_EQ(count(&r, 0), 0);
	CHECK_EQ(inb(&r, 0x61) & 0x0f, 0);
	pit_free(r.pit);
}

TEST(access_widths_and_offsets)
{
	struct rig r;
	uint32_t v = 0x12345605;

	rig_init(&r);
	outb(&r, CW, 0x30);
	pit_io(r.pit, 0, &v, 4, true);
	v = 0;
	pit_io(r.pit, 0, &v, 4, true);
	v = 0xdeadbeef;
	pit_io(r.pit, 0, &v, 4, false);
	CHECK_EQ(v, 0x05);
	pit_io(r.pit, 3, &v, 4, false);
	CHECK_EQ(v, 0xffffffff);
	v = 0;
	pit_io(r.pit, 7, &v, 2, false);
	CHECK_EQ(v, 0xffff);
	v = 0x10;
	pit_io(r.pit, 9, &v, 1, true);
	v = 0;
	pit_port61_io(r.pit, 1, &v, 1, false);
	CHECK_EQ(v, 0xff);
	/* The ignored accesses left the count and the flip-flop alone. */
	CHECK_EQ(inb(&r, 0x40), 0);
	CHECK_EQ(inb(&r, 0x40), 5);
	pit_free(r.pit);
}

int main(void)
{
	RUN(tick_conversion);
	RUN(mode0_terminal_count);
	RUN(mode0_irq_once);
	RUN(mode0_first_byte_stops_counting);
	RUN(mode0_gate_holds);
	RUN(mode1_one_shot_and_retrigger);
	RUN(mode2_rate_generator);
	RUN(mode2_new_count_at_period_end);
	RUN(mode2_gate);
	RUN(mode3_even);
	RUN(mode3_odd);
	RUN(mode3_gate);
	RUN(mode4_strobe);
	RUN(mode5_triggered_strobe);
	RUN(bcd_counting);
	RUN(binary_zero_is_65536);
	RUN(lsb_only_and_msb_only);
	RUN(read_flip_flop);
	RUN(counter_latch);
	RUN(readback_several_channels);
	RUN(readback_status_only_and_null_count);
	RUN(port61);
	RUN(irq0_1khz);
	RUN(irq0_square_wave_rate);
	RUN(irq0_early_timer_rearms);
	RUN(irq0_delay_policy);
	RUN(irq0_rate_floor);
	RUN(reset);
	RUN(access_widths_and_offsets);
	return check_summary();
}
