// SPDX-License-Identifier: MIT
/*
 * Plumbing shared by the backends: the paced input pump that runs on the
 * I/O thread, and the blocking output helper.
 *
 * Pausing input: an fd registered with no events still reports EPOLLHUP
 * (a closed pipe, a socket whose peer left) over and over, which would spin
 * the I/O thread while the frontend is full.  A paused fd is therefore left
 * armed with EPOLLONESHOT alone: at most one such report, then silence
 * until chardev_input_resume() re-arms EPOLLIN.
 */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "kvmlite/ioloop.h"
#include "chardev_priv.h"

static size_t input_room(struct chardev_input *in)
{
	struct chardev *chr = in->chr;
	size_t (*can_receive)(void *opaque);

	/* Pairs with the release store in chardev_attach(). */
	can_receive = __atomic_load_n(&chr->fe.can_receive, __ATOMIC_ACQUIRE);
	return can_receive ? can_receive(chr->fe.opaque) : 0;
}

void chardev_input_resume(struct chardev_input *in)
{
	int fd = __atomic_load_n(&in->poll_fd, __ATOMIC_RELAXED);

	if (__atomic_exchange_n(&in->paused, 0, __ATOMIC_SEQ_CST) && fd >= 0)
		ioloop_modify(in->loop, fd, EPOLLIN);
}

/*
 * Runs on the I/O thread.  Disarm first, publish the pause, then look at
 * the frontend again: room made by a vCPU before the look is seen here, and
 * room made after it is followed by an accept_input that finds the pause
 * published and re-arms.  Either way input cannot stall with room free.
 */
static void input_pause(struct chardev_input *in)
{
	ioloop_modify(in->loop, in->poll_fd, EPOLLONESHOT);
	__atomic_store_n(&in->paused, 1, __ATOMIC_SEQ_CST);
	if (input_room(in))
		chardev_input_resume(in);
}

static void input_ready(void *opaque, uint32_t events)
{
	struct chardev_input *in = opaque;
	unsigned char buf[CHARDEV_INPUT_CHUNK];
	size_t room;
	ssize_t n;

	(void)events;
	/* The single EPOLLHUP a paused fd may still report. */
	if (__atomic_load_n(&in->paused, __ATOMIC_SEQ_CST))
		return;
	room = input_room(in);
	if (!room) {
		input_pause(in);
		return;
	}
	n = read(in->read_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n > 0)
		in->deliver(in, buf, n);
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		in->eof(in);
}

/* Registers @poll_fd paused, and arms it at once if a frontend is there. */
int chardev_input_start(struct chardev_input *in, int poll_fd, int read_fd)
{
	in->paused = 1;
	in->read_fd = read_fd;
	if (ioloop_add(in->loop, poll_fd, EPOLLONESHOT, input_ready, in))
		return -1;
	__atomic_store_n(&in->poll_fd, poll_fd, __ATOMIC_RELAXED);
	if (__atomic_load_n(&in->chr->fe.can_receive, __ATOMIC_ACQUIRE))
		chardev_input_resume(in);
	return 0;
}

void chardev_input_stop(struct chardev_input *in)
{
	if (in->poll_fd < 0)
		return;
	ioloop_remove(in->loop, in->poll_fd);
	__atomic_store_n(&in->poll_fd, -1, __ATOMIC_RELAXED);
}

void chardev_input_deliver(struct chardev_input *in,
			   const unsigned char *buf, size_t len)
{
	struct chardev *chr = in->chr;

	chr->fe.receive(chr->fe.opaque, buf, len);
}

int chardev_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= n;
		} else if (n < 0 && errno == EAGAIN) {
			/* Inherited O_NONBLOCK: wait as a blocking fd would */
			poll(&pfd, 1, -1);
		} else if (n == 0 || errno != EINTR) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
	}
	return 0;
}
