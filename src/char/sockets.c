// SPDX-License-Identifier: MIT
/*
 * The sockets behind "unix:" and "tcp:" specs, for the socket chardev
 * and the monitor's servers alike, with QEMU's error messages.  TCP
 * connections get TCP_NODELAY: a console or a monitor wants each small
 * write on the wire now, not batched.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kvmlite/log.h"
#include "chardev_priv.h"

void chardev_describe(const struct chardev_spec *spec, char *buf, size_t len)
{
	const char *server = spec->server ? ",server=on" : "";

	if (spec->kind == CHARDEV_TCP)
		snprintf(buf, len, "tcp:%s:%s%s", spec->host, spec->port,
			 server);
	else
		snprintf(buf, len, "unix:%s%s", spec->path, server);
}

static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int unix_address(const struct chardev_spec *spec,
			struct sockaddr_un *sun, char *err, size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(spec->path) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen,
			 "UNIX socket path '%s' is too long (must be less than %zu bytes)",
			 spec->path, sizeof(sun->sun_path));
		return -1;
	}
	strcpy(sun->sun_path, spec->path);
	return 0;
}

static int new_socket(int family, char *err, size_t errlen)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		snprintf(err, errlen, "Failed to create socket: %s",
			 strerror(errno));
	return fd;
}

/*
 * Like QEMU, replace a socket left behind by an earlier run; but only a
 * socket, so that a mistyped path cannot delete a regular file.
 */
static int unlink_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) || !S_ISSOCK(st.st_mode) || !unlink(path) ||
	    errno == ENOENT)
		return 0;
	snprintf(err, errlen, "Failed to unlink socket %s: %s", path,
		 strerror(errno));
	return -1;
}

static int unix_listen(const struct chardev_spec *spec, char *err,
		       size_t errlen)
{
	struct sockaddr_un sun;
	int fd;

	if (unix_address(spec, &sun, err, errlen) ||
	    unlink_stale(spec->path, err, errlen))
		return -1;
	fd = new_socket(AF_UNIX, err, errlen);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		snprintf(err, errlen, "Failed to bind socket to %s: %s",
			 spec->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, SOMAXCONN)) {
		snprintf(err, errlen, "Failed to listen on socket: %s",
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static struct addrinfo *tcp_resolve(const struct chardev_spec *spec,
				    bool passive, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = passive ? AI_PASSIVE : 0,
	};
	struct addrinfo *res;
	int ret;

	ret = getaddrinfo(spec->host[0] ? spec->host : NULL, spec->port,
			  &hints, &res);
	if (ret) {
		snprintf(err, errlen, "address resolution failed for %s:%s: %s",
			 spec->host, spec->port, gai_strerror(ret));
		return NULL;
	}
	return res;
}

static int tcp_listen(const struct chardev_spec *spec, char *err,
		      size_t errlen)
{
	struct addrinfo *res = tcp_resolve(spec, true, err, errlen), *ai;
	int fd = -1, one = 1, saved = EADDRNOTAVAIL;

	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) ||
		    listen(fd, SOMAXCONN)) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	if (res && fd < 0)
		snprintf(err, errlen, "Failed to find an available port: %s",
			 strerror(saved));
	if (res)
		freeaddrinfo(res);
	return fd;
}

int chardev_listen(const struct chardev_spec *spec, char *err, size_t errlen)
{
	if (spec->kind == CHARDEV_TCP)
		return tcp_listen(spec, err, errlen);
	return unix_listen(spec, err, errlen);
}

static int tcp_connect(const struct chardev_spec *spec, char *err,
		       size_t errlen)
{
	struct addrinfo *res = tcp_resolve(spec, false, err, errlen), *ai;
	int fd = -1, saved = ECONNREFUSED;

	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	if (res && fd < 0)
		snprintf(err, errlen, "Failed to connect to '%s:%s': %s",
			 spec->host, spec->port, strerror(saved));
	if (res)
		freeaddrinfo(res);
	if (fd >= 0)
		set_nodelay(fd);
	return fd;
}

static int unix_connect(const struct chardev_spec *spec, char *err,
			size_t errlen)
{
	struct sockaddr_un sun;
	int fd;

	if (unix_address(spec, &sun, err, errlen))
		return -1;
	fd = new_socket(AF_UNIX, err, errlen);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		snprintf(err, errlen, "Failed to connect to '%s': %s",
			 spec->path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int chardev_connect(const struct chardev_spec *spec, char *err,
		    size_t errlen)
{
	if (spec->kind == CHARDEV_TCP)
		return tcp_connect(spec, err, errlen);
	return unix_connect(spec, err, errlen);
}

int chardev_accept(int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);

	if (fd >= 0 && !getsockname(fd, (struct sockaddr *)&addr, &len) &&
	    addr.ss_family != AF_UNIX)
		set_nodelay(fd);
	return fd;
}

void chardev_unlisten(const struct chardev_spec *spec)
{
	if (spec->kind == CHARDEV_UNIX && spec->server)
		unlink(spec->path);
}

int chardev_wait_client(const struct chardev_spec *spec, int listen_fd,
			const char *opt, char *err, size_t errlen)
{
	char where[300];
	int fd;

	chardev_describe(spec, where, sizeof(where));
	fprintf(stderr, PROGRAM_NAME ": %s%sinfo: " PROGRAM_NAME
		" waiting for connection on: disconnected:%s\n",
		opt ? opt : "", opt ? ": " : "", where);
	do {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		snprintf(err, errlen, "Failed to accept connection: %s",
			 strerror(errno));
		return -1;
	}
	if (spec->kind == CHARDEV_TCP)
		set_nodelay(fd);
	return fd;
}
