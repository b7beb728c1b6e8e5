// SPDX-License-Identifier: MIT
/*
 * The e1000 model on a test PCI bus, over a RAM block, with a backend
 * that records what the device sends and whether it paused reception.
 */
#include <stdlib.h>

#include "check.h"
#include "fake_pci.h"
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
static uint8_t sent[4][2048];
static size_t sent_len[4];
static int nr_sent;
static bool paused;

static ssize_t record_send(struct netdev *n, const struct iovec *iov,
			   int iovcnt)
{
	size_t len = 0;
	int i;

	(void)n;
	for (i = 0; i < iovcnt; i++) {
		if (nr_sent < 4 && len + iov[i].iov_len <= 2048)
			memcpy(sent[nr_sent] + len, iov[i].iov_base,
			       iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (nr_sent < 4)
		sent_len[nr_sent] = len;
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

static void setup(void)
{
	struct e1000_params p = { .mac = mac, .mem = &mem, .netdev = &nd };
	char err[128];

	mem.host = calloc(1, RAM_SIZE);
	mem.size = mem.low_size = RAM_SIZE;
	nd = (struct netdev){ .ops = &record_ops, .id = "t" };
	nr_sent = 0;
	paused = false;
	host = new_host();
	nic = e1000_new(&p);
	CHECK(nic);
	CHECK_EQ(pci_host_attach(host, e1000_pci_dev(nic), SLOT, err,
				 sizeof(err)), 0);
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
	RUN(transmit_outside_ram);
	RUN(receive_and_backpressure);
	return check_summary();
}
