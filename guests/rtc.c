// SPDX-License-Identifier: MIT
/*
 * The CMOS RTC: the date and time against now=UNIX-SECONDS from the
 * command line, the century byte, and the update-ended and periodic
 * interrupts on IRQ 8 through the I/O APIC.
 */
#include "guest.h"
#include "clock.h"
#include "irq.h"

#define MAX_SKEW		2	/* seconds */
/*
 * The CPU sleeps between interrupts, so the last wait ends on the first
 * update after the window: updates at 1 s and 2 s after the sync one.
 */
#define UPDATE_WINDOW_US	1500000
/*
 * 128 Hz: an emulated interrupt handler on a busy host missed 15% of
 * 1024 Hz, whose flags coalesce as on a real RTC; the rate tested is the
 * divider chain's all the same.
 */
#define PERIODIC_WINDOW_US	1000000
#define RATE_128HZ		0x29	/* 32.768 kHz divider, rate 9 */
#define PERIODIC_HZ		128
#define TOLERANCE_PCT		5
#define HOUR_PM			0x80
#define SECONDS_PER_YEAR	31556952	/* Gregorian average */
#define SYNC_TIMEOUT_US		1500000

struct rtc_time {
	unsigned int sec, min, hour, day, mon, year;	/* year: all digits */
};

static unsigned int from_bcd(uint8_t val)
{
	return (val >> 4) * 10 + (val & 0xf);
}

static unsigned int decode(uint8_t val, uint8_t reg_b)
{
	return reg_b & RTC_B_BINARY ? val : from_bcd(val);
}

/* 12-hour mode keeps PM in bit 7 and runs 12, 1, ..., 11. */
static unsigned int decode_hour(uint8_t val, uint8_t reg_b)
{
	unsigned int hour = decode(val & ~HOUR_PM, reg_b);

	if (reg_b & RTC_B_24H)
		return hour;
	return hour % 12 + (val & HOUR_PM ? 12 : 0);
}

static void read_once(struct rtc_time *t)
{
	uint8_t reg_b;

	while (cmos_read(CMOS_REG_A) & RTC_A_UIP)
		;
	reg_b = cmos_read(CMOS_REG_B);
	t->sec = decode(cmos_read(CMOS_SECONDS), reg_b);
	t->min = decode(cmos_read(CMOS_MINUTES), reg_b);
	t->hour = decode_hour(cmos_read(CMOS_HOURS), reg_b);
	t->day = decode(cmos_read(CMOS_DAY), reg_b);
	t->mon = decode(cmos_read(CMOS_MONTH), reg_b);
	t->year = decode(cmos_read(CMOS_CENTURY), reg_b) * 100 +
		  decode(cmos_read(CMOS_YEAR), reg_b);
}

/* Until two reads agree, in case an update began in between */
static void read_time(struct rtc_time *t)
{
	struct rtc_time again;

	read_once(&again);
	do {
		*t = again;
		read_once(&again);
	} while (memcmp(t, &again, sizeof(again)));
}

/* Days from 1970-01-01 to the given civil date (Howard Hinnant's) */
static long days_from_civil(long y, unsigned int m, unsigned int d)
{
	long era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static bool test_time(unsigned long now)
{
	struct rtc_time t;
	bool time_ok, century_ok;
	long skew;

	read_time(&t);
	skew = days_from_civil(t.year, t.mon, t.day) * 86400 +
	       t.hour * 3600 + t.min * 60 + t.sec - (long)now;
	time_ok = skew >= -MAX_SKEW && skew <= MAX_SKEW;
	printf("rtc: time %s %04u-%02u-%02u %02u:%02u:%02u, %ld s from now\n",
	       time_ok ? "ok" : "FAIL", t.year, t.mon, t.day, t.hour, t.min,
	       t.sec, skew);
	/* The skew check alone would pass a wrong century only by chance. */
	century_ok = t.year / 100 ==
		     (unsigned int)(1970 + now / SECONDS_PER_YEAR) / 100;
	printf("rtc: century %s 0x%02x\n", century_ok ? "ok" : "FAIL",
	       cmos_read(CMOS_CENTURY));
	return time_ok && century_ok;
}

struct irq_stats {
	uint32_t count;
	uint64_t cycles;		/* of the whole window */
	uint64_t min_gap, max_gap;	/* from the start or the last IRQ */
};

/* Waits for an IRQ 8 and acknowledges it, to start windows on one. */
static bool sync_irq(void)
{
	bool ok = irq_wait(RTC_IRQ, irq_count[RTC_IRQ] + 1,
			   tsc_cycles_us(SYNC_TIMEOUT_US));

	cmos_read(CMOS_REG_C);
	return ok;
}

/*
 * Counts IRQ 8 for @us, acknowledging each in register C.  The CPU sleeps
 * between interrupts (a polling loop here loses some), so they must keep
 * coming.
 */
static void count_irqs(uint64_t us, struct irq_stats *st)
{
	uint64_t start = rdtsc(), last = start, now;
	uint64_t cycles = tsc_cycles_us(us);
	uint32_t seen = irq_count[RTC_IRQ];

	st->count = 0;
	st->min_gap = UINT64_MAX;
	st->max_gap = 0;
	while ((now = rdtsc()) - start < cycles) {
		asm volatile("sti; hlt; cli");
		if (irq_count[RTC_IRQ] == seen)
			continue;
		cmos_read(CMOS_REG_C);
		now = rdtsc();
		st->count += irq_count[RTC_IRQ] - seen;
		seen = irq_count[RTC_IRQ];
		if (now - last < st->min_gap)
			st->min_gap = now - last;
		if (now - last > st->max_gap)
			st->max_gap = now - last;
		last = now;
	}
	st->cycles = rdtsc() - start;
}

static bool within(uint64_t got, uint64_t want)
{
	return got * 100 >= want * (100 - TOLERANCE_PCT) &&
	       got * 100 <= want * (100 + TOLERANCE_PCT);
}

/* A window starting on an update sees the next two, 1 s apart. */
static bool test_update_irq(void)
{
	struct irq_stats st = { 0 };
	uint64_t min_ms, max_ms;
	bool ok;

	cmos_read(CMOS_REG_C);
	cmos_write(CMOS_REG_B, cmos_read(CMOS_REG_B) | RTC_B_UIE);
	ok = sync_irq();
	if (ok)
		count_irqs(UPDATE_WINDOW_US, &st);
	cmos_write(CMOS_REG_B, cmos_read(CMOS_REG_B) & ~RTC_B_UIE);
	min_ms = tsc_to_us(st.min_gap) / 1000;
	max_ms = tsc_to_us(st.max_gap) / 1000;
	ok = ok && st.count == 2 && within(min_ms, 1000) &&
	     within(max_ms, 1000);
	printf("rtc: update_irq %s %u in %u ms, %lu-%lu ms apart\n",
	       ok ? "ok" : "FAIL", st.count, UPDATE_WINDOW_US / 1000,
	       st.count ? min_ms : 0, max_ms);
	return ok;
}

static bool test_periodic_irq(void)
{
	struct irq_stats st = { 0 };
	uint64_t mhz = 0;
	bool ok;

	cmos_write(CMOS_REG_A, RATE_128HZ);
	cmos_read(CMOS_REG_C);
	cmos_write(CMOS_REG_B, cmos_read(CMOS_REG_B) | RTC_B_PIE);
	ok = sync_irq();
	if (ok) {
		count_irqs(PERIODIC_WINDOW_US, &st);
		mhz = st.count * tsc_khz() * 1000000 / st.cycles;
	}
	cmos_write(CMOS_REG_B, cmos_read(CMOS_REG_B) & ~RTC_B_PIE);
	ok = ok && within(mhz, PERIODIC_HZ * 1000);
	printf("rtc: periodic_irq %s %lu.%03lu Hz, expected %u\n",
	       ok ? "ok" : "FAIL", mhz / 1000, mhz % 1000, PERIODIC_HZ);
	return ok;
}

int guest_main(const struct boot_info *bi)
{
	const char *val = cmdline_get(bi->cmdline, "now");
	unsigned long now;
	bool ok;

	if (!val || !cmdline_parse_ulong(val, &now)) {
		printf("rtc: expected now=UNIX-SECONDS\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	ok = test_time(now);
	irq_init();
	tsc_khz();
	irq_eoi = IRQ_EOI_LAPIC;
	ioapic_route(RTC_IRQ, IRQ_VECTOR(RTC_IRQ), 0);
	ok &= test_update_irq();
	ok &= test_periodic_irq();
	return ok ? 0 : 1;
}
