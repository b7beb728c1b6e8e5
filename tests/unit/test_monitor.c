// SPDX-License-Identifier: MIT
/*
 * The monitor without a guest: QMP conversations and HMP commands on a
 * machine that was never started, the device answers from providers, and
 * the HMP text of query-pci and query-block answers captured from QEMU
 * 7.2, which must print exactly as QEMU printed them.
 */
#include <linux/pci_regs.h>
#include <stdlib.h>

#include "check.h"
#include "fake_pci.h"
#include "kvmlite/json.h"
#include "kvmlite/machine.h"
#include "kvmlite/mptable.h"
#include "kvmlite/qtree.h"
#include "../../src/monitor/monitor_priv.h"

/* query-pci and info pci of QEMU 7.2 -M pc with e1000 and two virtio-blk */
static const char qemu_query_pci[] =
	"[{\"bus\": 0, \"devices\": [{\"irq_pin\": 0, \"bus\": 0,"
	" \"qdev_id\": \"\", \"slot\": 0, \"class_info\": {\"class\":"
	" 1536, \"desc\": \"Host bridge\"}, \"id\": {\"device\": 4663,"
	" \"subsystem-vendor\": 6900, \"vendor\": 32902, \"subsystem\":"
	" 4352}, \"function\": 0, \"regions\": []}, {\"irq_pin\": 0,"
	" \"bus\": 0, \"qdev_id\": \"\", \"slot\": 1, \"class_info\":"
	" {\"class\": 1537, \"desc\": \"ISA bridge\"}, \"id\":"
	" {\"device\": 28672, \"subsystem-vendor\": 6900, \"vendor\":"
	" 32902, \"subsystem\": 4352}, \"function\": 0, \"regions\":"
	" []}, {\"irq_pin\": 0, \"bus\": 0, \"qdev_id\": \"\", \"slot\":"
	" 1, \"class_info\": {\"class\": 257, \"desc\": \"IDE"
	" controller\"}, \"id\": {\"device\": 28688,"
	" \"subsystem-vendor\": 6900, \"vendor\": 32902, \"subsystem\":"
	" 4352}, \"function\": 1, \"regions\": [{\"bar\": 4, \"size\":"
	" 16, \"address\": 49472, \"type\": \"io\"}]}, {\"irq_pin\": 1,"
	" \"bus\": 0, \"qdev_id\": \"\", \"irq\": 9, \"slot\": 1,"
	" \"class_info\": {\"class\": 1664, \"desc\": \"Bridge\"},"
	" \"id\": {\"device\": 28947, \"subsystem-vendor\": 6900,"
	" \"vendor\": 32902, \"subsystem\": 4352}, \"function\": 3,"
	" \"regions\": []}, {\"irq_pin\": 1, \"bus\": 0, \"qdev_id\":"
	" \"\", \"irq\": 10, \"slot\": 2, \"class_info\": {\"class\":"
	" 512, \"desc\": \"Ethernet controller\"}, \"id\": {\"device\":"
	" 4110, \"subsystem-vendor\": 6900, \"vendor\": 32902,"
	" \"subsystem\": 4352}, \"function\": 0, \"regions\":"
	" [{\"prefetch\": false, \"mem_type_64\": false, \"bar\": 0,"
	" \"size\": 131072, \"address\": 4273733632, \"type\":"
	" \"memory\"}, {\"bar\": 1, \"size\": 64, \"address\": 49408,"
	" \"type\": \"io\"}, {\"prefetch\": false, \"mem_type_64\":"
	" false, \"bar\": 6, \"size\": 262144, \"address\": -1,"
	" \"type\": \"memory\"}]}, {\"irq_pin\": 1, \"bus\": 0,"
	" \"qdev_id\": \"\", \"irq\": 11, \"slot\": 3, \"class_info\":"
	" {\"class\": 256, \"desc\": \"SCSI controller\"}, \"id\":"
	" {\"device\": 4097, \"subsystem-vendor\": 6900, \"vendor\":"
	" 6900, \"subsystem\": 2}, \"function\": 0, \"regions\":"
	" [{\"bar\": 0, \"size\": 128, \"address\": 49152, \"type\":"
	" \"io\"}, {\"prefetch\": false, \"mem_type_64\": false,"
	" \"bar\": 1, \"size\": 4096, \"address\": 4273864704, \"type\":"
	" \"memory\"}, {\"prefetch\": true, \"mem_type_64\": true,"
	" \"bar\": 4, \"size\": 16384, \"address\": 4273963008,"
	" \"type\": \"memory\"}]}, {\"irq_pin\": 1, \"bus\": 0,"
	" \"qdev_id\": \"\", \"irq\": 11, \"slot\": 4, \"class_info\":"
	" {\"class\": 256, \"desc\": \"SCSI controller\"}, \"id\":"
	" {\"device\": 4097, \"subsystem-vendor\": 6900, \"vendor\":"
	" 6900, \"subsystem\": 2}, \"function\": 0, \"regions\":"
	" [{\"bar\": 0, \"size\": 128, \"address\": 49280, \"type\":"
	" \"io\"}, {\"prefetch\": false, \"mem_type_64\": false,"
	" \"bar\": 1, \"size\": 4096, \"address\": 4273868800, \"type\":"
	" \"memory\"}, {\"prefetch\": true, \"mem_type_64\": true,"
	" \"bar\": 4, \"size\": 16384, \"address\": 4273979392,"
	" \"type\": \"memory\"}]}]}]";

static const char qemu_info_pci[] =
	"  Bus  0, device   0, function 0:\n"
	"    Host bridge: PCI device 8086:1237\n"
	"      PCI subsystem 1af4:1100\n"
	"      id \"\"\n"
	"  Bus  0, device   1, function 0:\n"
	"    ISA bridge: PCI device 8086:7000\n"
	"      PCI subsystem 1af4:1100\n"
	"      id \"\"\n"
	"  Bus  0, device   1, function 1:\n"
	"    IDE controller: PCI device 8086:7010\n"
	"      PCI subsystem 1af4:1100\n"
	"      BAR4: I/O at 0xc140 [0xc14f].\n"
	"      id \"\"\n"
	"  Bus  0, device   1, function 3:\n"
	"    Bridge: PCI device 8086:7113\n"
	"      PCI subsystem 1af4:1100\n"
	"      IRQ 9, pin A\n"
	"      id \"\"\n"
	"  Bus  0, device   2, function 0:\n"
	"    Ethernet controller: PCI device 8086:100e\n"
	"      PCI subsystem 1af4:1100\n"
	"      IRQ 10, pin A\n"
	"      BAR0: 32 bit memory at 0xfebc0000 [0xfebdffff].\n"
	"      BAR1: I/O at 0xc100 [0xc13f].\n"
	"      BAR6: 32 bit memory at 0xffffffffffffffff [0x0003fffe].\n"
	"      id \"\"\n"
	"  Bus  0, device   3, function 0:\n"
	"    SCSI controller: PCI device 1af4:1001\n"
	"      PCI subsystem 1af4:0002\n"
	"      IRQ 11, pin A\n"
	"      BAR0: I/O at 0xc000 [0xc07f].\n"
	"      BAR1: 32 bit memory at 0xfebe0000 [0xfebe0fff].\n"
	"      BAR4: 64 bit prefetchable memory at 0xfebf8000"
	" [0xfebfbfff].\n"
	"      id \"\"\n"
	"  Bus  0, device   4, function 0:\n"
	"    SCSI controller: PCI device 1af4:1001\n"
	"      PCI subsystem 1af4:0002\n"
	"      IRQ 11, pin A\n"
	"      BAR0: I/O at 0xc080 [0xc0ff].\n"
	"      BAR1: 32 bit memory at 0xfebe1000 [0xfebe1fff].\n"
	"      BAR4: 64 bit prefetchable memory at 0xfebfc000"
	" [0xfebfffff].\n"
	"      id \"\"\n";

/* query-block (without "image") and info block of the same machine */
static const char qemu_query_block[] =
	"[{\"io-status\": \"ok\", \"device\": \"disk0\", \"locked\":"
	" false, \"removable\": false, \"inserted\": {\"iops_rd\": 0,"
	" \"detect_zeroes\": \"off\", \"iops_wr\": 0, \"ro\": false,"
	" \"node-name\": \"#block126\", \"backing_file_depth\": 0,"
	" \"drv\": \"qcow2\", \"iops\": 0, \"bps_wr\": 0,"
	" \"write_threshold\": 0, \"encrypted\": false, \"bps\": 0,"
	" \"bps_rd\": 0, \"cache\": {\"no-flush\": false, \"direct\":"
	" false, \"writeback\": false}, \"file\": \"/tmp/mon/d.qcow2\"},"
	" \"qdev\": \"/machine/peripheral-anon/device[1]"
	"/virtio-backend\", \"type\": \"unknown\"}, {\"io-status\":"
	" \"ok\", \"device\": \"virtio0\", \"locked\": false,"
	" \"removable\": false, \"inserted\": {\"iops_rd\": 0,"
	" \"detect_zeroes\": \"off\", \"iops_wr\": 0, \"ro\": true,"
	" \"node-name\": \"#block336\", \"backing_file_depth\": 0,"
	" \"drv\": \"raw\", \"iops\": 0, \"bps_wr\": 0,"
	" \"write_threshold\": 0, \"encrypted\": false, \"bps\": 0,"
	" \"bps_rd\": 0, \"cache\": {\"no-flush\": false, \"direct\":"
	" true, \"writeback\": false}, \"file\": \"/tmp/mon/r.img\"},"
	" \"qdev\": \"/machine/peripheral-anon/device[2]"
	"/virtio-backend\", \"type\": \"unknown\"}, {\"io-status\":"
	" \"ok\", \"device\": \"ide1-cd0\", \"locked\": false,"
	" \"removable\": true, \"inserted\": {\"iops_rd\": 0,"
	" \"detect_zeroes\": \"off\", \"iops_wr\": 0, \"ro\": true,"
	" \"node-name\": \"#block538\", \"backing_file_depth\": 0,"
	" \"drv\": \"raw\", \"iops\": 0, \"bps_wr\": 0,"
	" \"write_threshold\": 0, \"encrypted\": false, \"bps\": 0,"
	" \"bps_rd\": 0, \"cache\": {\"no-flush\": false, \"direct\":"
	" false, \"writeback\": true}, \"file\": \"/tmp/mon/r.img\"},"
	" \"qdev\": \"/machine/unattached/device[20]\", \"tray_open\":"
	" false, \"type\": \"unknown\"}]";

static const char qemu_info_block[] =
	"disk0 (#block126): /tmp/mon/d.qcow2 (qcow2)\n"
	"    Attached to:      /machine/peripheral-anon/device[1]"
	"/virtio-backend\n"
	"    Cache mode:       writethrough\n"
	"\n"
	"virtio0 (#block336): /tmp/mon/r.img (raw, read-only)\n"
	"    Attached to:      /machine/peripheral-anon/device[2]"
	"/virtio-backend\n"
	"    Cache mode:       writethrough, direct\n"
	"\n"
	"ide1-cd0 (#block538): /tmp/mon/r.img (raw, read-only)\n"
	"    Attached to:      /machine/unattached/device[20]\n"
	"    Removable device: not locked, tray closed\n"
	"    Cache mode:       writeback\n";

static struct config cfg;
static struct machine machine;
static struct monitor mon;

/* A machine that exists only for the monitor to look at. */
static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	memset(&machine, 0, sizeof(machine));
	memset(&mon, 0, sizeof(mon));
	strcpy(cfg.name, "testvm");
	machine.cfg = &cfg;
	machine.run_state = RUN_STATE_RUNNING;
	pthread_mutex_init(&machine.lock, NULL);
	pthread_cond_init(&machine.cond, NULL);
	mon.m = &machine;
	mon.wake_fd = -1;
	pthread_mutex_init(&mon.lock, NULL);
}

/* Prints @text's JSON through @print; returns the output (static). */
static const char *printed(const char *json,
			   void (*print)(FILE *out, const struct json *v))
{
	static char *text;
	char err[128];
	struct json *v = json_parse(json, strlen(json), err, sizeof(err));
	size_t len;
	FILE *out;

	free(text);
	text = NULL;
	out = open_memstream(&text, &len);
	if (v)
		print(out, v);
	fclose(out);
	json_free(v);
	return text;
}

static void print_all_blocks(FILE *out, const struct json *v)
{
	hmp_print_block(out, v, NULL);
}

static void print_virtio0(FILE *out, const struct json *v)
{
	hmp_print_block(out, v, "virtio0");
}

TEST(info_pci_prints_as_qemu)
{
	CHECK_STR(printed(qemu_query_pci, hmp_print_pci), qemu_info_pci);
}

TEST(info_block_prints_as_qemu)
{
	CHECK_STR(printed(qemu_query_block, print_all_blocks), qemu_info_block);
	CHECK_STR(printed(qemu_query_block, print_virtio0),
		  "virtio0 (#block336): /tmp/mon/r.img (raw, read-only)\n"
		  "    Attached to:      /machine/peripheral-anon/device[2]/"
		  "virtio-backend\n"
		  "    Cache mode:       writethrough, direct\n");
}

TEST(info_network_prints_as_qemu)
{
	CHECK_STR(printed("[{\"name\": \"e1000.0\", \"info\": \"index=0,type=nic,"
			  "model=e1000,macaddr=52:54:00:12:34:56\", \"peer\": "
			  "{\"name\": \"n0\", \"info\": \"index=0,type=user,"
			  "net=10.0.2.0,restrict=off\"}}]", hmp_print_network),
		  "e1000.0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"
		  " \\ n0: index=0,type=user,net=10.0.2.0,restrict=off\n");
}

/* --- providers ------------------------------------------------------------ */

static int block_provider(void *opaque, struct json *out)
{
	struct json *info = json_object_new();

	return json_object_set_str(info, "device", opaque) |
	       json_array_append(out, info);
}

TEST(providers_answer_in_order)
{
	struct mon_error err;
	struct json *list;
	char *text;

	setup();
	list = mon_collect_info(&mon, MACHINE_INFO_BLOCK, &err);
	text = json_to_string(list);
	CHECK_STR(text, "[]");
	free(text);
	json_free(list);
	machine_add_info(&machine, MACHINE_INFO_BLOCK, block_provider, "a");
	machine_add_info(&machine, MACHINE_INFO_BLOCK, block_provider, "b");
	list = mon_collect_info(&mon, MACHINE_INFO_BLOCK, &err);
	text = json_to_string(list);
	CHECK_STR(text, "[{\"device\": \"a\"}, {\"device\": \"b\"}]");
	free(text);
	json_free(list);
}

/* A PCI host bridge as the PCI code would add it to the device tree. */
static int qtree_provider(void *opaque, struct json *out)
{
	struct json *host = qtree_dev_new("kvmlite-pcihost", "");
	struct json *bus = qtree_bus_add(host, "pci.0", "PCI");
	struct json *dev = qtree_dev_new("virtio-blk-pci", "disk0");

	(void)opaque;
	return qtree_prop(dev, "addr = 03.0") |
	       qtree_prop_uint(dev, "num-queues", 2) |
	       json_array_append(bus, dev) | json_array_append(out, host);
}

TEST(qtree_takes_provider_nodes)
{
	struct mon_error err;
	struct json *tree;
	const char *text;
	char *json;

	setup();
	cfg.nr_serial = 1;
	cfg.serial[0].kind = CHARDEV_STDIO;
	machine_add_info(&machine, MACHINE_INFO_QTREE, qtree_provider, NULL);
	tree = mon_qtree(&mon, &err);
	json = json_to_string(tree);
	text = printed(json, hmp_print_qtree);
	CHECK(strstr(text, "bus: main-system-bus\n  type System\n") == text);
	CHECK(strstr(text, "      dev: isa-serial, id \"\"\n"
			   "        index = 0 (0x0)\n"
			   "        iobase = 1016 (0x3f8)\n"
			   "        irq = 4 (0x4)\n") != NULL);
	CHECK(strstr(text, "  dev: kvmlite-pcihost, id \"\"\n"
			   "    bus: pci.0\n"
			   "      type PCI\n"
			   "      dev: virtio-blk-pci, id \"disk0\"\n"
			   "        addr = 03.0\n"
			   "        num-queues = 2 (0x2)\n") != NULL);
	CHECK(!strstr(text, "isa-debug-exit"));
	free(json);
	json_free(tree);
}

/* --- the PCI bus's answers ------------------------------------------------ */

static const struct pci_ids nic_ids = {
	.vendor = 0x8086, .device = 0x100e,
	.subsys_vendor = 0x1af4, .subsys_device = 0x1100,
	.class_code = 0x020000, .irq_pin = 1,
};

static void nic_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		   bool is_write)
{
	(void)opaque;
	(void)offset;
	if (!is_write)
		memset(data, 0, len);
}

/* The e1000 of the QEMU capture above, as kvmlite's bus places it. */
static struct pci_host *host_with_nic(struct pci_dev *nic)
{
	struct pci_region r = { 0, 0x20000, nic_io, NULL, "nic" };
	struct pci_host *host = new_host();
	char err[160];

	pci_dev_init(nic, &nic_ids, "e1000", NULL, NULL);
	nic->id = "net0";
	CHECK_EQ(pci_dev_add_bar(nic, 0, PCI_BAR_MEM32, 0x20000), 0);
	CHECK_EQ(pci_dev_add_bar(nic, 1, PCI_BAR_IO, 64), 0);
	CHECK_EQ(pci_bar_add_region(nic, 0, &r), 0);
	r.len = 64;
	CHECK_EQ(pci_bar_add_region(nic, 1, &r), 0);
	CHECK_EQ(pci_host_attach(host, nic, 3, err, sizeof(err)), 0);
	return host;
}

static const char *pci_answer(void (*print)(FILE *out, const struct json *v))
{
	struct mon_error err;
	struct json *list = mon_collect_info(&mon, MACHINE_INFO_PCI, &err);
	char *json = json_to_string(list);
	const char *text = printed(json ? json : "", print);

	free(json);
	json_free(list);
	return text;
}

static void print_json(FILE *out, const struct json *v)
{
	json_print(out, v);
}

TEST(query_pci_from_the_bus)
{
	struct pci_dev nic;
	struct pci_host *host;
	char want[1024];

	setup();
	host = host_with_nic(&nic);
	machine.pci = host;
	pci_info_init(&machine);
	snprintf(want, sizeof(want),
		 "[{\"bus\": 0, \"devices\": [{\"irq_pin\": 0, \"bus\": 0, "
		 "\"qdev_id\": \"\", \"slot\": 0, \"class_info\": {\"class\": "
		 "1536, \"desc\": \"Host bridge\"}, \"id\": {\"device\": 4663, "
		 "\"subsystem-vendor\": 6900, \"vendor\": 32902, "
		 "\"subsystem\": 4352}, \"function\": 0, \"regions\": []}, "
		 "{\"irq_pin\": 1, \"bus\": 0, \"qdev_id\": \"net0\", \"irq\": "
		 "%u, \"slot\": 3, \"class_info\": {\"class\": 512, \"desc\": "
		 "\"Ethernet controller\"}, \"id\": {\"device\": 4110, "
		 "\"subsystem-vendor\": 6900, \"vendor\": 32902, "
		 "\"subsystem\": 4352}, \"function\": 0, \"regions\": "
		 "[{\"prefetch\": false, \"mem_type_64\": false, \"bar\": 0, "
		 "\"size\": 131072, \"address\": 3221225472, \"type\": "
		 "\"memory\"}, {\"bar\": 1, \"size\": 64, \"address\": 49152, "
		 "\"type\": \"io\"}]}]}]", mptable_pci_ioapic_pin(3, 0));
	CHECK_STR(pci_answer(print_json), want);
	snprintf(want, sizeof(want),
		 "  Bus  0, device   0, function 0:\n"
		 "    Host bridge: PCI device 8086:1237\n"
		 "      PCI subsystem 1af4:1100\n"
		 "      id \"\"\n"
		 "  Bus  0, device   3, function 0:\n"
		 "    Ethernet controller: PCI device 8086:100e\n"
		 "      PCI subsystem 1af4:1100\n"
		 "      IRQ %u, pin A\n"
		 "      BAR0: 32 bit memory at 0xc0000000 [0xc001ffff].\n"
		 "      BAR1: I/O at 0xc000 [0xc03f].\n"
		 "      id \"net0\"\n", mptable_pci_ioapic_pin(3, 0));
	CHECK_STR(pci_answer(hmp_print_pci), want);
	/* Decoding off: unmapped, as QEMU shows it. */
	cfg_write(3, PCI_COMMAND, 0, 2);
	CHECK(strstr(pci_answer(hmp_print_pci),
		     "      BAR0: 32 bit memory at 0xffffffffffffffff "
		     "[0x0001fffe].\n"));
	free_host(host);
}

TEST(qtree_shows_the_pci_bus)
{
	struct pci_dev nic;
	struct pci_host *host;
	struct mon_error err;
	struct json *tree;
	char *json;

	setup();
	host = host_with_nic(&nic);
	machine.pci = host;
	pci_info_init(&machine);
	tree = mon_qtree(&mon, &err);
	json = json_to_string(tree);
	CHECK(strstr(printed(json, hmp_print_qtree),
		     "  dev: i440FX-pcihost, id \"\"\n"
		     "    bus: pci.0\n"
		     "      type PCI\n"
		     "      dev: i440FX, id \"\"\n"
		     "        addr = 00.0\n"
		     "        class Host bridge, addr 00:00.0, pci id 8086:1237 "
		     "(sub 1af4:1100)\n"
		     "      dev: e1000, id \"net0\"\n"
		     "        addr = 03.0\n"
		     "        class Ethernet controller, addr 00:03.0, pci id "
		     "8086:100e (sub 1af4:1100)\n"
		     "        bar 0: mem at 0xc0000000 [0xc001ffff]\n"
		     "        bar 1: i/o at 0xc000 [0xc03f]\n"));
	free(json);
	json_free(tree);
	free_host(host);
}

/* --- HMP without a guest --------------------------------------------------- */

static char *hmp(const char *line)
{
	static char *last;

	free(last);
	last = hmp_run_captured(&mon, line, 0);
	return last ? last : "(null)";
}

TEST(hmp_commands_on_an_idle_machine)
{
	setup();
	CHECK_STR(hmp("info status"), "VM status: running\r\n");
	machine.run_state = RUN_STATE_PRELAUNCH;
	CHECK_STR(hmp("info status"), "VM status: paused (prelaunch)\r\n");
	CHECK_STR(hmp("info name"), "testvm\r\n");
	CHECK_STR(hmp("  info   version  "), "0.1.0 (kvmlite)\r\n");
	CHECK_STR(hmp("info block"), "");
	CHECK_STR(hmp("info pci"), "");
	CHECK_STR(hmp("info network"), "");
	CHECK_STR(hmp("info cpus"), "");
	CHECK_STR(hmp("help q"), "quit|q  -- quit the emulator\r\n");
	{
		char *alias = strdup(hmp("? info"));

		CHECK_STR(alias, hmp("info"));
		CHECK(strstr(alias, "info cpus  -- show infos for each CPU\r\n"));
		free(alias);
	}
	CHECK_STR(hmp("help info nope"), "unknown command: 'info nope'\r\n");
	CHECK_STR(hmp("cont x"),
		  "cont|c: extraneous characters at the end of line\r\n"
		  "Try \"help cont\" for more information\r\n");
	CHECK_STR(hmp("info block virtio0 x"),
		  "block: extraneous characters at the end of line\r\n"
		  "Try \"help info block\" for more information\r\n");
	CHECK_STR(hmp("cpu 0"), "invalid CPU index\r\n");
}

TEST(hmp_powerdown_help_tells_of_acpi)
{
	setup();
	CHECK(strstr(hmp("help system_powerdown"), "no ACPI power button"));
	machine_add_powerdown(&machine, free, NULL);
	CHECK_STR(hmp("help system_powerdown"),
		  "system_powerdown  -- send system power down event\r\n");
}

/* --- QMP without a guest --------------------------------------------------- */

static struct mon_session session;

/* Feeds @in to a QMP session; returns what it answered (static). */
static const char *qmp(const char *in)
{
	static char out[4096];

	session.out_len = 0;
	qmp_session_input(&session, in, strlen(in));
	snprintf(out, sizeof(out), "%.*s", (int)session.out_len,
		 session.out ? session.out : "");
	return out;
}

static void qmp_begin(void)
{
	setup();
	memset(&session, 0, sizeof(session));
	session.mon = &mon;
	session.mode = MONITOR_QMP;
	session.fd = -1;
	json_stream_init(&session.stream);
	qmp_session_start(&session);
}

static void qmp_end(void)
{
	qmp_session_free(&session);
	free(session.out);
}

TEST(qmp_greeting_and_negotiation)
{
	qmp_begin();
	CHECK_EQ(session.out_len, 120);
	CHECK(!strncmp(session.out,
		       "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, "
		       "\"minor\": 1, \"major\": 0}, \"package\": \" (kvmlite)\"}, "
		       "\"capabilities\": [\"oob\"]}}\r\n", 120));
	CHECK_STR(qmp("{\"execute\": \"query-status\"}"),
		  "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		  "\"Expecting capabilities negotiation with "
		  "'qmp_capabilities'\"}}\r\n");
	CHECK_STR(qmp("{\"execute\": \"qmp_capabilities\", \"id\": 1}"),
		  "{\"return\": {}, \"id\": 1}\r\n");
	CHECK_STR(qmp("{\"execute\": \"query-status\"}"),
		  "{\"return\": {\"status\": \"running\", \"singlestep\": false, "
		  "\"running\": true}}\r\n");
	qmp_end();
}

TEST(qmp_errors_keep_the_session)
{
	qmp_begin();
	qmp("{\"execute\": \"qmp_capabilities\"}");
	CHECK_STR(qmp("{\"execute\": \"qmp_capabilities\", \"arguments\": "
		      "{\"enable\": [\"foo\"]}}"),
		  "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		  "\"Capabilities negotiation is already complete, command "
		  "ignored\"}}\r\n");
	CHECK_STR(qmp("{\"execute\": \"nope\", \"id\": \"x\"}"),
		  "{\"id\": \"x\", \"error\": {\"class\": \"CommandNotFound\", "
		  "\"desc\": \"The command nope has not been found\"}}\r\n");
	CHECK_STR(qmp("{\"execute\": \"query-name\", \"exec-oob\": \"x\"}"),
		  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP "
		  "input member 'exec-oob' is unexpected\"}}\r\n");
	CHECK_STR(qmp("1 "), "{\"error\": {\"class\": \"GenericError\", "
		  "\"desc\": \"QMP input must be a JSON object\"}}\r\n");
	CHECK_STR(qmp("{\"execute\": \"query-name\"}"),
		  "{\"return\": {\"name\": \"testvm\"}}\r\n");
	qmp_end();
}

TEST(qmp_oob_capability)
{
	qmp_begin();
	CHECK_STR(qmp("{\"execute\": \"qmp_capabilities\", \"arguments\": "
		      "{\"enable\": [\"oob\", \"x\"]}}"),
		  "{\"error\": {\"class\": \"GenericError\", \"desc\": "
		  "\"Parameter 'enable[1]' does not accept value 'x'\"}}\r\n");
	qmp("{\"execute\": \"qmp_capabilities\", \"arguments\": "
	    "{\"enable\": [\"oob\"]}}");
	CHECK_STR(qmp("{\"exec-oob\": \"query-name\"}"),
		  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"The "
		  "command query-name does not support OOB\"}}\r\n");
	qmp_end();
}

TEST(qmp_events_text)
{
	struct machine_event reset = { MACHINE_EVENT_RESET,
				       SHUTDOWN_CAUSE_GUEST_RESET };
	struct machine_event stop = { MACHINE_EVENT_STOP, SHUTDOWN_CAUSE_NONE };
	char *text = qmp_event_text(&reset);

	CHECK(text && strstr(text, "{\"timestamp\": {\"seconds\": ") == text);
	CHECK(text && strstr(text, "}, \"event\": \"RESET\", \"data\": "
			     "{\"guest\": true, \"reason\": \"guest-reset\"}}"
			     "\r\n"));
	free(text);
	text = qmp_event_text(&stop);
	CHECK(text && strstr(text, "}, \"event\": \"STOP\"}\r\n"));
	free(text);
}

int main(void)
{
	RUN(info_pci_prints_as_qemu);
	RUN(info_block_prints_as_qemu);
	RUN(info_network_prints_as_qemu);
	RUN(providers_answer_in_order);
	RUN(qtree_takes_provider_nodes);
	RUN(query_pci_from_the_bus);
	RUN(qtree_shows_the_pci_bus);
	RUN(hmp_commands_on_an_idle_machine);
	RUN(hmp_powerdown_help_tells_of_acpi);
	RUN(qmp_greeting_and_negotiation);
	RUN(qmp_errors_keep_the_session);
	RUN(qmp_oob_capability);
	RUN(qmp_events_text);
	return check_summary();
}
