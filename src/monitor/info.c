// SPDX-License-Identifier: MIT
/*
 * Answers that come from devices kvmlite's core does not know (drives,
 * PCI functions, NICs): the providers registered with machine_add_info()
 * fill in QMP's shapes, and the human monitor prints those the way
 * QEMU's "info block", "info pci" and "info network" do.  With no
 * provider the answers are empty, as on a QEMU machine without devices.
 */
#include <stdio.h>
#include <string.h>

#include "kvmlite/machine.h"
#include "monitor_priv.h"

struct json *mon_collect_info(struct monitor *mon, enum machine_info what,
			      struct mon_error *err)
{
	struct json *list = json_array_new();
	struct machine_info_provider *p;
	int ret = list ? 0 : -1;

	for (p = mon->m->info[what]; p && !ret; p = p->next)
		ret = p->fn(p->opaque, list);
	if (ret) {
		json_free(list);
		mon_error_set(err, "GenericError", "out of memory");
		return NULL;
	}
	return list;
}

static const char *str_or(const struct json *o, const char *key,
			  const char *fallback)
{
	const char *s = json_object_get_str(o, key);

	return s ? s : fallback;
}

static long long int_or(const struct json *o, const char *key)
{
	int64_t v = 0;

	json_object_get_int(o, key, &v);
	return v;
}

static size_t list_len(const struct json *list)
{
	return list && list->type == JSON_ARRAY ? list->u.array.len : 0;
}

/* --- info block ---------------------------------------------------------- */

static void print_block_name(FILE *out, const struct json *info,
			     const struct json *inserted)
{
	const char *device = str_or(info, "device", "");
	const char *node = json_object_get_str(inserted, "node-name");

	if (*device) {
		fputs(device, out);
		if (node)
			fprintf(out, " (%s)", node);
	} else {
		fputs(node ? node : str_or(info, "qdev", "<anonymous>"), out);
	}
	if (inserted)
		fprintf(out, ": %s (%s%s%s)\n", str_or(inserted, "file", ""),
			str_or(inserted, "drv", ""),
			json_object_get_bool(inserted, "ro") ?
			", read-only" : "",
			json_object_get_bool(inserted, "encrypted") ?
			", encrypted" : "");
	else
		fputs(": [not inserted]\n", out);
}

static void print_block_medium(FILE *out, const struct json *inserted)
{
	const struct json *cache = json_object_get(inserted, "cache");
	const char *backing = json_object_get_str(inserted, "backing_file");
	const char *zeroes = json_object_get_str(inserted, "detect_zeroes");

	fprintf(out, "    Cache mode:       %s%s%s\n",
		json_object_get_bool(cache, "writeback") ? "writeback" :
		"writethrough",
		json_object_get_bool(cache, "direct") ? ", direct" : "",
		json_object_get_bool(cache, "no-flush") ?
		", ignore flushes" : "");
	if (backing)
		fprintf(out, "    Backing file:     %s (chain depth: %lld)\n",
			backing, int_or(inserted, "backing_file_depth"));
	if (zeroes && strcmp(zeroes, "off"))
		fprintf(out, "    Detect zeroes:    %s\n", zeroes);
}

static void print_block_info(FILE *out, const struct json *info)
{
	const struct json *inserted = json_object_get(info, "inserted");
	const char *qdev = json_object_get_str(info, "qdev");
	const char *io_status = json_object_get_str(info, "io-status");

	print_block_name(out, info, inserted);
	if (qdev)
		fprintf(out, "    Attached to:      %s\n", qdev);
	if (io_status && strcmp(io_status, "ok"))
		fprintf(out, "    I/O status:       %s\n", io_status);
	if (json_object_get_bool(info, "removable"))
		fprintf(out, "    Removable device: %slocked, tray %s\n",
			json_object_get_bool(info, "locked") ? "" : "not ",
			json_object_get_bool(info, "tray_open") ? "open" :
			"closed");
	if (inserted)
		print_block_medium(out, inserted);
}

/* Drives apart by a blank line; only @device's if one is named. */
void hmp_print_block(FILE *out, const struct json *list, const char *device)
{
	const struct json *info;
	bool first = true;
	size_t i;

	for (i = 0; i < list_len(list); i++) {
		info = list->u.array.items[i];
		if (device && strcmp(str_or(info, "device", ""), device))
			continue;
		if (!first)
			fputc('\n', out);
		first = false;
		print_block_info(out, info);
	}
}

/* --- info pci ------------------------------------------------------------ */

static void print_pci_region(FILE *out, const struct json *region)
{
	unsigned long long addr = int_or(region, "address");
	unsigned long long end = addr + int_or(region, "size") - 1;

	fprintf(out, "      BAR%lld: ", int_or(region, "bar"));
	if (!strcmp(str_or(region, "type", ""), "io"))
		fprintf(out, "I/O at 0x%04llx [0x%04llx].\n", addr, end);
	else
		fprintf(out, "%d bit%s memory at 0x%08llx [0x%08llx].\n",
			json_object_get_bool(region, "mem_type_64") ? 64 : 32,
			json_object_get_bool(region, "prefetch") ?
			" prefetchable" : "", addr, end);
}

static void print_pci_device(FILE *out, const struct json *dev)
{
	const struct json *class_info = json_object_get(dev, "class_info");
	const struct json *id = json_object_get(dev, "id");
	const struct json *regions = json_object_get(dev, "regions");
	const char *desc = json_object_get_str(class_info, "desc");
	size_t i;

	fprintf(out, "  Bus %2lld, device %3lld, function %lld:\n    ",
		int_or(dev, "bus"), int_or(dev, "slot"),
		int_or(dev, "function"));
	if (desc)
		fputs(desc, out);
	else
		fprintf(out, "Class %04llx", int_or(class_info, "class"));
	fprintf(out, ": PCI device %04llx:%04llx\n", int_or(id, "vendor"),
		int_or(id, "device"));
	if (json_object_get(id, "subsystem-vendor") &&
	    json_object_get(id, "subsystem"))
		fprintf(out, "      PCI subsystem %04llx:%04llx\n",
			int_or(id, "subsystem-vendor"),
			int_or(id, "subsystem"));
	if (json_object_get(dev, "irq"))
		fprintf(out, "      IRQ %lld, pin %c\n", int_or(dev, "irq"),
			(char)('A' + int_or(dev, "irq_pin") - 1));
	for (i = 0; i < list_len(regions); i++)
		print_pci_region(out, regions->u.array.items[i]);
	fprintf(out, "      id \"%s\"\n", str_or(dev, "qdev_id", ""));
}

void hmp_print_pci(FILE *out, const struct json *list)
{
	const struct json *devices;
	size_t i, j;

	for (i = 0; i < list_len(list); i++) {
		devices = json_object_get(list->u.array.items[i], "devices");
		for (j = 0; j < list_len(devices); j++)
			print_pci_device(out, devices->u.array.items[j]);
	}
}

/* --- info network -------------------------------------------------------- */

void hmp_print_network(FILE *out, const struct json *list)
{
	const struct json *client, *peer;
	size_t i;

	for (i = 0; i < list_len(list); i++) {
		client = list->u.array.items[i];
		fprintf(out, "%s: %s\n", str_or(client, "name", ""),
			str_or(client, "info", ""));
		peer = json_object_get(client, "peer");
		if (peer)
			fprintf(out, " \\ %s: %s\n", str_or(peer, "name", ""),
				str_or(peer, "info", ""));
	}
}
