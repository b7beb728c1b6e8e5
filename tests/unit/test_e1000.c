// SPDX-License-Identifier: MIT
/*
 * The e1000 model on a test PCI bus, over a RAM block, with a backend
 * that records what the device sends and whether it paused reception.
 */
#include <stdlib.h>

#include "check.h"
#include "fake_pci.h"
#include "kvmlite/checksum.h"
#include "kvmlite/e1000.h"
#include "kvmlite/memory.h"
#include "kvmlite/net.h"

#define RAM_SIZE	0x100000U
#define MMIO		PCI_MEM32_WINDOW_BASE
#define RING		0x1000U		/* 16 descriptors */
#define RX_RING		0x2000U
#define BUFS		0x10000U
#define SLOT		1

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static struct guest_mem mem;
static struct pci_host *host;
static struct e1000 *nic;
static struct netdev nd;
#define SENT_MAX	8192
static uint8_t sent[8][SENT_MAX];
static size_t sent_len[8];
static struct virtio_net_hdr sent_vh[8];
static int nr_sent;
static bool paused;

static ssize_t record_send(struct netdev *n, const struct virtio_net_hdr *vh,
			   const struct iovec *iov, int iovcnt)
{
	size_t len = 0;
	int i;

	CHECK(!vh || n->offloads);
	for (i = 0; i < iovcnt; i++) {
		if (nr_sent < 8 && len + iov[i].iov_len <= SENT_MAX)
			memcpy(sent[nr_sent] + len, iov[i].iov_base,
			       iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (nr_sent < 8) {
		sent_len[nr_sent] = len;
		sent_vh[nr_sent] = vh ? *vh : (struct virtio_net_hdr){ 0 };
	}
	nr_sent++;
	return len;
}

static void record_pause(struct netdev *n, bool p)
{
	(void)n;
	paused = p;
}

static const struct netdev_ops record_ops = {
	.send = record_send,
	.pause = record_pause,
};

static uint32_t reg(uint32_t off)
{
	return mem_read(MMIO + off);
}

static void set_reg(uint32_t off, uint32_t val)
{
	mem_write(MMIO + off, val);
}

/* @offloads: the backend takes a virtio_net_hdr, as a vnet_hdr TAP. */
static void setup_backend(bool offloads)
{
	struct e1000_params p = { .mac = mac, .mem = &mem, .netdev = &nd };
	char err[128];

	mem.host = calloc(1, RAM_SIZE);
	mem.size = mem.low_size = RAM_SIZE;
	nd = (struct netdev){
		.ops = &record_ops, .id = "t", .offloads = offloads,
	};
	nr_sent = 0;
	paused = false;
	host = new_host();
	nic = e1000_new(&p);
	CHECK(nic);
	CHECK_EQ(pci_host_attach(host, e1000_pci_dev(nic), SLOT, err,
				 sizeof(err)), 0);
}

static void setup(void)
{
	setup_backend(false);
}

static void teardown(void)
{
	free(nic);
	free_host(host);
	free(mem.host);
}

static uint8_t *ram(uint64_t gpa)
{
	return mem.host + gpa;
}

static void put_desc(uint64_t gpa, uint64_t addr, uint32_t lower,
		     uint32_t upper)
{
	memcpy(ram(gpa), &addr, 8);
	memcpy(ram(gpa + 8), &lower, 4);
	memcpy(ram(gpa + 12), &upper, 4);
}

TEST(identity_and_bars)
{
	setup();
	CHECK_EQ(cfg_read(SLOT, 0, 4), 0x100e8086);
	CHECK_EQ(cfg_read(SLOT, 0x08, 4) >> 8, 0x020000);
	CHECK_EQ(cfg_read(SLOT, 0x3d, 1), 1);
	CHECK_EQ(cfg_read(SLOT, 0x10, 4), MMIO);
	CHECK_EQ(cfg_read(SLOT, 0x14, 4) & 1, 1);
	teardown();
}

/* EERD reads the MAC and a checksum that makes the words sum to BABA. */
TEST(eeprom)
{
	uint16_t sum = 0, w[3];
	unsigned int i;

	setup();
	for (i = 0; i < 64; i++) {
		set_reg(0x14, i << 8 | 1);
		CHECK(reg(0x14) & 0x10);
		sum += reg(0x14) >> 16;
		if (i < 3)
			w[i] = reg(0x14) >> 16;
	}
	CHECK_EQ(sum, 0xbaba);
	CHECK(!memcmp(w, mac, 6));
	CHECK_EQ(reg(0x5400), 0x12005452);
	CHECK_EQ(reg(0x5404), 0x80005634);
	teardown();
}

/* INTx# follows ICR & IMS; reading ICR clears it. */
TEST(interrupts)
{
	setup();
	set_reg(0xc8, 0x4);
	CHECK_EQ(fake.levels[SLOT], 0);
	set_reg(0xd0, 0x4);
	CHECK_EQ(fake.levels[SLOT], 1);
	set_reg(0xd8, 0x4);
	CHECK_EQ(fake.levels[SLOT], 0);
	set_reg(0xd0, 0x4);
	CHECK_EQ(reg(0xc0), 0x4);
	CHECK_EQ(fake.levels[SLOT], 0);
	CHECK_EQ(reg(0xc0), 0);
	teardown();
}

static void tx_ring(void)
{
	set_reg(0x3800, RING);
	set_reg(0x3808, 256);
	set_reg(0x0400, 0x0a);		/* EN, PSP */
}

/* A short frame goes out padded, DD comes back, TXDW and TXQE rise. */
TEST(transmit_legacy)
{
	setup();
	memset(ram(BUFS), 0xab, 42);
	put_desc(RING, BUFS, 42 | 0x0b << 24, 0);
	tx_ring();
	set_reg(0x3818, 1);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(sent_len[0], 60);
	CHECK_EQ(sent[0][41], 0xab);
	CHECK_EQ(sent[0][42], 0);
	CHECK_EQ(ram(RING)[12] & 1, 1);
	CHECK_EQ(reg(0x3810), 1);
	CHECK_EQ(reg(0xc0) & 3, 3);
	CHECK_EQ(reg(0x4080), 1);	/* GPTC */
	CHECK_EQ(reg(0x4080), 0);	/* cleared by the read */
	teardown();
}

/*
 * VLE with CTRL.VME: the tag from VET and the descriptor's special field
 * goes in after the addresses.
 */
TEST(transmit_vlan_insert)
{
	unsigned int i;

	setup();
	for (i = 0; i < 60; i++)
		ram(BUFS)[i] = i;
	put_desc(RING, BUFS, 60 | 0x4b << 24, 0x0123U << 16);
	set_reg(0x0000, reg(0x0000) | 1U << 30);	/* CTRL.VME */
	set_reg(0x0038, 0x8100);			/* VET */
	tx_ring();
	set_reg(0x3818, 1);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(sent_len[0], 64);
	CHECK_EQ(sent[0][11], 11);
	CHECK_EQ(sent[0][12], 0x81);
	CHECK_EQ(sent[0][13], 0x00);
	CHECK_EQ(sent[0][14], 0x01);
	CHECK_EQ(sent[0][15], 0x23);
	CHECK_EQ(sent[0][16], 12);
	CHECK_EQ(sent[0][63], 59);
	teardown();
}

/* A buffer outside RAM: nothing sent, counted, still written back. */
TEST(transmit_outside_ram)
{
	setup();
	put_desc(RING, RAM_SIZE - 8, 64 | 0x0b << 24, 0);
	tx_ring();
	set_reg(0x3818, 1);
	CHECK_EQ(nr_sent, 0);
	CHECK_EQ(ram(RING)[12] & 1, 1);
	CHECK_EQ(e1000_guest_errors(nic), 1);
	teardown();
}

/* --- TCP segmentation, in the device or by the backend ---------------- */

#define TSO_HDRLEN	54		/* Ethernet, IPv4, TCP */
#define TSO_PAYLOAD	4500
#define TSO_MSS		1000
#define L3		14
#define L4		34

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/*
 * A TCP packet as the Linux driver hands it over for TSO: IP length
 * and checksum 0, the TCP checksum seeded with the pseudo-header sum
 * without the length.
 */
static void tso_packet(uint8_t *f)
{
	static const uint8_t ip[20] = {
		0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,
		10, 0, 0, 2, 10, 0, 0, 1,
	};
	unsigned int i;

	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, 0x0800);
	memcpy(f + L3, ip, sizeof(ip));
	memset(f + L4, 0, 20);
	put16(f + L4, 4000);
	put16(f + L4 + 2, 5003);
	put16(f + L4 + 4, 0x1000);
	f[L4 + 12] = 5 << 4;
	f[L4 + 13] = 0x18;			/* ACK, PSH */
	put16(f + L4 + 16, csum_fold(csum_add(6, ip + 12, 8)));
	for (i = 0; i < TSO_PAYLOAD; i++)
		f[TSO_HDRLEN + i] = i;
}

/* A context for @f and one data descriptor of @len bytes with IXSM/TXSM. */
static void queue_tso(uint32_t paylen, uint32_t len)
{
	uint64_t offsets = L3 | (L3 + 10) << 8 | (uint64_t)(L4 - 1) << 16 |
			   (uint64_t)L4 << 32 | (uint64_t)(L4 + 16) << 40;

	put_desc(RING, offsets, paylen | 0x27U << 24,
		 TSO_HDRLEN << 8 | TSO_MSS << 16);
	put_desc(RING + 16, BUFS, len | 1 << 20 | 0x2fU << 24, 3 << 8);
	tx_ring();
	set_reg(0x3818, 2);
}

/* Valid IPv4 and TCP checksums, the IP length matching @len. */
static bool tcp_frame_ok(const uint8_t *f, size_t len)
{
	uint32_t sum = csum_add(6 + len - L4, f + L3 + 12, 8);

	return get16(f + L3 + 2) == len - L3 &&
	       csum_fold(csum_add(0, f + L3, 20)) == 0xffff &&
	       csum_fold(csum_add(sum, f + L4, len - L4)) == 0xffff;
}

/* Without offloads: MSS-sized segments, each checksummed, seq moving on. */
TEST(tso_in_device)
{
	int i;

	setup();
	tso_packet(ram(BUFS));
	queue_tso(TSO_PAYLOAD, TSO_HDRLEN + TSO_PAYLOAD);
	CHECK_EQ(nr_sent, 5);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(sent_len[i], TSO_HDRLEN + (i < 4 ? TSO_MSS : 500));
		CHECK(tcp_frame_ok(sent[i], sent_len[i]));
		CHECK_EQ(get16(sent[i] + L4 + 6), i * TSO_MSS);
		CHECK_EQ(sent[i][TSO_HDRLEN + 1], (uint8_t)(i * TSO_MSS + 1));
	}
	CHECK_EQ(reg(0x40f8), 1);	/* TSCTC */
	CHECK_EQ(reg(0x4080), 5);	/* GPTC */
	teardown();
}

/*
 * With offloads: one frame and a virtio_net_hdr asking for the same
 * segments; its partial checksum, once completed as the kernel does,
 * is right for the whole packet.
 */
TEST(tso_by_backend)
{
	const struct virtio_net_hdr *vh = &sent_vh[0];
	uint8_t *f = sent[0];

	setup_backend(true);
	tso_packet(ram(BUFS));
	queue_tso(TSO_PAYLOAD, TSO_HDRLEN + TSO_PAYLOAD);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(sent_len[0], TSO_HDRLEN + TSO_PAYLOAD);
	CHECK_EQ(vh->flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(vh->gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(vh->gso_size, TSO_MSS);
	CHECK_EQ(vh->hdr_len, TSO_HDRLEN);
	CHECK_EQ(vh->csum_start, L4);
	CHECK_EQ(vh->csum_offset, 16);
	put16(f + L4 + 16, ~csum_fold(csum_add(0, f + L4,
					       sent_len[0] - L4)));
	CHECK(tcp_frame_ok(f, sent_len[0]));
	CHECK_EQ(reg(0x4080), 5);	/* GPTC: the segments on the wire */
	teardown();
}

/* Headers that disagree with the context are cut in the device. */
TEST(tso_headers_disagree)
{
	setup_backend(true);
	tso_packet(ram(BUFS));
	ram(BUFS)[L3] = 0x46;		/* IHL 24 bytes, TUCSS says 20 */
	queue_tso(TSO_PAYLOAD, TSO_HDRLEN + TSO_PAYLOAD);
	CHECK_EQ(nr_sent, 5);
	CHECK_EQ(sent_vh[0].gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_EQ(sent_vh[0].flags, 0);
	teardown();
}

/* More data than PAYLEN promised, past a backend frame: dropped. */
TEST(tso_longer_than_paylen)
{
	setup_backend(true);
	tso_packet(ram(BUFS));
	queue_tso(TSO_PAYLOAD, 70000);
	CHECK_EQ(nr_sent, 0);
	CHECK_EQ(e1000_guest_errors(nic), 1);
	CHECK_EQ(ram(RING + 16)[12] & 1, 1);
	teardown();
}

/* TXSM without TSO: the backend completes the TCP checksum. */
TEST(checksum_by_backend)
{
	setup_backend(true);
	tso_packet(ram(BUFS));
	put16(ram(BUFS) + L3 + 2, 20 + 20 + 100);
	put_desc(RING, L3 | (uint64_t)L4 << 32 | (uint64_t)(L4 + 16) << 40,
		 0x21U << 24, 0);
	put_desc(RING + 16, BUFS, (TSO_HDRLEN + 100) | 1 << 20 | 0x2bU << 24,
		 2 << 8);
	tx_ring();
	set_reg(0x3818, 2);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(sent_vh[0].flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(sent_vh[0].csum_start, L4);
	CHECK_EQ(sent_vh[0].csum_offset, 16);
	CHECK_EQ(get16(sent[0] + L4 + 16), get16(ram(BUFS) + L4 + 16));
	teardown();
}

static void rx_ring(unsigned int tail)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		put_desc(RX_RING + 16 * i, BUFS + 2048 * i, 0, 0);
	set_reg(0x2800, RX_RING);
	set_reg(0x2808, 256);
	set_reg(0x2818, tail);
	set_reg(0x0100, 0x04008002);	/* EN, BAM, SECRC */
}

static int deliver(const uint8_t *dst, size_t len)
{
	uint8_t f[1514] = { 0 };

	memcpy(f, dst, 6);
	f[12] = 0x08;
	return nd.peer.receive(nd.peer.opaque, f, len);
}

TEST(receive_and_backpressure)
{
	static const uint8_t other[6] = { 2, 0, 0, 0, 0, 1 };
	uint16_t len;

	setup();
	rx_ring(2);			/* room for two frames */
	CHECK_EQ(deliver(mac, 100), 0);
	memcpy(&len, ram(RX_RING + 8), 2);
	CHECK_EQ(len, 100);
	CHECK_EQ(ram(RX_RING + 12)[0] & 3, 3);	/* DD, EOP */
	CHECK_EQ(deliver(other, 100), 0);	/* filtered out */
	CHECK_EQ(reg(0x2810), 1);
	CHECK_EQ(deliver(mac, 20), 0);		/* padded to 60 */
	memcpy(&len, ram(RX_RING + 16 + 8), 2);
	CHECK_EQ(len, 60);
	CHECK_EQ(deliver(mac, 100), -1);	/* no room: paused */
	CHECK(paused);
	set_reg(0x2818, 5);
	CHECK(!paused);
	CHECK_EQ(deliver(mac, 100), 0);
	CHECK_EQ(reg(0x4074), 3);		/* GPRC */
	teardown();
}

int main(void)
{
	RUN(identity_and_bars);
	RUN(eeprom);
	RUN(interrupts);
	RUN(transmit_legacy);
	RUN(transmit_vlan_insert);
	RUN(transmit_outside_ram);
	RUN(tso_in_device);
	RUN(tso_by_backend);
	RUN(tso_headers_disagree);
	RUN(tso_longer_than_paylen);
	RUN(checksum_by_backend);
	RUN(receive_and_backpressure);
	return check_summary();
}
