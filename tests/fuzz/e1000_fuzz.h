/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_TESTS_E1000_FUZZ_H
#define KVMLITE_TESTS_E1000_FUZZ_H

/*
 * The e1000 fuzz targets' hostile driver: an e1000 on RAM that is a heap
 * block of exactly its size (so the sanitizers catch any access outside
 * it), a backend that reads every byte the device sends, and a script of
 * steps run as a vCPU would.  The backend may take a virtio_net_hdr, as
 * a TAP with IFF_VNET_HDR does; every header must then be one the
 * kernel's TAP driver accepts for its frame.
 *
 * Input layout (little-endian):
 *	0	number of script steps
 *	1	the script: per step a kind byte, a 16-bit register index or
 *		offset, a 32-bit value (what a kind means is the target's)
 *	...	the initial RAM image, zero-padded
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kvmlite/e1000.h"
#include "kvmlite/memory.h"
#include "kvmlite/net.h"
#include "kvmlite/pci.h"

#define E1000_FUZZ_RAM	0x10000U
#define E1000_FUZZ_STEP	7
/* A jumbo frame, a VLAN tag, and padding cannot add up to more. */
#define E1000_FUZZ_MAX_SENT	(16384 + 4 + 60)
#define E1000_FUZZ_TCP_MIN_HLEN	20
#define E1000_FUZZ_TCP_CSUM_OFF	16

struct e1000_fuzz {
	struct guest_mem mem;
	struct netdev nd;
	struct e1000 *e;
	const uint8_t *image;		/* the input after the script */
	size_t image_len;
};

/*
 * What the TAP driver (virtio_net_hdr_to_skb) refuses or trips over: a
 * checksum field past the frame, a GSO frame without NEEDS_CSUM on TCP,
 * without a size, longer than a TAP frame, or not longer than one
 * segment.
 */
static inline void e1000_fuzz_check_vnet_hdr(const struct virtio_net_hdr *vh,
					     size_t total)
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
	ENSURE(vh->flags && vh->csum_offset == E1000_FUZZ_TCP_CSUM_OFF);
	ENSURE(vh->gso_size && total <= NET_MAX_FRAME);
	ENSURE(vh->hdr_len >= vh->csum_start + E1000_FUZZ_TCP_MIN_HLEN);
	ENSURE(total > (size_t)vh->hdr_len + vh->gso_size);
}

/* Reads every byte the device hands over, as a TAP would. */
static inline ssize_t e1000_fuzz_send(struct netdev *nd,
				      const struct virtio_net_hdr *vh,
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
		e1000_fuzz_check_vnet_hdr(vh, total);
	else
		ENSURE(total <= E1000_FUZZ_MAX_SENT);
	return total;
}

static inline void e1000_fuzz_pause(struct netdev *nd, bool paused)
{
	(void)nd;
	(void)paused;
}

static const struct netdev_ops e1000_fuzz_ops = {
	.send = e1000_fuzz_send,
	.pause = e1000_fuzz_pause,
};

static inline void e1000_fuzz_write_reg(struct e1000_fuzz *f, uint32_t reg,
					uint32_t val)
{
	uint32_t le = htole32(val);

	pci_bar_access(e1000_pci_dev(f->e), E1000_BAR_MMIO, reg, &le, 4,
		       true);
}

static inline void e1000_fuzz_write_ram(struct e1000_fuzz *f,
					uint16_t where, uint32_t val)
{
	memcpy(f->mem.host + where % (E1000_FUZZ_RAM - 3), &val, 4);
}

/*
 * Runs @step on each script step, over a backend that takes a vnet header
 * if @offloads; false if @data is too short.
 */
static inline bool e1000_fuzz_run(const uint8_t *data, size_t size,
				  bool offloads,
				  void (*step)(struct e1000_fuzz *f,
					       uint8_t kind, uint16_t where,
					       uint32_t val))
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct e1000_fuzz f = { .nd = { .ops = &e1000_fuzz_ops, .id = "fuzz",
					.offloads = offloads } };
	struct e1000_params params = {
		.mac = mac, .mem = &f.mem, .netdev = &f.nd,
	};
	size_t steps, i, off;

	if (!size)
		return false;
	steps = data[0];
	off = 1 + steps * E1000_FUZZ_STEP;
	if (off > size)
		return false;
	f.image = data + off;
	f.image_len = size - off;
	f.mem.host = calloc(1, E1000_FUZZ_RAM);
	ENSURE(f.mem.host);
	f.mem.size = f.mem.low_size = E1000_FUZZ_RAM;
	memcpy(f.mem.host, f.image, f.image_len < E1000_FUZZ_RAM ?
	       f.image_len : E1000_FUZZ_RAM);
	f.e = e1000_new(&params);
	ENSURE(f.e);
	for (i = 0; i < steps; i++) {
		const uint8_t *s = data + 1 + i * E1000_FUZZ_STEP;

		step(&f, s[0], fuzz_rd16(s + 1), fuzz_rd32(s + 3));
	}
	free(f.e);
	free(f.mem.host);
	return true;
}

#endif
