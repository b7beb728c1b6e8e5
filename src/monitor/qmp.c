// SPDX-License-Identifier: MIT
/*
 * The QMP protocol as QEMU 7.2 speaks it (docs/interop/qmp-spec.txt and
 * what the real thing sends): a greeting, capabilities negotiation, then
 * one answer per command, {"return": ...} or {"error": {"class", "desc"}},
 * with the request's "id" echoed, and events stamped with the wall
 * clock.  Every line ends in CRLF.  Malformed input gets an error and
 * the connection carries on.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "kvmlite/machine.h"
#include "monitor_priv.h"

static void send_json(struct mon_session *s, const struct json *v)
{
	char *text = json_to_string(v);

	if (!text)
		return;
	mon_session_print(s, text);
	mon_session_print(s, "\r\n");
	free(text);
}

/* QEMU puts the id first in an error and last in a return. */
static void reply_error(struct mon_session *s, const struct json *id,
			const struct mon_error *err)
{
	struct json *reply = json_object_new(), *e = json_object_new();
	int ret = 0;

	if (id)
		ret |= json_object_set(reply, "id", json_copy(id));
	ret |= json_object_set_str(e, "class", err->cls);
	ret |= json_object_set_str(e, "desc", err->desc);
	ret |= json_object_set(reply, "error", e);
	if (!ret)
		send_json(s, reply);
	json_free(reply);
}

static void reply_return(struct mon_session *s, const struct json *id,
			 struct json *value)
{
	struct json *reply = json_object_new();
	int ret = json_object_set(reply, "return", value);

	if (id)
		ret |= json_object_set(reply, "id", json_copy(id));
	if (!ret)
		send_json(s, reply);
	json_free(reply);
}

static void reply_parse_error(struct mon_session *s, const char *desc)
{
	struct mon_error err;

	mon_error_set(&err, "GenericError", "%s", desc);
	reply_error(s, NULL, &err);
}

void qmp_session_start(struct mon_session *s)
{
	struct json *greeting = json_object_new(), *qmp = json_object_new();
	struct json *version = json_object_new(), *triple = json_object_new();
	struct json *caps = json_array_new();
	int major, minor, micro, ret;
	const char *package;

	mon_version(&major, &minor, &micro, &package);
	ret = json_object_set_int(triple, "micro", micro) |
	      json_object_set_int(triple, "minor", minor) |
	      json_object_set_int(triple, "major", major) |
	      json_object_set(version, "qemu", triple) |
	      json_object_set_str(version, "package", package) |
	      json_array_append(caps, json_string_new("oob")) |
	      json_object_set(qmp, "version", version) |
	      json_object_set(qmp, "capabilities", caps) |
	      json_object_set(greeting, "QMP", qmp);
	if (!ret)
		send_json(s, greeting);
	json_free(greeting);
}

void qmp_session_free(struct mon_session *s)
{
	json_stream_free(&s->stream);
}

/* qmp_capabilities [enable: ["oob"]]: the only command before it. */
static struct json *negotiate(struct mon_session *s, const struct json *args,
			      struct mon_error *err)
{
	const struct json *enable = json_object_get(args, "enable");
	size_t i;

	if (s->negotiated) {
		mon_error_set(err, "CommandNotFound",
			      "Capabilities negotiation is already complete, command ignored");
		return NULL;
	}
	for (i = 0; enable && i < enable->u.array.len; i++) {
		const struct json *cap = enable->u.array.items[i];

		if (cap->type != JSON_STRING || strcmp(cap->u.string, "oob")) {
			mon_error_set(err, "GenericError",
				      "Parameter 'enable[%zu]' does not accept value '%.64s'",
				      i, cap->type == JSON_STRING ?
				      cap->u.string : "");
			return NULL;
		}
		s->oob = true;
	}
	__atomic_store_n(&s->negotiated, true, __ATOMIC_RELEASE);
	return json_object_new();
}

static const struct qmp_arg capabilities_args[] = {
	{ "enable", JSON_ARRAY, true },
	{ NULL, JSON_NULL, false },
};

static const struct qmp_command capabilities_command = {
	"qmp_capabilities", NULL, capabilities_args,
};

/*
 * The members a request may have, each checked as QEMU does: "execute"
 * (or "exec-oob" once out-of-band is enabled), "arguments" and "id".
 */
static int check_member(struct mon_session *s, const struct json_member *m,
			const char **name, bool *oob, struct mon_error *err)
{
	bool is_oob = s->oob && !strcmp(m->key, "exec-oob");

	if (!strcmp(m->key, "execute") || is_oob) {
		if (m->value->type != JSON_STRING) {
			mon_error_set(err, "GenericError",
				      "QMP input member '%s' must be a string",
				      m->key);
			return -1;
		}
		if (*name) {
			mon_error_set(err, "GenericError",
				      "QMP input member 'exec-oob' clashes with 'execute'");
			return -1;
		}
		*name = m->value->u.string;
		*oob = is_oob;
	} else if (!strcmp(m->key, "arguments")) {
		if (m->value->type != JSON_OBJECT) {
			mon_error_set(err, "GenericError",
				      "QMP input member 'arguments' must be an object");
			return -1;
		}
	} else if (strcmp(m->key, "id")) {
		mon_error_set(err, "GenericError",
			      "QMP input member '%.64s' is unexpected", m->key);
		return -1;
	}
	return 0;
}

static const char *check_request(struct mon_session *s,
				 const struct json *req,
				 struct mon_error *err)
{
	const char *name = NULL;
	bool oob = false;
	size_t i;

	for (i = 0; i < req->u.object.len; i++)
		if (check_member(s, &req->u.object.members[i], &name, &oob,
				 err))
			return NULL;
	if (!name) {
		mon_error_set(err, "GenericError",
			      "QMP input lacks member 'execute'");
		return NULL;
	}
	if (oob) {
		mon_error_set(err, "GenericError",
			      "The command %.64s does not support OOB", name);
		return NULL;
	}
	return name;
}

/* Finds the command this session may run now, as QEMU would answer. */
static const struct qmp_command *lookup(struct mon_session *s,
					const char *name,
					struct mon_error *err)
{
	const struct qmp_command *cmd;

	if (!strcmp(name, capabilities_command.name))
		return &capabilities_command;
	if (!s->negotiated) {
		mon_error_set(err, "CommandNotFound",
			      "Expecting capabilities negotiation with 'qmp_capabilities'");
		return NULL;
	}
	cmd = qmp_find_command(name);
	if (!cmd)
		mon_error_set(err, "CommandNotFound",
			      "The command %.64s has not been found", name);
	return cmd;
}

static struct json *execute(struct mon_session *s, const struct json *req,
			    struct mon_error *err)
{
	const struct json *args = json_object_get(req, "arguments");
	const struct qmp_command *cmd;
	const char *name = check_request(s, req, err);

	if (!name)
		return NULL;
	cmd = lookup(s, name, err);
	if (!cmd || qmp_check_args(cmd, args, err))
		return NULL;
	if (cmd == &capabilities_command)
		return negotiate(s, args, err);
	return cmd->fn(s->mon, args, err);
}

static void handle_request(struct mon_session *s, const struct json *req)
{
	struct mon_error err = { "GenericError", "out of memory" };
	const struct json *id;
	struct json *ret;

	if (req->type != JSON_OBJECT) {
		reply_parse_error(s, "QMP input must be a JSON object");
		return;
	}
	id = json_object_get(req, "id");
	ret = execute(s, req, &err);
	if (ret)
		reply_return(s, id, ret);
	else
		reply_error(s, id, &err);
}

static void on_value(void *opaque, const char *text, size_t len,
		     const char *error)
{
	struct mon_session *s = opaque;
	char msg[256];
	struct json *req;

	if (error) {
		reply_parse_error(s, error);
		return;
	}
	req = json_parse(text, len, msg, sizeof(msg));
	if (!req) {
		reply_parse_error(s, msg);
		return;
	}
	handle_request(s, req);
	json_free(req);
}

void qmp_session_input(struct mon_session *s, const char *buf, size_t len)
{
	json_stream_feed(&s->stream, buf, len, on_value, s);
}

/* RESET and SHUTDOWN say who asked, and why. */
static int event_data(struct json *event, const struct machine_event *ev)
{
	struct json *data;

	if (ev->type != MACHINE_EVENT_RESET &&
	    ev->type != MACHINE_EVENT_SHUTDOWN)
		return 0;
	data = json_object_new();
	return json_object_set_bool(data, "guest", ev->cause >=
				    SHUTDOWN_CAUSE_GUEST_SHUTDOWN) |
	       json_object_set_str(data, "reason",
				   shutdown_cause_name(ev->cause)) |
	       json_object_set(event, "data", data);
}

char *qmp_event_text(const struct machine_event *ev)
{
	static const char *const names[] = {
		[MACHINE_EVENT_STOP] = "STOP",
		[MACHINE_EVENT_RESUME] = "RESUME",
		[MACHINE_EVENT_RESET] = "RESET",
		[MACHINE_EVENT_POWERDOWN] = "POWERDOWN",
		[MACHINE_EVENT_SHUTDOWN] = "SHUTDOWN",
	};
	struct json *event = json_object_new(), *stamp = json_object_new();
	char *text = NULL, *line = NULL;
	struct timeval tv;
	int ret;

	gettimeofday(&tv, NULL);
	ret = json_object_set_int(stamp, "seconds", tv.tv_sec) |
	      json_object_set_int(stamp, "microseconds", tv.tv_usec) |
	      json_object_set(event, "timestamp", stamp) |
	      json_object_set_str(event, "event", names[ev->type]) |
	      event_data(event, ev);
	if (!ret)
		text = json_to_string(event);
	json_free(event);
	if (text && asprintf(&line, "%s\r\n", text) < 0)
		line = NULL;
	free(text);
	return line;
}
