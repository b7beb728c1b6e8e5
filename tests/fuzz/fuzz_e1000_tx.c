// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the e1000 transmit path: the input is a hostile
 * driver.  It gives the initial RAM image and a script of register
 * writes (ring base and length, head and tail, TCTL, CTRL, VET, delays)
 * and RAM writes (descriptors changing under the device); a TDT or TCTL
 * write runs the ring at once, as on a vCPU.
 *
 * Each input runs twice, over a backend without offloads and over one
 * that takes a virtio_net_hdr, as a TAP with IFF_VNET_HDR does.
 *
 * RAM is a heap block of exactly its size, so the sanitizers catch any
 * access outside it; every frame the device sends is read in full and
 * must be no longer than the longest frame the device may send, and its
 * virtio_net_hdr must be one the kernel's TAP driver accepts for it.
 *
 * Input layout (little-endian):
 *	0	number of script steps
 *	1	the script: per step a kind byte (bit 0: RAM write, else a
 *		register write), a 16-bit register index or RAM offset, a
 *		32-bit value
 *	...	the initial RAM image, zero-padded
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/e1000.h"
#include "kvmlite/memory.h"
#include "kvmlite/net.h"
#include "kvmlite/pci.h"

#define RAM_SIZE	0x10000U
#define STEP_SIZE	7
/* A jumbo frame, a VLAN tag, and padding cannot add up to more. */
#define MAX_SENT	(16384 + 4 + 60)
#define TCP_MIN_HLEN	20
#define TCP_CSUM_OFF	16

#define ENSURE(cond)				\
	do {					\
		if (!(cond))			\
			__builtin_trap();	\
	} while (0)

static const uint32_t tx_registers[] = {
	0x0000,		/* CTRL: VME, and RST */
	0x0038,		/* VET */
	0x00c4,		/* ITR */
	0x00d0,		/* IMS */
	0x0400,		/* TCTL */
	0x3800,		/* TDBAL */
	0x3804,		/* TDBAH */
	0x3808,		/* TDLEN */
	0x3810,		/* TDH */
	0x3818,		/* TDT */
	0x3820,		/* TIDV */
	0x382c,		/* TADV */
};

static unsigned int frames;

/*
 * What the TAP driver (virtio_net_hdr_to_skb) refuses or trips over: a
 * checksum field past the frame, a GSO frame without NEEDS_CSUM on TCP,
 * without a size, longer than a TAP frame, or not longer than one
 * segment.
 */
static void check_vnet_hdr(const struct virtio_net_hdr *vh, size_t total)
{
	ENSURE(!(vh->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM));
	if (vh->flags)
		ENSURE((size_t)vh->csum_start + vh->csum_offset + 2 <= total);
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		ENSURE(!vh->gso_size);
		return;
	}
	ENSURE(vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ||
	       vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV6);
	ENSURE(vh->flags && vh->csum_offset == TCP_CSUM_OFF);
	ENSURE(vh->gso_size && total <= NET_MAX_FRAME);
	ENSURE(vh->hdr_len >= vh->csum_start + TCP_MIN_HLEN);
	ENSURE(total > (size_t)vh->hdr_len + vh->gso_size);
}

/* Reads every byte the device hands over, as a TAP would. */
static ssize_t fake_send(struct netdev *nd, const struct virtio_net_hdr *vh,
			 const struct iovec *iov, int iovcnt)
{
	volatile uint8_t sink = 0;
	size_t total = 0, i;
	int n;

	for (n = 0; n < iovcnt; n++) {
		for (i = 0; i < iov[n].iov_len; i++)
			sink ^= ((const uint8_t *)iov[n].iov_base)[i];
		total += iov[n].iov_len;
	}
	(void)sink;
	ENSURE(!vh || nd->offloads);
	if (vh)
		check_vnet_hdr(vh, total);
	else
		ENSURE(total <= MAX_SENT);
	frames++;
	return total;
}

static void fake_pause(struct netdev *nd, bool paused)
{
	(void)nd;
	(void)paused;
}

static const struct netdev_ops fake_ops = {
	.send = fake_send,
	.pause = fake_pause,
};

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_reg(struct pci_dev *dev, uint32_t reg, uint32_t val)
{
	uint32_t le = htole32(val);

	pci_bar_access(dev, E1000_BAR_MMIO, reg, &le, 4, true);
}

static void step(struct pci_dev *dev, struct guest_mem *mem,
		 const uint8_t *s)
{
	uint16_t where = s[1] | s[2] << 8;
	uint32_t val = rd32(s + 3);

	if (s[0] & 1) {
		where %= RAM_SIZE - 3;
		memcpy(mem->host + where, &val, 4);
		return;
	}
	write_reg(dev, tx_registers[where % (sizeof(tx_registers) /
					     sizeof(tx_registers[0]))], val);
}

static void run(const uint8_t *data, size_t size, size_t steps,
		bool offloads)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct netdev nd = {
		.ops = &fake_ops, .id = "fuzz", .offloads = offloads,
	};
	struct guest_mem mem = { 0 };
	struct e1000_params params = {
		.mac = mac, .mem = &mem, .netdev = &nd,
	};
	size_t off = 1 + steps * STEP_SIZE, i;
	struct e1000 *e;

	mem.host = calloc(1, RAM_SIZE);
	mem.size = mem.low_size = RAM_SIZE;
	memcpy(mem.host, data + off, size - off < RAM_SIZE ? size - off :
	       RAM_SIZE);
	e = e1000_new(&params);
	ENSURE(e);
	frames = 0;
	for (i = 0; i < steps; i++)
		step(e1000_pci_dev(e), &mem, data + 1 + i * STEP_SIZE);
	free(e);
	free(mem.host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t steps;

	if (!size)
		return 0;
	steps = data[0];
	if (1 + steps * STEP_SIZE > size)
		return 0;
	run(data, size, steps, false);
	run(data, size, steps, true);
	return 0;
}
