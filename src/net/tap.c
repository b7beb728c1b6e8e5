// SPDX-License-Identifier: MIT
/*
 * -netdev tap: a TAP interface from /dev/net/tun (IFF_TAP | IFF_NO_PI),
 * or one the caller opened (fd=).  Each read() of its file descriptor
 * is one frame from the host and each write() one frame to it; the
 * descriptor is non-blocking and read on the I/O thread.
 *
 * With IFF_VNET_HDR (vnet_hdr=, by default whenever the kernel has it;
 * for fd= whatever the opener chose) every frame is preceded by a
 * struct virtio_net_hdr, which lets a NIC hand the kernel one 64 KiB TCP
 * frame to segment and checksums to complete.  The header is the
 * 10-byte legacy one: the 12-byte variant only adds num_buffers, which
 * counts mergeable receive buffers, something a TAP has no use for.
 * Receive offloads stay off (TUNSETOFFLOAD 0): a NIC's guest may have
 * buffers smaller than a GSO frame, so the kernel segments and
 * checksums what it sends us, and the header we strip says nothing.
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

#include "kvmlite/checksum.h"
#include "kvmlite/config.h"
#include "kvmlite/ioloop.h"
#include "kvmlite/log.h"
#include "kvmlite/net.h"

#define TUN_DEVICE	"/dev/net/tun"
#define VNET_HDR_LEN	((int)sizeof(struct virtio_net_hdr))

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

/* A NIC's frame has at most a few pieces; the header makes one more. */
#define TAP_MAX_IOV	8

static ssize_t tap_send(struct netdev *nd, const struct virtio_net_hdr *vh,
			const struct iovec *iov, int iovcnt)
{
	static const struct virtio_net_hdr plain;
	struct tap *tap = (struct tap *)nd;
	struct iovec all[TAP_MAX_IOV + 1];
	ssize_t n;

	if (nd->offloads) {
		if (iovcnt > TAP_MAX_IOV)
			return -1;
		all[0] = (struct iovec){ (void *)(vh ? vh : &plain),
					 VNET_HDR_LEN };
		memcpy(all + 1, iov, iovcnt * sizeof(*iov));
		iov = all;
		iovcnt++;
	}
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

/*
 * With receive offloads off the kernel completes checksums itself, but
 * should a partial one come, it is finished here, as a NIC's peer
 * expects complete frames.  GSO frames cannot come; one that did would
 * be more than the NIC could take: dropped (0).
 */
static ssize_t finish_frame(struct tap *tap, const struct virtio_net_hdr *vh,
			    ssize_t len)
{
	uint32_t start = vh->csum_start, field = start + vh->csum_offset;
	uint16_t sum;

	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return len;
	if (start >= len || field + 2 > len)
		return 0;
	sum = ~csum_fold(csum_add(0, tap->frame + start, len - start));
	/* A computed 0 goes out as 0xffff, which UDP needs (RFC 768). */
	sum = sum ? sum : 0xffff;
	tap->frame[field] = sum >> 8;
	tap->frame[field + 1] = sum;
	return len;
}

/* One frame from the host, its header stripped: its length, or <= 0. */
static ssize_t read_frame(struct tap *tap)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2] = {
		{ &vh, VNET_HDR_LEN },
		{ tap->frame, sizeof(tap->frame) },
	};
	ssize_t n;

	if (!tap->nd.offloads)
		return read(tap->fd, tap->frame, sizeof(tap->frame));
	do {
		n = readv(tap->fd, iov, 2);
		if (n < VNET_HDR_LEN)
			return n < 0 ? n : 0;
		n = finish_frame(tap, &vh, n - VNET_HDR_LEN);
	} while (!n);
	return n;
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
		n = read_frame(tap);
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

/*
 * IFF_VNET_HDR, unless vnet_hdr=off; vnet_hdr=on fails without it, as
 * QEMU does.  The kernel lists what it supports in TUNGETFEATURES.
 */
static int vnet_hdr_flag(struct tap *tap, const struct netdev_config *cfg,
			 char *err, size_t errlen, short *flags)
{
	unsigned int features = 0;

	if (!cfg->vnet_hdr)
		return 0;
	if (!ioctl(tap->fd, TUNGETFEATURES, &features) &&
	    (features & IFF_VNET_HDR)) {
		*flags |= IFF_VNET_HDR;
		return 0;
	}
	if (cfg->vnet_hdr < 0)
		return 0;
	return tap_fail(cfg, err, errlen,
			"vnet_hdr=1 requested, but no kernel support for IFF_VNET_HDR available");
}

static int tap_create(struct tap *tap, const struct netdev_config *cfg,
		      char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

	tap->fd = open(TUN_DEVICE, O_RDWR | O_CLOEXEC);
	if (tap->fd < 0)
		return tap_fail(cfg, err, errlen, "could not open %s: %s",
				TUN_DEVICE, strerror(errno));
	if (vnet_hdr_flag(tap, cfg, err, errlen, &ifr.ifr_flags))
		return -1;
	memcpy(ifr.ifr_name, cfg->ifname, sizeof(cfg->ifname));
	if (ioctl(tap->fd, TUNSETIFF, &ifr))
		return tap_fail(cfg, err, errlen,
				"could not configure %s (%s): %s", TUN_DEVICE,
				cfg->ifname, strerror(errno));
	set_ifname(tap, ifr.ifr_name);
	tap->nd.offloads = ifr.ifr_flags & IFF_VNET_HDR;
	return 0;
}

/*
 * fd=: a TAP someone else set up; kvmlite runs no script for it, and
 * uses a vnet header if the opener asked for IFF_VNET_HDR, as QEMU does.
 */
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
	tap->nd.offloads = ifr.ifr_flags & IFF_VNET_HDR;
	fcntl(tap->fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Our header size (an fd='s opener may have set another), no RX GSO. */
static int vnet_hdr_setup(struct tap *tap, const struct netdev_config *cfg,
			  char *err, size_t errlen)
{
	int size = VNET_HDR_LEN;

	if (!tap->nd.offloads)
		return 0;
	if (ioctl(tap->fd, TUNSETVNETHDRSZ, &size) ||
	    ioctl(tap->fd, TUNSETOFFLOAD, 0UL))
		return tap_fail(cfg, err, errlen,
				"cannot set up the vnet header of %s: %s",
				tap->ifname, strerror(errno));
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
	    vnet_hdr_setup(tap, cfg, err, errlen) ||
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
