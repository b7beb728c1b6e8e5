/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_I8254_H
#define KVMLITE_I8254_H

#include <stdbool.h>
#include <stdint.h>

#include "irq.h"

struct ioloop;

#define PIT_BASE		0x40
#define PIT_NR_PORTS		4
#define PIT_PORT61		0x61
#define PIT_IRQ			0
#define PIT_FREQ_HZ		1193182ULL

/*
 * An Intel 8254 programmable interval timer as wired in a PC: channel 0
 * drives IRQ 0, channels 0 and 1 have their gates tied high, channel 2's
 * gate and OUT are reached through port 0x61.
 *
 * The counters are not stepped: count and OUT are computed from the time
 * elapsed since the count was loaded, on a 1.193182 MHz clock derived from
 * @now_ns, so a read between two timer events is exact.  Only channel 0
 * needs a host timer, armed for its next OUT rising edge.
 *
 * A count takes effect at the instant it is written (the real part loads
 * it on the next CLK edge, one tick later).
 *
 * Missed ticks ("delay" policy): when the timer callback runs so late that
 * OUT0 rose more than once since the last interrupt, one interrupt is
 * delivered and the next is scheduled one period from now; the missed
 * ones are dropped.  Later interrupts line up with the counter's phase
 * again after that one period.
 */
struct pit;

/* The host clock and timer, injected so the unit tests can drive time. */
struct pit_clock {
	uint64_t (*now_ns)(void *opaque);
	/* One shot at @deadline_ns on the now_ns clock; replaces any arm. */
	void (*arm)(void *opaque, uint64_t deadline_ns);
	void (*cancel)(void *opaque);
	void *opaque;
};

/*
 * A PIT on CLOCK_MONOTONIC whose timer is served by @loop.  @irq0 is
 * copied.  Returns NULL when out of memory or without a timerfd.
 */
struct pit *pit_new(const struct irq_line *irq0, struct ioloop *loop);

/* A PIT on an injected clock; @irq0 and @clock are copied. */
struct pit *pit_new_custom(const struct irq_line *irq0,
			   const struct pit_clock *clock);

/* Stop the timer's I/O loop first: its callback calls into us. */
void pit_free(struct pit *pit);

/* Every channel in mode 0, binary, LSB then MSB, not counting; IRQ low. */
void pit_reset(struct pit *pit);

/*
 * Ports 0x40-0x43 at @offset 0-3: a bus_io_fn.  Only the low byte of a
 * wider access counts; reads give zeros above it.  The control port and
 * offsets past it read as all ones.
 */
void pit_io(void *opaque, uint64_t offset, void *data, uint32_t len,
	    bool is_write);

/*
 * Port 0x61 (offset 0): bit 0 gate 2, bit 1 speaker data, bits 2-3 stored
 * only; reads add bit 4, the DRAM refresh toggle, and bit 5, OUT2.
 */
void pit_port61_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		   bool is_write);

/* The timer callback: delivers IRQ 0 edges due by now and re-arms. */
void pit_timer_expired(struct pit *pit);

/* PIT clock ticks in @ns nanoseconds, and the first instant of tick @t. */
uint64_t pit_ns_to_ticks(uint64_t ns);
uint64_t pit_ticks_to_ns(uint64_t ticks);

#endif
