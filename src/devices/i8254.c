// SPDX-License-Identifier: MIT
/*
 * The Intel 8254 PIT.  Each channel's count and OUT are pure functions of
 * the ticks elapsed since the count was loaded (or since gate 2 rose, in
 * the gate-triggered modes), so nothing runs between guest accesses; the
 * only host timer is channel 0's, armed for the next OUT0 rising edge.
 *
 * Ports are reached from vCPU threads and the timer from the I/O thread,
 * so all state sits under @lock.  Arming a timerfd and raising IRQ 0 do
 * not call back into the PIT, so both are done with @lock held.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/i8254.h"
#include "kvmlite/timer.h"

#define PIT_NR_CHANNELS		3
#define PIT_NO_TICK		UINT64_MAX
#define NS_PER_SEC		1000000000ULL
/*
 * The host timer fires at most this often (in PIT ticks, ~200 us, KVM's own
 * floor for its PIT): a count of 1 would otherwise keep a host CPU busy
 * with over a million expiries a second.  Edges in between are dropped, as
 * when the timer is late.
 */
#define PIT_MIN_PERIOD_TICKS	239

/* Control word fields. */
#define PIT_CW_SC(v)		(((v) >> 6) & 3)
#define PIT_CW_RW(v)		(((v) >> 4) & 3)
#define PIT_CW_MODE(v)		(((v) >> 1) & 7)
#define PIT_CW_BCD		0x01
#define PIT_SC_READBACK		3
#define PIT_RW_LATCH		0
#define PIT_RW_LSB		1
#define PIT_RW_MSB		2
#define PIT_RW_WORD		3
/* Read-back: bits 5 and 4 are active low. */
#define PIT_RB_NO_COUNT		0x20
#define PIT_RB_NO_STATUS	0x10
/* Status byte. */
#define PIT_ST_OUT		0x80
#define PIT_ST_NULL		0x40

#define P61_GATE2		0x01
#define P61_SPEAKER		0x02
#define P61_WRITABLE		0x0f
#define P61_REFRESH		0x10
#define P61_OUT2		0x20
/* The refresh request, from channel 1 in mode 2 at count 18 on a PC. */
#define PIT_REFRESH_TICKS	18

struct pit_channel {
	uint8_t mode, rw;
	bool bcd;
	bool gate;
	bool running;		/* counting from @start (or paused) */
	bool paused;		/* gate low in modes 0, 2, 3, 4 */
	uint64_t paused_d;	/* elapsed ticks frozen while paused */
	uint64_t start;		/* tick at which @reload was loaded */
	uint32_t reload;	/* initial count, 1..0x10000 */
	uint32_t held;		/* count shown while not running */
	bool pending;		/* a written count not yet loaded */
	uint32_t pending_reload;
	uint64_t pending_at;	/* tick it loads at, or PIT_NO_TICK */
	bool null_count;
	bool write_msb;		/* LSB written, MSB next */
	uint8_t write_lsb;
	bool read_msb;		/* LSB read, MSB next */
	bool count_latched;
	uint16_t latch;
	bool status_latched;
	uint8_t status;
};

struct pit {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct pit_clock clock;
	struct timer *timer;	/* pit_new only */
	struct pit_channel ch[PIT_NR_CHANNELS];
	uint8_t port61;		/* P61_WRITABLE bits as written */
	uint64_t irq_last;	/* OUT0 edges up to this tick are handled */
};

uint64_t pit_ns_to_ticks(uint64_t ns)
{
	return (unsigned __int128)ns * PIT_FREQ_HZ / NS_PER_SEC;
}

/* Rounded up, so that pit_ns_to_ticks() of the result is at least @t. */
uint64_t pit_ticks_to_ns(uint64_t t)
{
	unsigned __int128 ns = (unsigned __int128)t * NS_PER_SEC;

	return (ns + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ;
}

static uint32_t ch_modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000 : 0x10000;
}

/*
 * Digits A-F are not BCD; each is taken at its face value (0xA0 is 100)
 * and the sum folded into 1..10000, so a bad count still counts.
 */
static uint32_t ch_decode(const struct pit_channel *c, uint16_t v)
{
	uint32_t n = v;

	if (c->bcd)
		n = ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 +
		    ((v >> 4) & 15) * 10 + (v & 15);
	n %= ch_modulus(c);
	return n ? n : ch_modulus(c);
}

static uint16_t ch_encode(const struct pit_channel *c, uint32_t n)
{
	n %= ch_modulus(c);
	if (!c->bcd)
		return n;
	return (n / 1000) << 12 | (n / 100 % 10) << 8 | (n / 10 % 10) << 4 |
	       n % 10;
}

static uint64_t ch_elapsed(const struct pit_channel *c, uint64_t t)
{
	if (c->paused)
		return c->paused_d;
	return t > c->start ? t - c->start : 0;
}

/*
 * Mode 3 counts by two.  An odd count spends one more tick with OUT high
 * than low: N, N-1, N-3 .. 2 high, then N, N-3 .. 2 low.
 */
static uint32_t mode3_count(uint32_t n, uint64_t d)
{
	uint32_t p = d % n, h = (n + 1) / 2;

	if (!(n & 1))
		return p < h ? n - 2 * p : n - 2 * (p - h);
	if (p < h)
		return p ? n + 1 - 2 * p : n;
	p -= h;
	return p ? n - 1 - 2 * p : n;
}

/* The counting element at tick @t, before BCD encoding. */
static uint32_t ch_count(const struct pit_channel *c, uint64_t t)
{
	uint32_t n = c->reload, m = ch_modulus(c);
	uint64_t d;

	if (!c->running)
		return c->held % m;
	d = ch_elapsed(c, t);
	switch (c->mode) {
	case 2:
		return n - d % n;
	case 3:
		return mode3_count(n, d);
	default:
		/* Past terminal count the counter wraps and goes on. */
		return (n + m - d % m) % m;
	}
}

static bool ch_out(const struct pit_channel *c, uint64_t t)
{
	uint32_t n = c->reload;
	uint64_t d;

	if (!c->running)
		return c->mode != 0;
	if (c->paused && (c->mode == 2 || c->mode == 3))
		return true;
	d = ch_elapsed(c, t);
	switch (c->mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
		return n < 2 || d % n != n - 1;
	case 3:
		return d % n < (n + 1) / 2;
	default:
		return d != n;
	}
}

/* The first tick after @after at which OUT rises, or PIT_NO_TICK. */
static uint64_t ch_next_edge(const struct pit_channel *c, uint64_t after)
{
	uint64_t n = c->reload, d, e;

	if (!c->running || c->paused)
		return PIT_NO_TICK;
	d = after > c->start ? after - c->start : 0;
	switch (c->mode) {
	case 0:
	case 1:
		e = n;
		break;
	case 2:
	case 3:
		/* A count of 1 never takes OUT low. */
		if (n < 2)
			return PIT_NO_TICK;
		e = (d / n + 1) * n;
		break;
	default:
		e = n + 1;
		break;
	}
	return e > d ? c->start + e : PIT_NO_TICK;
}

/* Loads a count written to mode 2 or 3 once the current period ends. */
static void ch_sync(struct pit_channel *c, uint64_t t)
{
	if (!c->pending || t < c->pending_at)
		return;
	c->start = c->pending_at;
	c->reload = c->pending_reload;
	c->pending = false;
	c->null_count = false;
}

static void ch_load(struct pit_channel *c, uint32_t n, uint64_t t)
{
	c->reload = n;
	c->start = t;
	c->running = true;
	c->pending = false;
	c->null_count = false;
	/* Modes 0, 2, 3 and 4 count only while the gate is high. */
	c->paused = !c->gate && c->mode != 1 && c->mode != 5;
	c->paused_d = 0;
}

static void ch_write_count(struct pit_channel *c, uint16_t v, uint64_t t)
{
	uint32_t n = ch_decode(c, v);
	bool later = c->mode == 1 || c->mode == 5 ||
		     ((c->mode == 2 || c->mode == 3) && c->running);

	if (!later) {
		ch_load(c, n, t);
		return;
	}
	/* Loaded on the next gate trigger, or at the end of the period. */
	c->pending = true;
	c->pending_reload = n;
	c->pending_at = PIT_NO_TICK;
	c->null_count = true;
	if ((c->mode == 2 || c->mode == 3) && !c->paused)
		c->pending_at = c->start +
				((t - c->start) / c->reload + 1) * c->reload;
}

static void ch_set_gate(struct pit_channel *c, bool level, uint64_t t)
{
	bool rising = level && !c->gate;

	ch_sync(c, t);
	c->gate = level;
	if (c->mode == 1 || c->mode == 5) {
		if (rising && (c->running || c->pending))
			ch_load(c, c->pending ? c->pending_reload : c->reload,
				t);
		return;
	}
	if (!c->running)
		return;
	if (!level && !c->paused) {
		c->paused_d = ch_elapsed(c, t);
		c->paused = true;
	} else if (level && c->paused) {
		c->paused = false;
		/* Modes 2 and 3 start over on the rising edge. */
		if (c->mode == 2 || c->mode == 3)
			ch_load(c, c->pending ? c->pending_reload : c->reload,
				t);
		else
			c->start = t - c->paused_d;
	}
}

static uint8_t ch_status(const struct pit_channel *c, uint64_t t)
{
	return (ch_out(c, t) ? PIT_ST_OUT : 0) |
	       (c->null_count ? PIT_ST_NULL : 0) |
	       c->rw << 4 | c->mode << 1 | (c->bcd ? PIT_CW_BCD : 0);
}

static void ch_latch_count(struct pit_channel *c, uint64_t t)
{
	/* A second latch before the first is read is ignored. */
	if (c->count_latched)
		return;
	c->latch = ch_encode(c, ch_count(c, t));
	c->count_latched = true;
}

static void ch_latch_status(struct pit_channel *c, uint64_t t)
{
	if (c->status_latched)
		return;
	c->status = ch_status(c, t);
	c->status_latched = true;
}

static void ch_control(struct pit_channel *c, uint8_t v, uint64_t t)
{
	uint8_t mode = PIT_CW_MODE(v);

	if (PIT_CW_RW(v) == PIT_RW_LATCH) {
		ch_latch_count(c, t);
		return;
	}
	/* Whatever the counter holds stays visible until a count arrives. */
	c->held = ch_count(c, t);
	c->rw = PIT_CW_RW(v);
	/* Modes 6 and 7 are 2 and 3 with a don't-care bit. */
	c->mode = mode > 5 ? mode - 4 : mode;
	c->bcd = v & PIT_CW_BCD;
	c->running = false;
	c->paused = false;
	c->pending = false;
	c->null_count = true;
	c->write_msb = false;
	c->read_msb = false;
	c->count_latched = false;
	c->status_latched = false;
}

static void ch_write(struct pit_channel *c, uint8_t v, uint64_t t)
{
	ch_sync(c, t);
	switch (c->rw) {
	case PIT_RW_LSB:
		ch_write_count(c, v, t);
		break;
	case PIT_RW_MSB:
		ch_write_count(c, v << 8, t);
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = v;
			c->write_msb = true;
			/* Mode 0 stops counting at the first byte. */
			if (c->mode == 0 && c->running) {
				c->held = ch_count(c, t);
				c->running = false;
			}
			break;
		}
		c->write_msb = false;
		ch_write_count(c, c->write_lsb | v << 8, t);
		break;
	}
}

/* The next byte of a 16-bit value in the channel's access mode. */
static uint8_t ch_read_byte(struct pit_channel *c, uint16_t v, bool *done)
{
	bool msb = c->rw == PIT_RW_MSB ||
		   (c->rw == PIT_RW_WORD && c->read_msb);

	*done = c->rw != PIT_RW_WORD || c->read_msb;
	if (c->rw == PIT_RW_WORD)
		c->read_msb = !c->read_msb;
	return msb ? v >> 8 : v & 0xff;
}

static uint8_t ch_read(struct pit_channel *c, uint64_t t)
{
	uint8_t v;
	bool done;

	ch_sync(c, t);
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		v = ch_read_byte(c, c->latch, &done);
		if (done)
			c->count_latched = false;
		return v;
	}
	return ch_read_byte(c, ch_encode(c, ch_count(c, t)), &done);
}

static uint64_t pit_now(struct pit *pit)
{
	return pit_ns_to_ticks(pit->clock.now_ns(pit->clock.opaque));
}

static void pit_arm(struct pit *pit, uint64_t tick)
{
	if (tick == PIT_NO_TICK)
		pit->clock.cancel(pit->clock.opaque);
	else
		pit->clock.arm(pit->clock.opaque, pit_ticks_to_ns(tick));
}

/* Channel 0 was reprogrammed: its IRQ schedule starts over from @t. */
static void pit_rearm(struct pit *pit, uint64_t t)
{
	pit->irq_last = t;
	pit_arm(pit, ch_next_edge(&pit->ch[0], t));
}

void pit_timer_expired(struct pit *pit)
{
	struct pit_channel *c = &pit->ch[0];
	uint64_t t, e1, e2;

	pthread_mutex_lock(&pit->lock);
	t = pit_now(pit);
	ch_sync(c, pit->irq_last);
	e1 = ch_next_edge(c, pit->irq_last);
	if (e1 > t) {
		/* Early, or reprogrammed since it was armed. */
		pit_arm(pit, e1);
		goto out;
	}
	irq_line_set(&pit->irq, 1);
	irq_line_set(&pit->irq, 0);
	ch_sync(c, e1);
	e2 = ch_next_edge(c, e1);
	pit->irq_last = e1;
	if (e2 <= t) {
		/* Late by more than a period: drop the missed edges. */
		pit->irq_last = t;
		e2 = t + (e2 - e1);
	}
	if (e2 != PIT_NO_TICK && e2 < t + PIT_MIN_PERIOD_TICKS)
		e2 = t + PIT_MIN_PERIOD_TICKS;
	pit_arm(pit, e2);
out:
	pthread_mutex_unlock(&pit->lock);
}

static void pit_readback(struct pit *pit, uint8_t v, uint64_t t)
{
	int i;

	for (i = 0; i < PIT_NR_CHANNELS; i++) {
		if (!(v & (2 << i)))
			continue;
		ch_sync(&pit->ch[i], t);
		if (!(v & PIT_RB_NO_COUNT))
			ch_latch_count(&pit->ch[i], t);
		if (!(v & PIT_RB_NO_STATUS))
			ch_latch_status(&pit->ch[i], t);
	}
}

static void pit_write(struct pit *pit, unsigned int port, uint8_t v,
		      uint64_t t)
{
	unsigned int sel = port;

	if (port == 3) {
		if (PIT_CW_SC(v) == PIT_SC_READBACK) {
			pit_readback(pit, v, t);
			return;
		}
		sel = PIT_CW_SC(v);
		ch_sync(&pit->ch[sel], t);
		ch_control(&pit->ch[sel], v, t);
	} else {
		ch_write(&pit->ch[sel], v, t);
	}
	if (sel == 0)
		pit_rearm(pit, t);
}

static void io_ones(void *data, uint32_t len)
{
	memset(data, 0xff, len < 8 ? len : 8);
}

static void io_result(void *data, uint32_t len, uint8_t v)
{
	memset(data, 0, len < 8 ? len : 8);
	if (len)
		*(uint8_t *)data = v;
}

void pit_io(void *opaque, uint64_t offset, void *data, uint32_t len,
	    bool is_write)
{
	struct pit *pit = opaque;
	uint8_t v = 0xff;
	uint64_t t;

	if (!len || (!is_write && offset >= 3)) {
		io_ones(data, len);
		return;
	}
	if (offset > 3)
		return;
	pthread_mutex_lock(&pit->lock);
	t = pit_now(pit);
	if (is_write)
		pit_write(pit, offset, *(uint8_t *)data, t);
	else
		v = ch_read(&pit->ch[offset], t);
	pthread_mutex_unlock(&pit->lock);
	if (!is_write)
		io_result(data, len, v);
}

void pit_port61_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		   bool is_write)
{
	struct pit *pit = opaque;
	struct pit_channel *c = &pit->ch[2];
	uint8_t v;
	uint64_t t;

	if (!len || offset) {
		if (!is_write)
			io_ones(data, len);
		return;
	}
	pthread_mutex_lock(&pit->lock);
	t = pit_now(pit);
	if (is_write) {
		pit->port61 = *(uint8_t *)data & P61_WRITABLE;
		ch_set_gate(c, pit->port61 & P61_GATE2, t);
		pthread_mutex_unlock(&pit->lock);
		return;
	}
	ch_sync(c, t);
	v = pit->port61;
	if ((t / PIT_REFRESH_TICKS) & 1)
		v |= P61_REFRESH;
	if (ch_out(c, t))
		v |= P61_OUT2;
	pthread_mutex_unlock(&pit->lock);
	io_result(data, len, v);
}

static void pit_reset_locked(struct pit *pit)
{
	int i;

	memset(pit->ch, 0, sizeof(pit->ch));
	for (i = 0; i < PIT_NR_CHANNELS; i++) {
		pit->ch[i].rw = PIT_RW_WORD;
		pit->ch[i].null_count = true;
		/* Gates 0 and 1 are tied high; gate 2 follows port 0x61. */
		pit->ch[i].gate = i != 2;
	}
	pit->port61 = 0;
	pit->irq_last = 0;
	pit->clock.cancel(pit->clock.opaque);
	irq_line_set(&pit->irq, 0);
}

void pit_reset(struct pit *pit)
{
	pthread_mutex_lock(&pit->lock);
	pit_reset_locked(pit);
	pthread_mutex_unlock(&pit->lock);
}

struct pit *pit_new_custom(const struct irq_line *irq0,
			   const struct pit_clock *clock)
{
	struct pit *pit = calloc(1, sizeof(*pit));

	if (!pit)
		return NULL;
	pthread_mutex_init(&pit->lock, NULL);
	pit->irq = *irq0;
	pit->clock = *clock;
	pit_reset_locked(pit);
	return pit;
}

static uint64_t host_now(void *opaque)
{
	(void)opaque;
	return clock_now_ns();
}

static void host_arm(void *opaque, uint64_t deadline_ns)
{
	timer_arm(opaque, deadline_ns);
}

static void host_cancel(void *opaque)
{
	timer_cancel(opaque);
}

static void host_expired(void *opaque)
{
	pit_timer_expired(opaque);
}

struct pit *pit_new(const struct irq_line *irq0, struct ioloop *loop)
{
	struct pit_clock clock = {
		.now_ns = host_now,
		.arm = host_arm,
		.cancel = host_cancel,
	};
	struct pit *pit = calloc(1, sizeof(*pit));

	if (!pit)
		return NULL;
	clock.opaque = pit->timer = timer_new(loop, host_expired, pit);
	if (!pit->timer) {
		free(pit);
		return NULL;
	}
	pthread_mutex_init(&pit->lock, NULL);
	pit->irq = *irq0;
	pit->clock = clock;
	pit_reset_locked(pit);
	return pit;
}

void pit_free(struct pit *pit)
{
	if (!pit)
		return;
	timer_free(pit->timer);
	pthread_mutex_destroy(&pit->lock);
	free(pit);
}
