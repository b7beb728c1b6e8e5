// SPDX-License-Identifier: MIT
/*
 * -daemonize and -pidfile, as QEMU has them: the parent waits for the
 * daemon's word, the daemon leaves the session and the terminal, and the
 * PID file is locked (open file description locks, which also conflict
 * with QEMU's lockf() locks) and removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvmlite/daemon.h"

#define PIDFILE_TRIES	3

/* The original process: the daemon's first byte is its verdict. */
static void __attribute__((noreturn)) wait_for_daemon(int fd, pid_t child)
{
	char status = 1;

	waitpid(child, NULL, 0);
	if (read(fd, &status, 1) != 1)
		status = 1;
	_exit(status ? 1 : 0);
}

int daemon_begin(char *err, size_t errlen)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "-daemonize: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "-daemonize: cannot fork: %s",
			 strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		wait_for_daemon(fds[0], pid);
	}
	close(fds[0]);
	setsid();
	/* Not a session leader, so the daemon can never get a terminal. */
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	umask(027);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	return fds[1];
}

void daemon_ready(int fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char ok = 0;

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	if (write(fd, &ok, 1) != 1)
		_exit(1);
	close(fd);
}

static const char *pidfile_path;

static void pidfile_remove(void)
{
	unlink(pidfile_path);
}

/* The lock must be on the file the path names now, not one just removed. */
static int open_locked(const char *path, char *err, size_t errlen)
{
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat held, named;
	int fd, tries;

	for (tries = 0; tries < PIDFILE_TRIES; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "cannot create PID file: Could not create '%s': %s",
				 path, strerror(errno));
			return -1;
		}
		if (fcntl(fd, F_OFD_SETLK, &lock)) {
			snprintf(err, errlen, "cannot create PID file: Cannot lock pid file: %s",
				 strerror(errno));
			close(fd);
			return -1;
		}
		if (!fstat(fd, &held) && !stat(path, &named) &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
			return fd;
		close(fd);
	}
	snprintf(err, errlen,
		 "cannot create PID file: '%s' keeps being replaced", path);
	return -1;
}

int pidfile_create(const char *path, char *err, size_t errlen)
{
	char text[32];
	int fd = open_locked(path, err, errlen);
	int len;

	if (fd < 0)
		return -1;
	len = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || write(fd, text, len) != len) {
		snprintf(err, errlen, "cannot create PID file: Failed to write pid file: %s",
			 strerror(errno));
		close(fd);
		return -1;
	}
	/* The fd stays open: closing it would drop the lock. */
	pidfile_path = path;
	atexit(pidfile_remove);
	return 0;
}
