// SPDX-License-Identifier: MIT
/*
 * "unix:PATH[,server][,nowait]": a stream socket, connecting out or
 * listening for one client at a time.
 *
 * The connection is non-blocking and output is sent with MSG_DONTWAIT:
 * what the peer has no room for, and everything while no peer is
 * connected, is dropped so that a stuck or absent client never stalls a
 * vCPU.  A server goes back to listening when its client leaves; a client
 * whose server goes away stays disconnected (QEMU without reconnect=).
 *
 * Locking: @lock covers @conn and the input registration, which the I/O
 * thread swaps on connect and disconnect while vCPUs write.  It is never
 * held while calling into the frontend, whose own lock may be held by a
 * vCPU calling write or accept_input.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kvmlite/ioloop.h"
#include "kvmlite/log.h"
#include "chardev_priv.h"

struct unix_chardev {
	struct chardev chr;
	struct chardev_input in;
	struct ioloop *loop;
	struct sockaddr_un addr;
	int listen_fd;		/* server only, else -1 */
	int conn;		/* the peer, or -1 */
	pthread_mutex_t lock;
};

static ssize_t unix_write(struct chardev *chr, const void *buf, size_t len)
{
	struct unix_chardev *u = container_of(chr, struct unix_chardev, chr);
	const char *b = buf;
	size_t done = 0;
	ssize_t n;

	pthread_mutex_lock(&u->lock);
	while (u->conn >= 0 && done < len) {
		n = send(u->conn, b + done, len - done,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			done += n;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;	/* full, or the peer left: input sees EOF */
	}
	pthread_mutex_unlock(&u->lock);
	return len;
}

static void unix_accept_input(struct chardev *chr)
{
	struct unix_chardev *u = container_of(chr, struct unix_chardev, chr);

	pthread_mutex_lock(&u->lock);
	if (u->conn >= 0)
		chardev_input_resume(&u->in);
	pthread_mutex_unlock(&u->lock);
}

/*
 * Pauses or resumes accepting: one client at a time, later ones wait in
 * the backlog.  Called under @lock, so that a client that leaves at once
 * cannot re-arm the listener before its own connect has disarmed it.
 */
static void unix_listen_arm(struct unix_chardev *u, uint32_t events)
{
	if (u->listen_fd >= 0)
		ioloop_modify(u->loop, u->listen_fd, events);
}

/* Takes over the connected, non-blocking @fd; I/O thread or open. */
static int unix_connected(struct unix_chardev *u, int fd)
{
	int ret;

	pthread_mutex_lock(&u->lock);
	u->conn = fd;
	ret = chardev_input_start(&u->in, fd, fd);
	if (ret) {
		close(fd);
		u->conn = -1;
	} else {
		unix_listen_arm(u, 0);
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static void unix_disconnect(struct unix_chardev *u, uint32_t listen_events)
{
	pthread_mutex_lock(&u->lock);
	chardev_input_stop(&u->in);
	if (u->conn >= 0)
		close(u->conn);
	u->conn = -1;
	unix_listen_arm(u, listen_events);
	pthread_mutex_unlock(&u->lock);
}

/* The peer left (or failed): a server takes the next client. */
static void unix_eof(struct chardev_input *in)
{
	unix_disconnect(container_of(in, struct unix_chardev, in), EPOLLIN);
}

static void unix_on_listen(void *opaque, uint32_t events)
{
	struct unix_chardev *u = opaque;
	int fd;

	(void)events;
	fd = accept4(u->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		unix_connected(u, fd);
	} else if (errno != EAGAIN && errno != EINTR &&
		   errno != ECONNABORTED) {
		/*
		 * Out of fds or memory: the pending client keeps the
		 * listener readable, so polling on would spin.
		 */
		warn_report("%s: no longer accepting connections: %s",
			    u->chr.label, strerror(errno));
		ioloop_modify(u->loop, u->listen_fd, 0);
	}
}

static void unix_close(struct chardev *chr)
{
	struct unix_chardev *u = container_of(chr, struct unix_chardev, chr);

	unix_disconnect(u, 0);
	if (u->listen_fd >= 0) {
		ioloop_remove(u->loop, u->listen_fd);
		close(u->listen_fd);
		unlink(u->addr.sun_path);
	}
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static const struct chardev_ops unix_ops = {
	.write = unix_write,
	.accept_input = unix_accept_input,
	.close = unix_close,
};

static int unix_socket(char *err, size_t errlen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		snprintf(err, errlen, "Failed to create socket: %s",
			 strerror(errno));
	return fd;
}

static int unix_connect(struct unix_chardev *u, char *err, size_t errlen)
{
	int fd = unix_socket(err, errlen);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&u->addr, sizeof(u->addr)) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		snprintf(err, errlen, "Failed to connect to '%s': %s",
			 u->addr.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	if (unix_connected(u, fd)) {
		snprintf(err, errlen, "Failed to connect to '%s': %s",
			 u->addr.sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Like QEMU, replace a socket left behind by an earlier run; but only a
 * socket, so that a mistyped path cannot delete a regular file.
 */
static int unix_unlink_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) || !S_ISSOCK(st.st_mode) || !unlink(path) ||
	    errno == ENOENT)
		return 0;
	snprintf(err, errlen, "Failed to unlink socket %s: %s", path,
		 strerror(errno));
	return -1;
}

static int unix_listen(struct unix_chardev *u, char *err, size_t errlen)
{
	const char *path = u->addr.sun_path;
	int fd;

	if (unix_unlink_stale(path, err, errlen))
		return -1;
	fd = unix_socket(err, errlen);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&u->addr, sizeof(u->addr))) {
		snprintf(err, errlen, "Failed to bind socket to %s: %s", path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	u->listen_fd = fd;
	if (listen(fd, 1)) {
		snprintf(err, errlen, "Failed to listen on socket: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* server with wait: start-up blocks here until the first client. */
static int unix_wait_client(struct unix_chardev *u, char *err, size_t errlen)
{
	int fd;

	fprintf(stderr, PROGRAM_NAME ": info: " PROGRAM_NAME
		" waiting for connection on: disconnected:unix:%s,server=on\n",
		u->addr.sun_path);
	do {
		fd = accept4(u->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		snprintf(err, errlen, "Failed to accept connection: %s",
			 strerror(errno));
		return -1;
	}
	return fd;
}

static int unix_serve(struct unix_chardev *u, bool wait, char *err,
		      size_t errlen)
{
	int fd = -1;

	if (unix_listen(u, err, errlen))
		return -1;
	if (wait) {
		fd = unix_wait_client(u, err, errlen);
		if (fd < 0)
			return -1;
	}
	/* Accepting on the I/O thread must never block. */
	if (fcntl(u->listen_fd, F_SETFL, O_NONBLOCK) ||
	    ioloop_add(u->loop, u->listen_fd, fd < 0 ? EPOLLIN : 0,
		       unix_on_listen, u)) {
		snprintf(err, errlen, "Failed to listen on socket: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd >= 0 && unix_connected(u, fd)) {
		snprintf(err, errlen, "Failed to accept connection: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

struct chardev *chardev_unix_open(const struct chardev_spec *spec,
				  const char *label, struct ioloop *loop,
				  char *err, size_t errlen)
{
	struct unix_chardev *u;
	int ret;

	if (strlen(spec->path) >= sizeof(u->addr.sun_path)) {
		snprintf(err, errlen,
			 "UNIX socket path '%s' is too long (must be less than %zu bytes)",
			 spec->path, sizeof(u->addr.sun_path));
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "Out of memory");
		return NULL;
	}
	chardev_init(&u->chr, &unix_ops, label);
	pthread_mutex_init(&u->lock, NULL);
	u->loop = loop;
	u->addr.sun_family = AF_UNIX;
	strcpy(u->addr.sun_path, spec->path);
	u->listen_fd = -1;
	u->conn = -1;
	u->in.chr = &u->chr;
	u->in.loop = loop;
	u->in.poll_fd = -1;
	u->in.deliver = chardev_input_deliver;
	u->in.eof = unix_eof;
	if (spec->server)
		ret = unix_serve(u, spec->wait, err, errlen);
	else
		ret = unix_connect(u, err, errlen);
	if (ret) {
		unix_close(&u->chr);
		return NULL;
	}
	return &u->chr;
}
