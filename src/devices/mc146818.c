// SPDX-License-Identifier: MIT
/*
 * The MC146818 real-time clock and its CMOS RAM.
 *
 * Nothing ticks in the background.  The divider chain is a point on the
 * monotonic clock (@div_start) and the time is a count of seconds added
 * to it, so the registers, UIP and the interrupt flags are all worked out
 * from the clock when the guest looks, or when the one timer armed for
 * the next enabled interrupt fires.
 *
 * While SET is on or the divider is held the time stops and lives in the
 * CMOS bytes themselves, where the guest can write it; when counting
 * resumes it is read back from them.
 *
 * Registers are reached from vCPU threads and the timer from the I/O
 * thread, so all state sits under @lock.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvmlite/mc146818.h"
#include "kvmlite/timer.h"

#define NSEC			1000000000LL
#define RTC_XTAL_HZ		32768
/* UIP rises this long before each update, as the datasheet has it. */
#define RTC_UIP_NS		244000
/* After the divider leaves reset the first update comes half a second on. */
#define RTC_DIV_RESTART_NS	(NSEC / 2)
/* Every alarm pattern repeats daily: looking further back finds nothing new. */
#define RTC_ALARM_LOOKBACK	86400

#define CMOS_SIZE		128
#define REG_SEC			0x00
#define REG_SEC_ALARM		0x01
#define REG_MIN			0x02
#define REG_MIN_ALARM		0x03
#define REG_HOUR		0x04
#define REG_HOUR_ALARM		0x05
#define REG_WDAY		0x06
#define REG_MDAY		0x07
#define REG_MON			0x08
#define REG_YEAR		0x09
#define REG_A			0x0a
#define REG_B			0x0b
#define REG_C			0x0c
#define REG_D			0x0d
#define REG_CENTURY		0x32

#define A_UIP			0x80
#define A_DV_MASK		0x70
#define A_DV_NORMAL		0x20
#define A_RS_MASK		0x0f
#define B_SET			0x80
#define B_PIE			0x40
#define B_AIE			0x20
#define B_UIE			0x10
#define B_SQWE			0x08
#define B_DM_BINARY		0x04
#define B_24H			0x02
#define C_IRQF			0x80
#define C_PF			0x40
#define C_AF			0x20
#define C_UF			0x10
#define D_VRT			0x80
#define HOUR_PM			0x80
#define ALARM_DONT_CARE		0xc0

#define BASE_MEM_KB		640
#define KiB			1024ULL
#define MiB			(1024 * KiB)

struct rtc {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct rtc_clock clock;
	struct timer *timer;	/* rtc_new() only */
	int irq_level;

	uint8_t cmos[CMOS_SIZE];
	uint8_t index;
	bool nmi_masked;

	/* The divider chain's origin; each second ends a multiple of NSEC on. */
	uint64_t div_start;
	/* The time is @sec_offset plus the whole seconds since @div_start. */
	int64_t sec_offset;
	/* Events up to this point of the divider chain are in register C. */
	uint64_t done_ns;
};

/* --- time and its encodings --------------------------------------------- */

static uint64_t rtc_now(struct rtc *rtc)
{
	return rtc->clock.now_ns(rtc->clock.opaque);
}

static bool rtc_div_running(const struct rtc *rtc)
{
	return (rtc->cmos[REG_A] & A_DV_MASK) == A_DV_NORMAL;
}

/* The time counts only with the divider running and SET off. */
static bool rtc_counting(const struct rtc *rtc)
{
	return rtc_div_running(rtc) && !(rtc->cmos[REG_B] & B_SET);
}

static uint64_t rtc_div_ns(struct rtc *rtc, uint64_t now)
{
	return now > rtc->div_start ? now - rtc->div_start : 0;
}

static int64_t rtc_seconds(struct rtc *rtc, uint64_t now)
{
	return rtc->sec_offset + (int64_t)(rtc_div_ns(rtc, now) / NSEC);
}

static uint8_t rtc_to_reg(const struct rtc *rtc, int val)
{
	if (rtc->cmos[REG_B] & B_DM_BINARY)
		return val;
	return (val / 10) << 4 | val % 10;
}

/* Bad BCD digits are taken at face value, as the counter would. */
static int rtc_from_reg(const struct rtc *rtc, uint8_t val)
{
	if (rtc->cmos[REG_B] & B_DM_BINARY)
		return val;
	return (val >> 4) * 10 + (val & 0x0f);
}

static uint8_t rtc_hour_to_reg(const struct rtc *rtc, int hour)
{
	if (rtc->cmos[REG_B] & B_24H)
		return rtc_to_reg(rtc, hour);
	/* 0 is 12 AM and 12 is 12 PM. */
	return rtc_to_reg(rtc, hour % 12 ? hour % 12 : 12) |
	       (hour >= 12 ? HOUR_PM : 0);
}

static int rtc_hour_from_reg(const struct rtc *rtc, uint8_t val)
{
	if (rtc->cmos[REG_B] & B_24H)
		return rtc_from_reg(rtc, val);
	return rtc_from_reg(rtc, val & ~HOUR_PM) % 12 +
	       (val & HOUR_PM ? 12 : 0);
}

static void rtc_split(int64_t secs, struct tm *tm)
{
	time_t t = secs;

	if (!gmtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

/* Writes the time fields of @secs into the CMOS bytes. */
static void rtc_store_time(struct rtc *rtc, int64_t secs)
{
	struct tm tm;
	int year;

	rtc_split(secs, &tm);
	year = tm.tm_year + 1900;
	rtc->cmos[REG_SEC] = rtc_to_reg(rtc, tm.tm_sec);
	rtc->cmos[REG_MIN] = rtc_to_reg(rtc, tm.tm_min);
	rtc->cmos[REG_HOUR] = rtc_hour_to_reg(rtc, tm.tm_hour);
	rtc->cmos[REG_WDAY] = rtc_to_reg(rtc, tm.tm_wday + 1);
	rtc->cmos[REG_MDAY] = rtc_to_reg(rtc, tm.tm_mday);
	rtc->cmos[REG_MON] = rtc_to_reg(rtc, tm.tm_mon + 1);
	rtc->cmos[REG_YEAR] = rtc_to_reg(rtc, year % 100);
	rtc->cmos[REG_CENTURY] = rtc_to_reg(rtc, year / 100 % 100);
}

/* The time the guest left in the CMOS bytes; timegm() folds overflow. */
static int64_t rtc_load_time(const struct rtc *rtc)
{
	struct tm tm = { 0 };

	tm.tm_sec = rtc_from_reg(rtc, rtc->cmos[REG_SEC]);
	tm.tm_min = rtc_from_reg(rtc, rtc->cmos[REG_MIN]);
	tm.tm_hour = rtc_hour_from_reg(rtc, rtc->cmos[REG_HOUR]);
	tm.tm_mday = rtc_from_reg(rtc, rtc->cmos[REG_MDAY]);
	tm.tm_mon = rtc_from_reg(rtc, rtc->cmos[REG_MON]) - 1;
	tm.tm_year = rtc_from_reg(rtc, rtc->cmos[REG_CENTURY]) * 100 +
		     rtc_from_reg(rtc, rtc->cmos[REG_YEAR]) - 1900;
	return timegm(&tm);
}

/* --- events ------------------------------------------------------------- */

/* The periodic rate in 32.768 kHz ticks, or 0 when RS is 0000. */
static uint64_t rtc_period_ticks(const struct rtc *rtc)
{
	unsigned int rs = rtc->cmos[REG_A] & A_RS_MASK;

	if (!rs)
		return 0;
	/* 0001 and 0010 repeat the 256 and 128 Hz of 1000 and 1001. */
	return rs < 3 ? 1ULL << (rs + 6) : 1ULL << (rs - 1);
}

/* Split so that the product cannot overflow however long the VM runs. */
static uint64_t rtc_ticks(uint64_t ns)
{
	return ns / NSEC * RTC_XTAL_HZ + ns % NSEC * RTC_XTAL_HZ / NSEC;
}

/* The first nanosecond at or after @ticks. */
static uint64_t rtc_ticks_ns(uint64_t ticks)
{
	return ticks / RTC_XTAL_HZ * NSEC +
	       (ticks % RTC_XTAL_HZ * NSEC + RTC_XTAL_HZ - 1) / RTC_XTAL_HZ;
}

static bool rtc_alarm_field(uint8_t alarm, uint8_t now)
{
	return (alarm & ALARM_DONT_CARE) == ALARM_DONT_CARE || alarm == now;
}

static bool rtc_alarm_matches(const struct rtc *rtc, int64_t secs)
{
	struct tm tm;

	rtc_split(secs, &tm);
	return rtc_alarm_field(rtc->cmos[REG_SEC_ALARM],
			       rtc_to_reg(rtc, tm.tm_sec)) &&
	       rtc_alarm_field(rtc->cmos[REG_MIN_ALARM],
			       rtc_to_reg(rtc, tm.tm_min)) &&
	       rtc_alarm_field(rtc->cmos[REG_HOUR_ALARM],
			       rtc_hour_to_reg(rtc, tm.tm_hour));
}

static void rtc_update_irq(struct rtc *rtc)
{
	uint8_t *c = &rtc->cmos[REG_C];
	int level;

	if (*c & rtc->cmos[REG_B] & (C_PF | C_AF | C_UF))
		*c |= C_IRQF;
	level = !!(*c & C_IRQF);
	if (level != rtc->irq_level) {
		rtc->irq_level = level;
		irq_line_set(&rtc->irq, level);
	}
}

/* The seconds that ended in (@from, @to] of the divider chain. */
static void rtc_updates(struct rtc *rtc, uint64_t from, uint64_t to)
{
	int64_t first = from / NSEC + 1, last = to / NSEC, s;

	if (last < first)
		return;
	rtc->cmos[REG_C] |= C_UF;
	if (last - first >= RTC_ALARM_LOOKBACK)
		first = last - RTC_ALARM_LOOKBACK + 1;
	for (s = last; s >= first; s--) {
		if (rtc_alarm_matches(rtc, rtc->sec_offset + s)) {
			rtc->cmos[REG_C] |= C_AF;
			break;
		}
	}
}

/* Sets the flags of every event since the last look, up to @now. */
static void rtc_catch_up(struct rtc *rtc, uint64_t now)
{
	uint64_t div = rtc_div_ns(rtc, now), period = rtc_period_ticks(rtc);

	if (div <= rtc->done_ns)
		return;
	if (rtc_counting(rtc))
		rtc_updates(rtc, rtc->done_ns, div);
	if (rtc_div_running(rtc) && period &&
	    rtc_ticks(div) / period != rtc_ticks(rtc->done_ns) / period)
		rtc->cmos[REG_C] |= C_PF;
	rtc->done_ns = div;
	rtc_update_irq(rtc);
}

/* Wakes up for the next event whose interrupt is enabled, if any. */
static void rtc_schedule(struct rtc *rtc, uint64_t now)
{
	uint64_t div = rtc_div_ns(rtc, now), period = rtc_period_ticks(rtc);
	uint64_t next = UINT64_MAX, t;
	uint8_t b = rtc->cmos[REG_B];

	if (rtc_counting(rtc) && (b & (B_UIE | B_AIE)))
		next = (div / NSEC + 1) * NSEC;
	if (rtc_div_running(rtc) && (b & B_PIE) && period) {
		t = rtc_ticks_ns((rtc_ticks(div) / period + 1) * period);
		if (t < next)
			next = t;
	}
	if (next == UINT64_MAX)
		rtc->clock.cancel(rtc->clock.opaque);
	else
		rtc->clock.arm(rtc->clock.opaque, rtc->div_start + next);
}

/* --- registers ---------------------------------------------------------- */

/* The bytes the clock counts in; the alarm bytes between them are RAM. */
static bool rtc_is_clock_reg(uint8_t reg)
{
	return (reg <= REG_YEAR && reg != REG_SEC_ALARM &&
		reg != REG_MIN_ALARM && reg != REG_HOUR_ALARM) ||
	       reg == REG_CENTURY;
}

static uint8_t rtc_read_reg(struct rtc *rtc, uint64_t now, uint8_t reg)
{
	uint8_t val;

	switch (reg) {
	case REG_A:
		val = rtc->cmos[REG_A] & ~A_UIP;
		if (rtc_counting(rtc) &&
		    rtc_div_ns(rtc, now) % NSEC >= NSEC - RTC_UIP_NS)
			val |= A_UIP;
		return val;
	case REG_C:
		/* Reading C is how the guest acknowledges the interrupt. */
		val = rtc->cmos[REG_C];
		rtc->cmos[REG_C] = 0;
		rtc_update_irq(rtc);
		return val;
	default:
		if (rtc_is_clock_reg(reg) && rtc_counting(rtc))
			rtc_store_time(rtc, rtc_seconds(rtc, now));
		return rtc->cmos[reg];
	}
}

/*
 * The time resumes from the CMOS bytes.  After SET the divider kept its
 * phase; out of divider reset the first second is only half gone.
 */
static void rtc_resume(struct rtc *rtc, uint64_t now, bool div_restart)
{
	int64_t secs = rtc_load_time(rtc);

	if (div_restart)
		rtc->div_start = now - RTC_DIV_RESTART_NS;
	rtc->done_ns = rtc_div_ns(rtc, now);
	rtc->sec_offset = secs - (int64_t)(rtc->done_ns / NSEC);
}

static void rtc_write_a(struct rtc *rtc, uint64_t now, uint8_t val)
{
	bool was_running = rtc_div_running(rtc);
	bool was_counting = rtc_counting(rtc);

	if (was_counting)
		rtc_store_time(rtc, rtc_seconds(rtc, now));
	rtc->cmos[REG_A] = val & ~A_UIP;
	if (!was_running && rtc_div_running(rtc))
		rtc->div_start = now;
	if (!was_counting && rtc_counting(rtc))
		rtc_resume(rtc, now, !was_running);
	rtc->done_ns = rtc_div_ns(rtc, now);
}

static void rtc_write_b(struct rtc *rtc, uint64_t now, uint8_t val)
{
	bool was_counting = rtc_counting(rtc);

	if (was_counting)
		rtc_store_time(rtc, rtc_seconds(rtc, now));
	/* SET stops updates, so it takes their interrupt with it. */
	if (val & B_SET)
		val &= ~B_UIE;
	rtc->cmos[REG_B] = val;
	if (!was_counting && rtc_counting(rtc))
		rtc_resume(rtc, now, false);
	rtc_update_irq(rtc);
}

static void rtc_write_reg(struct rtc *rtc, uint64_t now, uint8_t reg,
			  uint8_t val)
{
	switch (reg) {
	case REG_A:
		rtc_write_a(rtc, now, val);
		break;
	case REG_B:
		rtc_write_b(rtc, now, val);
		break;
	case REG_C:
	case REG_D:
		break;		/* read-only */
	default:
		/*
		 * The time of a counting clock is rewritten by the next
		 * update, so a write to it only lands while it is stopped.
		 */
		if (!rtc_is_clock_reg(reg) || !rtc_counting(rtc))
			rtc->cmos[reg] = val;
		break;
	}
}

static void rtc_data(struct rtc *rtc, uint8_t *data, bool is_write)
{
	uint64_t now = rtc_now(rtc);

	rtc_catch_up(rtc, now);
	if (is_write)
		rtc_write_reg(rtc, now, rtc->index, *data);
	else
		*data = rtc_read_reg(rtc, now, rtc->index);
	rtc_schedule(rtc, now);
}

void rtc_io(void *opaque, uint64_t offset, void *data, uint32_t len,
	    bool is_write)
{
	struct rtc *rtc = opaque;
	uint8_t *bytes = data;

	pthread_mutex_lock(&rtc->lock);
	if (!is_write)
		memset(data, 0xff, len);
	if (offset == 0 && is_write) {
		rtc->index = bytes[0] & (CMOS_SIZE - 1);
		rtc->nmi_masked = bytes[0] & 0x80;
	} else if (offset == 1) {
		rtc_data(rtc, bytes, is_write);
	}
	pthread_mutex_unlock(&rtc->lock);
}

void rtc_timer_expired(void *opaque)
{
	struct rtc *rtc = opaque;
	uint64_t now;

	pthread_mutex_lock(&rtc->lock);
	now = rtc_now(rtc);
	rtc_catch_up(rtc, now);
	rtc_schedule(rtc, now);
	pthread_mutex_unlock(&rtc->lock);
}

void rtc_reset(struct rtc *rtc)
{
	pthread_mutex_lock(&rtc->lock);
	rtc_catch_up(rtc, rtc_now(rtc));
	rtc->cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
	rtc->cmos[REG_C] = 0;
	rtc_update_irq(rtc);
	rtc->clock.cancel(rtc->clock.opaque);
	pthread_mutex_unlock(&rtc->lock);
}

bool rtc_nmi_masked(struct rtc *rtc)
{
	bool masked;

	pthread_mutex_lock(&rtc->lock);
	masked = rtc->nmi_masked;
	pthread_mutex_unlock(&rtc->lock);
	return masked;
}

/* --- construction ------------------------------------------------------- */

static uint16_t cap16(uint64_t val)
{
	return val > 0xffff ? 0xffff : val;
}

static void rtc_put16(struct rtc *rtc, uint8_t reg, uint16_t val)
{
	rtc->cmos[reg] = val;
	rtc->cmos[reg + 1] = val >> 8;
}

/* The sizes a PC BIOS reads: base, extended and above-16M/4G memory. */
static void rtc_store_memory(struct rtc *rtc, const struct rtc_config *cfg)
{
	uint64_t ext = cfg->low_ram > MiB ? (cfg->low_ram - MiB) / KiB : 0;
	uint64_t above16 = cfg->low_ram > 16 * MiB ?
			   (cfg->low_ram - 16 * MiB) / (64 * KiB) : 0;
	uint64_t high = cfg->high_ram / (64 * KiB);

	rtc_put16(rtc, 0x15, BASE_MEM_KB);
	rtc_put16(rtc, 0x17, cap16(ext));
	rtc_put16(rtc, 0x30, cap16(ext));
	rtc_put16(rtc, 0x34, cap16(above16));
	if (high > 0xffffff)
		high = 0xffffff;
	rtc->cmos[0x5b] = high;
	rtc->cmos[0x5c] = high >> 8;
	rtc->cmos[0x5d] = high >> 16;
}

/* The host's UTC offset at @secs, for -rtc base=localtime. */
static int64_t rtc_local_offset(int64_t secs)
{
	time_t t = secs;
	struct tm tm;

	return localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
}

/* Power-on: the time per -rtc, with the second as far along as the host's. */
static void rtc_power_on(struct rtc *rtc, const struct rtc_option *opt)
{
	uint64_t now = rtc_now(rtc);
	int64_t wall = rtc->clock.wall_ns(rtc->clock.opaque);
	int64_t secs = wall / NSEC, frac = wall % NSEC;

	if (frac < 0) {
		frac += NSEC;
		secs--;
	}
	if (opt->base == RTC_BASE_DATE) {
		secs = opt->start_epoch;
		frac = 0;
	} else if (opt->base == RTC_BASE_LOCALTIME) {
		secs += rtc_local_offset(secs);
	}
	rtc->div_start = now - (uint64_t)frac;
	rtc->sec_offset = secs;
	rtc->done_ns = rtc_div_ns(rtc, now);
	rtc->cmos[REG_A] = A_DV_NORMAL | 0x06;	/* 1024 Hz, the BIOS default */
	rtc->cmos[REG_B] = B_24H;
	rtc->cmos[REG_D] = D_VRT;
}

struct rtc *rtc_new_with_clock(const struct irq_line *irq8,
			       const struct rtc_config *cfg,
			       const struct rtc_clock *clock)
{
	struct rtc *rtc = calloc(1, sizeof(*rtc));

	if (!rtc)
		return NULL;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->irq = *irq8;
	rtc->clock = *clock;
	rtc_store_memory(rtc, cfg);
	rtc_power_on(rtc, &cfg->option);
	rtc_store_time(rtc, rtc_seconds(rtc, rtc_now(rtc)));
	return rtc;
}

static uint64_t host_now_ns(void *opaque)
{
	(void)opaque;
	return clock_now_ns();
}

static int64_t host_wall_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static void host_arm(void *opaque, uint64_t deadline_ns)
{
	struct rtc *rtc = opaque;

	timer_arm(rtc->timer, deadline_ns);
}

static void host_cancel(void *opaque)
{
	struct rtc *rtc = opaque;

	timer_cancel(rtc->timer);
}

struct rtc *rtc_new(const struct irq_line *irq8, struct ioloop *loop,
		    const struct rtc_config *cfg)
{
	struct rtc_clock clock = {
		host_now_ns, host_wall_ns, host_arm, host_cancel, NULL,
	};
	struct rtc *rtc = rtc_new_with_clock(irq8, cfg, &clock);

	if (!rtc)
		return NULL;
	/* No interrupt is enabled at power-on, so nothing armed it yet. */
	rtc->clock.opaque = rtc;
	rtc->timer = timer_new(loop, rtc_timer_expired, rtc);
	if (!rtc->timer) {
		rtc_free(rtc);
		return NULL;
	}
	return rtc;
}

void rtc_free(struct rtc *rtc)
{
	if (!rtc)
		return;
	timer_free(rtc->timer);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}
