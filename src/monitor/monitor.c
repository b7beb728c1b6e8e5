// SPDX-License-Identifier: MIT
/*
 * Monitor connections: the servers of -monitor/-qmp unix: and tcp:
 * (several clients at once), chardev-backed monitors (stdio, pty, a
 * socket we connect out on, the -nographic mux), and the output queues
 * that carry answers and events to each client.
 *
 * Everything a client sends is read and answered on the I/O thread.
 * Events can come from any thread (a vCPU resets the machine, the main
 * thread finishes a reset): they are only queued, under mon->lock, and
 * the I/O thread is woken through an eventfd to write them out, so no
 * vCPU ever waits on a monitor client.  A client that does not read is
 * not read from either once its queue passes MON_OUT_HIGH, and is
 * dropped if events pile up past MON_OUT_MAX.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kvmlite/chardev.h"
#include "kvmlite/ioloop.h"
#include "kvmlite/log.h"
#include "kvmlite/machine.h"
#include "monitor_priv.h"

#define MON_READ_CHUNK		4096
#define MON_OUT_HIGH		(64 << 10)
#define MON_OUT_MAX		(4 << 20)
#define MON_MAX_SESSIONS	64
#define MON_CLOSE_FLUSH_MS	500

struct mon_server {
	struct monitor *mon;
	enum monitor_mode mode;
	struct chardev_spec spec;
	int fd;
	struct mon_server *next;
};

void mon_error_set(struct mon_error *err, const char *cls, const char *fmt,
		   ...)
{
	va_list ap;

	err->cls = cls;
	va_start(ap, fmt);
	vsnprintf(err->desc, sizeof(err->desc), fmt, ap);
	va_end(ap);
}

/* --- output queues ------------------------------------------------------- */

/* mon->lock held.  A client this far behind will never catch up. */
static void queue_locked(struct mon_session *s, const char *buf, size_t len)
{
	size_t cap = s->out_cap ? s->out_cap : 256;
	char *out;

	if (s->dead)
		return;
	if (s->out_len + len > MON_OUT_MAX) {
		s->dead = true;
		return;
	}
	while (cap < s->out_len + len)
		cap *= 2;
	if (cap != s->out_cap) {
		out = realloc(s->out, cap);
		if (!out) {
			s->dead = true;
			return;
		}
		s->out = out;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, buf, len);
	s->out_len += len;
}

void mon_session_send(struct mon_session *s, const char *buf, size_t len)
{
	pthread_mutex_lock(&s->mon->lock);
	queue_locked(s, buf, len);
	pthread_mutex_unlock(&s->mon->lock);
}

void mon_session_print(struct mon_session *s, const char *text)
{
	mon_session_send(s, text, strlen(text));
}

void mon_session_send_lines(struct mon_session *s, const char *text,
			    size_t len)
{
	const char *nl;

	pthread_mutex_lock(&s->mon->lock);
	while (len) {
		nl = memchr(text, '\n', len);
		if (!nl) {
			queue_locked(s, text, len);
			break;
		}
		queue_locked(s, text, nl - text);
		queue_locked(s, "\r\n", 2);
		len -= nl + 1 - text;
		text = nl + 1;
	}
	pthread_mutex_unlock(&s->mon->lock);
}

void mon_session_close_later(struct mon_session *s)
{
	s->closing = true;
}

static size_t queued(struct mon_session *s)
{
	size_t len;

	pthread_mutex_lock(&s->mon->lock);
	len = s->out_len;
	pthread_mutex_unlock(&s->mon->lock);
	return len;
}

/* --- writing to a client ------------------------------------------------- */

/* What a socket takes now; a chardev takes everything (or drops it). */
static size_t transport_write(struct mon_session *s, const char *buf,
			      size_t len)
{
	size_t done = 0;
	ssize_t n;

	if (s->chr) {
		chardev_write(s->chr, buf, len);
		return len;
	}
	while (done < len) {
		n = send(s->fd, buf + done, len - done,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			done += n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				s->dead = true;
			break;
		}
	}
	return done;
}

/* Puts back what the client did not take, ahead of anything newer. */
static void requeue(struct mon_session *s, const char *rest, size_t len)
{
	struct monitor *mon = s->mon;
	char *out;

	pthread_mutex_lock(&mon->lock);
	out = malloc(len + s->out_len);
	if (out) {
		memcpy(out, rest, len);
		if (s->out_len)
			memcpy(out + len, s->out, s->out_len);
		free(s->out);
		s->out = out;
		s->out_len += len;
		s->out_cap = s->out_len;
	} else {
		s->dead = true;
	}
	pthread_mutex_unlock(&mon->lock);
}

/* Asks epoll for what the session needs: input unless behind, output. */
static void session_arm(struct mon_session *s)
{
	size_t backlog = queued(s);
	uint32_t want = 0;

	if (s->chr) {
		if (backlog < MON_OUT_HIGH)
			chardev_accept_input(s->chr);
		return;
	}
	if (backlog < MON_OUT_HIGH && !s->closing)
		want |= EPOLLIN;
	if (backlog)
		want |= EPOLLOUT;
	if (want != s->armed &&
	    !ioloop_modify(s->mon->m->ioloop, s->fd, want))
		s->armed = want;
}

/*
 * Writes out what is queued, without holding the lock while writing:
 * stdout may block, and an event from a vCPU must never wait for that.
 */
static void session_flush(struct mon_session *s)
{
	struct monitor *mon = s->mon;
	size_t len, done;
	char *buf;

	pthread_mutex_lock(&mon->lock);
	buf = s->out;
	len = s->out_len;
	s->out = NULL;
	s->out_len = s->out_cap = 0;
	pthread_mutex_unlock(&mon->lock);
	done = len ? transport_write(s, buf, len) : 0;
	if (done < len && !s->dead)
		requeue(s, buf + done, len - done);
	free(buf);
	if (!s->dead)
		session_arm(s);
}

/* --- sessions ------------------------------------------------------------ */

static void session_destroy(struct mon_session *s)
{
	struct monitor *mon = s->mon;
	struct mon_session **p;

	pthread_mutex_lock(&mon->lock);
	for (p = &mon->sessions; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&mon->lock);
	if (s->fd >= 0) {
		ioloop_remove(mon->m->ioloop, s->fd);
		close(s->fd);
	}
	qmp_session_free(s);
	free(s->out);
	free(s);
}

/* Only sockets are ever closed early; a chardev monitor stays. */
static bool session_done(struct mon_session *s)
{
	return s->fd >= 0 && (s->dead || (s->closing && !queued(s)));
}

static void session_input(struct mon_session *s, const char *buf, size_t len)
{
	if (s->mode == MONITOR_QMP)
		qmp_session_input(s, buf, len);
	else
		hmp_session_input(s, buf, len);
}

static void session_on_io(void *opaque, uint32_t events)
{
	struct mon_session *s = opaque;
	char buf[MON_READ_CHUNK];
	ssize_t n;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		n = read(s->fd, buf, sizeof(buf));
		if (n > 0)
			session_input(s, buf, n);
		else if (n == 0)
			s->closing = true;	/* answer, then go */
		else if (errno != EAGAIN && errno != EINTR)
			s->dead = true;
	}
	session_flush(s);
	if (session_done(s))
		session_destroy(s);
}

static struct mon_session *session_new(struct monitor *mon,
				       enum monitor_mode mode)
{
	struct mon_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->mon = mon;
	s->mode = mode;
	s->fd = -1;
	json_stream_init(&s->stream);
	pthread_mutex_lock(&mon->lock);
	s->next = mon->sessions;
	mon->sessions = s;
	pthread_mutex_unlock(&mon->lock);
	return s;
}

static int count_sessions(struct monitor *mon)
{
	struct mon_session *s;
	int n = 0;

	pthread_mutex_lock(&mon->lock);
	for (s = mon->sessions; s; s = s->next)
		n++;
	pthread_mutex_unlock(&mon->lock);
	return n;
}

/* A connected client socket (non-blocking) becomes a session. */
static int session_open_fd(struct monitor *mon, enum monitor_mode mode,
			   int fd)
{
	struct mon_session *s;

	if (count_sessions(mon) >= MON_MAX_SESSIONS) {
		close(fd);
		return -1;
	}
	s = session_new(mon, mode);
	if (!s) {
		close(fd);
		return -1;
	}
	s->fd = fd;
	if (ioloop_add(mon->m->ioloop, fd, EPOLLIN, session_on_io, s)) {
		s->fd = -1;
		close(fd);
		session_destroy(s);
		return -1;
	}
	s->armed = EPOLLIN;
	if (mode == MONITOR_QMP)
		qmp_session_start(s);
	else
		hmp_session_start(s);
	session_flush(s);
	return 0;
}

/* --- chardev-backed sessions --------------------------------------------- */

static size_t chr_can_receive(void *opaque)
{
	struct mon_session *s = opaque;

	return queued(s) < MON_OUT_HIGH ? MON_READ_CHUNK : 0;
}

static void chr_receive(void *opaque, const unsigned char *buf, size_t len)
{
	struct mon_session *s = opaque;

	session_input(s, (const char *)buf, len);
	session_flush(s);
}

static void chr_focus(void *opaque, bool focused)
{
	struct mon_session *s = opaque;

	hmp_session_focus(s, focused);
	session_flush(s);
}

static int session_open_chr(struct monitor *mon, enum monitor_mode mode,
			    struct chardev *chr, bool mux)
{
	struct mon_session *s = session_new(mon, mode);
	struct chardev_frontend fe = {
		.can_receive = chr_can_receive,
		.receive = chr_receive,
		.focus = chr_focus,
	};

	if (!s)
		return -1;
	s->chr = chr;
	fe.opaque = s;
	if (mux)
		return chardev_mux_attach(chr, &fe);
	if (mode == MONITOR_QMP)
		qmp_session_start(s);
	else
		hmp_session_start(s);
	session_flush(s);
	chardev_attach(chr, &fe);
	return 0;
}

/* --- servers ------------------------------------------------------------- */

static void server_on_accept(void *opaque, uint32_t events)
{
	struct mon_server *srv = opaque;
	int fd;

	(void)events;
	while ((fd = chardev_accept(srv->fd)) >= 0)
		session_open_fd(srv->mon, srv->mode, fd);
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
		/* Out of fds or memory: polling on would spin. */
		warn_report("monitor: no longer accepting connections: %s",
			    strerror(errno));
		ioloop_modify(srv->mon->m->ioloop, srv->fd, 0);
	}
}

static void server_close(struct mon_server *srv)
{
	if (srv->fd >= 0) {
		close(srv->fd);
		chardev_unlisten(&srv->spec);
	}
	free(srv);
}

static int open_server(struct monitor *mon, const struct monitor_config *cfg,
		       char *err, size_t errlen)
{
	struct mon_server *srv = calloc(1, sizeof(*srv));
	char where[512];
	int client = -1;

	if (!srv)
		return -1;
	srv->mon = mon;
	srv->mode = cfg->mode;
	srv->spec = cfg->chr;
	srv->next = mon->servers;
	mon->servers = srv;
	srv->fd = chardev_listen(&srv->spec, err, errlen);
	if (srv->fd < 0)
		return -1;
	if (srv->spec.wait) {
		snprintf(where, sizeof(where), "%s %s", cfg->opt, cfg->arg);
		client = chardev_wait_client(&srv->spec, srv->fd, where, err,
					     errlen);
		if (client < 0)
			return -1;
	}
	if (fcntl(srv->fd, F_SETFL, O_NONBLOCK) ||
	    (client >= 0 && fcntl(client, F_SETFL, O_NONBLOCK)) ||
	    ioloop_add(mon->m->ioloop, srv->fd, EPOLLIN, server_on_accept,
		       srv)) {
		snprintf(err, errlen, "Failed to listen on socket: %s",
			 strerror(errno));
		if (client >= 0)
			close(client);
		return -1;
	}
	if (client >= 0)
		session_open_fd(mon, srv->mode, client);
	return 0;
}

/* --- the monitor --------------------------------------------------------- */

static void on_wake(void *opaque, uint32_t events)
{
	struct monitor *mon = opaque;
	struct mon_session *s, *next;
	uint64_t count;

	(void)events;
	if (read(mon->wake_fd, &count, sizeof(count)) < 0)
		return;
	/* Only this thread adds or removes sessions: no lock to walk. */
	for (s = mon->sessions; s; s = next) {
		next = s->next;
		session_flush(s);
		if (session_done(s))
			session_destroy(s);
	}
}

/* Queues the event for every negotiated QMP client; any thread. */
static void on_event(void *opaque, const struct machine_event *ev)
{
	struct monitor *mon = opaque;
	char *text = qmp_event_text(ev);
	struct mon_session *s;
	uint64_t one = 1;

	if (!text)
		return;
	pthread_mutex_lock(&mon->lock);
	for (s = mon->sessions; s; s = s->next)
		if (s->mode == MONITOR_QMP &&
		    __atomic_load_n(&s->negotiated, __ATOMIC_ACQUIRE))
			queue_locked(s, text, strlen(text));
	pthread_mutex_unlock(&mon->lock);
	free(text);
	if (write(mon->wake_fd, &one, sizeof(one)) < 0)
		warn_report("monitor: cannot wake the I/O thread: %s",
			    strerror(errno));
}

/* Serial port @i's chardev, if it is the stdio one a monitor can share. */
static struct chardev *stdio_serial(struct machine *m)
{
	int i;

	for (i = 0; i < m->cfg->nr_serial; i++)
		if (m->cfg->serial[i].kind == CHARDEV_STDIO)
			return m->serial_chr[i];
	return NULL;
}

static int open_one(struct monitor *mon, int i, char *err, size_t errlen)
{
	const struct monitor_config *cfg = &mon->m->cfg->monitors[i];
	struct chardev *chr;
	char label[32];

	if (cfg->mux) {
		chr = stdio_serial(mon->m);
		if (!chr || session_open_chr(mon, cfg->mode, chr, true)) {
			snprintf(err, errlen,
				 "cannot share stdio with the monitor");
			return -1;
		}
		return 0;
	}
	if ((cfg->chr.kind == CHARDEV_UNIX || cfg->chr.kind == CHARDEV_TCP) &&
	    cfg->chr.server)
		return open_server(mon, cfg, err, errlen);
	snprintf(label, sizeof(label), "compat_monitor%d", i);
	chr = chardev_open(&cfg->chr, label, mon->m->ioloop, NULL, err,
			   errlen);
	if (!chr)
		return -1;
	mon->chrs[i] = chr;
	return session_open_chr(mon, cfg->mode, chr, false);
}

struct monitor *monitor_new(struct machine *m, char *err, size_t errlen)
{
	struct monitor *mon = calloc(1, sizeof(*mon));
	const struct config *cfg = m->cfg;
	char msg[512];
	int i;

	if (!mon) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mon->m = m;
	pthread_mutex_init(&mon->lock, NULL);
	mon->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mon->wake_fd < 0 ||
	    ioloop_add(m->ioloop, mon->wake_fd, EPOLLIN, on_wake, mon)) {
		snprintf(err, errlen, "monitor: %s", strerror(errno));
		monitor_close(mon);
		return NULL;
	}
	for (i = 0; i < cfg->nr_monitors; i++) {
		if (open_one(mon, i, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s %s: %s", cfg->monitors[i].opt,
				 cfg->monitors[i].arg, msg);
			monitor_close(mon);
			return NULL;
		}
	}
	machine_add_listener(m, on_event, mon);
	return mon;
}

static int ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* The last answers and events (SHUTDOWN) must reach the clients. */
static void flush_before_close(struct monitor *mon)
{
	struct timespec start;
	struct mon_session *s;
	struct pollfd pfd;
	int left;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (s = mon->sessions; s; s = s->next) {
		session_flush(s);
		while (s->fd >= 0 && !s->dead && queued(s)) {
			left = MON_CLOSE_FLUSH_MS - ms_since(&start);
			pfd.fd = s->fd;
			pfd.events = POLLOUT;
			if (left <= 0 || poll(&pfd, 1, left) <= 0)
				break;
			session_flush(s);
		}
	}
}

void monitor_close(struct monitor *mon)
{
	struct mon_server *srv;
	int i;

	if (!mon)
		return;
	flush_before_close(mon);
	while (mon->sessions)
		session_destroy(mon->sessions);
	while ((srv = mon->servers)) {
		mon->servers = srv->next;
		server_close(srv);
	}
	for (i = 0; i < MAX_MONITORS; i++)
		chardev_close(mon->chrs[i]);
	if (mon->wake_fd >= 0)
		close(mon->wake_fd);
	pthread_mutex_destroy(&mon->lock);
	free(mon);
}
