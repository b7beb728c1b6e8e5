// SPDX-License-Identifier: MIT
#include <linux/kvm.h>
#include <stdlib.h>

#include "check.h"
#include "kvmlite/irqchip.h"

static struct kvm_irq_routing_entry routes[64];
static unsigned int nr_routes;

/* The pin GSI @gsi drives on @chip, or -1 when it has none there. */
static int pin_of(uint32_t gsi, uint32_t chip)
{
	unsigned int i;
	int pin = -1;

	for (i = 0; i < nr_routes; i++) {
		if (routes[i].gsi != gsi || routes[i].u.irqchip.irqchip != chip)
			continue;
		CHECK_EQ(pin, -1);	/* one pin per chip and GSI */
		pin = routes[i].u.irqchip.pin;
	}
	return pin;
}

TEST(isa_irq0_reaches_ioapic_pin2_and_pic_line0)
{
	CHECK_EQ(pin_of(0, KVM_IRQCHIP_IOAPIC), 2);
	CHECK_EQ(pin_of(0, KVM_IRQCHIP_PIC_MASTER), 0);
}

TEST(cascade_gsi_has_no_route)
{
	CHECK_EQ(pin_of(2, KVM_IRQCHIP_IOAPIC), -1);
	CHECK_EQ(pin_of(2, KVM_IRQCHIP_PIC_MASTER), -1);
}

TEST(isa_irqs_on_their_pic_and_ioapic_pins)
{
	uint32_t irq;

	for (irq = 1; irq < 16; irq++) {
		if (irq == 2)
			continue;
		CHECK_EQ(pin_of(irq, KVM_IRQCHIP_IOAPIC), irq);
		if (irq < 8) {
			CHECK_EQ(pin_of(irq, KVM_IRQCHIP_PIC_MASTER), irq);
			CHECK_EQ(pin_of(irq, KVM_IRQCHIP_PIC_SLAVE), -1);
		} else {
			CHECK_EQ(pin_of(irq, KVM_IRQCHIP_PIC_SLAVE), irq - 8);
			CHECK_EQ(pin_of(irq, KVM_IRQCHIP_PIC_MASTER), -1);
		}
	}
}

TEST(pci_gsis_only_on_the_ioapic)
{
	uint32_t gsi;

	for (gsi = 16; gsi < 24; gsi++) {
		CHECK_EQ(pin_of(gsi, KVM_IRQCHIP_IOAPIC), gsi);
		CHECK_EQ(pin_of(gsi, KVM_IRQCHIP_PIC_MASTER), -1);
		CHECK_EQ(pin_of(gsi, KVM_IRQCHIP_PIC_SLAVE), -1);
	}
	CHECK_EQ(pin_of(24, KVM_IRQCHIP_IOAPIC), -1);
}

TEST(route_count_fits_the_bound)
{
	CHECK(nr_routes <= irqchip_max_pc_routes());
	CHECK_EQ(nr_routes, 15 + 23);
}

TEST(cascade_and_bad_irqs_have_no_line)
{
	struct irqchip *chip = irqchip_new(NULL);

	CHECK(irqchip_isa_line(chip, 2) == NULL);
	CHECK(irqchip_isa_line(chip, 16) == NULL);
	CHECK(irqchip_isa_line(chip, 4) != NULL);
	free(chip);
}

int main(void)
{
	nr_routes = irqchip_pc_routes(routes);
	RUN(isa_irq0_reaches_ioapic_pin2_and_pic_line0);
	RUN(cascade_gsi_has_no_route);
	RUN(isa_irqs_on_their_pic_and_ioapic_pins);
	RUN(pci_gsis_only_on_the_ioapic);
	RUN(route_count_fits_the_bound);
	RUN(cascade_and_bad_irqs_have_no_line);
	return check_summary();
}
