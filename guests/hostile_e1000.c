// SPDX-License-Identifier: MIT
/*
 * Attacks an e1000 through its descriptor rings, then checks after each
 * that a reset brings it back: an ARP request to the host gets its
 * reply.  Prints "hostile_e1000: NAME ok|FAIL ..." per attack and exits
 * 0 only if the device survived them all.  The host side is the
 * namespace's kernel at host= (default 10.0.0.1); the guest is ip=.
 */
#include "guest.h"
#include "clock.h"
#include "e1000.h"
#include "netproto.h"

#define RING		64
#define WAIT_US		1000000
#define OUTSIDE_RAM	0xfffff0000000ULL	/* no RAM, no device */
#define PCI_HOLE	0xfff00000ULL
#define STATUS_DD	0x1
#define RXD_ERR_RXE	0x80
#define ICR_RXO		(1U << 6)
#define DTYP_BAD	(0xfU << 20)
#define RCTL_BSEX	(1U << 25)
#define RCTL_LPE	(1U << 5)
#define RCTL_NORMAL	(E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC)

static struct e1000_dev dev;
static struct net_addr self, host;
static unsigned int nr_failed;
static uint8_t frame[2048];
static uint8_t big[4096];

static void report(const char *name, bool ok, const char *what)
{
	printf("hostile_e1000: %s %s%s%s\n", name, ok ? "ok" : "FAIL",
	       what[0] ? " " : "", what);
	nr_failed += !ok;
}

static struct e1000_tx_desc *tx_desc(unsigned int i)
{
	return &dev.tx[i % RING];
}

static void put_desc(unsigned int i, uint64_t addr, uint32_t lower,
		     uint32_t upper)
{
	tx_desc(i)->addr = addr;
	tx_desc(i)->lower = lower;
	tx_desc(i)->upper = upper;
}

static uint32_t legacy(uint32_t len, uint32_t cmd)
{
	return len | cmd << 24;
}

/* Moves TDT over @n hand-made descriptors and waits for TDH to follow. */
static bool run_tx(unsigned int n)
{
	uint64_t end = rdtsc() + tsc_cycles_us(WAIT_US);

	e1000_write(&dev, E1000_TDT, n % RING);
	while (e1000_read(&dev, E1000_TDH) != n % RING)
		if (rdtsc() > end)
			return false;
	return true;
}

/* Every descriptor with RS got DD: the driver could reclaim them. */
static bool written_back(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if ((tx_desc(i)->lower >> 24 & E1000_TXD_RS) &&
		    !(tx_desc(i)->upper & STATUS_DD))
			return false;
	return true;
}

static bool arp_round_trip(void)
{
	uint64_t end = rdtsc() + tsc_cycles_us(WAIT_US);
	const uint8_t *f;
	uint8_t status, errors;
	bool got = false;
	int len;

	e1000_tx_queue(&dev, frame, build_arp(frame, &self, &host,
					      ARP_REQUEST));
	e1000_tx_kick(&dev);
	while (!got && rdtsc() < end) {
		len = e1000_rx_poll(&dev, &f, &status, &errors, 1000);
		if (len < 0)
			continue;
		got = len >= ETH_HLEN + ARP_LEN && be16(f + 12) == ETH_P_ARP &&
		      be16(f + ETH_HLEN + 6) == ARP_REPLY && !errors;
		e1000_rx_release(&dev, 1);
	}
	return got;
}

static bool recover(void)
{
	if (e1000_reset(&dev))
		return false;
	memcpy(self.mac, dev.mac, ETH_ALEN);
	e1000_rings(&dev, RING, RING, RCTL_NORMAL);
	return arp_round_trip();
}

/* --- transmit attacks ------------------------------------------------- */

static bool tx_outside_ram(void)
{
	put_desc(0, OUTSIDE_RAM, legacy(64, E1000_TXD_EOP | E1000_TXD_RS), 0);
	put_desc(1, PCI_HOLE - 32, legacy(64, E1000_TXD_EOP | E1000_TXD_RS),
		 0);
	return run_tx(2) && written_back(2);
}

static bool tx_zero_lengths(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		put_desc(i, (uintptr_t)frame,
			 legacy(0, E1000_TXD_EOP | E1000_TXD_RS), 0);
	return run_tx(4) && written_back(4);
}

/* A packet that never ends, over the whole ring, longer than any frame. */
static bool tx_endless_packet(void)
{
	unsigned int i;

	for (i = 0; i < RING - 1; i++)
		put_desc(i, (uintptr_t)big,
			 legacy(sizeof(big), i % 8 ? 0 : E1000_TXD_RS), 0);
	return run_tx(RING - 1) && written_back(RING - 1);
}

static void put_context(unsigned int i, uint8_t hdrlen, uint16_t mss,
			uint8_t tucso)
{
	uint64_t offsets = IP_OFF | (uint64_t)(IP_OFF + 10) << 8 |
			   (uint64_t)L4_OFF << 32 | (uint64_t)tucso << 40;

	put_desc(i, offsets, E1000_DTYP_CTX | (uint32_t)(E1000_TUCMD_IP |
		 E1000_TUCMD_TCP | E1000_TUCMD_TSE | E1000_TXD_DEXT) << 24,
		 (uint32_t)hdrlen << 8 | (uint32_t)mss << 16);
}

static void put_data(unsigned int i, const void *buf, uint32_t len,
		     uint32_t cmd)
{
	put_desc(i, (uintptr_t)buf, len | E1000_DTYP_DATA |
		 (cmd | E1000_TXD_DEXT | E1000_TXD_RS) << 24,
		 (E1000_POPTS_TXSM | E1000_POPTS_IXSM) << 8);
}

static bool tx_tso_mss_zero(void)
{
	put_context(0, L4_OFF + TCP_HLEN, 0, L4_OFF + 16);
	put_data(1, big, sizeof(big), E1000_TXD_TSE | E1000_TXD_EOP);
	return run_tx(2) && written_back(2);
}

static bool tx_tso_header_past_packet(void)
{
	put_context(0, 250, 1000, L4_OFF + 16);
	put_data(1, big, 100, E1000_TXD_TSE | E1000_TXD_EOP);
	return run_tx(2) && written_back(2);
}

static bool tx_tso_segment_too_big(void)
{
	put_context(0, L4_OFF + TCP_HLEN, 65000, L4_OFF + 16);
	put_data(1, big, sizeof(big), E1000_TXD_TSE | E1000_TXD_EOP);
	return run_tx(2) && written_back(2);
}

static bool tx_context_inside_packet(void)
{
	put_context(0, L4_OFF + TCP_HLEN, 1000, L4_OFF + 16);
	put_data(1, big, 1000, E1000_TXD_TSE);
	put_context(2, 10, 1, L4_OFF + 16);
	put_data(3, big, 1000, E1000_TXD_TSE | E1000_TXD_EOP);
	return run_tx(4) && written_back(4);
}

static bool tx_checksum_outside(void)
{
	put_context(0, 0, 0, 250);
	put_data(1, big, 60, E1000_TXD_EOP);
	return run_tx(2) && written_back(2);
}

static bool tx_bad_type(void)
{
	put_desc(0, (uintptr_t)big, 60 | DTYP_BAD |
		 (uint32_t)(E1000_TXD_DEXT | E1000_TXD_RS) << 24, 0);
	return run_tx(1) && written_back(1);
}

/* Rings the device must refuse: it leaves them alone and goes on. */
static bool tx_bad_ring(uint64_t base, uint32_t len, uint32_t tdt)
{
	e1000_write(&dev, E1000_TDBAL, base);
	e1000_write(&dev, E1000_TDBAH, base >> 32);
	e1000_write(&dev, E1000_TDLEN, len);
	e1000_write(&dev, E1000_TDT, tdt);
	tsc_delay_us(1000);
	return e1000_read(&dev, E1000_STATUS) & E1000_STATUS_LU;
}

static bool tx_ring_len_zero(void)
{
	return tx_bad_ring((uintptr_t)dev.tx, 0, 5);
}

static bool tx_ring_outside_ram(void)
{
	return tx_bad_ring(OUTSIDE_RAM, 4096, 7);
}

static bool tx_tail_past_ring(void)
{
	return tx_bad_ring((uintptr_t)dev.tx, RING * 16, 5000);
}

static bool tx_ring_misaligned(void)
{
	put_desc(0, (uintptr_t)frame, legacy(60, E1000_TXD_EOP |
		 E1000_TXD_RS), 0);
	return tx_bad_ring((uintptr_t)dev.tx + 8, RING * 16 + 100, 1);
}

/* --- receive attacks -------------------------------------------------- */

static bool request_reply(void)
{
	e1000_tx_queue(&dev, frame, build_arp(frame, &self, &host,
					      ARP_REQUEST));
	e1000_tx_kick(&dev);
	tsc_delay_us(200000);
	return true;
}

/* The reply lands nowhere: the descriptor says so with RXE. */
static bool rx_outside_ram(void)
{
	unsigned int i;

	for (i = 0; i < RING; i++)
		dev.rx[i].addr = OUTSIDE_RAM;
	request_reply();
	return (dev.rx[0].status & STATUS_DD) &&
	       (dev.rx[0].errors & RXD_ERR_RXE);
}

static bool rx_bad_ring(uint64_t base, uint32_t len, uint32_t rdt,
			uint32_t rctl)
{
	e1000_read(&dev, E1000_MPC);
	e1000_write(&dev, E1000_RDBAL, base);
	e1000_write(&dev, E1000_RDBAH, base >> 32);
	e1000_write(&dev, E1000_RDLEN, len);
	e1000_write(&dev, E1000_RDT, rdt);
	e1000_write(&dev, E1000_RCTL, rctl);
	e1000_read(&dev, E1000_ICR);
	request_reply();
	return e1000_read(&dev, E1000_MPC) &&
	       (e1000_read(&dev, E1000_ICR) & ICR_RXO);
}

static bool rx_ring_len_zero(void)
{
	return rx_bad_ring((uintptr_t)dev.rx, 0, 5, RCTL_NORMAL);
}

static bool rx_ring_outside_ram(void)
{
	return rx_bad_ring(OUTSIDE_RAM, 4096, 7, RCTL_NORMAL);
}

static bool rx_tail_past_ring(void)
{
	return rx_bad_ring((uintptr_t)dev.rx, RING * 16, 5000, RCTL_NORMAL);
}

static bool rx_reserved_buffer_size(void)
{
	return rx_bad_ring((uintptr_t)dev.rx, RING * 16, RING - 1,
			   RCTL_NORMAL | RCTL_BSEX);
}

static const struct {
	const char *name;
	bool (*attack)(void);
} attacks[] = {
	{ "tx_outside_ram", tx_outside_ram },
	{ "tx_zero_lengths", tx_zero_lengths },
	{ "tx_endless_packet", tx_endless_packet },
	{ "tx_tso_mss_zero", tx_tso_mss_zero },
	{ "tx_tso_header_past_packet", tx_tso_header_past_packet },
	{ "tx_tso_segment_too_big", tx_tso_segment_too_big },
	{ "tx_context_inside_packet", tx_context_inside_packet },
	{ "tx_checksum_outside", tx_checksum_outside },
	{ "tx_bad_type", tx_bad_type },
	{ "tx_ring_len_zero", tx_ring_len_zero },
	{ "tx_ring_outside_ram", tx_ring_outside_ram },
	{ "tx_tail_past_ring", tx_tail_past_ring },
	{ "tx_ring_misaligned", tx_ring_misaligned },
	{ "rx_outside_ram", rx_outside_ram },
	{ "rx_ring_len_zero", rx_ring_len_zero },
	{ "rx_ring_outside_ram", rx_ring_outside_ram },
	{ "rx_tail_past_ring", rx_tail_past_ring },
	{ "rx_reserved_buffer_size", rx_reserved_buffer_size },
};

int guest_main(const struct boot_info *bi)
{
	const char *ip = cmdline_get(bi->cmdline, "ip");
	const char *peer = cmdline_get(bi->cmdline, "host");
	unsigned int i;
	bool seen;

	tsc_khz();
	if (parse_ip(ip ? ip : "10.0.0.2", &self.ip) ||
	    parse_ip(peer ? peer : "10.0.0.1", &host.ip) ||
	    e1000_find(&dev, 0) || !recover()) {
		printf("hostile_e1000: no working NIC to attack\n");
		return 1;
	}
	memset(big, 0x5a, sizeof(big));
	for (i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		/* Each attack starts on fresh rings, heads and tails at 0. */
		e1000_reset(&dev);
		e1000_rings(&dev, RING, RING, RCTL_NORMAL);
		seen = attacks[i].attack();
		report(attacks[i].name, seen && recover(),
		       seen ? "" : "(not the SDM's reaction)");
	}
	printf("hostile_e1000: done, %u failed\n", nr_failed);
	return nr_failed ? 1 : 0;
}
