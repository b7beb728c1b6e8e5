// SPDX-License-Identifier: MIT
/*
 * SIGTERM, SIGINT and SIGHUP end the machine as they end QEMU: a line
 * naming the signal and its sender, then exit status 0 through the same
 * path as every other exit, so that exit hooks (TAP down scripts) run.
 * The signals are blocked in every thread and read from a signalfd on
 * the I/O thread.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "kvmlite/ioloop.h"
#include "kvmlite/log.h"
#include "kvmlite/machine.h"

/* The sender's argv[0], as QEMU shows it; "" if it cannot be read. */
static void sender_name(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

static void on_signal(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;
	char name[256];

	(void)events;
	if (read(m->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	sender_name(si.ssi_pid, name, sizeof(name));
	error_report("terminating on signal %u from pid %u (%s)",
		     si.ssi_signo, si.ssi_pid, name);
	machine_request_exit(m, 0);
}

int machine_catch_signals(struct machine *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	m->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->signal_fd < 0)
		return -1;
	return ioloop_add(m->ioloop, m->signal_fd, EPOLLIN, on_signal, m);
}
