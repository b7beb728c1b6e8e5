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

struct bus;
struct ioloop;
struct irqchip;
struct pci_host;
struct kvm_run;
struct machine;
struct unimp_log;

struct vcpu {
	struct machine *machine;
	int index;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	pid_t tid;
	void *reset_state;	/* registers and LAPIC as at creation */
};

/* A device's reset hook, run on every machine reset. */
struct device_reset {
	void (*reset)(void *opaque);
	void *opaque;
	struct device_reset *next;
};

enum machine_request {
	MACHINE_RUNNING,
	MACHINE_RESET,
	MACHINE_EXIT,
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
	struct device_reset *resets;
	struct chardev *serial_chr[MAX_SERIAL_PORTS];

	/* Lifecycle: requests from any thread, served by the main thread. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum machine_request request;
	int exit_status;
	bool pause;		/* vCPUs must park */
	int nr_parked;

	struct unimp_log *unimp;	/* -d unimp, else NULL */
};

int machine_init(struct machine *m, const struct config *cfg, char *err,
		 size_t errlen);
/* Runs the guest until it, or the user, ends it; returns the exit status. */
int machine_run(struct machine *m);
/* Releases host resources (terminal, files) before the process exits. */
void machine_close(struct machine *m);

void machine_request_exit(struct machine *m, int status);
void machine_request_reset(struct machine *m);
void machine_add_reset(struct machine *m, void (*reset)(void *opaque),
		       void *opaque);

/* vCPU threads (src/core/vcpu.c). */
int vcpu_create(struct machine *m, struct vcpu *vcpu, int index, char *err,
		size_t errlen);
int vcpu_start(struct vcpu *vcpu);
void vcpu_kick(struct vcpu *vcpu);
int vcpu_reset(struct vcpu *vcpu);
void vcpu_dump_registers(struct vcpu *vcpu, FILE *out);

/* The longest x86 instruction. */
#define VCPU_INSN_MAX	15

/*
 * After an emulation failure (src/core/emulation.c): completes an INT3,
 * INT n or FWAIT at the vCPU's RIP and returns 0, or returns -1.  Either way @insn
 * gets the bytes at RIP that could be read, *@len of them.
 */
int vcpu_emulation_fallback(struct vcpu *vcpu, uint8_t *insn, size_t *len);

#endif
