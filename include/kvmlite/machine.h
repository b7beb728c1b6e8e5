/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_MACHINE_H
#define KVMLITE_MACHINE_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "cpuid.h"
#include "kvm.h"
#include "loader.h"
#include "memory.h"
#include "topology.h"

struct block;
struct bus;
struct ioloop;
struct irqchip;
struct json;
struct pci_host;
struct kvm_regs;
struct kvm_run;
struct kvm_segment;
struct machine;
struct unimp_log;
struct virtio_blk;

struct vcpu_work;

/*
 * kvmlite's own exit statuses.  A guest's verdict through isa-debug-exit,
 * (V << 1) | 1, is always odd, so these never collide with one.
 */
#define EXIT_STATUS_ERROR	1	/* a user error, or the host failed */
#define EXIT_STATUS_VCPU_CRASH	2	/* KVM cannot go on running the guest */

struct vcpu {
	struct machine *machine;
	int index;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	pid_t tid;		/* host thread ID, once the thread runs */
	void *reset_state;	/* registers and LAPIC as at creation */
	struct vcpu_work *work;	/* vcpu_run_on()'s, under m->lock */
	/* For src/core/syscall_entry.c, on hosts that need it: */
	uint64_t syscall_entry;	/* the guest's LSTAR, 0 until it sets one */
	uint64_t pf_breakpoint;	/* the #PF handler it breaks at, or 0 */
	/* One step past that breakpoint, which is off meanwhile. */
	bool stepping_over;
};

/* Code run at a point of the machine's life, e.g. a device's reset. */
struct machine_hook {
	void (*fn)(void *opaque);
	void *opaque;
	struct machine_hook *next;
};

enum machine_request {
	MACHINE_RUNNING,
	MACHINE_RESET,
	MACHINE_EXIT,
};

/* QEMU's RunState, the part of it kvmlite has. */
enum run_state {
	RUN_STATE_PRELAUNCH,	/* -S, or reset while stopped */
	RUN_STATE_RUNNING,
	RUN_STATE_PAUSED,	/* stopped from the monitor */
	RUN_STATE_SHUTDOWN,	/* on the way out */
	RUN_STATE_INTERNAL_ERROR, /* a vCPU crashed; on the way out */
};

/* Why the machine resets or ends: QEMU's ShutdownCause. */
enum shutdown_cause {
	SHUTDOWN_CAUSE_NONE,	/* no event: debug exit, C-a x, errors */
	SHUTDOWN_CAUSE_HOST_ERROR,
	SHUTDOWN_CAUSE_HOST_QMP_QUIT,
	SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
	SHUTDOWN_CAUSE_HOST_SIGNAL,
	SHUTDOWN_CAUSE_GUEST_SHUTDOWN,	/* from here on, the guest's */
	SHUTDOWN_CAUSE_GUEST_RESET,
};

/* What a monitor reports as QMP events. */
enum machine_event_type {
	MACHINE_EVENT_STOP,
	MACHINE_EVENT_RESUME,
	MACHINE_EVENT_RESET,		/* done; @cause says who asked */
	MACHINE_EVENT_POWERDOWN,
	MACHINE_EVENT_SHUTDOWN,		/* asked for; @cause says why */
};

struct machine_event {
	enum machine_event_type type;
	enum shutdown_cause cause;
};

/*
 * Hears every event, in the order they happen, on whichever thread made
 * them happen and with the machine's lock held: it must only queue the
 * news, never call back into the machine.
 */
struct machine_listener {
	void (*fn)(void *opaque, const struct machine_event *ev);
	void *opaque;
	struct machine_listener *next;
};

/*
 * What the monitor asks of devices that kvmlite does not know about.  A
 * provider appends its part to @out, a JSON array, and returns 0 (or -1
 * if it ran out of memory).  It runs on the I/O thread while the guest
 * runs, so it reads its device's state under the device's own lock.
 *
 *   MACHINE_INFO_BLOCK	one QMP BlockInfo object per drive (query-block)
 *   MACHINE_INFO_PCI	one QMP PciInfo object per root bus (query-pci)
 *   MACHINE_INFO_NETWORK	one object per NIC or netdev: "name", "info"
 *			(QEMU's "index=0,type=nic,..." text), and "peer",
 *			the same pair for its backend (info network)
 *   MACHINE_INFO_QTREE	device nodes under main-system-bus: "dev", "id",
 *			"props" (an array of preformatted "name = value"
 *			lines) and "buses" (objects with "bus", "type",
 *			"devices"), as info qtree prints them
 */
enum machine_info {
	MACHINE_INFO_BLOCK,
	MACHINE_INFO_PCI,
	MACHINE_INFO_NETWORK,
	MACHINE_INFO_QTREE,
	MACHINE_INFO_COUNT,
};

typedef int (*machine_info_fn)(void *opaque, struct json *out);

struct machine_info_provider {
	machine_info_fn fn;
	void *opaque;
	struct machine_info_provider *next;
};

struct machine {
	const struct config *cfg;
	struct kvm kvm;
	struct guest_mem mem;
	struct bus *pio;
	struct bus *mmio;
	struct ioloop *ioloop;
	struct irqchip *irqchip;
	struct pci_host *pci;		/* bus 0 */
	struct cpu_model cpu;
	struct cpu_topology topo;	/* -smp as APIC IDs */
	struct boot_files boot;
	struct boot_state boot_state;
	struct vcpu *vcpus;
	int nr_vcpus;
	struct chardev *serial_chr[MAX_SERIAL_PORTS];
	struct block *drives[MAX_DRIVES];	/* cfg->drives, opened */
	struct virtio_blk *blk[MAX_VIRTIO_BLK];	/* cfg->blk */

	/* Registered during setup, read-only once the machine runs. */
	struct machine_hook *resets;
	struct machine_hook *exit_hooks;
	struct machine_hook *powerdown_hooks;
	struct machine_listener *listeners;
	struct machine_info_provider *info[MACHINE_INFO_COUNT];

	/* Lifecycle (src/core/lifecycle.c), all under @lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum machine_request request;
	enum shutdown_cause reset_cause;
	unsigned int resets_done;	/* for waiters on a reset */
	int exit_status;
	enum run_state run_state;
	bool pause;		/* vCPUs must park: a request, or stopped */
	int nr_parked;
	int signal_fd;

	struct unimp_log *unimp;	/* -d unimp, else NULL */
};

int machine_init(struct machine *m, const struct config *cfg, char *err,
		 size_t errlen);
/* Termination signals reach kvmlite only through machine_run()'s handler. */
void machine_block_signals(void);
/* Runs the guest until it, or the user, ends it; returns the exit status. */
int machine_run(struct machine *m);
/* Releases host resources (terminal, files) before the process exits. */
void machine_close(struct machine *m);
/* Back to power-on: RAM, devices, vCPUs.  Only with every vCPU parked. */
int machine_reset(struct machine *m);

/*
 * Setup-time registration (before machine_run).  Resets run on every
 * machine reset; exit hooks once every vCPU has stopped for good, last
 * added first (flush and unlock disks, run TAP down scripts); power-down
 * hooks are the guest's power button (ACPI) for system_powerdown.
 */
void machine_add_reset(struct machine *m, void (*reset)(void *opaque),
		       void *opaque);
void machine_add_exit_hook(struct machine *m, void (*fn)(void *opaque),
			   void *opaque);
void machine_add_powerdown(struct machine *m, void (*fn)(void *opaque),
			   void *opaque);
void machine_add_listener(struct machine *m,
			  void (*fn)(void *opaque,
				     const struct machine_event *ev),
			  void *opaque);
void machine_add_info(struct machine *m, enum machine_info what,
		      machine_info_fn fn, void *opaque);

/* Requests, from any thread (src/core/lifecycle.c). */
/* Ends kvmlite with @status and no SHUTDOWN event (isa-debug-exit, C-a x). */
void machine_request_exit(struct machine *m, int status);
/* Ends kvmlite with status 0 and a SHUTDOWN event for @cause. */
void machine_request_shutdown(struct machine *m, enum shutdown_cause cause);
/* The guest reset the machine (or, with -no-reboot, ended it). */
void machine_request_reset(struct machine *m);
/* A vCPU cannot go on: ends kvmlite with EXIT_STATUS_VCPU_CRASH. */
void machine_guest_crashed(struct machine *m);

/* The monitor's controls; they return once done (or given up on). */
enum run_state machine_run_state(struct machine *m);
void machine_stop(struct machine *m);
/* -1 if the machine is on its way out and cannot run again. */
int machine_cont(struct machine *m);
void machine_system_reset(struct machine *m);
void machine_system_powerdown(struct machine *m);

const char *run_state_name(enum run_state state);
const char *shutdown_cause_name(enum shutdown_cause cause);

/* vCPU threads (src/core/vcpu.c). */
int vcpu_create(struct machine *m, struct vcpu *vcpu, int index, char *err,
		size_t errlen);
int vcpu_start(struct vcpu *vcpu);
void vcpu_kick(struct vcpu *vcpu);
int vcpu_reset(struct vcpu *vcpu);
/*
 * Runs @fn on @vcpu's own thread between two KVM_RUNs (the only place
 * its registers can be read while the guest runs) and waits for it.
 * For one caller at a time, the I/O thread; -1 if the vCPU did not come
 * out of the guest within a second.
 */
int vcpu_run_on(struct vcpu *vcpu, void (*fn)(struct vcpu *vcpu, void *opaque),
		void *opaque);

/*
 * Copies between @buf and the guest's linear addresses as the vCPU's
 * page tables map them now (KVM_TRANSLATE).  Returns how many bytes were
 * copied before a page was missing (or read-only, for @to_guest).
 */
size_t vcpu_copy_linear(struct vcpu *vcpu, uint64_t linear, void *buf,
			size_t len, bool to_guest);

/* Segment types: execute/read and read/write, both accessed. */
#define SEGMENT_CODE	0xb
#define SEGMENT_DATA	0x3

/*
 * A flat 4 GiB DPL 0 segment; a 64-bit code segment if @long_mode, else
 * with 32-bit default size.
 */
void vcpu_flat_segment(struct kvm_segment *seg, uint16_t selector,
		       uint8_t type, bool long_mode);

/*
 * Moves RIP past @insn_len bytes (0 for a fault, which returns to the
 * instruction) and has KVM raise exception @vector, or interrupt @vector
 * if !@exception, as the guest resumes.  -1 if an event is already
 * pending or KVM refused.
 */
int vcpu_deliver(struct vcpu *vcpu, struct kvm_regs *regs,
		 unsigned int insn_len, uint8_t vector, bool exception);

/* The longest x86 instruction. */
#define VCPU_INSN_MAX	15

/*
 * After an emulation failure (src/core/emulation.c): completes an INT3,
 * INT n, FWAIT, LDMXCSR or STMXCSR at the vCPU's RIP, or lets it run
 * again if another vCPU rewrote it, and returns 0; else returns -1.
 * Either way @insn gets the bytes at RIP that could be read, *@len of
 * them.
 */
int vcpu_emulation_fallback(struct vcpu *vcpu, uint8_t *insn, size_t *len);

#endif
