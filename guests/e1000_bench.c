// SPDX-License-Identifier: MIT
/*
 * Network throughput through the e1000, measured by the guest on its
 * TSC, with the register accesses it made (each one an exit to the
 * VMM) and the interrupts it took.  One line of results:
 *
 *   e1000_bench: MODE packets N bytes B us T exits X irqs I
 *
 * Command line: mode=tx|tso|rx, count=N, size=S (frame bytes for tx,
 * payload bytes for tso), ip=, host= as for the e1000 guest.
 *   tx	 N UDP frames of S bytes to the host's port 5002, a ring's worth
 *	 queued per TDT write
 *   tso N TCP packets of S payload bytes cut by the device in 1448-byte
 *	 segments, to port 5003
 *   rx	 N frames from the host's flood to port 5001, the buffers given
 *	 back a quarter ring at a time; waits for INTx (RXT0) when the
 *	 ring is empty, with the throttling rate itr= (ITR units)
 */
#include "guest.h"
#include "clock.h"
#include "e1000.h"
#include "irq.h"
#include "netproto.h"

#define RING		128
#define NET_MIN_FRAME_SIZE	60
#define TSO_MSS		1448
#define TSO_MAX		65536
#define WAIT_US		5000000
#define BENCH_VECTOR	IRQ_FREE_VECTOR_BASE
#define RCTL_BENCH	(E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC | \
			 E1000_RCTL_UPE)

static struct e1000_dev dev;
static struct net_addr self, host;
static uint8_t frame[2048];
static uint8_t packet[TSO_MAX + 64];
static unsigned long exits;	/* register accesses: each one an exit */

static void wr(uint32_t reg, uint32_t val)
{
	e1000_write(&dev, reg, val);
	exits++;
}

static uint32_t rd(uint32_t reg)
{
	exits++;
	return e1000_read(&dev, reg);
}

static bool reclaim(void)
{
	uint64_t end = rdtsc() + tsc_cycles_us(WAIT_US);

	while (!e1000_tx_done(&dev))
		if (rdtsc() > end)
			return false;
	return true;
}

static unsigned long run_tx(unsigned long count, unsigned long size)
{
	unsigned long sent = 0, batch;
	size_t len;

	len = build_udp(frame, &self, &host, 4000, 5002, frame + 100,
			size - L4_OFF - UDP_HLEN, true);
	while (sent < count) {
		for (batch = 0; sent < count && batch < RING - 1;
		     batch++, sent++)
			if (e1000_tx_queue_buf(&dev, frame, len))
				break;
		e1000_tx_kick(&dev);
		exits++;
		if (!reclaim())
			break;
	}
	return sent;
}

static unsigned long run_tso(unsigned long count, unsigned long size)
{
	struct e1000_tx_ctx ctx = {
		.ipcss = IP_OFF, .ipcso = IP_OFF + 10, .ipcse = L4_OFF - 1,
		.tucss = L4_OFF, .tucso = L4_OFF + 16,
		.tucmd = E1000_TUCMD_IP | E1000_TUCMD_TCP | E1000_TUCMD_TSE,
		.paylen = size, .hdrlen = L4_OFF + TCP_HLEN, .mss = TSO_MSS,
	};
	unsigned long i;

	build_ip(packet, &self, &host, IPPROTO_TCP, 0, 1, false);
	put16(packet + L4_OFF, 4000);
	put16(packet + L4_OFF + 2, 5003);
	packet[L4_OFF + 12] = (TCP_HLEN / 4) << 4;
	packet[L4_OFF + 13] = 0x10;
	for (i = 0; i < count; i++) {
		if (e1000_tx_queue_offload(&dev, &ctx, E1000_POPTS_IXSM |
					   E1000_POPTS_TXSM, true, packet,
					   L4_OFF + TCP_HLEN + size))
			break;
		e1000_tx_kick(&dev);
		exits++;
		if (!reclaim())
			break;
	}
	return i;
}

static bool wait_irq(uint32_t seen)
{
	uint64_t end = rdtsc() + tsc_cycles_us(WAIT_US);

	while (e1000_irq_count == seen) {
		if (rdtsc() > end)
			return false;
		asm volatile("sti; hlt; cli" : : : "memory");
	}
	exits++;			/* the handler's ICR read */
	return true;
}

static unsigned long run_rx(unsigned long count, uint64_t *start)
{
	unsigned long got = 0, held = 0;
	const uint8_t *f;
	uint8_t status, errors;
	uint32_t seen;

	printf("e1000_bench: ready rx\n");
	while (got < count) {
		seen = e1000_irq_count;
		if (e1000_rx_poll(&dev, &f, &status, &errors, 0) >= 0) {
			if (!got++)
				*start = rdtsc();
			e1000_rx_consume(&dev);
			if (++held < RING / 4)
				continue;
		} else if (!held && !wait_irq(seen)) {
			break;
		}
		if (held) {
			e1000_rx_refill(&dev);
			exits++;
			held = 0;
		}
	}
	return got;
}

int guest_main(const struct boot_info *bi)
{
	const char *mode = cmdline_get(bi->cmdline, "mode");
	unsigned long count = 1000, size = 1514, itr = 0, done;
	uint64_t start, us;
	const char *v;

	irq_init();
	lapic_enable(IRQ_SPURIOUS_VECTOR);
	tsc_khz();
	if ((v = cmdline_get(bi->cmdline, "count")))
		cmdline_parse_ulong(v, &count);
	if ((v = cmdline_get(bi->cmdline, "size")))
		cmdline_parse_ulong(v, &size);
	if ((v = cmdline_get(bi->cmdline, "itr")))
		cmdline_parse_ulong(v, &itr);
	parse_ip("10.0.0.2", &self.ip);
	parse_ip("10.0.0.1", &host.ip);
	memset(host.mac, 0xff, ETH_ALEN);
	if (!mode || e1000_find(&dev, 0) || e1000_reset(&dev) ||
	    size > TSO_MAX || size < NET_MIN_FRAME_SIZE) {
		printf("e1000_bench: bad command line or no NIC\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	memcpy(self.mac, dev.mac, ETH_ALEN);
	e1000_rings(&dev, RING, RING, RCTL_BENCH);
	wr(E1000_ITR, itr);
	if (e1000_irq_setup(&dev, BENCH_VECTOR, E1000_ICR_RXT0))
		return 1;
	exits = 0;
	start = rdtsc();
	if (!strncmp(mode, "tso", 3)) {
		mode = "tso";
		done = run_tso(count, size);
	} else if (!strncmp(mode, "tx", 2)) {
		mode = "tx";
		done = run_tx(count, size);
	} else {
		mode = "rx";
		done = run_rx(count, &start);
	}
	us = tsc_to_us(rdtsc() - start);
	rd(E1000_STATUS);
	printf("e1000_bench: %s packets %lu bytes %lu us %llu exits %lu "
	       "irqs %u\n", mode, done, done * size, (unsigned long long)us,
	       exits, e1000_irq_count);
	return done == count ? 0 : 1;
}
