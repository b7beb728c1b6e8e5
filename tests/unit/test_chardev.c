/* SPDX-License-Identifier: MIT */
/*
 * Character-device backends: -serial parsing, the Ctrl-A escape decoder,
 * and each backend driven through a real I/O thread.  stdin and stdout are
 * swapped for pipes or a pty around the stdio cases, so the terminal the
 * tests run on is never touched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kvmlite/chardev.h"
#include "kvmlite/ioloop.h"
#include "check.h"

static char tmpdir[64];
static char err[512];

/* A frontend that takes up to @room bytes, as a UART FIFO would. */
struct fake_fe {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned char buf[1 << 16];
	size_t len;
	size_t room;
	int can_calls;
	int quits;
};

static size_t fe_can_receive(void *opaque)
{
	struct fake_fe *fe = opaque;
	size_t room;

	pthread_mutex_lock(&fe->lock);
	fe->can_calls++;
	room = fe->room;
	pthread_mutex_unlock(&fe->lock);
	return room;
}

static void fe_receive(void *opaque, const unsigned char *buf, size_t len)
{
	struct fake_fe *fe = opaque;

	pthread_mutex_lock(&fe->lock);
	if (len > fe->room || fe->len + len > sizeof(fe->buf))
		fe->room = (size_t)-1;	/* overrun: shows up as a failure */
	else
		fe->room -= len;
	if (fe->len + len <= sizeof(fe->buf)) {
		memcpy(fe->buf + fe->len, buf, len);
		fe->len += len;
	}
	pthread_cond_broadcast(&fe->cond);
	pthread_mutex_unlock(&fe->lock);
}

static void fe_quit(void *opaque)
{
	struct fake_fe *fe = opaque;

	pthread_mutex_lock(&fe->lock);
	fe->quits++;
	pthread_cond_broadcast(&fe->cond);
	pthread_mutex_unlock(&fe->lock);
}

static void fe_init(struct fake_fe *fe, size_t room)
{
	memset(fe, 0, sizeof(*fe));
	pthread_mutex_init(&fe->lock, NULL);
	pthread_cond_init(&fe->cond, NULL);
	fe->room = room;
}

static void fe_attach(struct fake_fe *fe, struct chardev *chr)
{
	struct chardev_frontend f = {
		.can_receive = fe_can_receive,
		.receive = fe_receive,
		.opaque = fe,
	};

	chardev_attach(chr, &f);
}

static void fe_set_room(struct fake_fe *fe, size_t room)
{
	pthread_mutex_lock(&fe->lock);
	fe->room = room;
	pthread_mutex_unlock(&fe->lock);
}

/* Waits up to two seconds for @len bytes and @quits quit calls. */
static bool fe_wait(struct fake_fe *fe, size_t len, int quits)
{
	struct timespec deadline;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	pthread_mutex_lock(&fe->lock);
	while (fe->len < len || fe->quits < quits)
		if (pthread_cond_timedwait(&fe->cond, &fe->lock, &deadline))
			break;
	ok = fe->len >= len && fe->quits >= quits;
	pthread_mutex_unlock(&fe->lock);
	return ok;
}

/* Whether the bytes received from offset @off on are exactly @want. */
static bool fe_has_at(struct fake_fe *fe, size_t off, const char *want)
{
	size_t len = strlen(want);
	bool ok;

	pthread_mutex_lock(&fe->lock);
	ok = fe->len == off + len && !memcmp(fe->buf + off, want, len);
	pthread_mutex_unlock(&fe->lock);
	return ok;
}

static bool fe_has(struct fake_fe *fe, const char *want)
{
	return fe_has_at(fe, 0, want);
}

/* @fe's counters, read together under its lock. */
struct fe_counts {
	size_t len;
	int can_calls;
};

static struct fe_counts fe_counts(struct fake_fe *fe)
{
	struct fe_counts c;

	pthread_mutex_lock(&fe->lock);
	c.len = fe->len;
	c.can_calls = fe->can_calls;
	pthread_mutex_unlock(&fe->lock);
	return c;
}

static size_t fe_len(struct fake_fe *fe)
{
	return fe_counts(fe).len;
}

static int fe_calls(struct fake_fe *fe)
{
	return fe_counts(fe).can_calls;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps 100ms and tells whether some thread kept a CPU busy meanwhile. */
static bool idle_spins(void)
{
	long before = cpu_ms();

	msleep(100);
	return cpu_ms() - before > 30;
}

/* Reads exactly @len bytes from @fd within two seconds. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len && poll(&pfd, 1, 2000) == 1) {
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

static bool read_expect(int fd, const char *want)
{
	char buf[512] = "";
	size_t len = strlen(want);

	return read_full(fd, buf, len) == (ssize_t)len &&
	       !memcmp(buf, want, len);
}

static void tmp_path(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", tmpdir, name);
}

static struct ioloop *loop_start(void)
{
	struct ioloop *loop = ioloop_new();

	if (loop && ioloop_start(loop)) {
		ioloop_free(loop);
		return NULL;
	}
	return loop;
}

/* chardev_close() wants the loop's thread gone first. */
static void loop_end(struct ioloop *loop, struct chardev *chr)
{
	ioloop_stop(loop);
	chardev_close(chr);
	ioloop_free(loop);
}

static int parse(const char *text, struct chardev_spec *spec)
{
	err[0] = '\0';
	return chardev_parse(text, spec, err, sizeof(err));
}

static struct chardev *open_spec(const struct chardev_spec *spec,
				 struct ioloop *loop,
				 const struct chardev_host *host)
{
	err[0] = '\0';
	return chardev_open(spec, "serial0", loop, host, err, sizeof(err));
}

static struct chardev *open_text(const char *text, struct ioloop *loop)
{
	struct chardev_spec spec;

	if (parse(text, &spec))
		return NULL;
	return open_spec(&spec, loop, NULL);
}

/* ---- parsing ---- */

/* @text must parse, with server and wait as given. */
static void check_parse_socket(struct chardev_spec *spec, const char *text,
			       bool server, bool wait)
{
	CHECK_EQ(parse(text, spec), 0);
	CHECK_EQ(spec->server, server);
	CHECK_EQ(spec->wait, wait);
}

/* @text must be refused with the message @want. */
static void check_parse_error(struct chardev_spec *spec, const char *text,
			      const char *want)
{
	CHECK_EQ(parse(text, spec), -1);
	CHECK_STR(err, want);
}

TEST(parse_plain_forms)
{
	static const struct {
		const char *text;
		enum chardev_kind kind;
	} cases[] = {
		{ "stdio", CHARDEV_STDIO }, { "null", CHARDEV_NULL },
		{ "none", CHARDEV_NONE }, { "pty", CHARDEV_PTY },
	};
	struct chardev_spec spec;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK_EQ(parse(cases[i].text, &spec), 0);
		CHECK_EQ(spec.kind, cases[i].kind);
		CHECK_STR(spec.path, "");
		CHECK(!spec.server && !spec.wait && !spec.mux_escapes);
	}
}

TEST(parse_file_takes_rest_verbatim)
{
	struct chardev_spec spec;

	CHECK_EQ(parse("file:/tmp/a,b=c", &spec), 0);
	CHECK_EQ(spec.kind, CHARDEV_FILE);
	CHECK_STR(spec.path, "/tmp/a,b=c");
}

TEST(parse_file_empty)
{
	struct chardev_spec spec;

	check_parse_error(&spec, "file:", "chardev: file: no filename given");
}

TEST(parse_file_too_long)
{
	struct chardev_spec spec;
	char text[400] = "file:";

	memset(text + 5, 'a', 256);
	CHECK_EQ(parse(text, &spec), -1);
	CHECK(strstr(err, "is too long (max 255 bytes)") != NULL);
	memset(text + 5, 'a', 255);
	text[5 + 255] = '\0';
	CHECK_EQ(parse(text, &spec), 0);
	CHECK_EQ(strlen(spec.path), 255);
}

TEST(parse_unix_client)
{
	struct chardev_spec spec;

	CHECK_EQ(parse("unix:/tmp/s.sock", &spec), 0);
	CHECK_EQ(spec.kind, CHARDEV_UNIX);
	CHECK_STR(spec.path, "/tmp/s.sock");
	CHECK(!spec.server);
	CHECK(!spec.wait);
}

TEST(parse_unix_server_waits_by_default)
{
	struct chardev_spec spec;

	check_parse_socket(&spec, "unix:/tmp/s,server", true, true);
	check_parse_socket(&spec, "unix:/tmp/s,server=on", true, true);
	check_parse_socket(&spec, "unix:/tmp/s,server=on,wait=on", true, true);
}

TEST(parse_unix_server_nowait)
{
	struct chardev_spec spec;

	check_parse_socket(&spec, "unix:/tmp/s,server,nowait", true, false);
	check_parse_socket(&spec, "unix:/tmp/s,server=on,wait=off", true,
			   false);
	check_parse_socket(&spec, "unix:/tmp/s,wait=off,server", true, false);
	CHECK_STR(spec.path, "/tmp/s");
}

TEST(parse_unix_bool_spellings)
{
	struct chardev_spec spec;

	check_parse_socket(&spec, "unix:/s,server=yes,wait=no", true, false);
	check_parse_socket(&spec, "unix:/s,server=true,wait=false", true,
			   false);
	check_parse_socket(&spec, "unix:/s,server=off", false, false);
	CHECK_EQ(parse("unix:/s,noserver", &spec), 0);
	CHECK(!spec.server);
}

TEST(parse_unix_double_comma_escapes)
{
	struct chardev_spec spec;

	CHECK_EQ(parse("unix:/tmp/a,,b,server", &spec), 0);
	CHECK_STR(spec.path, "/tmp/a,b");
	CHECK(spec.server);
}

TEST(parse_unix_bad_bool)
{
	struct chardev_spec spec;

	check_parse_error(&spec, "unix:/s,server=maybe",
			  "Parameter 'server' expects 'on' or 'off'");
	check_parse_error(&spec, "unix:/s,server,wait=",
			  "Parameter 'wait' expects 'on' or 'off'");
	CHECK_EQ(spec.kind, CHARDEV_NONE);
}

TEST(parse_unix_unknown_key)
{
	struct chardev_spec spec;

	check_parse_error(&spec, "unix:/s,server,nodelay=on",
			  "Invalid parameter 'nodelay'");
	check_parse_error(&spec, "unix:/s,averyveryveryverylongoptionname=1",
			  "Invalid parameter 'averyveryveryverylongoptionname'");
}

TEST(parse_unix_wait_needs_server)
{
	struct chardev_spec spec;

	check_parse_error(&spec, "unix:/s,nowait",
			  "'wait' option is incompatible with socket in client connect mode");
	CHECK_EQ(parse("unix:/s,server=off,wait=on", &spec), -1);
}

TEST(parse_unix_empty_path)
{
	struct chardev_spec spec;

	check_parse_error(&spec, "unix:",
			  "chardev: unix: no socket path given");
	check_parse_error(&spec, "unix:,server",
			  "chardev: unix: no socket path given");
}

TEST(parse_unix_path_too_long)
{
	struct sockaddr_un sun;
	struct chardev_spec spec;
	char text[300] = "unix:";
	size_t max = sizeof(sun.sun_path) - 1;

	memset(text + 5, 'a', max + 1);
	strcat(text, ",server");
	CHECK_EQ(parse(text, &spec), -1);
	CHECK(strstr(err, "is too long (must be less than 108 bytes)") != NULL);
	CHECK(strstr(err, ",server") == NULL);
	text[5 + max] = '\0';
	CHECK_EQ(parse(text, &spec), 0);
	CHECK_EQ(strlen(spec.path), max);
}

TEST(parse_tcp_forms)
{
	struct chardev_spec spec;

	check_parse_socket(&spec, "tcp:127.0.0.1:4444,server=on,wait=off",
			   true, false);
	CHECK_EQ(spec.kind, CHARDEV_TCP);
	CHECK_STR(spec.host, "127.0.0.1");
	CHECK_STR(spec.port, "4444");
	check_parse_socket(&spec, "tcp::5555,server,nowait,nodelay", true,
			   false);
	CHECK_STR(spec.host, "");
	CHECK_STR(spec.port, "5555");
	check_parse_socket(&spec, "tcp:[::1]:6,server", true, true);
	CHECK_STR(spec.host, "::1");
	check_parse_socket(&spec, "tcp:localhost:7", false, false);
	CHECK_STR(spec.host, "localhost");
}

TEST(parse_tcp_errors)
{
	struct chardev_spec spec;

	check_parse_error(&spec, "tcp:4444", "error parsing address '4444'");
	check_parse_error(&spec, "tcp:host:,server",
			  "error parsing address 'host:'");
	check_parse_error(&spec, "tcp:host:12x", "error parsing address 'host:12x'");
	check_parse_error(&spec, "tcp:h:1,nowait",
			  "'wait' option is incompatible with socket in client connect mode");
	check_parse_error(&spec, "tcp:h:1,server,reconnect=1",
			  "Invalid parameter 'reconnect'");
	CHECK_EQ(spec.kind, CHARDEV_NONE);
}

TEST(parse_mon_stdio)
{
	struct chardev_spec spec;

	CHECK_EQ(parse("mon:stdio", &spec), 0);
	CHECK_EQ(spec.kind, CHARDEV_STDIO);
	CHECK(spec.mux_escapes && spec.mux_monitor);
	check_parse_error(&spec, "mon:pty",
			  "'mon:pty': kvmlite shares the monitor with stdio only (mon:stdio)");
}

TEST(parse_unknown_driver)
{
	struct chardev_spec spec;

	check_parse_error(&spec, "foo", "'foo' is not a valid char driver");
	check_parse_error(&spec, "telnet:127.0.0.1:4444,server",
			  "'telnet:127.0.0.1:4444,server' is not a valid char driver");
	CHECK_EQ(parse("stdio,signal=off", &spec), -1);
	check_parse_error(&spec, "", "'' is not a valid char driver");
}

/* ---- the escape decoder ---- */

static enum chardev_escape_action feed(struct chardev_escape *esc, char c)
{
	return chardev_escape_feed(esc, (unsigned char)c);
}

/* Feeds Ctrl-A, which must wait for the next byte, and then @c. */
static enum chardev_escape_action feed_ctrl_a(struct chardev_escape *esc,
					      char c)
{
	CHECK_EQ(feed(esc, 0x01), CHARDEV_ESCAPE_NONE);
	return feed(esc, c);
}

TEST(escape_plain_bytes_pass)
{
	struct chardev_escape esc = { 0 };
	const char *s = "ls -l\r\x03x";

	for (; *s; s++)
		CHECK_EQ(feed(&esc, *s), CHARDEV_ESCAPE_INPUT);
}

TEST(escape_ctrl_a_x_quits)
{
	struct chardev_escape esc = { 0 };

	CHECK_EQ(feed_ctrl_a(&esc, 'x'), CHARDEV_ESCAPE_QUIT);
}

TEST(escape_ctrl_a_twice_passes_one)
{
	struct chardev_escape esc = { 0 };

	CHECK_EQ(feed_ctrl_a(&esc, 0x01), CHARDEV_ESCAPE_INPUT);
	/* The passed Ctrl-A does not start another escape. */
	CHECK_EQ(feed(&esc, 'x'), CHARDEV_ESCAPE_INPUT);
}

TEST(escape_ctrl_a_h_help)
{
	struct chardev_escape esc = { 0 };

	CHECK_EQ(feed_ctrl_a(&esc, 'h'), CHARDEV_ESCAPE_HELP);
	CHECK_EQ(feed(&esc, 'h'), CHARDEV_ESCAPE_INPUT);
	CHECK_EQ(feed_ctrl_a(&esc, '?'), CHARDEV_ESCAPE_HELP);
}

TEST(escape_ctrl_a_other_ignored)
{
	struct chardev_escape esc = { 0 };

	CHECK_EQ(feed_ctrl_a(&esc, 'q'), CHARDEV_ESCAPE_NONE);
	CHECK_EQ(feed(&esc, 'x'), CHARDEV_ESCAPE_INPUT);
	CHECK_EQ(feed_ctrl_a(&esc, 'b'), CHARDEV_ESCAPE_NONE);
	CHECK_EQ(feed(&esc, 'a'), CHARDEV_ESCAPE_INPUT);
}

TEST(escape_ctrl_a_c_switches_focus)
{
	struct chardev_escape esc = { 0 };

	CHECK_EQ(feed_ctrl_a(&esc, 'c'), CHARDEV_ESCAPE_FOCUS);
	CHECK_EQ(feed(&esc, 'c'), CHARDEV_ESCAPE_INPUT);
}

TEST(escape_help_text)
{
	CHECK_STR(chardev_escape_help,
		  "\n\rC-a h    print this help\n\r"
		  "C-a x    exit emulator\n\r"
		  "C-a C-a  sends C-a\n\r");
}

/* ---- null, file ---- */

TEST(open_none_refused)
{
	struct chardev_spec spec = { .kind = CHARDEV_NONE };

	CHECK(open_spec(&spec, NULL, NULL) == NULL);
	CHECK(err[0] != '\0');
}

TEST(null_discards)
{
	struct chardev *chr = open_text("null", NULL);

	CHECK(chr != NULL);
	if (!chr)
		return;
	CHECK_STR(chr->label, "serial0");
	CHECK_EQ(chardev_write(chr, "hello", 5), 5);
	chardev_accept_input(chr);
	chardev_close(chr);
}

TEST(file_writes_land)
{
	char path[128], text[160], buf[64] = "";
	struct chardev *chr;
	int fd;

	tmp_path(path, sizeof(path), "out.txt");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK(write(fd, "stale contents here", 19) == 19);
	close(fd);
	snprintf(text, sizeof(text), "file:%s", path);
	chr = open_text(text, NULL);
	CHECK(chr != NULL);
	if (!chr)
		return;
	CHECK_EQ(chardev_write(chr, "Hello ", 6), 6);
	CHECK_EQ(chardev_write(chr, "guest\r\n", 7), 7);
	chardev_close(chr);
	fd = open(path, O_RDONLY);
	CHECK_EQ(read(fd, buf, sizeof(buf) - 1), 13);
	close(fd);
	CHECK_STR(buf, "Hello guest\r\n");
	unlink(path);
}

TEST(file_open_error)
{
	CHECK(open_text("file:/nonexistent/dir/x", NULL) == NULL);
	CHECK_STR(err,
		  "Could not open '/nonexistent/dir/x': No such file or directory");
}

/* ---- unix sockets ---- */

static int sock_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int sock_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 1)) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST(unix_connect_error)
{
	char path[128], text[256];

	tmp_path(path, sizeof(path), "nosuch.sock");
	snprintf(text, sizeof(text), "unix:%s", path);
	CHECK(open_text(text, NULL) == NULL);
	snprintf(text, sizeof(text),
		 "Failed to connect to '%s': No such file or directory", path);
	CHECK_STR(err, text);
}

TEST(unix_bind_error)
{
	struct ioloop *loop = ioloop_new();

	CHECK(open_text("unix:/nonexistent/x.sock,server=on,wait=off",
			loop) == NULL);
	CHECK_STR(err,
		  "Failed to bind socket to /nonexistent/x.sock: No such file or directory");
	ioloop_free(loop);
}

/* Client sends "ping", the guest answers "pong". */
static void round_trip(struct chardev *chr, struct fake_fe *fe, int client,
		       const char *ping)
{
	size_t before = fe_len(fe);

	CHECK(write(client, ping, strlen(ping)) == (ssize_t)strlen(ping));
	CHECK(fe_wait(fe, before + strlen(ping), 0));
	CHECK(fe_has_at(fe, before, ping));
	CHECK_EQ(chardev_write(chr, "pong", 4), 4);
	CHECK(read_expect(client, "pong"));
}

/* A unix socket chardev on a running loop, with a frontend attached. */
struct unix_rig {
	struct ioloop *loop;
	struct chardev *chr;
	struct fake_fe fe;
	char path[128];
};

/*
 * Opens "unix:PATH@opts", PATH being @name in the temporary directory,
 * and attaches a frontend with room for @room bytes.  False if it could
 * not be opened.
 */
static bool unix_open(struct unix_rig *u, const char *name, const char *opts,
		      size_t room)
{
	char text[160];

	u->loop = loop_start();
	tmp_path(u->path, sizeof(u->path), name);
	snprintf(text, sizeof(text), "unix:%s%s", u->path, opts);
	u->chr = open_text(text, u->loop);
	CHECK(u->chr != NULL);
	if (!u->chr)
		return false;
	fe_init(&u->fe, room);
	fe_attach(&u->fe, u->chr);
	return true;
}

/*
 * With input paused, can_receive() must not be polled over and over
 * while the test sleeps.  Returns how often it was called before.
 */
static int check_not_polled(struct fake_fe *fe)
{
	int calls = fe_calls(fe);

	CHECK(!idle_spins());
	CHECK_EQ(fe_calls(fe), calls);
	return calls;
}

/* Gives @fe room for @room bytes; then it must hold exactly @want. */
static void resume_input(struct fake_fe *fe, struct chardev *chr,
			 size_t room, const char *want)
{
	fe_set_room(fe, room);
	chardev_accept_input(chr);
	CHECK(fe_wait(fe, strlen(want), 0));
	CHECK(fe_has(fe, want));
}

TEST(unix_server_round_trip)
{
	struct unix_rig u;
	int client;

	if (!unix_open(&u, "srv.sock", ",server,nowait", 1024))
		return;
	/* Nobody connected: dropped at once, never blocks. */
	CHECK_EQ(chardev_write(u.chr, "lost", 4), 4);
	client = sock_connect(u.path);
	CHECK(client >= 0);
	round_trip(u.chr, &u.fe, client, "ping");
	close(client);
	loop_end(u.loop, u.chr);
	CHECK(access(u.path, F_OK) != 0);
}

TEST(unix_server_backpressure)
{
	struct unix_rig u;
	int client, calls;

	if (!unix_open(&u, "bp.sock", ",server=on,wait=off", 0))
		return;
	client = sock_connect(u.path);
	CHECK(write(client, "abcdef", 6) == 6);
	msleep(100);
	CHECK_EQ(fe_len(&u.fe), 0);
	/* Paused, not spinning: can_receive is not polled over and over. */
	calls = check_not_polled(&u.fe);
	CHECK(calls < 10);
	/* Room for two bytes: exactly two arrive, then it pauses again. */
	fe_set_room(&u.fe, 2);
	chardev_accept_input(u.chr);
	CHECK(fe_wait(&u.fe, 2, 0));
	msleep(50);
	CHECK(fe_has(&u.fe, "ab"));
	resume_input(&u.fe, u.chr, 100, "abcdef");
	close(client);
	loop_end(u.loop, u.chr);
}

/* A client that leaves while input is paused must not spin the loop. */
TEST(unix_hangup_while_paused)
{
	struct unix_rig u;
	int client;

	if (!unix_open(&u, "hup.sock", ",server,nowait", 0))
		return;
	client = sock_connect(u.path);
	CHECK(write(client, "xyz", 3) == 3);
	close(client);
	msleep(50);
	check_not_polled(&u.fe);
	/* The queued bytes still arrive once there is room. */
	resume_input(&u.fe, u.chr, 100, "xyz");
	/* Then the server takes a new client. */
	client = sock_connect(u.path);
	CHECK(client >= 0);
	round_trip(u.chr, &u.fe, client, "again");
	close(client);
	loop_end(u.loop, u.chr);
}

TEST(unix_server_takes_next_client)
{
	struct unix_rig u;
	int client, second;

	if (!unix_open(&u, "next.sock", ",server,nowait", 1024))
		return;
	client = sock_connect(u.path);
	round_trip(u.chr, &u.fe, client, "one");
	/* A second client waits unheard in the backlog until the first goes. */
	second = sock_connect(u.path);
	CHECK(second >= 0);
	CHECK(write(second, "two", 3) == 3);
	msleep(50);
	CHECK(fe_has(&u.fe, "one"));
	round_trip(u.chr, &u.fe, client, "ONE");
	close(client);
	CHECK(fe_wait(&u.fe, 9, 0));
	CHECK(fe_has(&u.fe, "oneONEtwo"));
	CHECK_EQ(chardev_write(u.chr, "pong", 4), 4);
	CHECK(read_expect(second, "pong"));
	close(second);
	loop_end(u.loop, u.chr);
}

struct late_client {
	char path[128];
	int fd;
};

static void *late_connect(void *opaque)
{
	struct late_client *lc = opaque;
	int i;

	for (i = 0; i < 400 && lc->fd < 0; i++) {
		msleep(5);
		lc->fd = sock_connect(lc->path);
	}
	return NULL;
}

TEST(unix_server_wait_blocks_for_client)
{
	struct late_client lc = { .fd = -1 };
	struct ioloop *loop = loop_start();
	char text[160], want[256], msg[256] = "";
	struct chardev *chr;
	struct fake_fe fe;
	pthread_t thread;
	int pipefd[2], saved;

	tmp_path(lc.path, sizeof(lc.path), "wait.sock");
	snprintf(text, sizeof(text), "unix:%s,server", lc.path);
	CHECK(pipe(pipefd) == 0);
	saved = dup(STDERR_FILENO);
	dup2(pipefd[1], STDERR_FILENO);
	pthread_create(&thread, NULL, late_connect, &lc);
	chr = open_text(text, loop);
	dup2(saved, STDERR_FILENO);
	close(saved);
	pthread_join(thread, NULL);
	CHECK(chr != NULL);
	CHECK(lc.fd >= 0);
	close(pipefd[1]);
	CHECK(read(pipefd[0], msg, sizeof(msg) - 1) > 0);
	close(pipefd[0]);
	snprintf(want, sizeof(want),
		 "kvmlite: info: kvmlite waiting for connection on: disconnected:unix:%s,server=on\n",
		 lc.path);
	CHECK_STR(msg, want);
	if (!chr)
		return;
	fe_init(&fe, 1024);
	fe_attach(&fe, chr);
	round_trip(chr, &fe, lc.fd, "first");
	close(lc.fd);
	loop_end(loop, chr);
}

TEST(unix_client_round_trip)
{
	struct unix_rig u;
	char path[128];
	int srv, peer;

	tmp_path(path, sizeof(path), "cli.sock");
	srv = sock_listen(path);
	CHECK(srv >= 0);
	if (!unix_open(&u, "cli.sock", "", 1024))
		return;
	peer = accept(srv, NULL, NULL);
	round_trip(u.chr, &u.fe, peer, "hi");
	/* The server goes away: output is dropped, never blocks. */
	close(peer);
	msleep(50);
	CHECK_EQ(chardev_write(u.chr, "gone", 4), 4);
	loop_end(u.loop, u.chr);
	close(srv);
	unlink(path);
}

TEST(unix_server_replaces_stale_socket_only)
{
	struct ioloop *loop = ioloop_new();
	char path[128], text[160], want[256];
	struct chardev *chr;
	int fd;

	tmp_path(path, sizeof(path), "stale.sock");
	fd = sock_listen(path);
	close(fd);	/* leaves the socket file behind */
	snprintf(text, sizeof(text), "unix:%s,server,nowait", path);
	chr = open_text(text, loop);
	CHECK(chr != NULL);
	chardev_close(chr);
	/* A regular file in the way is an error, not deleted. */
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	CHECK(open_text(text, loop) == NULL);
	snprintf(want, sizeof(want),
		 "Failed to bind socket to %s: Address already in use", path);
	CHECK_STR(err, want);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
	ioloop_free(loop);
}

/* ---- pty ---- */

/* Opens @text with stdout captured into @out. */
static void capture_stdout(char *out, size_t outlen, struct chardev **chr,
			   const char *text, struct ioloop *loop)
{
	int pipefd[2], saved;
	ssize_t n;

	fflush(stdout);
	if (pipe(pipefd))
		return;
	saved = dup(STDOUT_FILENO);
	dup2(pipefd[1], STDOUT_FILENO);
	*chr = open_text(text, loop);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(pipefd[1]);
	n = read(pipefd[0], out, outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
}

TEST(pty_round_trip_and_never_blocks)
{
	struct ioloop *loop = loop_start();
	char msg[256], name[64], buf[4096];
	struct timespec t0, t1;
	struct chardev *chr = NULL;
	struct fake_fe fe;
	int slave, i;

	capture_stdout(msg, sizeof(msg), &chr, "pty", loop);
	CHECK(chr != NULL);
	if (!chr)
		return;
	CHECK(sscanf(msg, "char device redirected to %63s (label serial0)",
		     name) == 1);
	CHECK(strncmp(name, "/dev/pts/", 9) == 0);
	snprintf(buf, sizeof(buf),
		 "char device redirected to %s (label serial0)\n", name);
	CHECK_STR(msg, buf);
	fe_init(&fe, 1024);
	fe_attach(&fe, chr);
	slave = open(name, O_RDWR | O_NOCTTY);
	CHECK(slave >= 0);
	round_trip(chr, &fe, slave, "typed");
	close(slave);
	/* No reader: 4 MiB of output must come back at once, not block. */
	memset(buf, 'z', sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1024; i++)
		CHECK_EQ(chardev_write(chr, buf, sizeof(buf)), sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 2);
	loop_end(loop, chr);
}

/* ---- stdio ---- */

struct redirect {
	int saved_in, saved_out;
	int in_w;		/* write end feeding stdin */
	int out_r;		/* read end of stdout */
};

static void redirect_begin(struct redirect *r)
{
	int in[2], out[2];

	fflush(stdout);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		abort();
	r->saved_in = dup(STDIN_FILENO);
	r->saved_out = dup(STDOUT_FILENO);
	dup2(in[0], STDIN_FILENO);
	dup2(out[1], STDOUT_FILENO);
	close(in[0]);
	close(out[1]);
	r->in_w = in[1];
	r->out_r = out[0];
}

static void redirect_end(struct redirect *r)
{
	dup2(r->saved_in, STDIN_FILENO);
	dup2(r->saved_out, STDOUT_FILENO);
	close(r->saved_in);
	close(r->saved_out);
	if (r->in_w >= 0)
		close(r->in_w);
	close(r->out_r);
}

static struct chardev *open_stdio(struct ioloop *loop, bool mux,
				  struct fake_fe *fe)
{
	struct chardev_spec spec = { .kind = CHARDEV_STDIO,
				     .mux_escapes = mux };
	struct chardev_host host = { .quit = fe_quit, .opaque = fe };

	return open_spec(&spec, loop, &host);
}

TEST(stdio_second_refused)
{
	struct ioloop *loop = ioloop_new();
	struct chardev *a, *b;
	struct redirect r;

	redirect_begin(&r);
	a = open_stdio(loop, false, NULL);
	b = open_stdio(loop, false, NULL);
	CHECK(a != NULL);
	CHECK(b == NULL);
	CHECK_STR(err, "cannot use stdio by multiple character devices");
	chardev_close(a);
	/* Closing the first frees stdio again. */
	b = open_stdio(loop, false, NULL);
	CHECK(b != NULL);
	chardev_close(b);
	redirect_end(&r);
	ioloop_free(loop);
}

/* stdio on a running loop, with stdin and stdout swapped for pipes. */
struct stdio_rig {
	struct ioloop *loop;
	struct chardev *chr;
	struct fake_fe fe;
	struct redirect r;
};

/*
 * Opens stdio, with Ctrl-A escapes if @mux, and attaches a frontend with
 * room for @room bytes.  @in, unless -1, replaces the stdin pipe (and is
 * closed).  False if it could not be opened; stdio_end() is due either way.
 */
static bool stdio_begin(struct stdio_rig *s, bool mux, size_t room, int in)
{
	s->loop = loop_start();
	fe_init(&s->fe, room);
	redirect_begin(&s->r);
	if (in >= 0) {
		dup2(in, STDIN_FILENO);
		close(in);
	}
	s->chr = open_stdio(s->loop, mux, &s->fe);
	CHECK(s->chr != NULL);
	if (!s->chr)
		return false;
	fe_attach(&s->fe, s->chr);
	return true;
}

static void stdio_end(struct stdio_rig *s)
{
	ioloop_stop(s->loop);
	chardev_close(s->chr);
	redirect_end(&s->r);
	ioloop_free(s->loop);
}

TEST(stdio_round_trip)
{
	struct stdio_rig s;

	if (stdio_begin(&s, false, 1024, -1)) {
		CHECK(write(s.r.in_w, "in\x01x", 4) == 4);
		CHECK(fe_wait(&s.fe, 4, 0));
		/* Without -nographic Ctrl-A is an ordinary byte. */
		CHECK(fe_has(&s.fe, "in\x01x"));
		CHECK_EQ(s.fe.quits, 0);
		CHECK_EQ(chardev_write(s.chr, "out\r\n", 5), 5);
		CHECK(read_expect(s.r.out_r, "out\r\n"));
	}
	stdio_end(&s);
}

TEST(stdio_mux_escapes)
{
	struct stdio_rig s;

	if (stdio_begin(&s, true, 1024, -1)) {
		CHECK(write(s.r.in_w, "a\x01\x01" "b\x01q", 6) == 6);
		CHECK(fe_wait(&s.fe, 3, 0));
		CHECK(write(s.r.in_w, "\x01h", 2) == 2);
		CHECK(read_expect(s.r.out_r, chardev_escape_help));
		CHECK(write(s.r.in_w, "\x01x", 2) == 2);
		CHECK(fe_wait(&s.fe, 3, 1));
		CHECK(read_expect(s.r.out_r, "kvmlite: Terminated\n\r"));
		CHECK(fe_has(&s.fe, "a\x01" "b"));
	}
	stdio_end(&s);
}

/* QEMU keeps running at the end of stdin; polling it must stop. */
TEST(stdio_eof_stops_polling)
{
	struct stdio_rig s;
	int calls;

	if (stdio_begin(&s, false, 1024, -1)) {
		CHECK(write(s.r.in_w, "last", 4) == 4);
		close(s.r.in_w);
		s.r.in_w = -1;
		CHECK(fe_wait(&s.fe, 4, 0));
		msleep(50);
		calls = check_not_polled(&s.fe);
		CHECK(calls < 10);
		chardev_accept_input(s.chr);
		CHECK_EQ(chardev_write(s.chr, "still", 5), 5);
		CHECK(read_expect(s.r.out_r, "still"));
	}
	stdio_end(&s);
}

/* epoll refuses regular files; input from one must still arrive. */
TEST(stdio_regular_file_input)
{
	struct stdio_rig s;
	char path[128];
	int fd;

	tmp_path(path, sizeof(path), "stdin.txt");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(write(fd, "from a file", 11) == 11);
	lseek(fd, 0, SEEK_SET);
	if (stdio_begin(&s, false, 4, fd)) {
		CHECK(fe_wait(&s.fe, 4, 0));
		resume_input(&s.fe, s.chr, 100, "from a file");
	}
	stdio_end(&s);
	unlink(path);
}

static int open_pty(int *master, int *slave)
{
	char name[64];

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) || unlockpt(*master) ||
	    ptsname_r(*master, name, sizeof(name)))
		return -1;
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	return *slave < 0 ? -1 : 0;
}

static bool term_is_cooked(int fd)
{
	struct termios tio;

	return !tcgetattr(fd, &tio) && (tio.c_lflag & ICANON) &&
	       (tio.c_lflag & ECHO) && (tio.c_lflag & ISIG) &&
	       (tio.c_iflag & ICRNL);
}

/*
 * A terminal on stdin goes raw; -nographic also drops ISIG so Ctrl-C
 * reaches the guest.  Closing gives the terminal back as it was.
 */
static void check_raw_mode(bool mux)
{
	struct ioloop *loop = ioloop_new();
	struct termios tio;
	struct chardev *chr;
	struct redirect r;
	int master, slave;

	CHECK(open_pty(&master, &slave) == 0);
	CHECK(term_is_cooked(slave));
	redirect_begin(&r);
	dup2(slave, STDIN_FILENO);
	chr = open_stdio(loop, mux, NULL);
	CHECK(chr != NULL);
	CHECK(tcgetattr(slave, &tio) == 0);
	CHECK(!(tio.c_lflag & (ICANON | ECHO)));
	CHECK(!(tio.c_iflag & (ICRNL | IXON)));
	CHECK(!!(tio.c_lflag & ISIG) == !mux);
	CHECK(tio.c_cc[VMIN] == 1);
	chardev_close(chr);
	CHECK(term_is_cooked(slave));
	redirect_end(&r);
	close(slave);
	close(master);
	ioloop_free(loop);
}

TEST(stdio_tty_raw_plain_keeps_isig)
{
	check_raw_mode(false);
}

TEST(stdio_tty_raw_nographic)
{
	check_raw_mode(true);
}

/*
 * Runs @child(slave, @arg) in a child process, with the slave end of a
 * fresh pty to put on its stdin; @child must not return.  The terminal
 * must be cooked again once the child is gone.  Returns its wait status.
 */
static int run_on_pty(void (*child)(int slave, int arg), int arg)
{
	int master, slave, status = 0;
	pid_t pid;

	CHECK(open_pty(&master, &slave) == 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		child(slave, arg);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(term_is_cooked(slave));
	close(slave);
	close(master);
	return status;
}

/* In the child: stdio on @slave, which must go raw, or exit status 2. */
static void child_open_stdio(int slave, bool mux,
			     const struct chardev_host *host)
{
	struct ioloop *loop = ioloop_new();
	struct chardev_spec spec = { .kind = CHARDEV_STDIO,
				     .mux_escapes = mux };

	dup2(slave, STDIN_FILENO);
	if (!chardev_open(&spec, "serial0", loop, host, err, sizeof(err)) ||
	    term_is_cooked(slave))
		_exit(2);
}

static void child_killed_by(int slave, int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct rlimit nocore = { 0, 0 };

	setrlimit(RLIMIT_CORE, &nocore);
	/* A test runner may have left SIGINT or SIGHUP ignored. */
	sigaction(sig, &dfl, NULL);
	child_open_stdio(slave, false, NULL);
	kill(getpid(), sig);
	_exit(3);
}

/* The restore must survive a terminating signal, which then still kills. */
static void check_signal_restores(int sig)
{
	int status = run_on_pty(child_killed_by, sig);

	CHECK(WIFSIGNALED(status));
	if (WIFSIGNALED(status))
		CHECK_EQ(WTERMSIG(status), sig);
	else
		printf("  child exited %d\n", WEXITSTATUS(status));
}

TEST(stdio_signals_restore_terminal)
{
	check_signal_restores(SIGTERM);
	check_signal_restores(SIGINT);
	check_signal_restores(SIGHUP);
	check_signal_restores(SIGQUIT);
}

static void child_exits(int slave, int unused)
{
	struct chardev_host host = { .quit = fe_quit };

	(void)unused;
	child_open_stdio(slave, true, &host);
	exit(0);
}

TEST(stdio_restore_terminal_on_exit)
{
	int status = run_on_pty(child_exits, 0);

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void remove_tmpdir(void)
{
	struct dirent *de;
	char path[512];
	DIR *dir = opendir(tmpdir);

	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	if (dir)
		closedir(dir);
	rmdir(tmpdir);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kvmlite-chardev-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(parse_plain_forms);
	RUN(parse_file_takes_rest_verbatim);
	RUN(parse_file_empty);
	RUN(parse_file_too_long);
	RUN(parse_unix_client);
	RUN(parse_unix_server_waits_by_default);
	RUN(parse_unix_server_nowait);
	RUN(parse_unix_bool_spellings);
	RUN(parse_unix_double_comma_escapes);
	RUN(parse_unix_bad_bool);
	RUN(parse_unix_unknown_key);
	RUN(parse_unix_wait_needs_server);
	RUN(parse_unix_empty_path);
	RUN(parse_unix_path_too_long);
	RUN(parse_tcp_forms);
	RUN(parse_tcp_errors);
	RUN(parse_mon_stdio);
	RUN(parse_unknown_driver);
	RUN(escape_plain_bytes_pass);
	RUN(escape_ctrl_a_x_quits);
	RUN(escape_ctrl_a_twice_passes_one);
	RUN(escape_ctrl_a_h_help);
	RUN(escape_ctrl_a_c_switches_focus);
	RUN(escape_ctrl_a_other_ignored);
	RUN(escape_help_text);
	RUN(open_none_refused);
	RUN(null_discards);
	RUN(file_writes_land);
	RUN(file_open_error);
	RUN(unix_connect_error);
	RUN(unix_bind_error);
	RUN(unix_server_round_trip);
	RUN(unix_server_backpressure);
	RUN(unix_hangup_while_paused);
	RUN(unix_server_takes_next_client);
	RUN(unix_server_wait_blocks_for_client);
	RUN(unix_client_round_trip);
	RUN(unix_server_replaces_stale_socket_only);
	RUN(pty_round_trip_and_never_blocks);
	/*
	 * These fork, and the child needs the signal hooks installed afresh:
	 * run them before any case here puts a terminal in raw mode.
	 */
	RUN(stdio_signals_restore_terminal);
	RUN(stdio_restore_terminal_on_exit);
	RUN(stdio_second_refused);
	RUN(stdio_round_trip);
	RUN(stdio_mux_escapes);
	RUN(stdio_eof_stops_polling);
	RUN(stdio_regular_file_input);
	RUN(stdio_tty_raw_plain_keeps_isig);
	RUN(stdio_tty_raw_nographic);
	remove_tmpdir();
	return check_summary();
}
