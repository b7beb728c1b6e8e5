// SPDX-License-Identifier: MIT
/*
 * CMOS access and the TSC frequency: from the hypervisor's CPUID timing
 * leaf if it has one, else measured against the RTC's seconds.
 */
#include "guest.h"
#include "clock.h"
#include "cpu.h"

#define CMOS_INDEX		0x70
#define CMOS_DATA		0x71
#define CPUID_HV_BASE		0x40000000
#define CPUID_HV_TIMING		0x40000010	/* EAX: TSC frequency in kHz */

static uint64_t tsc_khz_cached;

uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

void cmos_write(uint8_t reg, uint8_t val)
{
	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, val);
}

/* The TSC when the RTC's seconds register next changes */
static uint64_t next_second(void)
{
	uint8_t sec = cmos_read(CMOS_SECONDS);

	while (cmos_read(CMOS_SECONDS) == sec)
		;
	return rdtsc();
}

/* Measuring takes up to two seconds, once. */
uint64_t tsc_khz(void)
{
	uint64_t start;

	if (tsc_khz_cached)
		return tsc_khz_cached;
	/* Beyond the maximum leaf, CPUID returns another leaf's values. */
	if (cpuid(CPUID_HV_BASE).eax >= CPUID_HV_TIMING)
		tsc_khz_cached = cpuid(CPUID_HV_TIMING).eax;
	if (!tsc_khz_cached) {
		start = next_second();
		tsc_khz_cached = (next_second() - start) / 1000;
	}
	return tsc_khz_cached;
}

uint64_t tsc_cycles_us(uint64_t us)
{
	return us * tsc_khz() / 1000;
}

uint64_t tsc_to_us(uint64_t cycles)
{
	return cycles * 1000 / tsc_khz();
}

void tsc_delay_us(uint64_t us)
{
	uint64_t start = rdtsc(), cycles = tsc_cycles_us(us);

	while (rdtsc() - start < cycles)
		cpu_relax();
}
