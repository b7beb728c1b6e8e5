/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_MC146818_H
#define KVMLITE_MC146818_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "irq.h"

#define RTC_PORT_BASE	0x70	/* index; data at 0x71 */
#define RTC_ISA_IRQ	8

/*
 * The MC146818 CMOS RTC at ports 0x70 (index, bit 7 masks NMI) and 0x71
 * (data), with its IRQ on ISA IRQ 8 and 128 bytes of CMOS NVRAM that hold
 * the memory sizes a PC BIOS expects.
 */

struct ioloop;
struct rtc;

struct rtc_config {
	struct rtc_option option;	/* -rtc base= */
	uint64_t low_ram;		/* guest RAM below 4 GiB, in bytes */
	uint64_t high_ram;		/* guest RAM above 4 GiB, in bytes */
};

/*
 * Where the RTC gets its time and schedules its next interrupt.  The
 * production clock is CLOCK_MONOTONIC with a timerfd; tests supply their
 * own and call rtc_timer_expired() when their deadline passes.
 */
struct rtc_clock {
	uint64_t (*now_ns)(void *opaque);	/* monotonic */
	int64_t (*wall_ns)(void *opaque);	/* ns since the Unix epoch, UTC */
	void (*arm)(void *opaque, uint64_t deadline_ns);
	void (*cancel)(void *opaque);
	void *opaque;
};

struct rtc *rtc_new(const struct irq_line *irq8, struct ioloop *loop,
		    const struct rtc_config *cfg);
struct rtc *rtc_new_with_clock(const struct irq_line *irq8,
			       const struct rtc_config *cfg,
			       const struct rtc_clock *clock);
void rtc_free(struct rtc *rtc);

/* Ports 0x70-0x71: @offset 0 is the index, 1 the data. */
void rtc_io(void *opaque, uint64_t offset, void *data, uint32_t len,
	    bool is_write);
/* The timer armed through rtc_clock.arm has expired. */
void rtc_timer_expired(void *opaque);
/* A system reset: interrupt enables and flags clear; time and NVRAM stay. */
void rtc_reset(struct rtc *rtc);
bool rtc_nmi_masked(struct rtc *rtc);

#endif
