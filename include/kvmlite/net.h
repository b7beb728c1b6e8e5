/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_NET_H
#define KVMLITE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/virtio_net.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * Network backends (-netdev) and the NICs that use them.  A backend
 * carries Ethernet frames without a preamble or FCS between one NIC and
 * the host.  Frames from the host reach the NIC on the I/O thread
 * through its peer; frames from the NIC go out on whichever thread the
 * NIC sends them from (a vCPU's, as it processes its transmit ring).
 *
 * Backpressure: a NIC with no room for a frame pauses the backend and
 * refuses the frame; the backend keeps that one frame, stops reading
 * the host side, and offers it again once the NIC resumes it.  So the
 * host's own queue fills and throttles the sender, and nothing is
 * dropped or buffered without bound.
 *
 * Offloads: a backend with @offloads set takes, with each frame from the
 * NIC, a struct virtio_net_hdr (virtio 1.2, 5.1.6) in host byte order,
 * as legacy virtio has it: a checksum the host completes (NEEDS_CSUM)
 * and TCP segmentation the host does (GSO).  A NIC only fills one in
 * after checking every field against the frame it describes.  Frames
 * to the NIC always come complete: no partial checksums, no GSO.
 */

struct ioloop;
struct machine;
struct netdev;
struct netdev_config;

/* The largest frame a backend passes, in bytes (a TAP's maximum). */
#define NET_MAX_FRAME		65536
/* The shortest Ethernet frame without its FCS; shorter ones get padded. */
#define NET_MIN_FRAME		60
#define ETH_ALEN		6

/* The NIC's side of a backend. */
struct net_peer {
	/*
	 * A frame from the host, on the I/O thread: returns 0 once the
	 * NIC took it (or dropped it), or -1 after pausing the backend with
	 * netdev_pause(), when the NIC has no room for it now.
	 */
	int (*receive)(void *opaque, const void *frame, size_t len);
	void *opaque;
};

struct netdev_ops {
	/*
	 * One frame; never blocks; -1 if the host refused it.  @vh is
	 * NULL for a complete frame, and may be set only with @offloads.
	 */
	ssize_t (*send)(struct netdev *nd, const struct virtio_net_hdr *vh,
			const struct iovec *iov, int iovcnt);
	/* Starts offering host frames to the peer from @loop. */
	int (*start)(struct netdev *nd, struct ioloop *loop);
	/* Stops or restarts offering frames; any thread. */
	void (*pause)(struct netdev *nd, bool paused);
	/* Runs the down script, if any, and releases everything. */
	void (*close)(struct netdev *nd);
};

struct netdev {
	const struct netdev_ops *ops;
	const char *id;			/* the user's id= */
	const char *info;		/* info network's text for it */
	struct net_peer peer;		/* set once a NIC claims it */
	bool offloads;			/* send() takes a virtio_net_hdr */
};

/* The longest info network text of a client. */
#define NET_INFO_LEN		(64 + 2 * 256)

static inline ssize_t netdev_send(struct netdev *nd,
				  const struct virtio_net_hdr *vh,
				  const struct iovec *iov, int iovcnt)
{
	return nd->ops->send(nd, vh, iov, iovcnt);
}

static inline void netdev_pause(struct netdev *nd, bool paused)
{
	nd->ops->pause(nd, paused);
}

/*
 * -netdev tap: opens /dev/net/tun (or takes fd=), creates or attaches
 * the interface, and runs the up script with the interface's name.
 * NULL with QEMU's message in @err.
 */
struct netdev *tap_open(const struct netdev_config *cfg, char *err,
			size_t errlen);

/*
 * Registers the provider of "info network" for the NICs of @m and the
 * opened @netdevs (one per config netdev); 0 or -1.
 */
int net_info_init(struct machine *m, struct netdev *const *netdevs);

/* Opens every -netdev and puts every NIC on the PCI bus; 0 or -1. */
int net_machine_init(struct machine *m, char *err, size_t errlen);

/*
 * Runs @script with @ifname as its only argument and waits for it:
 * 0, or its wait status (QEMU reports "failed with status N").
 */
int net_run_script(const char *script, const char *ifname);

/*
 * Down scripts run at exit, when the sandbox forbids fork and -runas may
 * have taken the right to configure the interface (src/net/scripts.c).
 * net_downscript_add() records one at setup and returns its handle (or
 * -1 when out of room); net_script_helper_start() forks the process
 * that keeps the rights and runs them, with /dev/null for stdio if
 * @detach; net_downscript_run() runs one, through the helper if there
 * is one, and returns as net_run_script() does.
 */
int net_downscript_add(const char *script, const char *ifname);
int net_script_helper_start(bool detach);
int net_downscript_run(int handle);

#endif
