// SPDX-License-Identifier: MIT
/*
 * The machine: guest RAM, the buses and devices and the vCPUs, set up
 * from the configuration.  Running it, resetting it and ending it is
 * src/core/lifecycle.c's part.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvmlite/block.h"
#include "kvmlite/bus.h"
#include "kvmlite/chardev.h"
#include "kvmlite/cpulist.h"
#include "kvmlite/devices.h"
#include "kvmlite/ioloop.h"
#include "kvmlite/irqchip.h"
#include "kvmlite/log.h"
#include "kvmlite/i8254.h"
#include "kvmlite/machine.h"
#include "kvmlite/mc146818.h"
#include "kvmlite/mptable.h"
#include "kvmlite/net.h"
#include "kvmlite/pci.h"
#include "kvmlite/serial.h"
#include "kvmlite/syscall_entry.h"
#include "kvmlite/unimp.h"
#include "kvmlite/virtio_blk.h"

#define KVM_DEVICE	"/dev/kvm"
#define MIN_RAM_SIZE	(2ULL << 20)

static void hook_add(struct machine_hook **list, void (*fn)(void *opaque),
		     void *opaque)
{
	struct machine_hook *h = calloc(1, sizeof(*h));

	if (!h)
		return;
	h->fn = fn;
	h->opaque = opaque;
	h->next = *list;
	*list = h;
}

void machine_add_reset(struct machine *m, void (*reset)(void *opaque),
		       void *opaque)
{
	hook_add(&m->resets, reset, opaque);
}

void machine_add_exit_hook(struct machine *m, void (*fn)(void *opaque),
			   void *opaque)
{
	hook_add(&m->exit_hooks, fn, opaque);
}

void machine_add_powerdown(struct machine *m, void (*fn)(void *opaque),
			   void *opaque)
{
	hook_add(&m->powerdown_hooks, fn, opaque);
}

void machine_add_listener(struct machine *m,
			  void (*fn)(void *opaque,
				     const struct machine_event *ev),
			  void *opaque)
{
	struct machine_listener *l = calloc(1, sizeof(*l));

	if (!l)
		return;
	l->fn = fn;
	l->opaque = opaque;
	l->next = m->listeners;
	m->listeners = l;
}

/* Providers answer in the order they were added. */
void machine_add_info(struct machine *m, enum machine_info what,
		      machine_info_fn fn, void *opaque)
{
	struct machine_info_provider *p = calloc(1, sizeof(*p)), **tail;

	if (!p || what >= MACHINE_INFO_COUNT) {
		free(p);
		return;
	}
	p->fn = fn;
	p->opaque = opaque;
	for (tail = &m->info[what]; *tail; tail = &(*tail)->next)
		;
	*tail = p;
}

static void uart_reset_hook(void *opaque)
{
	uart_reset(opaque);
}

static void chardev_quit(void *opaque)
{
	machine_request_exit(opaque, 0);
}

static int serial_init(struct machine *m, int i, char *err, size_t errlen)
{
	const struct chardev_spec *spec = &m->cfg->serial[i];
	struct chardev_host host = { chardev_quit, m };
	struct chardev *chr;
	struct uart *uart;
	char label[sizeof("serial-2147483648")];

	snprintf(label, sizeof(label), "serial%d", i);
	chr = chardev_open(spec, label, m->ioloop, &host, err, errlen);
	if (!chr)
		return -1;
	m->serial_chr[i] = chr;
	uart = uart_new(irqchip_isa_line(m->irqchip, uart_pc_ports[i].irq),
			chr);
	if (!uart || bus_register(m->pio, uart_pc_ports[i].base, UART_NR_REGS,
				  uart_io, uart, "serial")) {
		snprintf(err, errlen, "%s: cannot create the UART", label);
		return -1;
	}
	machine_add_reset(m, uart_reset_hook, uart);
	return 0;
}

static void pit_reset_hook(void *opaque)
{
	pit_reset(opaque);
}

static int pit_init(struct machine *m, char *err, size_t errlen)
{
	struct pit *pit = pit_new(irqchip_isa_line(m->irqchip, PIT_IRQ),
				  m->ioloop);

	if (!pit || bus_register(m->pio, PIT_BASE, PIT_NR_PORTS, pit_io, pit,
				 "i8254") ||
	    bus_register(m->pio, PIT_PORT61, 1, pit_port61_io, pit,
			 "port61")) {
		snprintf(err, errlen, "cannot create the PIT");
		return -1;
	}
	machine_add_reset(m, pit_reset_hook, pit);
	return 0;
}

static void rtc_reset_hook(void *opaque)
{
	rtc_reset(opaque);
}

static int rtc_init(struct machine *m, char *err, size_t errlen)
{
	struct rtc_config cfg = {
		.option = m->cfg->rtc,
		.low_ram = m->mem.low_size,
		.high_ram = m->mem.high_size,
	};
	struct rtc *rtc = rtc_new(irqchip_isa_line(m->irqchip, RTC_ISA_IRQ),
				  m->ioloop, &cfg);

	if (!rtc || bus_register(m->pio, RTC_PORT_BASE, 2, rtc_io, rtc,
				 "mc146818")) {
		snprintf(err, errlen, "cannot create the RTC");
		return -1;
	}
	machine_add_reset(m, rtc_reset_hook, rtc);
	return 0;
}

/* As QEMU: every drive is opened, then its device takes the image lock. */
static int drive_open(struct machine *m, int i, char *err, size_t errlen)
{
	const struct drive_config *d = &m->cfg->drives[i];
	char msg[1024];

	if (!d->file[0])
		return 0;
	m->drives[i] = block_open(&d->block, msg, sizeof(msg));
	if (!m->drives[i])
		return config_error(err, errlen, d->opt, d->arg, "%s", msg);
	if (d->bad_key[0])
		return config_error(err, errlen, d->opt, d->arg,
				    "Block format '%s' does not support the option '%s'",
				    block_format(m->drives[i]), d->bad_key);
	return 0;
}

static int virtio_blk_init(struct machine *m, int i, char *err,
			   size_t errlen)
{
	const struct blk_device_config *b = &m->cfg->blk[i];
	struct virtio_blk_params p = {
		.bs = m->drives[b->drive],
		.id = b->id[0] ? b->id : NULL,
		.serial = b->has_serial ? b->serial : NULL,
		.num_queues = b->num_queues,
		.slot = b->slot,
	};
	char msg[1024];

	if (block_lock(p.bs, msg, sizeof(msg)))
		return config_error(err, errlen, b->opt, b->arg, "%s", msg);
	m->blk[i] = virtio_blk_new(m, &p, msg, sizeof(msg));
	if (!m->blk[i])
		return config_error(err, errlen, b->opt, b->arg, "%s", msg);
	return 0;
}

static int disks_init(struct machine *m, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < m->cfg->nr_drives; i++)
		if (drive_open(m, i, err, errlen))
			return -1;
	for (i = 0; i < m->cfg->nr_blk; i++)
		if (virtio_blk_init(m, i, err, errlen))
			return -1;
	if (block_info_init(m)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int devices_init(struct machine *m, char *err, size_t errlen)
{
	const struct debug_exit_config *dbg = &m->cfg->debug_exit;
	int i;

	if (pci_machine_init(m, err, errlen) ||
	    net_machine_init(m, err, errlen))
		return -1;
	for (i = 0; i < m->cfg->nr_serial; i++)
		if (m->cfg->serial[i].kind != CHARDEV_NONE &&
		    serial_init(m, i, err, errlen))
			return -1;
	if (dbg->enabled && debug_exit_init(m, dbg->iobase, dbg->iosize)) {
		snprintf(err, errlen, "-device isa-debug-exit,iobase=0x%x: "
			 "ports 0x%x-0x%x are already in use", dbg->iobase,
			 dbg->iobase, dbg->iobase + dbg->iosize - 1);
		return -1;
	}
	if (pit_init(m, err, errlen) || rtc_init(m, err, errlen))
		return -1;
	if (i8042_init(m) || post_port_init(m)) {
		snprintf(err, errlen, "platform device ports are in use");
		return -1;
	}
	return disks_init(m, err, errlen);
}

static int memory_init(struct machine *m, char *err, size_t errlen)
{
	uint64_t size = m->cfg->ram_size;

	if (size < MIN_RAM_SIZE) {
		snprintf(err, errlen, "-m: %llu bytes of RAM is too little; "
			 "kvmlite needs at least 2 MiB",
			 (unsigned long long)size);
		return -1;
	}
	if (guest_mem_init(&m->mem, size)) {
		snprintf(err, errlen, "cannot set up guest memory of %llu "
			 "bytes: %s", (unsigned long long)size,
			 strerror(errno));
		return -1;
	}
	if (kvm_add_memory(&m->kvm, 0, m->mem.low_size, m->mem.host) ||
	    (m->mem.high_size &&
	     kvm_add_memory(&m->kvm, HIGH_RAM_BASE, m->mem.high_size,
			    m->mem.host + m->mem.low_size))) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int irqchip_init(struct machine *m, char *err, size_t errlen)
{
	m->irqchip = irqchip_new(&m->kvm);
	if (!m->irqchip || irqchip_setup_routing(m->irqchip)) {
		snprintf(err, errlen, "KVM_SET_GSI_ROUTING: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int boot_files_init(struct machine *m, char *err, size_t errlen)
{
	const struct config *cfg = m->cfg;

	if (!cfg->kernel) {
		snprintf(err, errlen, "no guest kernel: give one with -kernel "
			 "FILE (kvmlite has no firmware to boot disks)");
		return -1;
	}
	if (boot_file_map(&m->boot.kernel, "kernel file", cfg->kernel, err,
			  errlen))
		return -1;
	if (cfg->initrd &&
	    boot_file_map(&m->boot.initrd, "initrd file", cfg->initrd, err,
			  errlen))
		return -1;
	m->boot.cmdline = cfg->append ? cfg->append : "";
	return 0;
}

/* -pin-vcpus and -pin-io must name CPUs that taskset lets us use. */
static int check_pinning(const struct config *cfg, char *err, size_t errlen)
{
	char why[160];

	if (cfg->nr_pin_vcpus && cfg->nr_pin_vcpus < (int)cfg->smp.cpus) {
		snprintf(err, errlen, "-pin-vcpus: %d host CPUs listed for %u "
			 "vCPUs; give one per vCPU", cfg->nr_pin_vcpus,
			 cfg->smp.cpus);
		return -1;
	}
	if (cpulist_check_allowed(cfg->pin_vcpus, cfg->nr_pin_vcpus, why,
				  sizeof(why))) {
		snprintf(err, errlen, "-pin-vcpus: %s", why);
		return -1;
	}
	if (cfg->pin_io >= 0 &&
	    cpulist_check_allowed(&cfg->pin_io, 1, why, sizeof(why))) {
		snprintf(err, errlen, "-pin-io: %s", why);
		return -1;
	}
	return 0;
}

static int vcpus_init(struct machine *m, char *err, size_t errlen)
{
	int i;

	m->nr_vcpus = m->cfg->smp.cpus;
	if (m->nr_vcpus > m->kvm.max_vcpus) {
		snprintf(err, errlen, "-smp %d: this host's KVM supports at "
			 "most %d vCPUs", m->nr_vcpus, m->kvm.max_vcpus);
		return -1;
	}
	m->vcpus = calloc(m->nr_vcpus, sizeof(*m->vcpus));
	if (!m->vcpus)
		return -1;
	for (i = 0; i < m->nr_vcpus; i++)
		if (vcpu_create(m, &m->vcpus[i], i, err, errlen))
			return -1;
	return 0;
}

/* The MP table: every vCPU, the IOAPIC and the PC interrupt wiring. */
static int write_mptable(struct machine *m, char *err, size_t errlen)
{
	struct mptable_cpu cpus[MAX_VCPUS];
	struct mptable_config cfg = {
		.cpus = cpus,
		.nr_cpus = m->cfg->smp.cpus,
		.ioapic_addr = MPTABLE_IOAPIC_ADDR,
		.nr_pci_slots = MPTABLE_DEFAULT_PCI_SLOTS,
		.lapic_addr = MPTABLE_LAPIC_ADDR,
	};
	uint32_t max_id = 0;
	unsigned int i;

	for (i = 0; i < cfg.nr_cpus; i++) {
		cpus[i].apic_id = topology_apic_id(&m->topo, i);
		cpus[i].bsp = i == 0;
		if (cpus[i].apic_id > max_id)
			max_id = cpus[i].apic_id;
	}
	/* After the CPUs' IDs, as PC firmware numbers it. */
	cfg.ioapic_id = max_id < 0xfe ? max_id + 1 : 0;
	return mptable_write(&m->mem, &cfg, err, errlen);
}

/* What the guest finds in RAM at power-on and after every reset. */
static int load_guest(struct machine *m, char *err, size_t errlen)
{
	if (loader_load(&m->mem, &m->boot, &m->boot_state, err, errlen))
		return -1;
	return write_mptable(m, err, errlen);
}

int machine_init(struct machine *m, const struct config *cfg, char *err,
		 size_t errlen)
{
	machine_block_signals();
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->signal_fd = -1;
	m->run_state = cfg->start_paused ? RUN_STATE_PRELAUNCH :
		       RUN_STATE_RUNNING;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	if (check_pinning(cfg, err, errlen) ||
	    boot_files_init(m, err, errlen) ||
	    kvm_open(&m->kvm, KVM_DEVICE, err, errlen) ||
	    cpu_model_init(&m->cpu, cfg->cpu_model, m->kvm.supported_cpuid,
			   err, errlen) ||
	    memory_init(m, err, errlen) ||
	    kvm_create_irqchip(&m->kvm, err, errlen) ||
	    irqchip_init(m, err, errlen))
		return -1;
	topology_init(&m->topo, &cfg->smp);
	syscall_entry_init(&m->kvm);
	if (load_guest(m, err, errlen))
		return -1;
	m->pio = bus_new("pio");
	m->mmio = bus_new("mmio");
	m->ioloop = ioloop_new();
	if (cfg->log_unimp)
		m->unimp = unimp_log_new();
	if (!m->pio || !m->mmio || !m->ioloop ||
	    (cfg->log_unimp && !m->unimp)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (devices_init(m, err, errlen))
		return -1;
	return vcpus_init(m, err, errlen);
}

int machine_reset(struct machine *m)
{
	struct machine_hook *r;
	char err[256];
	int i;

	guest_mem_clear(&m->mem);
	if (load_guest(m, err, sizeof(err))) {
		error_report("reset: %s", err);
		return -1;
	}
	if (kvm_irqchip_reset(&m->kvm)) {
		error_report("reset of the irqchip: %s", strerror(errno));
		return -1;
	}
	for (r = m->resets; r; r = r->next)
		r->fn(r->opaque);
	for (i = 0; i < m->nr_vcpus; i++) {
		if (vcpu_reset(&m->vcpus[i])) {
			error_report("reset of vCPU %d: %s", i,
				     strerror(errno));
			return -1;
		}
	}
	return 0;
}

void machine_close(struct machine *m)
{
	int i;

	if (m->ioloop)
		ioloop_stop(m->ioloop);
	for (i = 0; i < MAX_SERIAL_PORTS; i++)
		if (m->serial_chr[i])
			chardev_close(m->serial_chr[i]);
	/* Devices first: their requests in flight end before the images. */
	for (i = 0; i < MAX_VIRTIO_BLK; i++)
		if (m->blk[i])
			virtio_blk_shutdown(m->blk[i]);
	for (i = 0; i < MAX_DRIVES; i++)
		block_close(m->drives[i]);
}
