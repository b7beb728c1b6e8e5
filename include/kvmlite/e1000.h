/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_E1000_H
#define KVMLITE_E1000_H

#include <stdbool.h>
#include <stdint.h>

/*
 * An Intel 82540EM gigabit NIC (PCI 8086:100e), the model QEMU calls
 * e1000: registers in a 128 KiB memory BAR 0 and through the IOADDR /
 * IODATA window of I/O BAR 1, a Microwire EEPROM holding the MAC, an
 * M88E1011-like PHY behind MDIC, descriptor rings in guest RAM with
 * checksum offload and TCP segmentation done in software, and INTx#
 * with the 8254x interrupt delay and throttling registers.
 *
 * Threads: register accesses come from vCPU threads, which also run the
 * transmit ring when the driver moves TDT; frames from the host arrive
 * on the I/O thread.  One lock per device serialises them.
 */

struct guest_mem;
struct ioloop;
struct netdev;
struct pci_dev;
struct e1000;

#define E1000_VENDOR		0x8086
#define E1000_DEVICE		0x100e
#define E1000_BAR_MMIO		0
#define E1000_BAR_IO		1
#define E1000_MMIO_SIZE		0x20000
#define E1000_IO_SIZE		32

struct e1000_params {
	const uint8_t *mac;		/* 6 bytes, for the EEPROM */
	const char *id;			/* the user's id=, or NULL */
	struct guest_mem *mem;		/* descriptors and buffers */
	struct ioloop *loop;		/* runs the interrupt delay timer */
	struct netdev *netdev;		/* NULL: frames go nowhere */
	bool log_guest_errors;		/* -d guest_errors */
};

/* NULL if out of memory; attach e1000_pci_dev() to a PCI host. */
struct e1000 *e1000_new(const struct e1000_params *params);
struct pci_dev *e1000_pci_dev(struct e1000 *e);
/* Descriptors, rings and contexts the device refused and skipped. */
uint64_t e1000_guest_errors(struct e1000 *e);

#endif
