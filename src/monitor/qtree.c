// SPDX-License-Identifier: MIT
/*
 * "info qtree": the device tree as QEMU prints it.  kvmlite's platform
 * devices hang off an ISA bridge as on QEMU's microvm machine; devices
 * kvmlite does not know of (PCI) come from MACHINE_INFO_QTREE providers
 * and are appended under main-system-bus.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvmlite/i8254.h"
#include "kvmlite/machine.h"
#include "kvmlite/mc146818.h"
#include "kvmlite/mptable.h"
#include "kvmlite/qtree.h"
#include "kvmlite/serial.h"
#include "monitor_priv.h"

#define I8259_MASTER_BASE	0x20
#define I8259_SLAVE_BASE	0xa0
#define I8259_MASTER_ELCR	0x4d0

struct json *qtree_dev_new(const char *type, const char *id)
{
	struct json *dev = json_object_new();

	if (json_object_set_str(dev, "dev", type) |
	    json_object_set_str(dev, "id", id) |
	    json_object_set(dev, "props", json_array_new()) |
	    json_object_set(dev, "buses", json_array_new())) {
		json_free(dev);
		return NULL;
	}
	return dev;
}

int qtree_prop(struct json *dev, const char *fmt, ...)
{
	char *line;
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	ret = json_array_append(json_object_get(dev, "props"),
				json_string_new(line));
	free(line);
	return ret;
}

int qtree_prop_uint(struct json *dev, const char *name, uint64_t value)
{
	return qtree_prop(dev, "%s = %llu (0x%llx)", name,
			  (unsigned long long)value, (unsigned long long)value);
}

struct json *qtree_bus_add(struct json *dev, const char *name,
			   const char *type)
{
	struct json *bus = json_object_new(), *devices = json_array_new();

	if (json_object_set_str(bus, "bus", name) |
	    json_object_set_str(bus, "type", type) |
	    json_object_set(bus, "devices", devices) |
	    json_array_append(json_object_get(dev, "buses"), bus))
		return NULL;
	return devices;
}

static int add_i8259(struct json *isa, bool master)
{
	struct json *dev = qtree_dev_new("kvm-i8259", "");

	return qtree_prop_uint(dev, "iobase", master ? I8259_MASTER_BASE :
			       I8259_SLAVE_BASE) |
	       qtree_prop_uint(dev, "elcr_addr", I8259_MASTER_ELCR + !master) |
	       qtree_prop_uint(dev, "elcr_mask", master ? 0xf8 : 0xde) |
	       qtree_prop(dev, "master = %s", master ? "true" : "false") |
	       json_array_append(isa, dev);
}

static int add_timers(struct json *isa)
{
	struct json *pit = qtree_dev_new("isa-pit", "");
	struct json *rtc = qtree_dev_new("mc146818rtc", "");

	return qtree_prop(pit, "gpio-in \"\" 1") |
	       qtree_prop(pit, "gpio-out \"\" 1") |
	       qtree_prop_uint(pit, "iobase", PIT_BASE) |
	       json_array_append(isa, pit) |
	       qtree_prop(rtc, "gpio-out \"\" 1") |
	       qtree_prop_uint(rtc, "base_year", 0) |
	       qtree_prop_uint(rtc, "iobase", RTC_PORT_BASE) |
	       qtree_prop_uint(rtc, "irq", RTC_ISA_IRQ) |
	       json_array_append(isa, rtc);
}

static int add_serial(struct json *isa, int index)
{
	struct json *dev = qtree_dev_new("isa-serial", "");

	return qtree_prop_uint(dev, "index", index) |
	       qtree_prop_uint(dev, "iobase", uart_pc_ports[index].base) |
	       qtree_prop_uint(dev, "irq", uart_pc_ports[index].irq) |
	       json_array_append(isa, dev);
}

static int add_isa_devices(const struct config *cfg, struct json *isa)
{
	struct json *dev;
	int i, ret = 0;

	if (cfg->debug_exit.enabled) {
		dev = qtree_dev_new("isa-debug-exit", "");
		ret |= qtree_prop_uint(dev, "iobase", cfg->debug_exit.iobase) |
		       qtree_prop_uint(dev, "iosize", cfg->debug_exit.iosize) |
		       json_array_append(isa, dev);
	}
	ret |= json_array_append(isa, qtree_dev_new("i8042", ""));
	for (i = 0; i < cfg->nr_serial; i++)
		if (cfg->serial[i].kind != CHARDEV_NONE)
			ret |= add_serial(isa, i);
	return ret | add_timers(isa) | add_i8259(isa, false) |
	       add_i8259(isa, true);
}

/* What every kvmlite machine has, from its configuration. */
static int add_platform(const struct config *cfg, struct json *system)
{
	struct json *ioapic = qtree_dev_new("kvm-ioapic", "");
	struct json *bridge = qtree_dev_new("isabus-bridge", "");
	struct json *isa = qtree_bus_add(bridge, "isa.0", "ISA");

	return qtree_prop(ioapic, "gpio-in \"\" 24") |
	       qtree_prop_uint(ioapic, "gsi_base", 0) |
	       qtree_prop(ioapic, "mmio %016llx/%016llx",
			  (unsigned long long)MPTABLE_IOAPIC_ADDR, 0x1000ULL) |
	       json_array_append(system, ioapic) |
	       (isa ? add_isa_devices(cfg, isa) : -1) |
	       json_array_append(system, bridge);
}

struct json *mon_qtree(struct monitor *mon, struct mon_error *err)
{
	struct json *root = json_object_new();
	struct json *others = mon_collect_info(mon, MACHINE_INFO_QTREE, err);
	struct json *system = json_array_new();
	size_t i;
	int ret;

	ret = json_object_set_str(root, "bus", "main-system-bus") |
	      json_object_set_str(root, "type", "System") |
	      json_object_set(root, "devices", system) |
	      add_platform(mon->m->cfg, system);
	for (i = 0; others && i < others->u.array.len && !ret; i++)
		ret = json_array_append(system,
					json_copy(others->u.array.items[i]));
	json_free(others);
	if (ret) {
		json_free(root);
		mon_error_set(err, "GenericError", "out of memory");
		return NULL;
	}
	return root;
}

static void print_dev(FILE *out, const struct json *dev, int indent);

static void print_bus(FILE *out, const struct json *bus, int indent)
{
	const struct json *devices = json_object_get(bus, "devices");
	const char *name = json_object_get_str(bus, "bus");
	const char *type = json_object_get_str(bus, "type");
	size_t i;

	fprintf(out, "%*sbus: %s\n%*stype %s\n", indent, "", name ? name : "",
		indent + 2, "", type ? type : "");
	for (i = 0; devices && devices->type == JSON_ARRAY &&
	     i < devices->u.array.len; i++)
		print_dev(out, devices->u.array.items[i], indent + 2);
}

static void print_dev(FILE *out, const struct json *dev, int indent)
{
	const struct json *props = json_object_get(dev, "props");
	const struct json *buses = json_object_get(dev, "buses");
	const char *type = json_object_get_str(dev, "dev");
	const char *id = json_object_get_str(dev, "id");
	const struct json *p;
	size_t i;

	fprintf(out, "%*sdev: %s, id \"%s\"\n", indent, "", type ? type : "",
		id ? id : "");
	for (i = 0; props && props->type == JSON_ARRAY &&
	     i < props->u.array.len; i++) {
		p = props->u.array.items[i];
		if (p->type == JSON_STRING)
			fprintf(out, "%*s%s\n", indent + 2, "", p->u.string);
	}
	for (i = 0; buses && buses->type == JSON_ARRAY &&
	     i < buses->u.array.len; i++)
		print_bus(out, buses->u.array.items[i], indent + 2);
}

void hmp_print_qtree(FILE *out, const struct json *bus)
{
	print_bus(out, bus, 0);
}
