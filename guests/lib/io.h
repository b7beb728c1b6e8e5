/* SPDX-License-Identifier: MIT */
/* Port I/O and MMIO accessors. */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t val)
{
	asm volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t val)
{
	asm volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t val;

	asm volatile("inw %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t val;

	asm volatile("inl %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

/* An access of @width bytes: 1, 2, or anything else for 4 */
static inline void out_sized(uint16_t port, unsigned int width, uint32_t val)
{
	if (width == 1)
		outb(port, val);
	else if (width == 2)
		outw(port, val);
	else
		outl(port, val);
}

static inline uint32_t in_sized(uint16_t port, unsigned int width)
{
	if (width == 1)
		return inb(port);
	return width == 2 ? inw(port) : inl(port);
}

/* One instruction for the whole buffer, instead of a loop around outb. */
static inline void outsb(uint16_t port, const void *buf, size_t count)
{
	asm volatile("rep outsb"
		     : "+S"(buf), "+c"(count) : "d"(port) : "memory");
}

/*
 * MMIO through the identity map.  Volatile makes each call exactly one
 * access of the given width, in program order.
 */
static inline uint8_t mmio_read8(uint64_t addr)
{
	return *(volatile uint8_t *)addr;
}

static inline uint16_t mmio_read16(uint64_t addr)
{
	return *(volatile uint16_t *)addr;
}

static inline uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline uint64_t mmio_read64(uint64_t addr)
{
	return *(volatile uint64_t *)addr;
}

static inline void mmio_write8(uint64_t addr, uint8_t val)
{
	*(volatile uint8_t *)addr = val;
}

static inline void mmio_write16(uint64_t addr, uint16_t val)
{
	*(volatile uint16_t *)addr = val;
}

static inline void mmio_write32(uint64_t addr, uint32_t val)
{
	*(volatile uint32_t *)addr = val;
}

static inline void mmio_write64(uint64_t addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
}

static inline void cpu_relax(void)
{
	asm volatile("pause");
}

#endif /* GUEST_IO_H */
