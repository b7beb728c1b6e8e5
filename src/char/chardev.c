// SPDX-License-Identifier: MIT
/*
 * -serial argument parsing and the open/attach/close dispatch to the
 * backends.  The forms and messages follow QEMU 7.2's legacy -serial
 * syntax, e.g. "unix:/tmp/s,server,nowait" or "unix:/tmp/s,server=on".
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
 * One "key", "nokey" or "key=value" option of a unix: socket.  Bare and
 * "no" forms are QEMU's legacy short booleans ("server,nowait").
 */
static int parse_unix_opt(char *opt, bool *server, bool *wait,
			  bool *wait_given, char *err, size_t errlen)
{
	char *eq = strchr(opt, '=');
	const char *val = "on";
	bool *dst;

	if (eq) {
		*eq = '\0';
		val = eq + 1;
	} else if (!strcmp(opt, "noserver") || !strcmp(opt, "nowait")) {
		opt += 2;
		val = "off";
	}
	if (!strcmp(opt, "server")) {
		dst = server;
	} else if (!strcmp(opt, "wait")) {
		dst = wait;
		*wait_given = true;
	} else {
		snprintf(err, errlen, "Invalid parameter '%s'", opt);
		return -1;
	}
	return parse_bool(opt, val, dst, err, errlen);
}

static int parse_unix(const char *text, struct chardev_spec *spec,
		      char *err, size_t errlen)
{
	bool server = false, wait = true, wait_given = false;
	char opt[32];
	const char *rest;

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
	while (*rest) {
		const char *next = next_field(rest, opt, sizeof(opt));

		if (!next) {
			snprintf(err, errlen, "Invalid parameter '%.*s'",
				 (int)strcspn(rest, ",="), rest);
			return -1;
		}
		if (parse_unix_opt(opt, &server, &wait, &wait_given, err,
				   errlen))
			return -1;
		rest = next;
	}
	if (!server && wait_given) {
		snprintf(err, errlen,
			 "'wait' option is incompatible with socket in client connect mode");
		return -1;
	}
	spec->kind = CHARDEV_UNIX;
	spec->server = server;
	spec->wait = server && wait;
	return 0;
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
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (!strcmp(text, plain[i].name)) {
			spec->kind = plain[i].kind;
			return 0;
		}
	}
	if (!strncmp(text, "file:", 5))
		return parse_file(text + 5, spec, err, errlen);
	if (!strncmp(text, "unix:", 5)) {
		if (parse_unix(text + 5, spec, err, errlen)) {
			memset(spec, 0, sizeof(*spec));
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "'%s' is not a valid char driver", text);
	return -1;
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
		return chardev_unix_open(spec, label, loop, err, errlen);
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

void chardev_close(struct chardev *chr)
{
	if (chr)
		chr->ops->close(chr);
}
