// SPDX-License-Identifier: MIT
/*
 * -serial argument parsing and the open/attach/close dispatch to the
 * backends.  The forms and messages follow QEMU 7.2's legacy -serial
 * syntax, e.g. "unix:/tmp/s,server,nowait", "unix:/tmp/s,server=on" or
 * "tcp:127.0.0.1:4444,server=on,wait=off".
 */
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "kvmlite/chardev.h"
#include "chardev_priv.h"

#define UNIX_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)

static int parse_file(const char *path, struct chardev_spec *spec,
		      char *err, size_t errlen)
{
	/* As in QEMU, the rest of the text is the name, commas and all. */
	if (!*path) {
		snprintf(err, errlen, "chardev: file: no filename given");
		return -1;
	}
	if (strlen(path) >= sizeof(spec->path)) {
		snprintf(err, errlen,
			 "file name '%s' is too long (max %zu bytes)", path,
			 sizeof(spec->path) - 1);
		return -1;
	}
	spec->kind = CHARDEV_FILE;
	strcpy(spec->path, path);
	return 0;
}

/*
 * Copies one comma-separated field of @text into @out, turning ",," into
 * ",", the way QEMU's option syntax escapes commas.  Returns the text after
 * the field's terminating comma (or at the NUL), or NULL if it won't fit.
 */
static const char *next_field(const char *text, char *out, size_t outlen)
{
	size_t n = 0;

	while (*text && !(text[0] == ',' && text[1] != ',')) {
		if (n + 1 >= outlen)
			return NULL;
		out[n++] = *text;
		text += *text == ',' ? 2 : 1;
	}
	out[n] = '\0';
	return *text ? text + 1 : text;
}

/* QEMU's boolean spellings. */
static int parse_bool(const char *key, const char *val, bool *out,
		      char *err, size_t errlen)
{
	static const char *const yes[] = { "on", "yes", "true", "y" };
	static const char *const no[] = { "off", "no", "false", "n" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(val, yes[i]) || !strcmp(val, no[i])) {
			*out = !strcmp(val, yes[i]);
			return 0;
		}
	}
	snprintf(err, errlen, "Parameter '%s' expects 'on' or 'off'", key);
	return -1;
}

/*
 * One "key", "nokey" or "key=value" option of a socket.  Bare and "no"
 * forms are QEMU's legacy short booleans ("server,nowait").  tcp: also
 * takes nodelay, which kvmlite's sockets always have.
 */
static int parse_socket_opt(char *opt, struct chardev_spec *spec,
			    bool *wait_given, char *err, size_t errlen)
{
	char *eq = strchr(opt, '=');
	const char *val = "on";
	bool nodelay, *dst;

	if (eq) {
		*eq = '\0';
		val = eq + 1;
	} else if (!strcmp(opt, "noserver") || !strcmp(opt, "nowait")) {
		opt += 2;
		val = "off";
	}
	if (!strcmp(opt, "server")) {
		dst = &spec->server;
	} else if (!strcmp(opt, "wait")) {
		dst = &spec->wait;
		*wait_given = true;
	} else if (!strcmp(opt, "nodelay") && spec->kind == CHARDEV_TCP) {
		dst = &nodelay;
	} else {
		snprintf(err, errlen, "Invalid parameter '%s'", opt);
		return -1;
	}
	return parse_bool(opt, val, dst, err, errlen);
}

/* The options after a socket's address; @rest is past the first comma. */
static int parse_socket_opts(const char *rest, struct chardev_spec *spec,
			     char *err, size_t errlen)
{
	bool wait_given = false;
	char opt[32];

	spec->server = false;
	spec->wait = true;
	while (*rest) {
		const char *next = next_field(rest, opt, sizeof(opt));

		if (!next) {
			snprintf(err, errlen, "Invalid parameter '%.*s'",
				 (int)strcspn(rest, ",="), rest);
			return -1;
		}
		if (parse_socket_opt(opt, spec, &wait_given, err, errlen))
			return -1;
		rest = next;
	}
	if (!spec->server && wait_given) {
		snprintf(err, errlen,
			 "'wait' option is incompatible with socket in client connect mode");
		return -1;
	}
	spec->wait = spec->server && spec->wait;
	return 0;
}

static int parse_unix(const char *text, struct chardev_spec *spec,
		      char *err, size_t errlen)
{
	const char *rest;

	spec->kind = CHARDEV_UNIX;
	rest = next_field(text, spec->path, UNIX_PATH_MAX);
	if (!rest) {
		snprintf(err, errlen,
			 "UNIX socket path '%.*s' is too long (must be less than %zu bytes)",
			 (int)strcspn(text, ","), text, UNIX_PATH_MAX);
		return -1;
	}
	if (!spec->path[0]) {
		snprintf(err, errlen, "chardev: unix: no socket path given");
		return -1;
	}
	return parse_socket_opts(rest, spec, err, errlen);
}

/* "[host]:port", the host possibly in brackets (IPv6). */
static int parse_inet_address(const char *addr, size_t len,
			      struct chardev_spec *spec)
{
	const char *colon = memrchr(addr, ':', len);
	size_t host_len, port_len;

	if (!colon)
		return -1;
	host_len = colon - addr;
	port_len = len - host_len - 1;
	if (host_len >= 2 && addr[0] == '[' && addr[host_len - 1] == ']') {
		addr++;
		host_len -= 2;
	}
	if (host_len >= sizeof(spec->host) || !port_len ||
	    port_len >= sizeof(spec->port) ||
	    strspn(colon + 1, "0123456789") < port_len)
		return -1;
	memcpy(spec->host, addr, host_len);
	spec->host[host_len] = '\0';
	memcpy(spec->port, colon + 1, port_len);
	spec->port[port_len] = '\0';
	return 0;
}

static int parse_tcp(const char *text, struct chardev_spec *spec,
		     char *err, size_t errlen)
{
	size_t len = strcspn(text, ",");

	spec->kind = CHARDEV_TCP;
	if (parse_inet_address(text, len, spec)) {
		snprintf(err, errlen, "error parsing address '%.*s'", (int)len,
			 text);
		return -1;
	}
	return parse_socket_opts(text[len] ? text + len + 1 : text + len, spec,
				 err, errlen);
}

static int parse_prefixed(const char *text, struct chardev_spec *spec,
			  char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		int (*parse)(const char *rest, struct chardev_spec *spec,
			     char *err, size_t errlen);
	} forms[] = {
		{ "file:", parse_file },
		{ "unix:", parse_unix },
		{ "tcp:", parse_tcp },
	};
	size_t i, n;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		n = strlen(forms[i].prefix);
		if (strncmp(text, forms[i].prefix, n))
			continue;
		if (forms[i].parse(text + n, spec, err, errlen)) {
			memset(spec, 0, sizeof(*spec));
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "'%s' is not a valid char driver", text);
	return -1;
}

int chardev_parse(const char *text, struct chardev_spec *spec, char *err,
		  size_t errlen)
{
	static const struct {
		const char *name;
		enum chardev_kind kind;
	} plain[] = {
		{ "none", CHARDEV_NONE },
		{ "null", CHARDEV_NULL },
		{ "stdio", CHARDEV_STDIO },
		{ "pty", CHARDEV_PTY },
	};
	size_t i;

	memset(spec, 0, sizeof(*spec));
	/* kvmlite multiplexes the monitor with the escapes of stdio only. */
	if (!strncmp(text, "mon:", 4)) {
		if (strcmp(text + 4, "stdio")) {
			snprintf(err, errlen, "'%s': kvmlite shares the monitor with stdio only (mon:stdio)",
				 text);
			return -1;
		}
		spec->kind = CHARDEV_STDIO;
		spec->mux_escapes = spec->mux_monitor = true;
		return 0;
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (!strcmp(text, plain[i].name)) {
			spec->kind = plain[i].kind;
			return 0;
		}
	}
	return parse_prefixed(text, spec, err, errlen);
}

struct chardev *chardev_open(const struct chardev_spec *spec,
			     const char *label, struct ioloop *loop,
			     const struct chardev_host *host, char *err,
			     size_t errlen)
{
	switch (spec->kind) {
	case CHARDEV_NULL:
		return chardev_null_open(label, err, errlen);
	case CHARDEV_STDIO:
		return chardev_stdio_open(spec, label, loop, host, err, errlen);
	case CHARDEV_FILE:
		return chardev_file_open(spec, label, err, errlen);
	case CHARDEV_PTY:
		return chardev_pty_open(label, loop, err, errlen);
	case CHARDEV_UNIX:
	case CHARDEV_TCP:
		return chardev_socket_open(spec, label, loop, err, errlen);
	case CHARDEV_NONE:
		break;
	}
	snprintf(err, errlen, "serial port 'none' has no character device");
	return NULL;
}

void chardev_init(struct chardev *chr, const struct chardev_ops *ops,
		  const char *label)
{
	chr->ops = ops;
	memset(&chr->fe, 0, sizeof(chr->fe));
	snprintf(chr->label, sizeof(chr->label), "%s", label);
}

void chardev_attach(struct chardev *chr, const struct chardev_frontend *fe)
{
	/*
	 * The I/O thread may already be polling (a socket client can connect
	 * at any time): it tests can_receive, so publish that last.
	 */
	chr->fe.receive = fe->receive;
	chr->fe.opaque = fe->opaque;
	__atomic_store_n(&chr->fe.can_receive, fe->can_receive,
			 __ATOMIC_RELEASE);
	chardev_accept_input(chr);
}

int chardev_mux_attach(struct chardev *chr, const struct chardev_frontend *fe)
{
	if (!chr->ops->mux_attach)
		return -1;
	return chr->ops->mux_attach(chr, fe);
}

void chardev_close(struct chardev *chr)
{
	if (chr)
		chr->ops->close(chr);
}
