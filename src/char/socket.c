// SPDX-License-Identifier: MIT
/*
 * "unix:PATH[,server][,nowait]" and "tcp:HOST:PORT[,server...]": a stream
 * socket, connecting out or listening for one client at a time.
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
#include <unistd.h>

#include "kvmlite/ioloop.h"
#include "kvmlite/log.h"
#include "chardev_priv.h"

struct sock_chardev {
	struct chardev chr;
	struct chardev_input in;
	struct ioloop *loop;
	struct chardev_spec spec;
	int listen_fd;		/* server only, else -1 */
	int conn;		/* the peer, or -1 */
	pthread_mutex_t lock;
};

static ssize_t sock_write(struct chardev *chr, const void *buf, size_t len)
{
	struct sock_chardev *u = container_of(chr, struct sock_chardev, chr);
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

static void sock_accept_input(struct chardev *chr)
{
	struct sock_chardev *u = container_of(chr, struct sock_chardev, chr);

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
static void sock_listen_arm(struct sock_chardev *u, uint32_t events)
{
	if (u->listen_fd >= 0)
		ioloop_modify(u->loop, u->listen_fd, events);
}

/* Takes over the connected, non-blocking @fd; I/O thread or open. */
static int sock_connected(struct sock_chardev *u, int fd)
{
	int ret;

	pthread_mutex_lock(&u->lock);
	u->conn = fd;
	ret = chardev_input_start(&u->in, fd, fd);
	if (ret) {
		close(fd);
		u->conn = -1;
	} else {
		sock_listen_arm(u, 0);
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static void sock_disconnect(struct sock_chardev *u, uint32_t listen_events)
{
	pthread_mutex_lock(&u->lock);
	chardev_input_stop(&u->in);
	if (u->conn >= 0)
		close(u->conn);
	u->conn = -1;
	sock_listen_arm(u, listen_events);
	pthread_mutex_unlock(&u->lock);
}

/* The peer left (or failed): a server takes the next client. */
static void sock_eof(struct chardev_input *in)
{
	sock_disconnect(container_of(in, struct sock_chardev, in), EPOLLIN);
}

static void sock_on_listen(void *opaque, uint32_t events)
{
	struct sock_chardev *u = opaque;
	int fd;

	(void)events;
	fd = chardev_accept(u->listen_fd);
	if (fd >= 0) {
		sock_connected(u, fd);
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

static void sock_close(struct chardev *chr)
{
	struct sock_chardev *u = container_of(chr, struct sock_chardev, chr);

	sock_disconnect(u, 0);
	if (u->listen_fd >= 0) {
		ioloop_remove(u->loop, u->listen_fd);
		close(u->listen_fd);
		chardev_unlisten(&u->spec);
	}
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static const struct chardev_ops sock_ops = {
	.write = sock_write,
	.accept_input = sock_accept_input,
	.close = sock_close,
};

static int sock_connect(struct sock_chardev *u, char *err, size_t errlen)
{
	int fd = chardev_connect(&u->spec, err, errlen);

	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFL, O_NONBLOCK)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0 || sock_connected(u, fd)) {
		snprintf(err, errlen, "Failed to connect: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int sock_serve(struct sock_chardev *u, bool wait, char *err,
		      size_t errlen)
{
	int fd = -1;

	u->listen_fd = chardev_listen(&u->spec, err, errlen);
	if (u->listen_fd < 0)
		return -1;
	if (wait) {
		fd = chardev_wait_client(&u->spec, u->listen_fd, NULL, err,
					 errlen);
		if (fd < 0)
			return -1;
	}
	/* Accepting on the I/O thread must never block. */
	if (fcntl(u->listen_fd, F_SETFL, O_NONBLOCK) ||
	    (fd >= 0 && fcntl(fd, F_SETFL, O_NONBLOCK)) ||
	    ioloop_add(u->loop, u->listen_fd, fd < 0 ? EPOLLIN : 0,
		       sock_on_listen, u)) {
		snprintf(err, errlen, "Failed to listen on socket: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd >= 0 && sock_connected(u, fd)) {
		snprintf(err, errlen, "Failed to accept connection: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

struct chardev *chardev_socket_open(const struct chardev_spec *spec,
				    const char *label, struct ioloop *loop,
				    char *err, size_t errlen)
{
	struct sock_chardev *u = calloc(1, sizeof(*u));
	int ret;

	if (!u) {
		snprintf(err, errlen, "Out of memory");
		return NULL;
	}
	chardev_init(&u->chr, &sock_ops, label);
	pthread_mutex_init(&u->lock, NULL);
	u->loop = loop;
	u->spec = *spec;
	u->listen_fd = -1;
	u->conn = -1;
	u->in.chr = &u->chr;
	u->in.loop = loop;
	u->in.poll_fd = -1;
	u->in.deliver = chardev_input_deliver;
	u->in.eof = sock_eof;
	if (spec->server)
		ret = sock_serve(u, spec->wait, err, errlen);
	else
		ret = sock_connect(u, err, errlen);
	if (ret) {
		sock_close(&u->chr);
		return NULL;
	}
	return &u->chr;
}
