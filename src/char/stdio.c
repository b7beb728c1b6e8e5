// SPDX-License-Identifier: MIT
/*
 * "stdio": guest output to stdout, stdin to the guest, and under
 * -nographic the Ctrl-A escapes.  With a monitor attached as a second
 * frontend (chardev_mux_attach), C-a c switches stdin between the two,
 * as QEMU's mux does; output from both goes to stdout as it comes.
 *
 * A terminal on stdin is put in raw mode.  Plain -serial stdio keeps ISIG
 * so that Ctrl-C still kills kvmlite; -nographic clears it so that Ctrl-C
 * reaches the guest and C-a x is the way out, as with QEMU.  Whatever way
 * the process ends, the terminal must come back cooked: atexit, the usual
 * terminating signals, and chardev_restore_terminal() for fatal paths.
 *
 * O_NONBLOCK is never set on stdin: it usually shares one open file with
 * stdout and with the shell, which would inherit the flag.  Reads happen
 * only when epoll reports data, so they do not block.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "kvmlite/log.h"
#include "chardev_priv.h"

const char chardev_escape_help[] =
	"\n\r"
	"C-a h    print this help\n\r"
	"C-a x    exit emulator\n\r"
	"C-a C-a  sends C-a\n\r";

const char chardev_escape_help_monitor[] =
	"\n\r"
	"C-a h    print this help\n\r"
	"C-a x    exit emulator\n\r"
	"C-a c    switch between console and monitor\n\r"
	"C-a C-a  sends C-a\n\r";

enum chardev_escape_action chardev_escape_feed(struct chardev_escape *esc,
					       unsigned char c)
{
	if (!esc->pending) {
		if (c != CHARDEV_ESCAPE_CHAR)
			return CHARDEV_ESCAPE_INPUT;
		esc->pending = true;
		return CHARDEV_ESCAPE_NONE;
	}
	esc->pending = false;
	switch (c) {
	case CHARDEV_ESCAPE_CHAR:
		return CHARDEV_ESCAPE_INPUT;
	case 'h':
	case '?':		/* QEMU also takes '?' without listing it */
		return CHARDEV_ESCAPE_HELP;
	case 'x':
		return CHARDEV_ESCAPE_QUIT;
	case 'c':
		return CHARDEV_ESCAPE_FOCUS;
	default:
		return CHARDEV_ESCAPE_NONE;
	}
}

/* Terminal state, reachable from signal handlers. */
static struct termios term_saved;
static struct termios term_raw;
static volatile sig_atomic_t term_is_raw;

void chardev_restore_terminal(void)
{
	int saved_errno = errno;

	if (term_is_raw) {
		term_is_raw = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
	}
	errno = saved_errno;
}

/*
 * SA_RESETHAND has put the default action back; the re-raised signal is
 * blocked until this handler returns and then ends the process as it would
 * have without us.
 */
static void term_on_fatal_signal(int sig)
{
	chardev_restore_terminal();
	raise(sig);
}

/* After a stop the shell has put its own modes back; take ours again. */
static void term_on_sigcont(int sig)
{
	int saved_errno = errno;

	(void)sig;
	if (term_is_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &term_raw);
	errno = saved_errno;
}

/* Leaves alone a signal the program already handles or ignores. */
static void term_hook_signal(int sig, void (*fn)(int), int flags)
{
	struct sigaction old, sa = { .sa_handler = fn, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
		sigaction(sig, &sa, NULL);
}

static void term_install_hooks(void)
{
	static const int fatal[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	static bool installed;
	size_t i;

	if (installed)
		return;
	installed = true;
	atexit(chardev_restore_terminal);
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		term_hook_signal(fatal[i], term_on_fatal_signal, SA_RESETHAND);
	term_hook_signal(SIGCONT, term_on_sigcont, SA_RESTART);
}

/*
 * Raw input, no echo, 8 bits.  Output processing stays as the user had it
 * (like QEMU), so a bare "\n" from the guest still starts a new line.
 */
static int term_enter_raw(bool keep_signals)
{
	if (!isatty(STDIN_FILENO))
		return 0;
	if (tcgetattr(STDIN_FILENO, &term_saved))
		return -1;
	term_raw = term_saved;
	term_raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
			      IGNCR | ICRNL | IXON);
	term_raw.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
	if (!keep_signals)
		term_raw.c_lflag &= ~ISIG;
	term_raw.c_cflag &= ~(CSIZE | PARENB);
	term_raw.c_cflag |= CS8;
	term_raw.c_cc[VMIN] = 1;
	term_raw.c_cc[VTIME] = 0;
	term_install_hooks();
	term_is_raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &term_raw)) {
		term_is_raw = 0;
		return -1;
	}
	return 0;
}

struct stdio_chardev {
	struct chardev chr;
	struct chardev_input in;
	/* Guest output and escape messages share stdout. */
	pthread_mutex_t out_lock;
	bool mux;
	struct chardev_escape esc;
	struct chardev_host host;
	/* The frontend without input now (C-a c swaps it with chr.fe). */
	struct chardev_frontend other;
	bool has_other;
	int evfd;		/* stands in for an unpollable stdin, or -1 */
};

/* Only one chardev may own the process's stdin. */
static int stdio_in_use;

static ssize_t stdio_write(struct chardev *chr, const void *buf, size_t len)
{
	struct stdio_chardev *s = container_of(chr, struct stdio_chardev, chr);
	int ret;

	pthread_mutex_lock(&s->out_lock);
	ret = chardev_write_all(STDOUT_FILENO, buf, len);
	pthread_mutex_unlock(&s->out_lock);
	return ret ? -1 : (ssize_t)len;
}

static void stdio_print(struct stdio_chardev *s, const char *msg)
{
	stdio_write(&s->chr, msg, strlen(msg));
}

static void stdio_notify_focus(const struct chardev_frontend *fe, bool in)
{
	if (fe->focus)
		fe->focus(fe->opaque, in);
}

/*
 * C-a c: input goes to the other frontend from the next byte on.  The
 * frontends are swapped on the I/O thread, the only reader of chr.fe
 * besides attach.
 */
static void stdio_switch_focus(struct stdio_chardev *s)
{
	struct chardev_frontend old = s->chr.fe;

	if (!s->has_other)
		return;
	s->chr.fe = s->other;
	s->other = old;
	stdio_notify_focus(&s->other, false);
	stdio_notify_focus(&s->chr.fe, true);
	chardev_input_resume(&s->in);
}

/* Runs the -nographic escapes over host input before a frontend sees it. */
static void stdio_deliver(struct chardev_input *in, const unsigned char *buf,
			  size_t len)
{
	struct stdio_chardev *s = container_of(in, struct stdio_chardev, in);
	unsigned char out[CHARDEV_INPUT_CHUNK];
	size_t i, n = 0;

	if (!s->mux) {
		chardev_input_deliver(in, buf, len);
		return;
	}
	for (i = 0; i < len; i++) {
		switch (chardev_escape_feed(&s->esc, buf[i])) {
		case CHARDEV_ESCAPE_INPUT:
			out[n++] = buf[i];
			break;
		case CHARDEV_ESCAPE_HELP:
			stdio_print(s, s->has_other ?
				    chardev_escape_help_monitor :
				    chardev_escape_help);
			break;
		case CHARDEV_ESCAPE_QUIT:
			stdio_print(s, PROGRAM_NAME ": Terminated\n\r");
			s->host.quit(s->host.opaque);
			return;
		case CHARDEV_ESCAPE_FOCUS:
			if (n)
				chardev_input_deliver(in, out, n);
			n = 0;
			stdio_switch_focus(s);
			break;
		case CHARDEV_ESCAPE_NONE:
			break;
		}
	}
	if (n)
		chardev_input_deliver(in, out, n);
}

static int stdio_mux_attach(struct chardev *chr,
			    const struct chardev_frontend *fe)
{
	struct stdio_chardev *s = container_of(chr, struct stdio_chardev, chr);

	if (!s->mux || s->has_other)
		return -1;
	s->other = *fe;
	s->has_other = true;
	return 0;
}

/* QEMU keeps running when stdin ends; only stop polling it. */
static void stdio_eof(struct chardev_input *in)
{
	chardev_input_stop(in);
}

static void stdio_accept_input(struct chardev *chr)
{
	struct stdio_chardev *s = container_of(chr, struct stdio_chardev, chr);

	chardev_input_resume(&s->in);
}

static void stdio_close(struct chardev *chr)
{
	struct stdio_chardev *s = container_of(chr, struct stdio_chardev, chr);

	chardev_input_stop(&s->in);
	if (s->evfd >= 0)
		close(s->evfd);
	chardev_restore_terminal();
	pthread_mutex_destroy(&s->out_lock);
	free(s);
	__atomic_store_n(&stdio_in_use, 0, __ATOMIC_RELEASE);
}

static const struct chardev_ops stdio_ops = {
	.write = stdio_write,
	.accept_input = stdio_accept_input,
	.mux_attach = stdio_mux_attach,
	.close = stdio_close,
};

/*
 * epoll refuses regular files and /dev/null (EPERM), which are always
 * readable anyway.  An eventfd whose count is never consumed is always
 * readable too, and stands in for stdin in the loop.  A closed stdin
 * simply has no input.
 */
static int stdio_start_input(struct stdio_chardev *s)
{
	if (!chardev_input_start(&s->in, STDIN_FILENO, STDIN_FILENO))
		return 0;
	if (errno == EBADF)
		return 0;
	if (errno != EPERM)
		return -1;
	s->evfd = eventfd(1, EFD_CLOEXEC);
	if (s->evfd < 0)
		return -1;
	return chardev_input_start(&s->in, s->evfd, STDIN_FILENO);
}

static struct stdio_chardev *stdio_alloc(const struct chardev_spec *spec,
					 const char *label,
					 struct ioloop *loop,
					 const struct chardev_host *host)
{
	struct stdio_chardev *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	chardev_init(&s->chr, &stdio_ops, label);
	pthread_mutex_init(&s->out_lock, NULL);
	s->mux = spec->mux_escapes;
	if (host)
		s->host = *host;
	s->evfd = -1;
	s->in.chr = &s->chr;
	s->in.loop = loop;
	s->in.poll_fd = -1;
	s->in.deliver = stdio_deliver;
	s->in.eof = stdio_eof;
	return s;
}

struct chardev *chardev_stdio_open(const struct chardev_spec *spec,
				   const char *label, struct ioloop *loop,
				   const struct chardev_host *host, char *err,
				   size_t errlen)
{
	struct stdio_chardev *s;

	if (spec->mux_escapes && (!host || !host->quit)) {
		snprintf(err, errlen, "stdio escapes need a quit handler");
		return NULL;
	}
	if (__atomic_exchange_n(&stdio_in_use, 1, __ATOMIC_ACQUIRE)) {
		snprintf(err, errlen,
			 "cannot use stdio by multiple character devices");
		return NULL;
	}
	s = stdio_alloc(spec, label, loop, host);
	if (!s) {
		__atomic_store_n(&stdio_in_use, 0, __ATOMIC_RELEASE);
		snprintf(err, errlen, "Out of memory");
		return NULL;
	}
	if (term_enter_raw(!spec->mux_escapes)) {
		snprintf(err, errlen, "Could not set up the terminal: %s",
			 strerror(errno));
		stdio_close(&s->chr);
		return NULL;
	}
	if (stdio_start_input(s)) {
		snprintf(err, errlen, "Could not poll stdin: %s",
			 strerror(errno));
		stdio_close(&s->chr);
		return NULL;
	}
	return &s->chr;
}
