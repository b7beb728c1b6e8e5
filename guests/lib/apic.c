// SPDX-License-Identifier: MIT
/*
 * The local APIC in xAPIC mode and the I/O APIC, both at their reset
 * addresses.  I/O APIC pins deliver to the local APIC with ID 0.
 */
#include "guest.h"
#include "irq.h"

#define LAPIC_BASE		0xfee00000
#define LAPIC_ID		0x20
#define LAPIC_EOI		0xb0
#define LAPIC_SVR		0xf0
#define LAPIC_LVT0		0x350
#define LAPIC_ICR_LOW		0x300
#define LAPIC_ICR_HIGH		0x310
#define LAPIC_SVR_ENABLE	0x100
#define LAPIC_ICR_BUSY		(1U << 12)
#define LAPIC_LVT_EXTINT	0x700

#define IOAPIC_REGSEL		0x00
#define IOAPIC_WINDOW		0x10
#define IOAPIC_VERSION		0x01
#define IOAPIC_REDIR(pin)	(0x10 + 2 * (pin))

/*
 * Software-enables the local APIC, which otherwise drops fixed interrupts
 * and keeps its LVT masked, and puts LINT0 in virtual wire mode so that
 * the PIC's interrupts get through.
 */
void lapic_init(unsigned int spurious_vector)
{
	lapic_enable(spurious_vector);
	mmio_write32(LAPIC_BASE + LAPIC_LVT0, LAPIC_LVT_EXTINT);
}

/* Only the software enable: LINT0 stays masked, as on an AP. */
void lapic_enable(unsigned int spurious_vector)
{
	mmio_write32(LAPIC_BASE + LAPIC_SVR,
		     LAPIC_SVR_ENABLE | spurious_vector);
}

unsigned int lapic_id(void)
{
	return mmio_read32(LAPIC_BASE + LAPIC_ID) >> 24;
}

/* Writing the low half sends; wait until the APIC has taken it. */
void lapic_send_ipi(unsigned int apic_id, uint32_t icr)
{
	mmio_write32(LAPIC_BASE + LAPIC_ICR_HIGH, apic_id << 24);
	mmio_write32(LAPIC_BASE + LAPIC_ICR_LOW, icr);
	while (mmio_read32(LAPIC_BASE + LAPIC_ICR_LOW) & LAPIC_ICR_BUSY)
		cpu_relax();
}

void lapic_eoi(void)
{
	mmio_write32(LAPIC_BASE + LAPIC_EOI, 0);
}

static uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	return mmio_read32(IOAPIC_BASE + IOAPIC_WINDOW);
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	mmio_write32(IOAPIC_BASE + IOAPIC_WINDOW, val);
}

/* Masks every pin. */
void ioapic_init(void)
{
	unsigned int pin, pins = (ioapic_read(IOAPIC_VERSION) >> 16 & 0xff) + 1;

	for (pin = 0; pin < pins; pin++)
		ioapic_write(IOAPIC_REDIR(pin), IOAPIC_MASKED);
}

/*
 * Fixed delivery of @vector to APIC ID 0, active high; @flags may add
 * IOAPIC_LEVEL and IOAPIC_MASKED.
 */
void ioapic_route(unsigned int pin, unsigned int vector, uint32_t flags)
{
	ioapic_write(IOAPIC_REDIR(pin) + 1, 0);
	ioapic_write(IOAPIC_REDIR(pin), vector | flags);
}

void ioapic_mask(unsigned int pin, bool masked)
{
	uint32_t low = ioapic_read(IOAPIC_REDIR(pin)) & ~IOAPIC_MASKED;

	ioapic_write(IOAPIC_REDIR(pin), low | (masked ? IOAPIC_MASKED : 0));
}
