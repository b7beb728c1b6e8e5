// SPDX-License-Identifier: MIT
/*
 * "pty": a pseudo-terminal whose slave the user opens with screen,
 * minicom and the like.
 *
 * kvmlite keeps a slave fd open itself.  Without it the master reports
 * EPOLLHUP without end whenever no one else has the slave open, and finding
 * out when someone does would need polling on a timer.  With it, output
 * written while no one is reading queues up in the terminal (tens of KiB;
 * a user who then opens the slave sees it), and once that is full the
 * non-blocking master refuses more and the rest is dropped: the guest
 * never waits for a reader that may never come.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "chardev_priv.h"

struct pty_chardev {
	struct chardev chr;
	struct chardev_input in;
	int master;
	int slave;
	pthread_mutex_t lock;	/* one writer at a time */
};

static ssize_t pty_write(struct chardev *chr, const void *buf, size_t len)
{
	struct pty_chardev *p = container_of(chr, struct pty_chardev, chr);
	const char *b = buf;
	size_t done = 0;
	ssize_t n;

	pthread_mutex_lock(&p->lock);
	while (done < len) {
		n = write(p->master, b + done, len - done);
		if (n > 0)
			done += n;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;	/* full (EAGAIN): drop the rest */
	}
	pthread_mutex_unlock(&p->lock);
	return len;
}

static void pty_accept_input(struct chardev *chr)
{
	struct pty_chardev *p = container_of(chr, struct pty_chardev, chr);

	chardev_input_resume(&p->in);
}

/* With the slave held open this is only a real error: give up on input. */
static void pty_eof(struct chardev_input *in)
{
	chardev_input_stop(in);
}

static void pty_close(struct chardev *chr)
{
	struct pty_chardev *p = container_of(chr, struct pty_chardev, chr);

	chardev_input_stop(&p->in);
	if (p->slave >= 0)
		close(p->slave);
	if (p->master >= 0)
		close(p->master);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static const struct chardev_ops pty_ops = {
	.write = pty_write,
	.accept_input = pty_accept_input,
	.close = pty_close,
};

/* Opens the pair and sets the slave raw; the name goes to @name. */
static int pty_setup(struct pty_chardev *p, char *name, size_t namelen)
{
	struct termios tio;

	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0 || grantpt(p->master) || unlockpt(p->master) ||
	    ptsname_r(p->master, name, namelen))
		return -1;
	p->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0 || tcgetattr(p->slave, &tio))
		return -1;
	cfmakeraw(&tio);
	if (tcsetattr(p->slave, TCSANOW, &tio))
		return -1;
	return fcntl(p->master, F_SETFL, O_NONBLOCK);
}

struct chardev *chardev_pty_open(const char *label, struct ioloop *loop,
				 char *err, size_t errlen)
{
	struct pty_chardev *p = calloc(1, sizeof(*p));
	char name[64];

	if (!p) {
		snprintf(err, errlen, "Out of memory");
		return NULL;
	}
	chardev_init(&p->chr, &pty_ops, label);
	pthread_mutex_init(&p->lock, NULL);
	p->slave = -1;
	p->in.chr = &p->chr;
	p->in.loop = loop;
	p->in.poll_fd = -1;
	p->in.deliver = chardev_input_deliver;
	p->in.eof = pty_eof;
	if (pty_setup(p, name, sizeof(name)) ||
	    chardev_input_start(&p->in, p->master, p->master)) {
		snprintf(err, errlen, "Failed to create PTY: %s",
			 strerror(errno));
		pty_close(&p->chr);
		return NULL;
	}
	printf("char device redirected to %s (label %s)\n", name,
	       p->chr.label);
	fflush(stdout);
	return &p->chr;
}
