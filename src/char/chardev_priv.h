/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_CHARDEV_PRIV_H
#define KVMLITE_CHARDEV_PRIV_H

/* Shared between the backends in src/char; not part of the public API. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kvmlite/chardev.h"

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* Bytes read from the host per wake-up, at most. */
#define CHARDEV_INPUT_CHUNK	256

/*
 * Host-to-guest input of one fd, read on the I/O thread and paced by the
 * frontend's can_receive().  While the frontend is full the fd stays
 * registered but disarmed, and chardev_input_resume() (accept_input) arms
 * it again.
 */
struct chardev_input {
	struct chardev *chr;
	struct ioloop *loop;
	int poll_fd;		/* registered with @loop; -1 when stopped */
	int read_fd;		/* read from: only unpollable stdin differs */
	int paused;		/* atomic: disarmed until resumed */
	/* Hands bytes to the frontend; the stdio mux filters escapes here. */
	void (*deliver)(struct chardev_input *in, const unsigned char *buf,
			size_t len);
	/* read() returned end of file or a hard error. */
	void (*eof)(struct chardev_input *in);
};

int chardev_input_start(struct chardev_input *in, int poll_fd, int read_fd);
void chardev_input_resume(struct chardev_input *in);
void chardev_input_stop(struct chardev_input *in);
void chardev_input_deliver(struct chardev_input *in,
			   const unsigned char *buf, size_t len);

/* Writes everything, waiting as a blocking fd would: stdout and files. */
int chardev_write_all(int fd, const void *buf, size_t len);

void chardev_init(struct chardev *chr, const struct chardev_ops *ops,
		  const char *label);

struct chardev *chardev_null_open(const char *label, char *err,
				  size_t errlen);
struct chardev *chardev_stdio_open(const struct chardev_spec *spec,
				   const char *label, struct ioloop *loop,
				   const struct chardev_host *host, char *err,
				   size_t errlen);
struct chardev *chardev_file_open(const struct chardev_spec *spec,
				  const char *label, char *err,
				  size_t errlen);
struct chardev *chardev_pty_open(const char *label, struct ioloop *loop,
				 char *err, size_t errlen);
struct chardev *chardev_socket_open(const struct chardev_spec *spec,
				    const char *label, struct ioloop *loop,
				    char *err, size_t errlen);

#endif
