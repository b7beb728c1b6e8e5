// SPDX-License-Identifier: MIT
/*
 * The monitor's commands, once, in QMP's terms: each takes its JSON
 * arguments and answers a JSON value shaped as QEMU 7.2's schema says.
 * The human monitor calls the same functions and prints their answers,
 * as QEMU's HMP does, so the two can never disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/machine.h"
#include "monitor_priv.h"

#define PACKAGE		" (kvmlite)"

void mon_version(int *major, int *minor, int *micro, const char **package)
{
	*major = *minor = *micro = 0;
	sscanf(KVMLITE_VERSION, "%d.%d.%d", major, minor, micro);
	*package = PACKAGE;
}

/* Hands back @v if it was built whole; otherwise frees it and says why. */
static struct json *built(struct json *v, int ret, struct mon_error *err)
{
	if (v && !ret)
		return v;
	json_free(v);
	mon_error_set(err, "GenericError", "out of memory");
	return NULL;
}

static struct json *empty_answer(struct mon_error *err)
{
	return built(json_object_new(), 0, err);
}

static struct json *query_version(struct monitor *mon, const struct json *args,
				  struct mon_error *err)
{
	struct json *v = json_object_new(), *triple = json_object_new();
	int major, minor, micro;
	const char *package;

	(void)mon;
	(void)args;
	mon_version(&major, &minor, &micro, &package);
	return built(v, json_object_set_int(triple, "micro", micro) |
			json_object_set_int(triple, "minor", minor) |
			json_object_set_int(triple, "major", major) |
			json_object_set(v, "qemu", triple) |
			json_object_set_str(v, "package", package), err);
}

static struct json *query_name(struct monitor *mon, const struct json *args,
			       struct mon_error *err)
{
	const char *name = mon->m->cfg->name;
	struct json *v = json_object_new();

	(void)args;
	return built(v, name[0] ? json_object_set_str(v, "name", name) : 0,
		     err);
}

static struct json *query_status(struct monitor *mon, const struct json *args,
				 struct mon_error *err)
{
	enum run_state state = machine_run_state(mon->m);
	struct json *v = json_object_new();

	(void)args;
	return built(v, json_object_set_str(v, "status",
					    run_state_name(state)) |
			json_object_set_bool(v, "singlestep", false) |
			json_object_set_bool(v, "running",
					     state == RUN_STATE_RUNNING), err);
}

static struct json *query_kvm(struct monitor *mon, const struct json *args,
			      struct mon_error *err)
{
	struct json *v = json_object_new();

	(void)mon;
	(void)args;
	return built(v, json_object_set_bool(v, "enabled", true) |
			json_object_set_bool(v, "present", true), err);
}

/* QEMU names die-id only when there is more than one die. */
static struct json *cpu_props(struct machine *m, int index)
{
	unsigned int socket, die, core, thread;
	struct json *props = json_object_new();
	int ret;

	topology_ids(&m->topo, index, &socket, &die, &core, &thread);
	ret = json_object_set_int(props, "core-id", core) |
	      json_object_set_int(props, "thread-id", thread);
	if (m->cfg->smp.dies > 1)
		ret |= json_object_set_int(props, "die-id", die);
	ret |= json_object_set_int(props, "socket-id", socket);
	if (ret) {
		json_free(props);
		return NULL;
	}
	return props;
}

static struct json *cpu_info(struct machine *m, int index)
{
	struct json *cpu = json_object_new();
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/machine/unattached/device[%d]", index);
	ret = json_object_set_int(cpu, "thread-id",
				  __atomic_load_n(&m->vcpus[index].tid,
						  __ATOMIC_ACQUIRE)) |
	      json_object_set(cpu, "props", cpu_props(m, index)) |
	      json_object_set_str(cpu, "qom-path", path) |
	      json_object_set_int(cpu, "cpu-index", index) |
	      json_object_set_str(cpu, "target", "x86_64");
	if (ret) {
		json_free(cpu);
		return NULL;
	}
	return cpu;
}

static struct json *query_cpus_fast(struct monitor *mon,
				    const struct json *args,
				    struct mon_error *err)
{
	struct json *list = json_array_new();
	int i, ret = 0;

	(void)args;
	for (i = 0; i < mon->m->nr_vcpus; i++)
		ret |= json_array_append(list, cpu_info(mon->m, i));
	return built(list, ret, err);
}

static struct json *query_block(struct monitor *mon, const struct json *args,
				struct mon_error *err)
{
	(void)args;
	return mon_collect_info(mon, MACHINE_INFO_BLOCK, err);
}

static struct json *query_pci(struct monitor *mon, const struct json *args,
			      struct mon_error *err)
{
	(void)args;
	return mon_collect_info(mon, MACHINE_INFO_PCI, err);
}

static struct json *query_commands(struct monitor *mon,
				   const struct json *args,
				   struct mon_error *err)
{
	struct json *list = json_array_new(), *cmd;
	const struct qmp_command *c;
	int ret = 0;

	(void)mon;
	(void)args;
	for (c = qmp_commands; c->name; c++) {
		cmd = json_object_new();
		ret |= json_object_set_str(cmd, "name", c->name) |
		       json_array_append(list, cmd);
	}
	cmd = json_object_new();
	ret |= json_object_set_str(cmd, "name", "qmp_capabilities") |
	       json_array_append(list, cmd);
	return built(list, ret, err);
}

static struct json *stop(struct monitor *mon, const struct json *args,
			 struct mon_error *err)
{
	(void)args;
	machine_stop(mon->m);
	return empty_answer(err);
}

static struct json *cont(struct monitor *mon, const struct json *args,
			 struct mon_error *err)
{
	(void)args;
	if (machine_cont(mon->m)) {
		mon_error_set(err, "GenericError",
			      "Resetting the Virtual Machine is required");
		return NULL;
	}
	return empty_answer(err);
}

static struct json *system_reset(struct monitor *mon, const struct json *args,
				 struct mon_error *err)
{
	(void)args;
	machine_system_reset(mon->m);
	return empty_answer(err);
}

static struct json *system_powerdown(struct monitor *mon,
				     const struct json *args,
				     struct mon_error *err)
{
	(void)args;
	machine_system_powerdown(mon->m);
	return empty_answer(err);
}

static struct json *quit(struct monitor *mon, const struct json *args,
			 struct mon_error *err)
{
	(void)args;
	machine_request_shutdown(mon->m, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
	return empty_answer(err);
}

static struct json *human_monitor_command(struct monitor *mon,
					  const struct json *args,
					  struct mon_error *err)
{
	const char *line = json_object_get_str(args, "command-line");
	int64_t cpu = 0;
	char *text;
	struct json *v;

	if (json_object_get_int(args, "cpu-index", &cpu) &&
	    (cpu < 0 || cpu >= mon->m->nr_vcpus)) {
		mon_error_set(err, "GenericError",
			      "Parameter 'cpu-index' expects a CPU number");
		return NULL;
	}
	text = hmp_run_captured(mon, line, cpu);
	v = text ? json_string_new(text) : NULL;
	free(text);
	return built(v, 0, err);
}

static const struct qmp_arg hmc_args[] = {
	{ "command-line", JSON_STRING, false },
	{ "cpu-index", JSON_INT, true },
	{ NULL, JSON_NULL, false },
};

const struct qmp_command qmp_commands[] = {
	{ "query-version", query_version, NULL },
	{ "query-name", query_name, NULL },
	{ "query-status", query_status, NULL },
	{ "query-kvm", query_kvm, NULL },
	{ "query-cpus-fast", query_cpus_fast, NULL },
	{ "query-block", query_block, NULL },
	{ "query-pci", query_pci, NULL },
	{ "query-commands", query_commands, NULL },
	{ "stop", stop, NULL },
	{ "cont", cont, NULL },
	{ "system_reset", system_reset, NULL },
	{ "system_powerdown", system_powerdown, NULL },
	{ "quit", quit, NULL },
	{ "human-monitor-command", human_monitor_command, hmc_args },
	{ NULL, NULL, NULL },
};

const struct qmp_command *qmp_find_command(const char *name)
{
	const struct qmp_command *c;

	for (c = qmp_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

struct json *qmp_call(struct monitor *mon, const char *name,
		      struct mon_error *err)
{
	return qmp_find_command(name)->fn(mon, NULL, err);
}

static const char *type_name(enum json_type type)
{
	switch (type) {
	case JSON_INT:
		return "integer";
	case JSON_STRING:
		return "string";
	case JSON_BOOL:
		return "boolean";
	case JSON_ARRAY:
		return "array";
	default:
		return "object";
	}
}

static const struct qmp_arg *find_arg(const struct qmp_command *cmd,
				      const char *name)
{
	const struct qmp_arg *a;

	for (a = cmd->args; a && a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

/* As QEMU's visitor: declared members in order, then anything extra. */
int qmp_check_args(const struct qmp_command *cmd, const struct json *args,
		   struct mon_error *err)
{
	const struct qmp_arg *a;
	const struct json *v;
	size_t i;

	for (a = cmd->args; a && a->name; a++) {
		v = json_object_get(args, a->name);
		if (!v && !a->optional) {
			mon_error_set(err, "GenericError",
				      "Parameter '%s' is missing", a->name);
			return -1;
		}
		if (v && v->type != a->type) {
			mon_error_set(err, "GenericError",
				      "Invalid parameter type for '%s', expected: %s",
				      a->name, type_name(a->type));
			return -1;
		}
	}
	for (i = 0; args && i < args->u.object.len; i++) {
		if (!find_arg(cmd, args->u.object.members[i].key)) {
			mon_error_set(err, "GenericError",
				      "Parameter '%.64s' is unexpected",
				      args->u.object.members[i].key);
			return -1;
		}
	}
	return 0;
}
