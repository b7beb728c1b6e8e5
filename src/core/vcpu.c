// SPDX-License-Identifier: MIT
/*
 * vCPU threads: one pthread per vCPU running KVM_RUN and dispatching its
 * port and MMIO exits to the buses.  Other threads get a vCPU out of the
 * guest by publishing what they want (m->pause, vcpu->work), then setting
 * immediate_exit and sending SIGUSR1, which makes a KVM_RUN in progress,
 * or about to start, return at once.  The vCPU clears immediate_exit with
 * a full barrier before it looks at what was published, so a kick that
 * comes in between is either seen or still makes the next KVM_RUN return.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "kvmlite/bus.h"
#include "kvmlite/cpustate.h"
#include "kvmlite/log.h"
#include "kvmlite/machine.h"
#include "kvmlite/sandbox.h"
#include "kvmlite/syscall_entry.h"
#include "kvmlite/unimp.h"

#define KICK_SIGNAL	SIGUSR1
#define RUN_ON_TIMEOUT_S	1

#define CR0_PE		(1ULL << 0)
#define CR0_ET		(1ULL << 4)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/* A vcpu_run_on() request, on the requester's stack. */
struct vcpu_work {
	void (*fn)(struct vcpu *vcpu, void *opaque);
	void *opaque;
	bool claimed;		/* the vCPU took it: it will finish it */
	bool done;
};

/* What a vCPU looked like when created, for machine reset. */
struct vcpu_reset_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp_state;
};

static int set_cpuid(struct vcpu *vcpu)
{
	struct machine *m = vcpu->machine;
	int tsc_khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	struct kvm_cpuid2 *cpuid;
	int ret;

	cpuid = cpuid_for_vcpu(&m->cpu, &m->topo, vcpu->apic_id,
			       tsc_khz > 0 ? tsc_khz : 0);
	if (!cpuid)
		return -1;
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	return ret;
}

static int save_reset_state(struct vcpu *vcpu)
{
	struct vcpu_reset_state *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return -1;
	vcpu->reset_state = rs;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &rs->regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &rs->sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_FPU, &rs->fpu) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_LAPIC, &rs->lapic) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_MP_STATE, &rs->mp_state) < 0)
		return -1;
	return 0;
}

void vcpu_flat_segment(struct kvm_segment *seg, uint16_t selector,
		       uint8_t type, bool long_mode)
{
	memset(seg, 0, sizeof(*seg));
	seg->selector = selector;
	seg->limit = 0xffffffff;
	seg->type = type;
	seg->present = 1;
	seg->s = 1;
	seg->g = 1;
	seg->l = long_mode;
	seg->db = !long_mode;
}

static void boot_sregs(struct kvm_sregs *sregs, const struct boot_state *bs)
{
	bool lm = bs->mode == BOOT_LONG64;

	vcpu_flat_segment(&sregs->cs, lm ? BOOT_CS64 : BOOT_CS32,
			  SEGMENT_CODE, lm);
	vcpu_flat_segment(&sregs->ds, BOOT_DS, SEGMENT_DATA, false);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	memset(&sregs->tr, 0, sizeof(sregs->tr));
	sregs->tr.selector = BOOT_TSS;
	sregs->tr.limit = 0x67;
	sregs->tr.type = 0xb;
	sregs->tr.present = 1;
	sregs->gdt.base = BOOT_GDT_ADDR;
	sregs->gdt.limit = BOOT_TSS + 15;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	sregs->cr0 = CR0_PE | CR0_ET;
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;
	if (lm) {
		sregs->cr0 |= CR0_PG;
		sregs->cr3 = BOOT_PML4_ADDR;
		sregs->cr4 = CR4_PAE;
		sregs->efer = EFER_LME | EFER_LMA;
	}
}

static int set_boot_state(struct vcpu *vcpu, const struct boot_state *bs)
{
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	boot_sregs(&sregs, bs);
	regs.rflags = 0x2;
	regs.rip = bs->entry;
	regs.rax = bs->rax;
	regs.rbx = bs->rbx;
	regs.rsi = bs->rsi;
	regs.rdi = bs->rdi;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return -1;
	return 0;
}

int vcpu_create(struct machine *m, struct vcpu *vcpu, int index, char *err,
		size_t errlen)
{
	vcpu->machine = m;
	vcpu->index = index;
	vcpu->apic_id = topology_apic_id(&m->topo, index);
	vcpu->fd = ioctl(m->kvm.vm_fd, KVM_CREATE_VCPU, vcpu->apic_id);
	if (vcpu->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU %d: %s", index,
			 strerror(errno));
		return -1;
	}
	vcpu->run = mmap(NULL, m->kvm.run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		snprintf(err, errlen, "mmap of vCPU %d: %s", index,
			 strerror(errno));
		return -1;
	}
	if (set_cpuid(vcpu) < 0 || save_reset_state(vcpu) < 0 ||
	    vcpu_reset(vcpu) < 0) {
		snprintf(err, errlen, "setting up vCPU %d: %s", index,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int vcpu_reset(struct vcpu *vcpu)
{
	struct vcpu_reset_state *rs = vcpu->reset_state;

	syscall_entry_reset(vcpu);
	if (ioctl(vcpu->fd, KVM_SET_REGS, &rs->regs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_SREGS, &rs->sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_FPU, &rs->fpu) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_LAPIC, &rs->lapic) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_MP_STATE, &rs->mp_state) < 0)
		return -1;
	/* Only the boot processor runs the kernel; APs wait for SIPI. */
	if (vcpu->index == 0)
		return set_boot_state(vcpu, &vcpu->machine->boot_state);
	return 0;
}

#define LINEAR_PAGE	4096ULL

/*
 * Page by page, since each page of a linear range translates on its own
 * (4 KiB at a time is right for large pages too).
 */
size_t vcpu_copy_linear(struct vcpu *vcpu, uint64_t linear, void *buf,
			size_t len, bool to_guest)
{
	struct kvm_translation tr;
	size_t done = 0, chunk;
	uint8_t *p;

	while (done < len) {
		tr = (struct kvm_translation){ .linear_address = linear };
		if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid ||
		    (to_guest && !tr.writeable))
			break;
		chunk = LINEAR_PAGE - (linear & (LINEAR_PAGE - 1));
		if (chunk > len - done)
			chunk = len - done;
		p = guest_ptr(&vcpu->machine->mem, tr.physical_address, chunk);
		if (!p)
			break;
		if (to_guest)
			memcpy(p, (uint8_t *)buf + done, chunk);
		else
			memcpy((uint8_t *)buf + done, p, chunk);
		done += chunk;
		linear += chunk;
	}
	return done;
}

static void handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	for (i = 0; i < run->io.count; i++, data += run->io.size)
		if (!bus_access(vcpu->machine->pio, run->io.port, data,
				run->io.size, is_write) && vcpu->machine->unimp)
			unimp_log_port(vcpu->machine->unimp, run->io.port,
				       is_write);
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len = run->mmio.len;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (!bus_access(vcpu->machine->mmio, run->mmio.phys_addr,
			run->mmio.data, len, run->mmio.is_write) &&
	    vcpu->machine->unimp)
		unimp_log_mmio(vcpu->machine->unimp, run->mmio.phys_addr,
			       run->mmio.is_write);
}

/* KVM cannot go on with this guest: say why, show where, end. */
static void guest_failed(struct vcpu *vcpu, const char *what)
{
	struct cpu_state st;

	error_report("vCPU %d: %s", vcpu->index, what);
	if (cpu_state_read(vcpu->fd, &st))
		fprintf(stderr, "registers unavailable: %s\n", strerror(errno));
	else
		cpu_state_print(stderr, &st, false);
	machine_guest_crashed(vcpu->machine);
}

/* Appends " 0x..." words or " xx" bytes while @msg has room. */
static size_t append_hex(char *msg, size_t size, size_t used,
			 const char *fmt, unsigned long long v)
{
	if (used < size)
		used += snprintf(msg + used, size - used, fmt, v);
	return used;
}

static void handle_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t insn[VCPU_INSN_MAX];
	size_t used, len = 0;
	char msg[320];
	uint32_t i;

	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    !vcpu_emulation_fallback(vcpu, insn, &len))
		return;
	used = snprintf(msg, sizeof(msg), "KVM internal error, suberror %u",
			run->internal.suberror);
	for (i = 0; i < run->internal.ndata && i < 16; i++)
		used = append_hex(msg, sizeof(msg), used, " 0x%llx",
				  run->internal.data[i]);
	for (i = 0; i < len; i++)
		used = append_hex(msg, sizeof(msg), used,
				  i ? " %02llx" : "; code at RIP: %02llx",
				  insn[i]);
	guest_failed(vcpu, msg);
}

static void handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char msg[96];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(vcpu);
		break;
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu);
		break;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault resets a PC. */
		machine_request_reset(vcpu->machine);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			machine_request_reset(vcpu->machine);
		else
			machine_request_shutdown(vcpu->machine,
						 SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		handle_internal_error(vcpu);
		break;
	case KVM_EXIT_X86_WRMSR:
		syscall_entry_wrmsr(vcpu);
		break;
	case KVM_EXIT_DEBUG:
		if (syscall_entry_debug(vcpu))
			guest_failed(vcpu, "unexpected debug exit");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(msg, sizeof(msg), "VM entry failed, reason 0x%llx",
			 (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason);
		guest_failed(vcpu, msg);
		break;
	default:
		snprintf(msg, sizeof(msg), "unexpected KVM exit reason %u",
			 run->exit_reason);
		guest_failed(vcpu, msg);
		break;
	}
}

/* Runs the pending vcpu_run_on() request; m->lock held. */
static void do_work_locked(struct vcpu *vcpu)
{
	struct machine *m = vcpu->machine;
	struct vcpu_work *w = vcpu->work;

	vcpu->work = NULL;
	w->claimed = true;
	pthread_mutex_unlock(&m->lock);
	w->fn(vcpu, w->opaque);
	pthread_mutex_lock(&m->lock);
	w->done = true;
	pthread_cond_broadcast(&m->cond);
}

/* Serves requests, and stays parked while the machine must not run. */
static void vcpu_serve(struct vcpu *vcpu)
{
	struct machine *m = vcpu->machine;

	pthread_mutex_lock(&m->lock);
	if (vcpu->work)
		do_work_locked(vcpu);
	if (m->pause) {
		m->nr_parked++;
		pthread_cond_broadcast(&m->cond);
		while (m->pause) {
			if (vcpu->work)
				do_work_locked(vcpu);
			else
				pthread_cond_wait(&m->cond, &m->lock);
		}
		m->nr_parked--;
	}
	pthread_mutex_unlock(&m->lock);
}

static void *vcpu_thread(void *opaque)
{
	struct vcpu *vcpu = opaque;
	struct machine *m = vcpu->machine;
	sigset_t set;
	char name[16];

	/*
	 * The name QEMU gives with debug-threads=on, which pinning scripts
	 * look for; set by the thread itself, so it is there before the
	 * guest runs.
	 */
	snprintf(name, sizeof(name), "CPU %d/KVM", vcpu->index);
	prctl(PR_SET_NAME, name);
	__atomic_store_n(&vcpu->tid, gettid(), __ATOMIC_RELEASE);
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	sandbox_enter(SANDBOX_VCPU);
	for (;;) {
		if (__atomic_load_n(&m->pause, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&vcpu->work, __ATOMIC_SEQ_CST))
			vcpu_serve(vcpu);
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&vcpu->run->immediate_exit, 0,
						 __ATOMIC_SEQ_CST);
				continue;
			}
			error_report("vCPU %d: KVM_RUN: %s", vcpu->index,
				     strerror(errno));
			machine_request_exit(m, EXIT_STATUS_ERROR);
			continue;
		}
		handle_exit(vcpu);
	}
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpu_start(struct vcpu *vcpu)
{
	static const struct sigaction sa = { .sa_handler = kick_handler };

	const struct config *cfg = vcpu->machine->cfg;
	pthread_attr_t attr;
	cpu_set_t cpus;
	int ret;

	sigaction(KICK_SIGNAL, &sa, NULL);
	pthread_attr_init(&attr);
	/* -pin-vcpus: pinned from birth, before the first KVM_RUN. */
	if (cfg->nr_pin_vcpus) {
		CPU_ZERO(&cpus);
		CPU_SET(cfg->pin_vcpus[vcpu->index], &cpus);
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	}
	ret = pthread_create(&vcpu->thread, &attr, vcpu_thread, vcpu);
	pthread_attr_destroy(&attr);
	return ret ? -1 : 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(vcpu->thread, KICK_SIGNAL);
}

int vcpu_run_on(struct vcpu *vcpu, void (*fn)(struct vcpu *vcpu, void *opaque),
		void *opaque)
{
	struct machine *m = vcpu->machine;
	struct vcpu_work w = { fn, opaque, false, false };
	struct timespec deadline;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += RUN_ON_TIMEOUT_S;
	pthread_mutex_lock(&m->lock);
	__atomic_store_n(&vcpu->work, &w, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&m->cond);
	vcpu_kick(vcpu);
	while (!w.done) {
		if (w.claimed) {
			pthread_cond_wait(&m->cond, &m->lock);
		} else if (pthread_cond_timedwait(&m->cond, &m->lock,
						  &deadline) == ETIMEDOUT &&
			   !w.claimed) {
			vcpu->work = NULL;
			ret = -1;
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}
