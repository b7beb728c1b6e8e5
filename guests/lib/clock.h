/* SPDX-License-Identifier: MIT */
/* The TSC and the CMOS real-time clock. */
#ifndef GUEST_CLOCK_H
#define GUEST_CLOCK_H

#include <stdint.h>

#define CMOS_SECONDS		0x00
#define CMOS_MINUTES		0x02
#define CMOS_HOURS		0x04
#define CMOS_DAY		0x07
#define CMOS_MONTH		0x08
#define CMOS_YEAR		0x09
#define CMOS_REG_A		0x0a
#define CMOS_REG_B		0x0b
#define CMOS_REG_C		0x0c
#define CMOS_CENTURY		0x32

#define RTC_A_UIP		0x80
#define RTC_B_PIE		0x40
#define RTC_B_UIE		0x10
#define RTC_B_BINARY		0x04
#define RTC_B_24H		0x02
#define RTC_C_PF		0x40
#define RTC_C_UF		0x10
#define RTC_IRQ			8

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

uint8_t cmos_read(uint8_t reg);
void cmos_write(uint8_t reg, uint8_t val);

uint64_t tsc_khz(void);
uint64_t tsc_cycles_us(uint64_t us);
uint64_t tsc_to_us(uint64_t cycles);
void tsc_delay_us(uint64_t us);

#endif /* GUEST_CLOCK_H */
