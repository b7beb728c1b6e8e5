/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_TESTS_VIRTIO_DRIVER_H
#define KVMLITE_TESTS_VIRTIO_DRIVER_H

/*
 * A virtio PCI driver's register accesses, for the function at the first
 * free slot of a fake_pci.h bus, whose one BAR the host put at MEM64_BASE.
 */

#include <linux/virtio_config.h>
#define VIRTIO_PCI_NO_LEGACY
#include <linux/virtio_pci.h>

#include "fake_pci.h"

#define VIRTIO_BAR	MEM64_BASE

#define S_ACK		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER	VIRTIO_CONFIG_S_DRIVER
#define S_FEATURES_OK	VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRIVER_OK	VIRTIO_CONFIG_S_DRIVER_OK
#define S_NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET

static inline uint64_t bar_read(uint64_t offset, uint32_t len)
{
	uint64_t val = 0;

	bus_access(fake.mmio, VIRTIO_BAR + offset, &val, len, false);
	return val;
}

static inline void bar_write(uint64_t offset, uint64_t val, uint32_t len)
{
	bus_access(fake.mmio, VIRTIO_BAR + offset, &val, len, true);
}

static inline uint8_t status(void)
{
	return bar_read(VIRTIO_PCI_COMMON_STATUS, 1);
}

static inline void set_status(uint8_t val)
{
	bar_write(VIRTIO_PCI_COMMON_STATUS, val, 1);
}

static inline void write_driver_features(uint64_t features)
{
	bar_write(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	bar_write(VIRTIO_PCI_COMMON_GF, (uint32_t)features, 4);
	bar_write(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	bar_write(VIRTIO_PCI_COMMON_GF, features >> 32, 4);
}

/* ACKNOWLEDGE, DRIVER, the features, FEATURES_OK; returns the status. */
static inline uint8_t negotiate(uint64_t features)
{
	set_status(S_ACK);
	set_status(S_ACK | S_DRIVER);
	write_driver_features(features);
	set_status(S_ACK | S_DRIVER | S_FEATURES_OK);
	return status();
}

/* Rings of queue @index at 64 KiB steps in RAM. */
static inline void setup_queue(unsigned int index, uint16_t size)
{
	uint64_t base = 0x10000 * (index + 1);

	bar_write(VIRTIO_PCI_COMMON_Q_SELECT, index, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_SIZE, size, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_DESCLO, base, 8);
	bar_write(VIRTIO_PCI_COMMON_Q_AVAILLO, base + 0x4000, 4);
	bar_write(VIRTIO_PCI_COMMON_Q_AVAILHI, 0, 4);
	bar_write(VIRTIO_PCI_COMMON_Q_USEDLO, base + 0x8000, 8);
}

static inline void enable_queue(unsigned int index)
{
	bar_write(VIRTIO_PCI_COMMON_Q_SELECT, index, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

static inline uint16_t queue_reg(unsigned int index, unsigned int reg)
{
	bar_write(VIRTIO_PCI_COMMON_Q_SELECT, index, 2);
	return bar_read(reg, 2);
}

#endif
