// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the e1000 receive path (the driver is
 * tests/fuzz/e1000_fuzz.h's).  A step's kind, modulo 3, picks:
 *	0	a write to one of the receive registers (ring, RCTL, the
 *		address, multicast and VLAN filters, checksum offload)
 *	1	a RAM write (descriptors changing under the device)
 *	2	a frame from the host: val bytes (at most NET_MAX_FRAME) of
 *		the RAM image part of the input, from offset where
 * so that frames meet every ring state a driver can set up.
 */
#include "e1000_fuzz.h"

static const uint32_t rx_registers[] = {
	0x0000,		/* CTRL: VME, and RST */
	0x0038,		/* VET */
	0x00d0,		/* IMS */
	0x0100,		/* RCTL */
	0x2800,		/* RDBAL */
	0x2804,		/* RDBAH */
	0x2808,		/* RDLEN */
	0x2810,		/* RDH */
	0x2818,		/* RDT */
	0x2820,		/* RDTR */
	0x282c,		/* RADV */
	0x5000,		/* RXCSUM */
	0x5200,		/* MTA[0] */
	0x53fc,		/* MTA[127] */
	0x5400,		/* RAL0 */
	0x5404,		/* RAH0 */
	0x5408,		/* RAL1 */
	0x540c,		/* RAH1 */
	0x5600,		/* VFTA[0] */
	0x57fc,		/* VFTA[127] */
};

static void receive(struct e1000_fuzz *f, uint16_t where, uint32_t len)
{
	uint8_t *frame;

	if (where > f->image_len)
		where = f->image_len;
	if (len > f->image_len - where)
		len = f->image_len - where;
	if (len > NET_MAX_FRAME)
		len = NET_MAX_FRAME;
	/* A block of exactly the frame's size, as the tap backend reads. */
	frame = malloc(len ? len : 1);
	ENSURE(frame);
	memcpy(frame, f->image + where, len);
	f->nd.peer.receive(f->nd.peer.opaque, frame, len);
	free(frame);
}

static void rx_step(struct e1000_fuzz *f, uint8_t kind, uint16_t where,
		    uint32_t val)
{
	switch (kind % 3) {
	case 0:
		e1000_fuzz_write_reg(f, rx_registers[where %
					ARRAY_SIZE(rx_registers)], val);
		break;
	case 1:
		e1000_fuzz_write_ram(f, where, val);
		break;
	default:
		receive(f, where, val);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	e1000_fuzz_run(data, size, false, rx_step);
	return 0;
}
