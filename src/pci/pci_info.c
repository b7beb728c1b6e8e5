// SPDX-License-Identifier: MIT
/*
 * What the monitor shows of bus 0: query-pci (QMP's PciInfo, which HMP's
 * "info pci" prints) and the PCI part of "info qtree", read from each
 * function's config space and BARs under the host bridge's lock, so that
 * a guest's config cycles cannot change them halfway through.
 */
#include <linux/pci_regs.h>
#include <stdio.h>

#include "kvmlite/json.h"
#include "kvmlite/machine.h"
#include "kvmlite/pci.h"
#include "kvmlite/qtree.h"

/* The PCI class names QEMU shows ("desc"); others show as a number. */
static const char *class_name(uint16_t class)
{
	static const struct {
		uint16_t class;
		const char *name;
	} names[] = {
		{ 0x0100, "SCSI controller" }, { 0x0101, "IDE controller" },
		{ 0x0106, "SATA controller" }, { 0x0180, "Storage controller" },
		{ 0x0200, "Ethernet controller" },
		{ 0x0280, "Network controller" },
		{ 0x0300, "VGA controller" }, { 0x0380, "Display controller" },
		{ 0x0600, "Host bridge" }, { 0x0601, "ISA bridge" },
		{ 0x0604, "PCI bridge" }, { 0x0680, "Bridge" },
		{ 0x0780, "Communication controller" },
		{ 0x0880, "System peripheral" }, { 0x0c03, "USB controller" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].class == class)
			return names[i].name;
	return NULL;
}

static uint16_t dev_class(const struct pci_dev *dev)
{
	return pci_get16(dev->config + PCI_CLASS_DEVICE);
}

static bool bar_prefetchable(const struct pci_dev *dev, unsigned int bar)
{
	return dev->config[PCI_BASE_ADDRESS_0 + 4 * bar] &
	       PCI_BASE_ADDRESS_MEM_PREFETCH;
}

/* An unmapped BAR's address is -1 in QMP, as in QEMU. */
static struct json *region(const struct pci_dev *dev, unsigned int bar)
{
	const struct pci_bar *b = &dev->bars[bar];
	struct json *r = json_object_new();
	int ret = 0;

	if (b->type != PCI_BAR_IO)
		ret |= json_object_set_bool(r, "prefetch",
					    bar_prefetchable(dev, bar)) |
		       json_object_set_bool(r, "mem_type_64",
					    b->type == PCI_BAR_MEM64);
	ret |= json_object_set_int(r, "bar", bar) |
	       json_object_set_int(r, "size", b->size) |
	       json_object_set_int(r, "address", (int64_t)b->mapped) |
	       json_object_set_str(r, "type",
				   b->type == PCI_BAR_IO ? "io" : "memory");
	if (ret) {
		json_free(r);
		return NULL;
	}
	return r;
}

static struct json *regions(const struct pci_dev *dev)
{
	struct json *list = json_array_new();
	unsigned int bar;
	int ret = 0;

	for (bar = 0; bar < PCI_NR_BARS; bar++)
		if (dev->bars[bar].type != PCI_BAR_NONE)
			ret |= json_array_append(list, region(dev, bar));
	if (ret) {
		json_free(list);
		return NULL;
	}
	return list;
}

static struct json *ids(const struct pci_dev *dev)
{
	struct json *id = json_object_new();
	const uint8_t *c = dev->config;

	if (json_object_set_int(id, "device", pci_get16(c + PCI_DEVICE_ID)) |
	    json_object_set_int(id, "subsystem-vendor",
				pci_get16(c + PCI_SUBSYSTEM_VENDOR_ID)) |
	    json_object_set_int(id, "vendor", pci_get16(c + PCI_VENDOR_ID)) |
	    json_object_set_int(id, "subsystem",
				pci_get16(c + PCI_SUBSYSTEM_ID))) {
		json_free(id);
		return NULL;
	}
	return id;
}

static struct json *class_info(const struct pci_dev *dev)
{
	const char *desc = class_name(dev_class(dev));
	struct json *info = json_object_new();

	if (json_object_set_int(info, "class", dev_class(dev)) |
	    (desc ? json_object_set_str(info, "desc", desc) : 0)) {
		json_free(info);
		return NULL;
	}
	return info;
}

/* PciDeviceInfo, members in the order QEMU 7.2 sends them. */
static int add_device(struct pci_dev *dev, void *opaque)
{
	struct json *info = json_object_new();
	uint8_t pin = dev->config[PCI_INTERRUPT_PIN];
	int ret;

	ret = json_object_set_int(info, "irq_pin", pin) |
	      json_object_set_int(info, "bus", 0) |
	      json_object_set_str(info, "qdev_id", dev->id ? dev->id : "");
	if (pin)
		ret |= json_object_set_int(info, "irq",
					   dev->config[PCI_INTERRUPT_LINE]);
	ret |= json_object_set_int(info, "slot", dev->slot) |
	       json_object_set(info, "class_info", class_info(dev)) |
	       json_object_set(info, "id", ids(dev)) |
	       json_object_set_int(info, "function", 0) |
	       json_object_set(info, "regions", regions(dev));
	return ret | json_array_append(opaque, info);
}

static int query_pci(void *opaque, struct json *out)
{
	struct json *bus = json_object_new(), *devices = json_array_new();
	int ret;

	ret = json_object_set_int(bus, "bus", 0) |
	      json_object_set(bus, "devices", devices);
	if (!ret)
		ret = pci_host_for_each(opaque, add_device, devices);
	return ret | json_array_append(out, bus);
}

static int add_qtree_bar(struct json *node, const struct pci_dev *dev,
			 unsigned int bar)
{
	const struct pci_bar *b = &dev->bars[bar];

	return qtree_prop(node, "bar %u: %s at 0x%llx [0x%llx]", bar,
			  b->type == PCI_BAR_IO ? "i/o" : "mem",
			  (unsigned long long)b->mapped,
			  (unsigned long long)(b->mapped + b->size - 1));
}

/* As QEMU's qtree shows a PCI function: address, identity, BARs. */
static int add_qtree_device(struct pci_dev *dev, void *opaque)
{
	struct json *node = qtree_dev_new(dev->name, dev->id ? dev->id : "");
	const char *desc = class_name(dev_class(dev));
	const uint8_t *c = dev->config;
	unsigned int bar;
	int ret;

	ret = qtree_prop(node, "addr = %02x.0", dev->slot);
	if (desc)
		ret |= qtree_prop(node, "class %s, addr 00:%02x.0, pci id "
				  "%04x:%04x (sub %04x:%04x)", desc, dev->slot,
				  pci_get16(c + PCI_VENDOR_ID),
				  pci_get16(c + PCI_DEVICE_ID),
				  pci_get16(c + PCI_SUBSYSTEM_VENDOR_ID),
				  pci_get16(c + PCI_SUBSYSTEM_ID));
	else
		ret |= qtree_prop(node, "class Class %04x, addr 00:%02x.0, "
				  "pci id %04x:%04x (sub %04x:%04x)",
				  dev_class(dev), dev->slot,
				  pci_get16(c + PCI_VENDOR_ID),
				  pci_get16(c + PCI_DEVICE_ID),
				  pci_get16(c + PCI_SUBSYSTEM_VENDOR_ID),
				  pci_get16(c + PCI_SUBSYSTEM_ID));
	for (bar = 0; bar < PCI_NR_BARS; bar++)
		if (dev->bars[bar].type != PCI_BAR_NONE)
			ret |= add_qtree_bar(node, dev, bar);
	return ret | json_array_append(opaque, node);
}

static int qtree_pci(void *opaque, struct json *out)
{
	struct json *host = qtree_dev_new(PCI_HOST_NAME "-pcihost", "");
	struct json *devices = qtree_bus_add(host, "pci.0", "PCI");
	int ret = devices ? 0 : -1;

	if (!ret)
		ret = pci_host_for_each(opaque, add_qtree_device, devices);
	return ret | json_array_append(out, host);
}

void pci_info_init(struct machine *m)
{
	machine_add_info(m, MACHINE_INFO_PCI, query_pci, m->pci);
	machine_add_info(m, MACHINE_INFO_QTREE, qtree_pci, m->pci);
}
