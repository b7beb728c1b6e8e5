// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the e1000 transmit path (the driver is
 * tests/fuzz/e1000_fuzz.h's).  A step of odd kind writes RAM
 * (descriptors changing under the device), any other writes one of the
 * transmit registers (ring base and length, head and tail, TCTL, CTRL,
 * VET, delays); a TDT or TCTL write runs the ring at once, as on a vCPU.
 * Every frame the device sends must be no longer than the longest frame
 * the device may send.  Each input runs twice: over a plain backend and
 * over one that takes a virtio_net_hdr (TSO and checksums left to it).
 */
#include "e1000_fuzz.h"

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

static void tx_step(struct e1000_fuzz *f, uint8_t kind, uint16_t where,
		    uint32_t val)
{
	if (kind & 1)
		e1000_fuzz_write_ram(f, where, val);
	else
		e1000_fuzz_write_reg(f, tx_registers[where %
					ARRAY_SIZE(tx_registers)], val);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (e1000_fuzz_run(data, size, false, tx_step))
		e1000_fuzz_run(data, size, true, tx_step);
	return 0;
}
