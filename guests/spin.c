// SPDX-License-Identifier: MIT
/*
 * Keeps every CPU in the guest busy without a single exit: the BSP starts
 * the APs the MP table lists, and each CPU then counts in a tight loop.
 * This is the load under which the monitor must still answer quickly.
 *
 *	[tick=MS] [ticks=N]
 *
 * tick=MS has the BSP print "spin: tick K" every MS milliseconds of TSC
 * time, so that the host can tell whether the guest runs at all (a
 * stopped guest prints nothing); ticks=N ends the guest after N ticks.
 */
#include "guest.h"
#include "clock.h"
#include "mptable.h"
#include "smp.h"

#define AP_WAIT_US	20000000	/* start-up is emulated here */

static uint32_t aps_up;
static volatile uint64_t spins[MP_MAX_CPUS];

static void __attribute__((noreturn)) spin_forever(unsigned int slot)
{
	for (;;)
		spins[slot]++;
}

static void __attribute__((noreturn)) ap_main(unsigned int slot)
{
	__atomic_add_fetch(&aps_up, 1, __ATOMIC_RELEASE);
	spin_forever(slot + 1);
}

/* The APs of the table, all of them or none; returns how many are up. */
static unsigned int start_aps(void)
{
	unsigned int ids[MP_MAX_CPUS], n = 0, i;
	struct mp_info mp;
	uint64_t start;

	if (mp_read(&mp))
		return 0;
	for (i = 0; i < mp.nr_cpus; i++)
		if ((int)i != mp.bsp)
			ids[n++] = mp.apic_id[i];
	if (!n)
		return 0;
	smp_start_aps(ids, n, ap_main);
	start = rdtsc();
	while (__atomic_load_n(&aps_up, __ATOMIC_ACQUIRE) < n &&
	       rdtsc() - start < tsc_cycles_us(AP_WAIT_US))
		;
	return aps_up;
}

/* Spins for @ms of TSC time. */
static void spin_for(unsigned long ms)
{
	uint64_t start = rdtsc(), cycles = tsc_cycles_us(ms * 1000);

	while (rdtsc() - start < cycles)
		spins[0]++;
}

int guest_main(const struct boot_info *bi)
{
	const char *tick = cmdline_get(bi->cmdline, "tick");
	const char *ticks = cmdline_get(bi->cmdline, "ticks");
	unsigned long tick_ms = 0, nr_ticks = 0, k;

	if ((tick && !cmdline_parse_ulong(tick, &tick_ms)) ||
	    (ticks && !cmdline_parse_ulong(ticks, &nr_ticks))) {
		printf("usage: spin [tick=MS] [ticks=N]\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	printf("spin: %u CPUs spinning\n", start_aps() + 1);
	if (!tick_ms)
		spin_forever(0);
	for (k = 1; !nr_ticks || k <= nr_ticks; k++) {
		spin_for(tick_ms);
		printf("spin: tick %lu\n", k);
	}
	return 0;
}
