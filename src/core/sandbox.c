// SPDX-License-Identifier: MIT
/*
 * The seccomp sandbox: classic BPF filters written against
 * <linux/seccomp.h> and <linux/filter.h>, one allow-list per thread role.
 *
 * Why per thread and without TSYNC: a vCPU has no business accepting
 * connections and the I/O thread none running the guest, so each thread
 * installs its own role's filter on itself (sandbox_enter).  The roles'
 * filters are not stacked on a common one: a thread inherits its
 * creator's filter, and every thread kvmlite creates after the sandbox
 * is armed is created by one that already has its own, so inheritance
 * does the stacking where it happens, and the lists are built for it:
 *
 *   main  starts the vCPUs and the I/O thread before entering its own
 *         role (lifecycle.c), so they start from no filter;
 *   vCPU  starts virtio-blk threads (when the guest sets DRIVER_OK),
 *         which start block workers: a vCPU's list holds the block one;
 *   main  may start block workers while it flushes the disks at exit:
 *         its list holds the block one too.
 *
 * Block workers started before the sandbox was armed (none usually)
 * enter their role before their next request.
 *
 * Anything not on the list kills the whole process (a thread killed
 * alone would leave the machine hung); clone3 fails with ENOSYS instead,
 * so that glibc falls back to clone, whose flags a filter can check.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "kvmlite/log.h"
#include "kvmlite/sandbox.h"

#define FILTER_MAX	512
#define END		-1

#define ARG_LO(n)	(offsetof(struct seccomp_data, args[n]))

/* --- the allow-lists ------------------------------------------------------ */

/*
 * Every thread: memory, locks, signals, time, and messages on stderr.
 * glibc's malloc asks for the CPU count (sched_getaffinity) in the
 * thread that first needs an arena past the eighth: with qcow2's workers
 * that can be any block thread, at any point of the guest's I/O.
 */
static const int sys_base[] = {
	__NR_brk, __NR_munmap, __NR_madvise, __NR_mremap,
	__NR_futex, __NR_set_robust_list, __NR_rseq,
	__NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_restart_syscall,
	__NR_sched_yield, __NR_sched_getaffinity, __NR_exit, __NR_exit_group,
	__NR_gettid, __NR_getpid,
	__NR_clock_gettime, __NR_clock_nanosleep, __NR_nanosleep,
	__NR_write, __NR_writev, __NR_newfstatat, __NR_fstat, __NR_close,
	END
};

/*
 * What the ASan and UBSan runtimes add (make test SAN=1): each thread's
 * alternate signal stack, set up and torn down by the runtime at the
 * start of every thread (a device thread starts after the sandbox).  The
 * runtime's affinity query is in the base list already.
 */
static const int sys_sanitizers[] = {
#ifdef __SANITIZE_ADDRESS__
	__NR_sigaltstack,
#endif
	END
};

/* Waiting on and moving data through descriptors opened at setup. */
static const int sys_events[] = {
	__NR_read, __NR_readv, __NR_sendto, __NR_recvfrom,
	__NR_poll, __NR_ppoll, __NR_epoll_wait, __NR_epoll_pwait,
	__NR_epoll_ctl,
	END
};

/* Disk images: data, flushes, growth, and the io_uring rings. */
static const int sys_block[] = {
	__NR_pread64, __NR_pwrite64, __NR_preadv, __NR_pwritev,
	__NR_preadv2, __NR_pwritev2, __NR_lseek,
	__NR_fdatasync, __NR_fsync, __NR_fallocate, __NR_ftruncate,
	__NR_io_uring_enter,
	END
};

/* Devices the guest starts: virtio-blk's queues. */
static const int sys_devices[] = {
	__NR_epoll_create1, __NR_eventfd2,
	END
};

/* Device timers (PIT, RTC): programmed by the guest, reset by main. */
static const int sys_timers[] = {
	__NR_timerfd_settime, __NR_timerfd_gettime,
	END
};

/* The I/O thread: monitor clients come and go. */
static const int sys_clients[] = {
	__NR_accept4, __NR_getsockname, __NR_shutdown, __NR_sendmsg,
	__NR_recvmsg,
	END
};

/* The way out: PID file and socket paths go, images are unlocked. */
static const int sys_exit[] = {
	__NR_unlink, __NR_unlinkat,
	END
};

/* What a vCPU asks of KVM while it runs, and the interrupts it raises. */
static const uint32_t ioctl_vcpu[] = {
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_GET_FPU, KVM_GET_XSAVE, KVM_SET_XSAVE, KVM_GET_DEBUGREGS,
	KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, KVM_GET_MP_STATE,
	KVM_TRANSLATE, KVM_IRQ_LINE, KVM_SET_GSI_ROUTING, KVM_IRQFD,
	KVM_IOEVENTFD, KVM_GET_MSRS, KVM_SET_MSRS, KVM_SET_GUEST_DEBUG,
	KVM_SET_DEBUGREGS,
	END
};

/* Device threads only raise interrupts. */
static const uint32_t ioctl_block[] = {
	KVM_IRQ_LINE,
	END
};

/* Interrupts, and the terminal of a stdio chardev. */
static const uint32_t ioctl_io[] = {
	KVM_IRQ_LINE, KVM_SET_GSI_ROUTING, TCGETS, TCSETS, TIOCGWINSZ,
	END
};

/* Machine reset (every vCPU and the irqchip), and the terminal at exit. */
static const uint32_t ioctl_main[] = {
	KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_SET_FPU, KVM_SET_LAPIC, KVM_SET_MP_STATE,
	KVM_GET_IRQCHIP, KVM_SET_IRQCHIP, KVM_IRQ_LINE, KVM_SET_GSI_ROUTING,
	KVM_IRQFD, KVM_IOEVENTFD, TCGETS, TCSETS,
	END
};

/* Non-blocking mode, close-on-exec, and image locks dropped at exit. */
static const uint32_t fcntl_cmds[] = {
	F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_OFD_GETLK, F_OFD_SETLK,
	END
};

struct sandbox_policy {
	const char *name;
	const int *const *syscalls;	/* lists, NULL-terminated */
	const uint32_t *ioctls;
	bool spawns_threads;
	bool opens_proc;		/* read-only opens: /proc/PID/cmdline */
	bool accepts;			/* TCP_NODELAY on accepted sockets */
};

static const struct sandbox_policy policies[SANDBOX_NR_ROLES] = {
	[SANDBOX_MAIN] = {
		"main",
		(const int *const[]){ sys_base, sys_events, sys_block,
				       sys_timers, sys_exit, NULL },
		ioctl_main, true, false, false,
	},
	[SANDBOX_VCPU] = {
		"vCPU",
		(const int *const[]){ sys_base, sys_events, sys_block,
				       sys_devices, sys_timers, NULL },
		ioctl_vcpu, true, false, false,
	},
	[SANDBOX_IO] = {
		"I/O",
		(const int *const[]){ sys_base, sys_events, sys_clients,
				       sys_timers, NULL },
		ioctl_io, false, true, true,
	},
	[SANDBOX_BLOCK] = {
		"block",
		(const int *const[]){ sys_base, sys_events, sys_block, NULL },
		ioctl_block, true, false, false,
	},
};

/* --- building a filter ---------------------------------------------------- */

struct filter {
	struct sock_filter insns[FILTER_MAX];
	unsigned int len;
	bool overflow;
};

static void emit(struct filter *f, uint16_t code, uint32_t k, uint8_t jt,
		 uint8_t jf)
{
	if (f->len == FILTER_MAX) {
		f->overflow = true;
		return;
	}
	f->insns[f->len++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

static void emit_ret(struct filter *f, uint32_t action)
{
	emit(f, BPF_RET | BPF_K, action, 0, 0);
}

static void emit_load(struct filter *f, uint32_t offset)
{
	emit(f, BPF_LD | BPF_W | BPF_ABS, offset, 0, 0);
}

/* Skips the next @body instructions unless the call is @nr. */
static void emit_if_nr(struct filter *f, int nr, unsigned int body)
{
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, nr, 0, body);
}

static unsigned int list_len(const uint32_t *list)
{
	unsigned int n = 0;

	while (list[n] != (uint32_t)END)
		n++;
	return n;
}

/*
 * @nr is allowed if argument @arg's low 32 bits are one of @vals; else
 * it meets @otherwise.
 */
static void arg_in(struct filter *f, int nr, unsigned int arg,
		   const uint32_t *vals, uint32_t otherwise)
{
	unsigned int i, n = list_len(vals);

	emit_if_nr(f, nr, n + 3);
	emit_load(f, ARG_LO(arg));
	for (i = 0; i < n; i++)
		emit(f, BPF_JMP | BPF_JEQ | BPF_K, vals[i], n - i, 0);
	emit_ret(f, otherwise);
	emit_ret(f, SECCOMP_RET_ALLOW);
}

static void allow_arg_in(struct filter *f, int nr, unsigned int arg,
			 const uint32_t *vals)
{
	arg_in(f, nr, arg, vals, SECCOMP_RET_KILL_PROCESS);
}

/* @nr is allowed if argument @arg has no bit of @bits set. */
static void allow_arg_without(struct filter *f, int nr, unsigned int arg,
			      uint32_t bits)
{
	emit_if_nr(f, nr, 4);
	emit_load(f, ARG_LO(arg));
	emit(f, BPF_JMP | BPF_JSET | BPF_K, bits, 0, 1);
	emit_ret(f, SECCOMP_RET_KILL_PROCESS);
	emit_ret(f, SECCOMP_RET_ALLOW);
}

/* @nr is allowed if argument @arg has every bit of @bits set. */
static void allow_arg_with(struct filter *f, int nr, unsigned int arg,
			   uint32_t bits)
{
	emit_if_nr(f, nr, 5);
	emit_load(f, ARG_LO(arg));
	emit(f, BPF_ALU | BPF_AND | BPF_K, bits, 0, 0);
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, bits, 1, 0);
	emit_ret(f, SECCOMP_RET_KILL_PROCESS);
	emit_ret(f, SECCOMP_RET_ALLOW);
}

static void allow_list(struct filter *f, const int *list)
{
	for (; *list != END; list++) {
		emit_if_nr(f, *list, 1);
		emit_ret(f, SECCOMP_RET_ALLOW);
	}
}

/* x86-64 calls only: the i386 and x32 tables would bypass the lists. */
static void check_arch(struct filter *f)
{
	emit_load(f, offsetof(struct seccomp_data, arch));
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	emit_ret(f, SECCOMP_RET_KILL_PROCESS);
	emit_load(f, offsetof(struct seccomp_data, nr));
	emit(f, BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1);
	emit_ret(f, SECCOMP_RET_KILL_PROCESS);
}

/* What every role needs, with the arguments that would widen it. */
static void allow_common(struct filter *f)
{
	/* Naming itself, and confining itself further: a virtio-blk thread
	 * that a vCPU starts installs the block filter under the vCPU's. */
	static const uint32_t prctls[] = {
		PR_SET_NAME, PR_SET_NO_NEW_PRIVS, END
	};
	static const uint32_t seccomp_ops[] = {
		SECCOMP_SET_MODE_FILTER, END
	};
	pid_t self = getpid();

	/* Never new executable memory. */
	allow_arg_without(f, __NR_mmap, 2, PROT_EXEC);
	allow_arg_without(f, __NR_mprotect, 2, PROT_EXEC);
	/* Signals (vCPU kicks, abort) only to this process's threads. */
	allow_arg_in(f, __NR_tgkill, 0, (const uint32_t[]){ self, END });
	allow_arg_in(f, __NR_prctl, 0, prctls);
	allow_arg_in(f, __NR_seccomp, 0, seccomp_ops);
	allow_arg_in(f, __NR_fcntl, 1, fcntl_cmds);
}

static void build(struct filter *f, const struct sandbox_policy *p)
{
	static const uint32_t read_only[] = { O_RDONLY | O_CLOEXEC, END };
	static const uint32_t no_flags[] = { END };
	const int *const *list;

	f->len = 0;
	f->overflow = false;
	check_arch(f);
	for (list = p->syscalls; *list; list++)
		allow_list(f, *list);
	allow_list(f, sys_sanitizers);
	allow_common(f);
	allow_arg_in(f, __NR_ioctl, 1, p->ioctls);
	if (p->spawns_threads) {
		allow_arg_with(f, __NR_clone, 0, CLONE_THREAD | CLONE_VM);
		emit_if_nr(f, __NR_clone3, 1);
		emit_ret(f, SECCOMP_RET_ERRNO | ENOSYS);
	}
	if (p->accepts)
		allow_arg_in(f, __NR_setsockopt, 2,
			     (const uint32_t[]){ TCP_NODELAY, END });
	/*
	 * Opens fail rather than kill: glibc's malloc opens
	 * /proc/sys/vm/overcommit_memory the first time it trims a
	 * thread's heap, and copes without it.
	 */
	arg_in(f, __NR_openat, 2, p->opens_proc ? read_only : no_flags,
	       SECCOMP_RET_ERRNO | EACCES);
	emit_ret(f, SECCOMP_RET_KILL_PROCESS);
}

/* --- installing it -------------------------------------------------------- */

static bool armed;
static __thread bool entered;

void sandbox_arm(void)
{
#ifdef __SANITIZE_ADDRESS__
	/*
	 * LeakSanitizer's check at exit stops the world with ptrace from a
	 * tracer process, which no list allows: it checks the setup now,
	 * and not again.
	 */
	__lsan_do_leak_check();
#endif
	__atomic_store_n(&armed, true, __ATOMIC_RELEASE);
}

bool sandbox_armed(void)
{
	return __atomic_load_n(&armed, __ATOMIC_ACQUIRE);
}

const char *sandbox_role_name(enum sandbox_role role)
{
	return policies[role].name;
}

int sandbox_install(enum sandbox_role role)
{
	struct filter f;
	struct sock_fprog prog;

	build(&f, &policies[role]);
	if (f.overflow) {
		errno = E2BIG;
		return -1;
	}
	prog.len = f.len;
	prog.filter = f.insns;
	/* Without it, only CAP_SYS_ADMIN may install a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

void sandbox_enter(enum sandbox_role role)
{
	if (entered || !sandbox_armed())
		return;
	if (sandbox_install(role)) {
		error_report("cannot install the sandbox of the %s thread: %s",
			     sandbox_role_name(role), strerror(errno));
		_exit(1);
	}
	entered = true;
}
