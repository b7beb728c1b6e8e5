// SPDX-License-Identifier: MIT
/*
 * The human monitor: QEMU's command names, arguments, messages and
 * output, with "(kvmlite) " as the prompt.  A small line editor echoes
 * what is typed (a raw terminal shows nothing otherwise), handles
 * backspace and swallows cursor keys.  Commands print to a memory stream
 * whose "\n" become "\r\n" on the way out, as QEMU's monitor sends them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/cpustate.h"
#include "kvmlite/log.h"
#include "kvmlite/machine.h"
#include "monitor_priv.h"

#define PROMPT		"(kvmlite) "

/* What a command sees: where to print, and its own name as typed. */
struct hmp_ctx {
	struct monitor *mon;
	struct hmp_state *st;
	FILE *out;
	const char *typed;	/* "info status", for Try "help ..." */
	const char *name;	/* "status", for "...: extraneous..." */
	bool quit;
};

struct hmp_command {
	const char *name;	/* with aliases, "stop|s" */
	const char *params;	/* as help shows them */
	const char *help;
	void (*fn)(struct hmp_ctx *ctx, const char *args);
};

static void print_error(struct hmp_ctx *ctx, const struct mon_error *err)
{
	fprintf(ctx->out, "Error: %s\n", err->desc);
}

static void try_help(struct hmp_ctx *ctx)
{
	fprintf(ctx->out, "Try \"help %s\" for more information\n",
		ctx->typed);
}

/* Commands without arguments: anything after the name is an error. */
static bool no_args(struct hmp_ctx *ctx, const char *args)
{
	if (!*args)
		return true;
	fprintf(ctx->out, "%s: extraneous characters at the end of line\n",
		ctx->name);
	try_help(ctx);
	return false;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * An integer argument (decimal or 0x hex), QEMU's messages on error;
 * *@args moves past it.  -1 after printing the error.
 */
static int parse_number(struct hmp_ctx *ctx, const char **args, long *out)
{
	const char *p = *args;
	char *end;

	if (!*p) {
		fprintf(ctx->out, "unexpected end of expression\n");
		try_help(ctx);
		return -1;
	}
	errno = 0;
	*out = strtol(p, &end, 0);
	if (!isdigit((unsigned char)*p) || errno ||
	    (*end && *end != ' ' && *end != '\t')) {
		fprintf(ctx->out, "invalid char '%c' in expression\n",
			isdigit((unsigned char)*p) ? *end : *p);
		try_help(ctx);
		return -1;
	}
	*args = skip_space(end);
	return 0;
}

/* Runs a QMP command for HMP; prints "Error: ..." and NULL on failure. */
static struct json *call(struct hmp_ctx *ctx, const char *name)
{
	struct mon_error err = { "GenericError", "out of memory" };
	struct json *v = qmp_call(ctx->mon, name, &err);

	if (!v)
		print_error(ctx, &err);
	return v;
}

/* A command whose whole job is its QMP twin, with no output. */
static void call_quietly(struct hmp_ctx *ctx, const char *args,
			 const char *name)
{
	if (no_args(ctx, args))
		json_free(call(ctx, name));
}

/* --- info subcommands ---------------------------------------------------- */

static void info_version(struct hmp_ctx *ctx, const char *args)
{
	int major, minor, micro;
	const char *package;

	if (!no_args(ctx, args))
		return;
	mon_version(&major, &minor, &micro, &package);
	fprintf(ctx->out, "%d.%d.%d%s\n", major, minor, micro, package);
}

static void info_status(struct hmp_ctx *ctx, const char *args)
{
	struct json *v;
	const char *status;

	if (!no_args(ctx, args) || !(v = call(ctx, "query-status")))
		return;
	status = json_object_get_str(v, "status");
	if (json_object_get_bool(v, "running"))
		fprintf(ctx->out, "VM status: running\n");
	else if (!strcmp(status, "paused"))
		fprintf(ctx->out, "VM status: paused\n");
	else
		fprintf(ctx->out, "VM status: paused (%s)\n", status);
	json_free(v);
}

static void info_name(struct hmp_ctx *ctx, const char *args)
{
	struct json *v;
	const char *name;

	if (!no_args(ctx, args) || !(v = call(ctx, "query-name")))
		return;
	name = json_object_get_str(v, "name");
	if (name)
		fprintf(ctx->out, "%s\n", name);
	json_free(v);
}

static void info_kvm(struct hmp_ctx *ctx, const char *args)
{
	if (no_args(ctx, args))
		fprintf(ctx->out, "kvm support: enabled\n");
}

static void info_cpus(struct hmp_ctx *ctx, const char *args)
{
	const struct json *cpu;
	struct json *list;
	int64_t index, tid;
	size_t i;

	if (!no_args(ctx, args) || !(list = call(ctx, "query-cpus-fast")))
		return;
	for (i = 0; i < list->u.array.len; i++) {
		cpu = list->u.array.items[i];
		json_object_get_int(cpu, "cpu-index", &index);
		json_object_get_int(cpu, "thread-id", &tid);
		fprintf(ctx->out, "%c CPU #%lld: thread_id=%lld\n",
			index == ctx->st->cpu ? '*' : ' ', (long long)index,
			(long long)tid);
	}
	json_free(list);
}

struct registers_read {
	struct cpu_state st;
	int ret;
};

/* On the vCPU's thread: the only place its registers can be read. */
static void read_registers(struct vcpu *vcpu, void *opaque)
{
	struct registers_read *r = opaque;

	r->ret = cpu_state_read(vcpu->fd, &r->st);
}

static void print_registers(struct hmp_ctx *ctx, int index)
{
	struct registers_read r;

	fprintf(ctx->out, "\nCPU#%d\n", index);
	if (vcpu_run_on(&ctx->mon->m->vcpus[index], read_registers, &r))
		fprintf(ctx->out, "CPU#%d did not come out of the guest\n",
			index);
	else if (r.ret)
		fprintf(ctx->out, "registers unavailable: %s\n",
			strerror(errno));
	else
		cpu_state_print(ctx->out, &r.st, true);
}

static void info_registers(struct hmp_ctx *ctx, const char *args)
{
	int i, nr = ctx->mon->m->nr_vcpus;
	long vcpu = ctx->st->cpu;

	if (!strncmp(args, "-a", 2) && (!args[2] || args[2] == ' ')) {
		if (!no_args(ctx, skip_space(args + 2)))
			return;
		for (i = 0; i < nr; i++)
			print_registers(ctx, i);
		return;
	}
	if (*args && (parse_number(ctx, &args, &vcpu) || !no_args(ctx, args)))
		return;
	if (vcpu < 0 || vcpu >= nr) {
		fprintf(ctx->out, "CPU#%ld not available\n", vcpu);
		return;
	}
	print_registers(ctx, vcpu);
}

static void info_block(struct hmp_ctx *ctx, const char *args)
{
	size_t len = strcspn(args, " \t");
	char device[128];
	struct json *list;

	if (!no_args(ctx, skip_space(args + len)))
		return;
	snprintf(device, sizeof(device), "%.*s", (int)len, args);
	list = call(ctx, "query-block");
	if (list)
		hmp_print_block(ctx->out, list, len ? device : NULL);
	json_free(list);
}

static void info_pci(struct hmp_ctx *ctx, const char *args)
{
	struct json *list;

	if (!no_args(ctx, args) || !(list = call(ctx, "query-pci")))
		return;
	hmp_print_pci(ctx->out, list);
	json_free(list);
}

static void info_network(struct hmp_ctx *ctx, const char *args)
{
	struct mon_error err;
	struct json *list;

	if (!no_args(ctx, args))
		return;
	list = mon_collect_info(ctx->mon, MACHINE_INFO_NETWORK, &err);
	if (list)
		hmp_print_network(ctx->out, list);
	else
		print_error(ctx, &err);
	json_free(list);
}

static void info_qtree(struct hmp_ctx *ctx, const char *args)
{
	struct mon_error err;
	struct json *tree;

	if (!no_args(ctx, args))
		return;
	tree = mon_qtree(ctx->mon, &err);
	if (tree)
		hmp_print_qtree(ctx->out, tree);
	else
		print_error(ctx, &err);
	json_free(tree);
}

static const struct hmp_command info_commands[] = {
	{ "block", "[device]",
	  "show info of one block device or all block devices", info_block },
	{ "cpus", "", "show infos for each CPU", info_cpus },
	{ "kvm", "", "show KVM information", info_kvm },
	{ "name", "", "show the current VM name", info_name },
	{ "network", "", "show the network state", info_network },
	{ "pci", "", "show PCI info", info_pci },
	{ "qtree", "", "show device tree", info_qtree },
	{ "registers", "[-a|vcpu]",
	  "show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)",
	  info_registers },
	{ "status", "", "show the current VM status (running|paused)",
	  info_status },
	{ "version", "", "show the version of kvmlite", info_version },
	{ NULL, NULL, NULL, NULL },
};

/* --- top-level commands -------------------------------------------------- */

static void hmp_stop(struct hmp_ctx *ctx, const char *args)
{
	call_quietly(ctx, args, "stop");
}

static void hmp_cont(struct hmp_ctx *ctx, const char *args)
{
	call_quietly(ctx, args, "cont");
}

static void hmp_system_reset(struct hmp_ctx *ctx, const char *args)
{
	call_quietly(ctx, args, "system_reset");
}

static void hmp_system_powerdown(struct hmp_ctx *ctx, const char *args)
{
	call_quietly(ctx, args, "system_powerdown");
}

/* As QEMU's: the connection goes at once (the caller closes it). */
static void hmp_quit(struct hmp_ctx *ctx, const char *args)
{
	if (!no_args(ctx, args))
		return;
	ctx->quit = true;
	call_quietly(ctx, args, "quit");
}

static void hmp_cpu(struct hmp_ctx *ctx, const char *args)
{
	long index;

	if (parse_number(ctx, &args, &index) || !no_args(ctx, args))
		return;
	if (index < 0 || index >= ctx->mon->m->nr_vcpus)
		fprintf(ctx->out, "invalid CPU index\n");
	else
		ctx->st->cpu = index;
}

static void hmp_help(struct hmp_ctx *ctx, const char *args);
static void hmp_info(struct hmp_ctx *ctx, const char *args);

static const struct hmp_command commands[] = {
	{ "cont|c", "", "resume emulation", hmp_cont },
	{ "cpu", "index", "set the default CPU", hmp_cpu },
	{ "help|?", "[cmd]", "show the help", hmp_help },
	{ "info", "[subcommand]",
	  "show various information about the system state", hmp_info },
	{ "quit|q", "", "quit the emulator", hmp_quit },
	{ "stop|s", "", "stop emulation", hmp_stop },
	{ "system_powerdown", "", "send system power down event",
	  hmp_system_powerdown },
	{ "system_reset", "", "reset the system", hmp_system_reset },
	{ NULL, NULL, NULL, NULL },
};

/* "stop|s" answers to "stop" and "s". */
static bool name_matches(const char *names, const char *word, size_t len)
{
	size_t n;

	for (;;) {
		n = strcspn(names, "|");
		if (n == len && !strncmp(names, word, len))
			return true;
		if (!names[n])
			return false;
		names += n + 1;
	}
}

static const struct hmp_command *find(const struct hmp_command *table,
				      const char *word, size_t len)
{
	for (; table->name; table++)
		if (name_matches(table->name, word, len))
			return table;
	return NULL;
}

static void print_help_line(struct hmp_ctx *ctx, const char *prefix,
			    const struct hmp_command *cmd)
{
	fprintf(ctx->out, "%s%s %s -- %s", prefix, cmd->name, cmd->params,
		cmd->help);
	/* Until kvmlite has ACPI, nothing tells the guest. */
	if (cmd->fn == hmp_system_powerdown && !ctx->mon->m->powerdown_hooks)
		fprintf(ctx->out, " (kvmlite has no ACPI power button yet: only the POWERDOWN event is sent)");
	fputc('\n', ctx->out);
}

static void print_table(struct hmp_ctx *ctx, const char *prefix,
			const struct hmp_command *table)
{
	for (; table->name; table++)
		print_help_line(ctx, prefix, table);
}

static void hmp_help(struct hmp_ctx *ctx, const char *args)
{
	size_t len = strcspn(args, " \t");
	const char *rest = skip_space(args + len);
	const struct hmp_command *cmd;

	if (!len) {
		print_table(ctx, "", commands);
		return;
	}
	cmd = find(commands, args, len);
	if (cmd && cmd->fn == hmp_info && !*rest) {
		print_table(ctx, "info ", info_commands);
	} else if (cmd && cmd->fn == hmp_info) {
		len = strcspn(rest, " \t");
		cmd = find(info_commands, rest, len);
		if (cmd)
			print_help_line(ctx, "info ", cmd);
		else
			fprintf(ctx->out, "unknown command: 'info %.*s'\n",
				(int)len, rest);
	} else if (cmd) {
		print_help_line(ctx, "", cmd);
	} else {
		fprintf(ctx->out, "unknown command: '%.*s'\n", (int)len, args);
	}
}

static void hmp_info(struct hmp_ctx *ctx, const char *args)
{
	size_t len = strcspn(args, " \t");
	const struct hmp_command *cmd;
	char typed[64];

	if (!len) {
		print_table(ctx, "info ", info_commands);
		return;
	}
	cmd = find(info_commands, args, len);
	if (!cmd) {
		fprintf(ctx->out, "unknown command: 'info %.*s'\n", (int)len,
			args);
		return;
	}
	snprintf(typed, sizeof(typed), "info %.*s", (int)len, args);
	ctx->typed = typed;
	ctx->name = cmd->name;
	cmd->fn(ctx, skip_space(args + len));
}

/* One command line; what it prints goes to ctx->out. */
static void run_line(struct hmp_ctx *ctx, const char *line)
{
	const struct hmp_command *cmd;
	char typed[64];
	size_t len;

	line = skip_space(line);
	len = strcspn(line, " \t");
	if (!len)
		return;
	cmd = find(commands, line, len);
	if (!cmd) {
		fprintf(ctx->out, "unknown command: '%.*s'\n", (int)len, line);
		return;
	}
	snprintf(typed, sizeof(typed), "%.*s", (int)len, line);
	ctx->typed = typed;
	ctx->name = cmd->name;
	cmd->fn(ctx, skip_space(line + len));
}

/* Runs @line; returns its output (malloc'd, "\n" line ends) or NULL. */
static char *run_to_text(struct monitor *mon, struct hmp_state *st,
			 const char *line, size_t *len, bool *quit)
{
	struct hmp_ctx ctx = { .mon = mon, .st = st };
	char *text = NULL;

	ctx.out = open_memstream(&text, len);
	if (!ctx.out)
		return NULL;
	run_line(&ctx, line);
	if (fclose(ctx.out)) {
		free(text);
		return NULL;
	}
	*quit = ctx.quit;
	return text;
}

char *hmp_run_captured(struct monitor *mon, const char *line, int cpu)
{
	struct hmp_state st = { .cpu = cpu };
	char *text, *crlf, *p;
	size_t len, lines = 0, i;
	bool quit;

	text = run_to_text(mon, &st, line, &len, &quit);
	if (!text)
		return NULL;
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	crlf = malloc(len + lines + 1);
	for (i = 0, p = crlf; crlf && i < len; i++) {
		if (text[i] == '\n')
			*p++ = '\r';
		*p++ = text[i];
	}
	if (crlf)
		*p = '\0';
	free(text);
	return crlf;
}

/* --- sessions ------------------------------------------------------------ */

static void greet(struct mon_session *s)
{
	mon_session_print(s, PROGRAM_NAME " " KVMLITE_VERSION
			  " monitor - type 'help' for more information\r\n");
	s->hmp.greeted = true;
}

void hmp_session_start(struct mon_session *s)
{
	greet(s);
	mon_session_print(s, PROMPT);
}

/* QEMU's mux: the banner on the first visit, a fresh prompt after. */
void hmp_session_focus(struct mon_session *s, bool focused)
{
	if (!focused) {
		mon_session_print(s, "\r\n");
		return;
	}
	if (!s->hmp.greeted)
		greet(s);
	mon_session_print(s, PROMPT);
}

static void execute(struct mon_session *s)
{
	struct hmp_state *st = &s->hmp;
	size_t len;
	bool quit = false;
	char *text;

	st->line[st->len] = '\0';
	st->len = 0;
	text = run_to_text(s->mon, st, st->line, &len, &quit);
	if (text)
		mon_session_send_lines(s, text, len);
	free(text);
	if (quit)
		mon_session_close_later(s);
	else
		mon_session_print(s, PROMPT);
}

/* Escape sequences (cursor keys and the like) are read and dropped. */
static bool swallow_escape(struct hmp_state *st, unsigned char c)
{
	if (st->escape == 1) {
		st->escape = c == '[' || c == 'O' ? 2 : 0;
		return true;
	}
	if (st->escape == 2) {
		if (c >= 0x40 && c <= 0x7e)
			st->escape = 0;
		return true;
	}
	if (c == 0x1b) {
		st->escape = 1;
		return true;
	}
	return false;
}

/* Echo is gathered and sent before anything a command prints. */
struct echo {
	char buf[256];
	size_t len;
};

static void echo_flush(struct mon_session *s, struct echo *e)
{
	if (e->len)
		mon_session_send(s, e->buf, e->len);
	e->len = 0;
}

static void echo_add(struct mon_session *s, struct echo *e, const char *text)
{
	size_t n = strlen(text);

	if (e->len + n > sizeof(e->buf))
		echo_flush(s, e);
	memcpy(e->buf + e->len, text, n);
	e->len += n;
}

/* One typed byte; true if it ended a line that must now run. */
static bool edit(struct mon_session *s, struct echo *e, unsigned char c)
{
	struct hmp_state *st = &s->hmp;
	char ch[2] = { (char)c, '\0' };

	if (swallow_escape(st, c))
		return false;
	if (c == '\r' || c == '\n') {
		bool skip = c == '\n' && st->after_cr;

		st->after_cr = c == '\r';
		if (!skip)
			echo_add(s, e, "\r\n");
		return !skip;
	}
	st->after_cr = false;
	if (c == 0x7f || c == '\b') {
		if (st->len) {
			st->len--;
			echo_add(s, e, "\b \b");
		}
	} else if (c >= 0x20 && st->len < sizeof(st->line) - 1) {
		st->line[st->len++] = c;
		echo_add(s, e, ch);
	}
	return false;
}

void hmp_session_input(struct mon_session *s, const char *buf, size_t len)
{
	struct echo e = { .len = 0 };
	size_t i;

	for (i = 0; i < len && !s->closing; i++) {
		if (edit(s, &e, buf[i])) {
			echo_flush(s, &e);
			execute(s);
		}
	}
	echo_flush(s, &e);
}
