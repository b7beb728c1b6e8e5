// SPDX-License-Identifier: MIT
/*
 * Network throughput through the e1000, measured by the guest on its
 * TSC, with the register accesses it made (each one an exit to the
 * VMM) and the interrupts it took.  One line of results:
 *
 *   e1000_bench: MODE packets N bytes B us T exits X irqs I
 *
 * Command line: mode=tx|tso|rx, count=N, size=S (frame bytes for tx,
 * payload bytes for tso), wait=poll|irq, itr=.
 *   tx	 N UDP frames of S bytes to the host's port 5002, a ring's worth
 *	 queued per TDT write
 *   tso N TCP packets of S payload bytes cut by the device in 1448-byte
 *	 segments, to port 5003
 *   rx	 N frames from the host's flood to port 5001, the buffers given
 *	 back a quarter ring at a time
 *
 * With wait=poll (the default) the loops run in user mode, ask for no
 * interrupts and poll the descriptors' DD bits: hosts that emulate
 * kernel-mode code run them natively, so the figures measure the VMM and
 * not the emulator.  With wait=irq they run in kernel mode and halt until
 * the device's INTx (TXDW, RXT0), throttled to the rate itr= (ITR units).
 */
#include "guest.h"
#include "clock.h"
#include "e1000.h"
#include "irq.h"
#include "netproto.h"
#include "usermode.h"

#define RING		128
#define NET_MIN_FRAME_SIZE	60
#define TSO_MSS		1448
#define TSO_MAX		65536
#define WAIT_US		5000000
#define IDLE_CHECK_US	1000
#define BENCH_VECTOR	IRQ_FREE_VECTOR_BASE
#define RCTL_BENCH	(E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC | \
			 E1000_RCTL_UPE)

struct bench {
	const struct mode *mode;
	unsigned long count, size;
	bool poll;			/* user mode, no interrupts */
	unsigned long itr;		/* with interrupts */
	unsigned long done;		/* packets sent or received */
	unsigned long exits;		/* register accesses: each one an exit */
	uint64_t start;			/* TSC: the first packet */
};

static struct e1000_dev dev;
static struct net_addr self, host;
static uint8_t frame[2048];
static uint8_t packet[TSO_MAX + 64];

static bool tx_done(void)
{
	return e1000_tx_done(&dev);
}

static bool rx_ready(void)
{
	return e1000_rx_ready(&dev);
}

/*
 * Until @ready(): spinning when polling, else halted until the next
 * interrupt.  False after WAIT_US (with interrupts, only if some come).
 *
 * A poller that has waited IDLE_CHECK_US reads ICR, as a driver checks
 * for causes it did not ask to be interrupted for: QEMU's e1000 takes
 * frames from its TAP again, after its ring was full, only once the
 * guest exits to it, and a guest that only polls memory never would.
 */
static bool wait_for(struct bench *b, bool (*ready)(void))
{
	uint64_t now = rdtsc(), end = now + tsc_cycles_us(WAIT_US);
	uint64_t idle = tsc_cycles_us(IDLE_CHECK_US), check = now + idle;
	uint32_t seen;

	for (;;) {
		seen = e1000_irq_count;
		if (ready())
			return true;
		now = rdtsc();
		if (now > end)
			return false;
		if (!b->poll) {
			if (e1000_irq_count == seen)
				asm volatile("sti; hlt; cli" : : : "memory");
		} else if (now > check) {
			e1000_read(&dev, E1000_ICR);
			b->exits++;
			check = now + idle;
		} else {
			cpu_relax();
		}
	}
}

static void kick(struct bench *b)
{
	e1000_tx_kick(&dev);
	b->exits++;
}

/* Each run_* returns the TSC at its end; in user mode when polling. */
static uint64_t run_tx(void *arg)
{
	struct bench *b = arg;
	unsigned long batch;
	size_t len;

	len = build_udp(frame, &self, &host, 4000, 5002, frame + 100,
			b->size - L4_OFF - UDP_HLEN, true);
	b->start = rdtsc();
	while (b->done < b->count) {
		for (batch = 0; b->done < b->count && batch < RING - 1;
		     batch++, b->done++)
			if (e1000_tx_queue_buf(&dev, frame, len))
				break;
		kick(b);
		if (!wait_for(b, tx_done))
			break;
	}
	return rdtsc();
}

static uint64_t run_tso(void *arg)
{
	struct bench *b = arg;
	struct e1000_tx_ctx ctx = {
		.ipcss = IP_OFF, .ipcso = IP_OFF + 10, .ipcse = L4_OFF - 1,
		.tucss = L4_OFF, .tucso = L4_OFF + 16,
		.tucmd = E1000_TUCMD_IP | E1000_TUCMD_TCP | E1000_TUCMD_TSE,
		.paylen = b->size, .hdrlen = L4_OFF + TCP_HLEN, .mss = TSO_MSS,
	};

	build_ip(packet, &self, &host, IPPROTO_TCP, 0, 1, false);
	put16(packet + L4_OFF, 4000);
	put16(packet + L4_OFF + 2, 5003);
	packet[L4_OFF + 12] = (TCP_HLEN / 4) << 4;
	packet[L4_OFF + 13] = 0x10;
	b->start = rdtsc();
	for (; b->done < b->count; b->done++) {
		if (e1000_tx_queue_offload(&dev, &ctx, E1000_POPTS_IXSM |
					   E1000_POPTS_TXSM, true, packet,
					   L4_OFF + TCP_HLEN + b->size))
			break;
		kick(b);
		if (!wait_for(b, tx_done))
			break;
	}
	return rdtsc();
}

/* The clock starts at the first frame: the flood may start late. */
static uint64_t run_rx(void *arg)
{
	struct bench *b = arg;
	unsigned long held = 0;

	while (b->done < b->count && wait_for(b, rx_ready)) {
		if (!b->done++)
			b->start = rdtsc();
		e1000_rx_consume(&dev);
		if (++held == RING / 4) {
			e1000_rx_refill(&dev);
			b->exits++;
			held = 0;
		}
	}
	return rdtsc();
}

static const struct mode {
	const char *name;
	uint64_t (*run)(void *arg);
} modes[] = {
	{ "tx", run_tx },
	{ "tso", run_tso },
	{ "rx", run_rx },
};

static bool parse(struct bench *b, const char *cmdline)
{
	const char *mode = cmdline_get(cmdline, "mode");
	const char *v;
	unsigned int i;

	b->count = 1000;
	b->size = 1514;
	if ((v = cmdline_get(cmdline, "count")) &&
	    !cmdline_parse_ulong(v, &b->count))
		return false;
	if ((v = cmdline_get(cmdline, "size")) &&
	    !cmdline_parse_ulong(v, &b->size))
		return false;
	if ((v = cmdline_get(cmdline, "itr")) &&
	    !cmdline_parse_ulong(v, &b->itr))
		return false;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (cmdline_value_is(mode, modes[i].name))
			b->mode = &modes[i];
	return b->mode && usermode_parse_wait(cmdline, &b->poll) &&
	       b->size <= TSO_MAX && b->size >= NET_MIN_FRAME_SIZE;
}

/*
 * Polling: the device's registers and the guest image (rings, buffers)
 * open to user mode.  Interrupts: the INTx handler and the throttling.
 */
static int prepare(const struct bench *b)
{
	if (b->poll)
		return usermode_allow(dev.mmio, E1000_MMIO_SIZE);
	e1000_write(&dev, E1000_ITR, b->itr);
	return e1000_irq_setup(&dev, BENCH_VECTOR,
			       E1000_ICR_TXDW | E1000_ICR_RXT0);
}

int guest_main(const struct boot_info *bi)
{
	static struct bench b;
	uint64_t end;

	irq_init();
	lapic_enable(IRQ_SPURIOUS_VECTOR);
	tsc_khz();
	if (!parse(&b, bi->cmdline)) {
		printf("usage: mode=tx|tso|rx [count=N] [size=BYTES] "
		       "[wait=poll|irq] [itr=N]\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	if (usermode_init())
		return 1;
	if (e1000_find(&dev, 0) || e1000_reset(&dev)) {
		printf("e1000_bench: no NIC\n");
		return 1;
	}
	parse_ip("10.0.0.2", &self.ip);
	parse_ip("10.0.0.1", &host.ip);
	memset(host.mac, 0xff, ETH_ALEN);
	memcpy(self.mac, dev.mac, ETH_ALEN);
	e1000_rings(&dev, RING, RING, RCTL_BENCH);
	if (prepare(&b)) {
		printf("e1000_bench: cannot set up wait=%s\n",
		       b.poll ? "poll" : "irq");
		return 1;
	}
	if (b.mode->run == run_rx)
		printf("e1000_bench: ready rx\n");
	end = b.poll ? usermode_call(b.mode->run, &b) : b.mode->run(&b);
	/* The interrupt handler's ICR reads. */
	b.exits += e1000_irq_count;
	printf("e1000_bench: %s packets %lu bytes %lu us %llu exits %lu "
	       "irqs %u\n", b.mode->name, b.done, b.done * b.size,
	       (unsigned long long)(b.done ? tsc_to_us(end - b.start) : 0),
	       b.exits, e1000_irq_count);
	return b.done == b.count ? 0 : 1;
}
