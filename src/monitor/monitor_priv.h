/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_MONITOR_PRIV_H
#define KVMLITE_MONITOR_PRIV_H

/* Shared between the files of src/monitor; not part of the public API. */

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "kvmlite/config.h"
#include "kvmlite/json.h"
#include "kvmlite/monitor.h"

struct chardev;
struct machine;
struct mon_server;

#define HMP_LINE_MAX	1024

/* The human monitor's line editor and its notion of the current CPU. */
struct hmp_state {
	char line[HMP_LINE_MAX];
	size_t len;
	int escape;		/* 0, 1 after ESC, 2 inside ESC [ ... */
	bool after_cr;		/* so that CR LF ends one line, not two */
	bool greeted;		/* the banner has been shown */
	int cpu;		/* "cpu N": the star of info cpus */
};

/*
 * One client: a connection accepted by a server, or a chardev (stdio,
 * a pty, a socket we connected out on, or the -nographic mux).
 */
struct mon_session {
	struct monitor *mon;
	enum monitor_mode mode;
	int fd;			/* an accepted socket, or -1 */
	struct chardev *chr;	/* or a chardev (then fd is -1) */
	uint32_t armed;		/* epoll events asked for on @fd */

	/* Output not written yet: under mon->lock; the I/O thread writes. */
	char *out;
	size_t out_len, out_cap;
	bool dead;		/* gone or hopelessly behind: close it */
	bool closing;		/* close once the output is out */

	/* QMP */
	struct json_stream stream;
	bool negotiated;
	bool oob;
	/* HMP */
	struct hmp_state hmp;

	struct mon_session *next;
};

struct monitor {
	struct machine *m;
	pthread_mutex_t lock;	/* the session list and output queues */
	struct mon_session *sessions;
	struct mon_server *servers;
	struct chardev *chrs[MAX_MONITORS];	/* ours to close */
	int wake_fd;		/* eventfd: another thread queued output */
};

/* An error for a QMP answer, or an HMP "Error: ..." line. */
struct mon_error {
	const char *cls;	/* "GenericError", "CommandNotFound" */
	char desc[256];
};

void mon_error_set(struct mon_error *err, const char *cls, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

/* --- sessions (monitor.c) ------------------------------------------------ */

/* Queues @len bytes for the client; any thread. */
void mon_session_send(struct mon_session *s, const char *buf, size_t len);
void mon_session_print(struct mon_session *s, const char *text);
/* Queues HMP output, with each "\n" sent as "\r\n" as QEMU does. */
void mon_session_send_lines(struct mon_session *s, const char *text,
			    size_t len);
/* The client asked to go (HMP quit): close once its output is out. */
void mon_session_close_later(struct mon_session *s);

/* --- QMP (qmp.c) --------------------------------------------------------- */

void qmp_session_start(struct mon_session *s);
void qmp_session_input(struct mon_session *s, const char *buf, size_t len);
void qmp_session_free(struct mon_session *s);
/* The machine's news as a QMP event line, or NULL when out of memory. */
char *qmp_event_text(const struct machine_event *ev);

/* --- HMP (hmp.c) --------------------------------------------------------- */

void hmp_session_start(struct mon_session *s);
void hmp_session_input(struct mon_session *s, const char *buf, size_t len);
/* C-a c moved stdin to this monitor (true) or away from it. */
void hmp_session_focus(struct mon_session *s, bool focused);
/*
 * Runs one command line as a fresh monitor whose current CPU is @cpu
 * (human-monitor-command); returns its output with "\r\n" line ends.
 */
char *hmp_run_captured(struct monitor *mon, const char *line, int cpu);

/* --- commands shared by QMP and HMP (commands.c) ------------------------- */

struct qmp_arg {
	const char *name;
	enum json_type type;	/* JSON_INT, JSON_STRING, JSON_ARRAY... */
	bool optional;
};

struct qmp_command {
	const char *name;
	/* The answer, or NULL with @err set. */
	struct json *(*fn)(struct monitor *mon, const struct json *args,
			   struct mon_error *err);
	const struct qmp_arg *args;	/* NULL-terminated; NULL: none */
};

const struct qmp_command *qmp_find_command(const char *name);
/* Checks @args against the command's list, as QEMU's QAPI does. */
int qmp_check_args(const struct qmp_command *cmd, const struct json *args,
		   struct mon_error *err);
/* Runs @name with no arguments (HMP uses the same code). */
struct json *qmp_call(struct monitor *mon, const char *name,
		      struct mon_error *err);
/* All commands, for query-commands. */
extern const struct qmp_command qmp_commands[];

/* The version in QMP's shape, "major.minor.micro" and the package. */
void mon_version(int *major, int *minor, int *micro, const char **package);

/* --- devices' answers (info.c) ------------------------------------------- */

/* Collects every provider's part for @what into a new array. */
struct json *mon_collect_info(struct monitor *mon, enum machine_info what,
			      struct mon_error *err);
/* The whole device tree, platform devices and providers' alike. */
struct json *mon_qtree(struct monitor *mon, struct mon_error *err);

/* HMP's text for each, as QEMU prints it. */
void hmp_print_block(FILE *out, const struct json *list, const char *device);
void hmp_print_pci(FILE *out, const struct json *list);
void hmp_print_network(FILE *out, const struct json *list);
void hmp_print_qtree(FILE *out, const struct json *bus);

#endif
