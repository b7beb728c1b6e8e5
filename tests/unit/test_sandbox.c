// SPDX-License-Identifier: MIT
/*
 * The sandbox's filters, as kvmlite installs them: each case forks, the
 * child takes on a role with sandbox_install() and makes one call, and
 * the parent looks at how the child ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "check.h"
#include "kvmlite/config.h"
#include "kvmlite/sandbox.h"

#define ENDED_OK	0
#define KILLED		-SIGSYS

typedef int (*call_fn)(void);

/* ENDED_OK if @call returned 0 under @role, KILLED if it was killed. */
static int run_as(enum sandbox_role role, call_fn call)
{
	int status;
	pid_t pid = fork();

	/* exit_group itself: ASan's _exit would run LeakSanitizer. */
	if (pid == 0)
		syscall(SYS_exit_group, sandbox_install(role) ? 2 :
					call() ? 1 : 0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1000;
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int call_getpid(void)
{
	return getpid() > 0 ? 0 : -1;
}

static int call_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
	return 0;
}

/* 0 if opening /dev/null with @flags failed with EACCES. */
static int open_refused(int flags)
{
	return open("/dev/null", flags) < 0 && errno == EACCES ? 0 : -1;
}

static int call_open_for_writing(void)
{
	return open_refused(O_WRONLY | O_CLOEXEC);
}

static int call_open_read_only(void)
{
	return open_refused(O_RDONLY | O_CLOEXEC);
}

static int call_open_proc_read_only(void)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	return fd >= 0 ? close(fd) : -1;
}

/* On no KVM fd at all: the filter looks at the number, not the fd. */
static int call_kvm_run(void)
{
	return ioctl(-1, KVM_RUN, 0) < 0 && errno == EBADF ? 0 : -1;
}

static int call_kvm_create_vcpu(void)
{
	ioctl(-1, KVM_CREATE_VCPU, 0);
	return 0;
}

static int call_exec_mapping(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	     -1, 0);
	return 0;
}

static int call_data_mapping(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? -1 : munmap(p, 4096);
}

static int call_fork(void)
{
	syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	return 0;
}

static int call_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 0 : -1;
}

static int call_x32_getpid(void)
{
	syscall(SYS_getpid | __X32_SYSCALL_BIT);
	return 0;
}

static int call_signal_other_process(void)
{
	syscall(SYS_tgkill, 1, 1, 0);
	return 0;
}

static int call_setuid(void)
{
	syscall(SYS_setuid, 0);
	return 0;
}

/* A device thread confined on its own, as kvmlite's are. */
static void *block_thread(void *opaque)
{
	(void)opaque;
	if (sandbox_install(SANDBOX_BLOCK))
		_exit(2);
	call_socket();
	return NULL;
}

/* The main thread has no filter: only the whole process's end stops it. */
static int call_socket_from_device_thread(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, block_thread, NULL))
		return -1;
	pthread_join(t, NULL);
	return 0;
}

TEST(forbidden_call_from_device_thread_kills_the_process)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(call_socket_from_device_thread() ? 1 : 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
}

TEST(forbidden_call_from_io_thread_kills_the_process)
{
	CHECK_EQ(run_as(SANDBOX_IO, call_socket), KILLED);
	CHECK_EQ(run_as(SANDBOX_IO, call_fork), KILLED);
}

TEST(allowed_call_passes)
{
	CHECK_EQ(run_as(SANDBOX_IO, call_getpid), ENDED_OK);
	CHECK_EQ(run_as(SANDBOX_BLOCK, call_data_mapping), ENDED_OK);
}

TEST(every_role_forbids_exec_memory_and_privileges)
{
	int role;

	for (role = 0; role < SANDBOX_NR_ROLES; role++) {
		CHECK_EQ(run_as(role, call_exec_mapping), KILLED);
		CHECK_EQ(run_as(role, call_setuid), KILLED);
		CHECK_EQ(run_as(role, call_x32_getpid), KILLED);
		CHECK_EQ(run_as(role, call_signal_other_process), KILLED);
		CHECK_EQ(run_as(role, call_socket), KILLED);
	}
}

TEST(ioctl_numbers_are_checked)
{
	CHECK_EQ(run_as(SANDBOX_VCPU, call_kvm_run), ENDED_OK);
	CHECK_EQ(run_as(SANDBOX_VCPU, call_kvm_create_vcpu), KILLED);
	CHECK_EQ(run_as(SANDBOX_IO, call_kvm_run), KILLED);
}

/* Refused opens fail (glibc's malloc tries one) instead of killing. */
TEST(open_flags_are_checked)
{
	CHECK_EQ(run_as(SANDBOX_IO, call_open_proc_read_only), ENDED_OK);
	CHECK_EQ(run_as(SANDBOX_IO, call_open_for_writing), ENDED_OK);
	CHECK_EQ(run_as(SANDBOX_VCPU, call_open_read_only), ENDED_OK);
	CHECK_EQ(run_as(SANDBOX_BLOCK, call_open_for_writing), ENDED_OK);
}

TEST(threads_only_and_clone3_falls_back)
{
	CHECK_EQ(run_as(SANDBOX_VCPU, call_fork), KILLED);
	CHECK_EQ(run_as(SANDBOX_VCPU, call_clone3), ENDED_OK);
}

/* Before sandbox_arm(), entering a role installs nothing. */
TEST(enter_before_arming_does_nothing)
{
	CHECK(!sandbox_armed());
	sandbox_enter(SANDBOX_IO);
	CHECK_EQ(run_as(SANDBOX_MAIN, call_getpid), ENDED_OK);
	CHECK_EQ(socket(AF_UNIX, SOCK_STREAM, 0) >= 0, 1);
}

static void check_option(const char *text, int ret, bool on, const char *msg)
{
	struct config cfg = { .sandbox = !on };
	char err[256] = "";

	CHECK_EQ(sandbox_option(&cfg, "-sandbox", text, err, sizeof(err)),
		 ret);
	if (!ret)
		CHECK_EQ(cfg.sandbox, on);
	CHECK_STR(err, msg);
}

TEST(option_as_qemu_parses_it)
{
	check_option("on", 0, true, "");
	check_option("off", 0, false, "");
	check_option("on,obsolete=deny,elevateprivileges=children,spawn=deny,resourcecontrol=deny",
		     0, true, "");
	check_option("off,spawn=maybe", 0, false, "");
	check_option("on,spawn=maybe", -1, false,
		     "-sandbox on,spawn=maybe: invalid argument for spawn");
	check_option("on,bogus=1", -1, false,
		     "-sandbox on,bogus=1: Invalid parameter 'bogus'");
	check_option("maybe", -1, false,
		     "-sandbox maybe: Parameter 'enable' expects 'on' or 'off'");
}

int main(void)
{
	RUN(forbidden_call_from_device_thread_kills_the_process);
	RUN(forbidden_call_from_io_thread_kills_the_process);
	RUN(allowed_call_passes);
	RUN(every_role_forbids_exec_memory_and_privileges);
	RUN(ioctl_numbers_are_checked);
	RUN(open_flags_are_checked);
	RUN(threads_only_and_clone3_falls_back);
	RUN(enter_before_arming_does_nothing);
	RUN(option_as_qemu_parses_it);
	return check_summary();
}
