// SPDX-License-Identifier: MIT
/*
 * -netdev tap: a TAP interface from /dev/net/tun (IFF_TAP | IFF_NO_PI),
 * or one the caller opened (fd=).  Each read() of its file descriptor
 * is one frame from the host and each write() one frame to it; the
 * descriptor is non-blocking and read on the I/O thread.
 *
 * The up script runs once the interface exists (still down), the down
 * script at exit while it still exists, both with the interface name as
 * their only argument, as QEMU runs them.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvmlite/config.h"
#include "kvmlite/ioloop.h"
#include "kvmlite/log.h"
#include "kvmlite/net.h"

#define TUN_DEVICE	"/dev/net/tun"

struct tap {
	struct netdev nd;
	int fd;
	struct ioloop *loop;
	char id[NET_ID_LEN];
	char ifname[IFNAMSIZ];
	char downscript[NET_PATH_LEN];
	int down;		/* net_downscript_add()'s handle */
	char info[NET_INFO_LEN];
	/* The frame the NIC refused last; offered again on resume. */
	size_t pending;
	uint8_t frame[NET_MAX_FRAME];
};

int net_run_script(const char *script, const char *ifname)
{
	char *const argv[] = { (char *)script, (char *)ifname, NULL };
	sigset_t none;
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1 << 8;
	if (pid == 0) {
		/* kvmlite blocks its exit signals; the script must not. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close_range(STDERR_FILENO + 1, ~0U, 0);
		execv(script, argv);
		_exit(1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1 << 8;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : status;
}

static ssize_t tap_send(struct netdev *nd, const struct iovec *iov,
			int iovcnt)
{
	struct tap *tap = (struct tap *)nd;
	ssize_t n;

	do
		n = writev(tap->fd, iov, iovcnt);
	while (n < 0 && errno == EINTR);
	return n;
}

static void tap_pause(struct netdev *nd, bool paused)
{
	struct tap *tap = (struct tap *)nd;

	/*
	 * On resume, EPOLLOUT (a TAP is always writable) brings the I/O
	 * thread back at once for the pending frame, even when the host
	 * has sent nothing new.
	 */
	ioloop_modify(tap->loop, tap->fd, paused ? 0 : EPOLLIN | EPOLLOUT);
}

/* True once the NIC has taken the pending frame, if there was one. */
static bool offer_pending(struct tap *tap)
{
	if (!tap->pending)
		return true;
	if (tap->nd.peer.receive(tap->nd.peer.opaque, tap->frame,
				 tap->pending))
		return false;
	tap->pending = 0;
	return true;
}

static void tap_readable(void *opaque, uint32_t events)
{
	struct tap *tap = opaque;
	ssize_t n;

	if (!offer_pending(tap))
		return;
	if (events & EPOLLOUT)
		ioloop_modify(tap->loop, tap->fd, EPOLLIN);
	for (;;) {
		n = read(tap->fd, tap->frame, sizeof(tap->frame));
		if (n <= 0)
			return;
		if (tap->nd.peer.receive(tap->nd.peer.opaque, tap->frame,
					 n)) {
			tap->pending = n;
			return;
		}
	}
}

static int tap_start(struct netdev *nd, struct ioloop *loop)
{
	struct tap *tap = (struct tap *)nd;

	tap->loop = loop;
	return ioloop_add(loop, tap->fd, EPOLLIN, tap_readable, tap);
}

static void tap_close(struct netdev *nd)
{
	struct tap *tap = (struct tap *)nd;
	int status;

	if (tap->downscript[0]) {
		status = net_downscript_run(tap->down);
		if (status)
			error_report("network script %s failed with status %d",
				     tap->downscript, status);
	}
	if (tap->loop)
		ioloop_remove(tap->loop, tap->fd);
	close(tap->fd);
	free(tap);
}

static const struct netdev_ops tap_ops = {
	.send = tap_send,
	.start = tap_start,
	.pause = tap_pause,
	.close = tap_close,
};

/* "<option> <arg>: <message>", as QEMU words errors of a -netdev. */
static int tap_fail(const struct netdev_config *cfg, char *err,
		    size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror(err, errlen, cfg->opt, cfg->arg, fmt, ap);
	va_end(ap);
	return -1;
}

static void set_ifname(struct tap *tap, const char *name)
{
	memcpy(tap->ifname, name, IFNAMSIZ);
	tap->ifname[IFNAMSIZ - 1] = '\0';
}

static int tap_create(struct tap *tap, const struct netdev_config *cfg,
		      char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

	tap->fd = open(TUN_DEVICE, O_RDWR | O_CLOEXEC);
	if (tap->fd < 0)
		return tap_fail(cfg, err, errlen, "could not open %s: %s",
				TUN_DEVICE, strerror(errno));
	memcpy(ifr.ifr_name, cfg->ifname, sizeof(cfg->ifname));
	if (ioctl(tap->fd, TUNSETIFF, &ifr))
		return tap_fail(cfg, err, errlen,
				"could not configure %s (%s): %s", TUN_DEVICE,
				cfg->ifname, strerror(errno));
	set_ifname(tap, ifr.ifr_name);
	return 0;
}

/* fd=: a TAP someone else set up; kvmlite runs no script for it. */
static int tap_adopt(struct tap *tap, const struct netdev_config *cfg,
		     char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };

	if (fcntl(cfg->fd, F_GETFD) < 0)
		return tap_fail(cfg, err, errlen,
				"%s: Can't use file descriptor %d: %s",
				cfg->id, cfg->fd, strerror(errno));
	if (ioctl(cfg->fd, TUNGETIFF, &ifr))
		return tap_fail(cfg, err, errlen,
				"Unable to query TUNGETIFF on FD %d: %s",
				cfg->fd, strerror(errno));
	tap->fd = cfg->fd;
	set_ifname(tap, ifr.ifr_name);
	fcntl(tap->fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

static int tap_up(struct tap *tap, const struct netdev_config *cfg,
		  char *err, size_t errlen)
{
	int status;

	if (fcntl(tap->fd, F_SETFL, fcntl(tap->fd, F_GETFL) | O_NONBLOCK))
		return tap_fail(cfg, err, errlen,
				"cannot make %s non-blocking: %s",
				tap->ifname, strerror(errno));
	if (cfg->fd >= 0 || !cfg->script[0])
		return 0;
	status = net_run_script(cfg->script, tap->ifname);
	if (status)
		return tap_fail(cfg, err, errlen,
				"network script %s failed with status %d",
				cfg->script, status);
	return 0;
}

static const char *script_or_no(const char *script)
{
	return script[0] ? script : "no";
}

/* As QEMU describes a TAP in info network. */
static void describe(struct tap *tap, const struct netdev_config *cfg)
{
	if (cfg->fd >= 0)
		snprintf(tap->info, sizeof(tap->info),
			 "index=0,type=tap,fd=%d", cfg->fd);
	else
		snprintf(tap->info, sizeof(tap->info),
			 "index=0,type=tap,ifname=%s,script=%s,downscript=%s",
			 tap->ifname, script_or_no(cfg->script),
			 script_or_no(cfg->downscript));
}

struct netdev *tap_open(const struct netdev_config *cfg, char *err,
			size_t errlen)
{
	struct tap *tap = calloc(1, sizeof(*tap));

	if (!tap) {
		tap_fail(cfg, err, errlen, "out of memory");
		return NULL;
	}
	tap->fd = -1;
	if ((cfg->fd >= 0 ? tap_adopt(tap, cfg, err, errlen) :
	     tap_create(tap, cfg, err, errlen)) ||
	    tap_up(tap, cfg, err, errlen)) {
		if (tap->fd >= 0)
			close(tap->fd);
		free(tap);
		return NULL;
	}
	if (cfg->fd < 0 && cfg->downscript[0]) {
		memcpy(tap->downscript, cfg->downscript, NET_PATH_LEN);
		tap->down = net_downscript_add(tap->downscript, tap->ifname);
		if (tap->down < 0)
			tap->downscript[0] = '\0';
	}
	memcpy(tap->id, cfg->id, NET_ID_LEN);
	describe(tap, cfg);
	tap->nd.ops = &tap_ops;
	tap->nd.id = tap->id;
	tap->nd.info = tap->info;
	return &tap->nd;
}
