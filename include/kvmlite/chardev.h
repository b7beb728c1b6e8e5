/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_CHARDEV_H
#define KVMLITE_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ioloop;

/* The host side of a serial port, as named by -serial. */
enum chardev_kind {
	CHARDEV_NONE,	/* "none": no port at all */
	CHARDEV_NULL,	/* "null": a port whose output is discarded */
	CHARDEV_STDIO,
	CHARDEV_FILE,
	CHARDEV_PTY,
	CHARDEV_UNIX,
	CHARDEV_TCP,
};

struct chardev_spec {
	enum chardev_kind kind;
	char path[256];		/* file: and unix: */
	char host[256];		/* tcp: "" for every local address */
	char port[8];		/* tcp: */
	bool server;		/* unix:, tcp: listen instead of connect */
	bool wait;		/* server: block start-up until a client */
	bool mux_escapes;	/* stdio under -nographic: Ctrl-A commands */
	bool mux_monitor;	/* "mon:stdio": the monitor shares it */
};

/*
 * Parses a -serial argument ("stdio", "file:PATH", "pty",
 * "unix:PATH,server[,nowait]", "tcp:[HOST]:PORT[,server...]", "none",
 * "null", "mon:stdio").  On error returns -1 and writes one line,
 * without the program name, to @err.
 */
int chardev_parse(const char *text, struct chardev_spec *spec, char *err,
		  size_t errlen);

/*
 * Sockets for unix: and tcp: specs, shared with the monitor's servers.
 * chardev_listen() binds and listens (replacing a unix socket left behind
 * by an earlier run), chardev_connect() connects; both return a blocking
 * fd, or -1 with QEMU's message in @err.  chardev_describe() gives QEMU's
 * name for it, e.g. "unix:/tmp/s,server=on".
 */
int chardev_listen(const struct chardev_spec *spec, char *err, size_t errlen);
int chardev_connect(const struct chardev_spec *spec, char *err,
		    size_t errlen);
/* Accepts a client of a listening socket, non-blocking; -1 with errno. */
int chardev_accept(int listen_fd);
void chardev_describe(const struct chardev_spec *spec, char *buf,
		      size_t len);
/* Removes what chardev_listen() created in the file system, if anything. */
void chardev_unlisten(const struct chardev_spec *spec);
/* Blocks until the first client of a server with wait=on; returns it. */
int chardev_wait_client(const struct chardev_spec *spec, int listen_fd,
			const char *opt, char *err, size_t errlen);

/*
 * The -nographic Ctrl-A escapes, decoded one input byte at a time.  Kept
 * free of I/O so that it can be tested without a terminal.
 */
#define CHARDEV_ESCAPE_CHAR	0x01	/* Ctrl-A */

enum chardev_escape_action {
	CHARDEV_ESCAPE_NONE,	/* byte swallowed */
	CHARDEV_ESCAPE_INPUT,	/* pass the byte on to the guest */
	CHARDEV_ESCAPE_HELP,	/* C-a h: print chardev_escape_help */
	CHARDEV_ESCAPE_QUIT,	/* C-a x: print "Terminated", quit */
	CHARDEV_ESCAPE_FOCUS,	/* C-a c: to the monitor and back */
};

struct chardev_escape {
	bool pending;		/* the last byte was Ctrl-A */
};

enum chardev_escape_action chardev_escape_feed(struct chardev_escape *esc,
					       unsigned char c);

/* The exact bytes printed for C-a h (QEMU's layout), without a monitor. */
extern const char chardev_escape_help[];
/* The same when C-a c reaches a monitor. */
extern const char chardev_escape_help_monitor[];

/* What a device attached to a chardev offers it. */
struct chardev_frontend {
	/* Bytes the device can take now; input stops at 0 until resumed. */
	size_t (*can_receive)(void *opaque);
	void (*receive)(void *opaque, const unsigned char *buf, size_t len);
	/* Optional: input now goes to this frontend (true) or away from it. */
	void (*focus)(void *opaque, bool focused);
	void *opaque;
};

/* What the chardev asks of the machine (for the -nographic escapes). */
struct chardev_host {
	void (*quit)(void *opaque);	/* Ctrl-A x */
	void *opaque;
};

struct chardev;

struct chardev_ops {
	/*
	 * Thread-safe.  Returns @len: bytes a socket or pty cannot take
	 * right now are dropped rather than stall the vCPU.  -1 with errno
	 * only if stdout or a file failed.
	 */
	ssize_t (*write)(struct chardev *chr, const void *buf, size_t len);
	/* The frontend has room again: resume reading host input. */
	void (*accept_input)(struct chardev *chr);
	/* Optional: adds a second frontend that C-a c switches input to. */
	int (*mux_attach)(struct chardev *chr,
			  const struct chardev_frontend *fe);
	void (*close)(struct chardev *chr);
};

struct chardev {
	const struct chardev_ops *ops;
	struct chardev_frontend fe;
	char label[16];		/* "serial0" */
};

/*
 * Opens the backend; host input is read on @loop's thread.  On error
 * returns NULL and writes one line to @err.  Not for CHARDEV_NONE.
 * @host is needed only with spec->mux_escapes.  A unix server with wait
 * blocks here until a client connects.  pty prints its slave's name on
 * stdout.
 */
struct chardev *chardev_open(const struct chardev_spec *spec,
			     const char *label, struct ioloop *loop,
			     const struct chardev_host *host, char *err,
			     size_t errlen);

/* Input is held back until a frontend is attached. */
void chardev_attach(struct chardev *chr, const struct chardev_frontend *fe);

/*
 * The monitor's side of -nographic: a second frontend on a stdio chardev
 * with the Ctrl-A escapes, which C-a c switches host input to and back.
 * Input starts with the first frontend.  -1 if @chr cannot do that.
 */
int chardev_mux_attach(struct chardev *chr, const struct chardev_frontend *fe);

static inline ssize_t chardev_write(struct chardev *chr, const void *buf,
				    size_t len)
{
	return chr->ops->write(chr, buf, len);
}

static inline void chardev_accept_input(struct chardev *chr)
{
	if (chr->ops->accept_input)
		chr->ops->accept_input(chr);
}

/*
 * Releases everything; NULL is a no-op.  Call only while the chardev's
 * ioloop is not running (stopped or not yet started): a handler could
 * otherwise still be using it.
 */
void chardev_close(struct chardev *chr);

/* Restores the terminal if a backend changed it; safe in a signal handler. */
void chardev_restore_terminal(void);

#endif
