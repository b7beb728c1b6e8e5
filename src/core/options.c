// SPDX-License-Identifier: MIT
/*
 * The command line, with QEMU 7.2's syntax and messages: single-dash
 * options (a double dash works too) whose argument is the next word.  As
 * in QEMU, a first pass checks every option's name and argument before
 * any is acted on, so "-version -foo" is an error, not a version.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/config.h"
#include "kvmlite/cpulist.h"
#include "kvmlite/log.h"

#define DEBUG_EXIT_DEVICE	"isa-debug-exit"
#define DEBUG_EXIT_IOBASE	0x501
#define DEBUG_EXIT_IOSIZE	2
#define IO_SPACE_SIZE		0x10000
#define HELP_INDENT		16

struct parse_ctx {
	struct config *cfg;
	const char *opt;	/* the option as typed, e.g. "--m" */
	char *err;
	size_t errlen;
	FILE *out;
	struct mem_args mem;
	struct smp_args smp;
	bool serial_given;	/* even "-serial none" drops the default */
	const char *serial_stdio;	/* the -serial argument on stdio */
	bool monitor_given;	/* even "-monitor none" drops the default */
	bool no_defaults;	/* -nodefaults */
	bool kvm_requested;	/* so a tcg fallback after it is harmless */
	bool accel_option;	/* -accel */
	bool machine_accel;	/* -machine accel= or -enable-kvm */
	const char *display_opt; /* the last -display, if graphical */
	const char *display_arg;
	const char *display_graphical;
};

/* A handler returns 0 to go on, 1 to exit successfully, -1 on error. */
struct option {
	const char *name;
	bool has_arg;
	int (*handler)(struct parse_ctx *ctx, const char *arg);
	const char *synopsis;	/* NULL: an alias, listed with its option */
	const char *help;
};

/* --- QEMU's "value,key=value" syntax ------------------------------------ */

void opt_iter_init(struct opt_iter *it, const char *opt, const char *text,
		   const char *implied, bool keyval)
{
	it->opt = opt;
	it->text = text;
	it->pos = text;
	it->implied = implied;
	it->keyval = keyval;
}

int config_verror(char *err, size_t errlen, const char *opt,
		  const char *arg, const char *fmt, va_list ap)
{
	int n = opt ? snprintf(err, errlen, "%s %s: ", opt, arg) :
		      snprintf(err, errlen, "%s: ", arg);

	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
	return -1;
}

int config_error(char *err, size_t errlen, const char *opt, const char *arg,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror(err, errlen, opt, arg, fmt, ap);
	va_end(ap);
	return -1;
}

int opt_fail(const struct opt_iter *it, char *err, size_t errlen,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verror(err, errlen, it->opt, it->text, fmt, ap);
	va_end(ap);
	return -1;
}

/* Where the element at @p ends: at a ',' that is not half of ",,". */
static const char *elem_end(const char *p, bool escapes)
{
	while (*p && !(p[0] == ',' && (!escapes || p[1] != ',')))
		p += p[0] == ',' ? 2 : 1;
	return p;
}

/* keyval wants a name: a letter, then letters, digits, '-', '_' or '.'. */
static bool valid_key(const char *key, size_t len)
{
	size_t i;

	if (!len || !isalpha((unsigned char)key[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum((unsigned char)key[i]) && !strchr("-_.", key[i]))
			return false;
	return true;
}

/*
 * A bare word after the first element: QemuOpts reads "key" as key=on and
 * "nokey" as key=off, deprecated; keyval refuses it.
 */
static int bare_word(struct opt_iter *it, struct opt_elem *e, char *err,
		     size_t errlen)
{
	if (it->keyval)
		return opt_fail(it, err, errlen, valid_key(e->key, e->key_len) ?
				"Expected '=' after parameter '%.*s'" :
				"Invalid parameter '%.*s'",
				(int)e->key_len, e->key);
	e->val = "on";
	if (e->key_len > 2 && !strncmp(e->key, "no", 2)) {
		e->key += 2;
		e->key_len -= 2;
		e->val = "off";
	}
	e->val_len = strlen(e->val);
	warn_report("%s %s: short-form boolean option '%.*s' deprecated, please use %.*s=%s instead",
		    it->opt, it->text, (int)e->key_len, e->key,
		    (int)e->key_len, e->key, e->val);
	return 1;
}

/*
 * The value of the implied key.  QemuOpts lets ",," stand for a comma in
 * it ("-name a,,b"); keyval ends it at the first comma.
 */
static int implied_value(struct opt_iter *it, struct opt_elem *e,
			 const char *p, char *err, size_t errlen)
{
	const char *end = elem_end(p, !it->keyval);

	if (it->keyval && end == p)
		return opt_fail(it, err, errlen, "Invalid parameter ''");
	e->key = it->implied;
	e->key_len = strlen(it->implied);
	e->val = p;
	e->val_len = end - p;
	it->pos = *end ? end + 1 : end;
	return 1;
}

int opt_next(struct opt_iter *it, struct opt_elem *e, char *err,
	     size_t errlen)
{
	const char *p = it->pos, *end;
	size_t n = strcspn(p, "=,");
	bool first = p == it->text;

	if (!*p)
		return 0;
	if (first && p[n] != '=' && it->implied)
		return implied_value(it, e, p, err, errlen);
	e->key = p;
	e->key_len = n;
	end = elem_end(p + n, true);
	it->pos = *end ? end + 1 : end;
	if (p[n] != '=')
		return bare_word(it, e, err, errlen);
	if (it->keyval && !valid_key(p, n))
		return opt_fail(it, err, errlen, "Invalid parameter '%.*s'",
				(int)n, p);
	e->val = p + n + 1;
	e->val_len = end - e->val;
	return 1;
}

bool opt_key_is(const struct opt_elem *e, const char *key)
{
	return strlen(key) == e->key_len && !strncmp(e->key, key, e->key_len);
}

int opt_val_copy(const struct opt_elem *e, char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < e->val_len; i++, n++) {
		if (n + 1 >= len)
			return -1;
		buf[n] = e->val[i];
		i += e->val[i] == ',';
	}
	buf[n] = '\0';
	return 0;
}

/* --- helpers for the option handlers ------------------------------------ */

/* "<option> <arg>: <message>", or just the message if @arg is NULL. */
static int fail(struct parse_ctx *ctx, const char *arg, const char *fmt, ...)
{
	int n = 0;
	va_list ap;

	if (arg)
		n = snprintf(ctx->err, ctx->errlen, "%s %s: ", ctx->opt, arg);
	if (n < 0 || (size_t)n >= ctx->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, ctx->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

bool opt_val_is(const struct opt_elem *e, const char *s)
{
	return strlen(s) == e->val_len && !strncmp(e->val, s, e->val_len);
}

/* QEMU's spellings of a boolean. */
int opt_parse_bool(const struct opt_iter *it, const struct opt_elem *e,
		   bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "on", "yes", "true", "y" };
	static const char *const no[] = { "off", "no", "false", "n" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (opt_val_is(e, yes[i]) || opt_val_is(e, no[i])) {
			*out = opt_val_is(e, yes[i]);
			return 0;
		}
	}
	return opt_fail(it, err, errlen, "Parameter '%.*s' expects 'on' or 'off'",
			(int)e->key_len, e->key);
}

/* Walks the elements of @it, handing each to @fn; stops at an error. */
static int for_each_elem(struct parse_ctx *ctx, struct opt_iter *it,
			 int (*fn)(struct parse_ctx *ctx,
				   const struct opt_iter *it,
				   const struct opt_elem *e))
{
	struct opt_elem e;
	int ret;

	while ((ret = opt_next(it, &e, ctx->err, ctx->errlen)) > 0)
		if (fn(ctx, it, &e))
			return -1;
	return ret;
}

/* The value of the last @key in @text, checking the syntax on the way. */
static int find_key(struct parse_ctx *ctx, struct opt_iter *it,
		    const char *key, struct opt_elem *found)
{
	struct opt_elem e;
	int ret;

	found->val = NULL;
	while ((ret = opt_next(it, &e, ctx->err, ctx->errlen)) > 0)
		if (opt_key_is(&e, key))
			*found = e;
	return ret;
}

/* --- -help and -version ------------------------------------------------- */

static int handle_help(struct parse_ctx *ctx, const char *arg);

static int handle_version(struct parse_ctx *ctx, const char *arg)
{
	(void)arg;
	fprintf(ctx->out, "kvmlite version " KVMLITE_VERSION "\n"
		"Copyright (c) 2026 The kvmlite developers (MIT License)\n");
	return 1;
}

/* --- -m, -smp, -cpu ----------------------------------------------------- */

static int handle_memory(struct parse_ctx *ctx, const char *arg)
{
	return mem_args_add(&ctx->mem, ctx->opt, arg, ctx->err, ctx->errlen);
}

static int handle_smp(struct parse_ctx *ctx, const char *arg)
{
	return smp_args_add(&ctx->smp, ctx->opt, arg, ctx->err, ctx->errlen);
}

/* The features are checked against the host's CPUID later. */
static int handle_cpu(struct parse_ctx *ctx, const char *arg)
{
	if (!*arg)
		return fail(ctx, NULL, "%s option cannot be empty", ctx->opt);
	ctx->cfg->cpu_model = arg;
	return 0;
}

/* --- -machine, -accel, -enable-kvm -------------------------------------- */

/* Messages for -machine accel= carry no option prefix, as QEMU's don't. */
static int accel_error(struct parse_ctx *ctx, const struct opt_iter *it,
		       const char *msg)
{
	if (it)
		return opt_fail(it, ctx->err, ctx->errlen, "%s", msg);
	return fail(ctx, NULL, "%s", msg);
}

/*
 * kvm is the only accelerator.  A tcg after kvm ("accel=kvm:tcg", "-accel
 * kvm -accel tcg") is QEMU's fallback for hosts without KVM and is never
 * reached, so it is let through; on its own it is refused.
 */
static int check_accel(struct parse_ctx *ctx, const struct opt_iter *it,
		       const char *name, size_t len)
{
	char msg[128];

	if (len == 3 && !strncmp(name, "kvm", 3)) {
		ctx->kvm_requested = true;
		return 0;
	}
	if (len == 3 && !strncmp(name, "tcg", 3)) {
		if (ctx->kvm_requested)
			return 0;
		return accel_error(ctx, it, "accelerator 'tcg' is not supported: kvmlite only runs guests with kvm");
	}
	snprintf(msg, sizeof(msg), "invalid accelerator %.*s", (int)len, name);
	return accel_error(ctx, it, msg);
}

/* accel=kvm[:tcg...], QEMU's list of accelerators to try in turn. */
static int machine_accel(struct parse_ctx *ctx, const struct opt_elem *e)
{
	const char *p = e->val, *end = e->val + e->val_len;
	size_t n;

	ctx->machine_accel = true;
	if (p == end)
		return fail(ctx, NULL, "no accelerator found");
	for (; p < end; p += n + 1) {
		n = strcspn(p, ":");
		if (p + n > end)
			n = end - p;
		if (check_accel(ctx, NULL, p, n))
			return -1;
	}
	return 0;
}

/*
 * "pc" and "q35" are accepted so that QEMU command lines just work; the
 * machine is the same whatever it is called.
 */
static int machine_type(struct parse_ctx *ctx, const struct opt_elem *e)
{
	static const char *const names[] = { MACHINE_NAME, "pc", "q35" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (opt_val_is(e, names[i]))
			return 0;
	return fail(ctx, NULL,
		    "unsupported machine type '%.*s' (supported: " MACHINE_NAME
		    ", pc, q35)", (int)e->val_len, e->val);
}

static int machine_prop(struct parse_ctx *ctx, const struct opt_iter *it,
			const struct opt_elem *e)
{
	(void)it;
	if (opt_key_is(e, "type"))
		return machine_type(ctx, e);
	if (opt_key_is(e, "accel"))
		return machine_accel(ctx, e);
	return fail(ctx, NULL, "Property '" MACHINE_NAME "-machine.%.*s' not found",
		    (int)e->key_len, e->key);
}

static int handle_machine(struct parse_ctx *ctx, const char *arg)
{
	struct opt_iter it;

	opt_iter_init(&it, ctx->opt, arg, "type", true);
	return for_each_elem(ctx, &it, machine_prop);
}

static int handle_enable_kvm(struct parse_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->kvm_requested = true;
	ctx->machine_accel = true;
	return 0;
}

/* kvm takes no properties here; the accelerator is set up as kvmlite needs. */
static int handle_accel(struct parse_ctx *ctx, const char *arg)
{
	struct opt_elem accel, e;
	struct opt_iter it;
	int ret;

	ctx->accel_option = true;
	opt_iter_init(&it, ctx->opt, arg, "accel", false);
	if (find_key(ctx, &it, "accel", &accel))
		return -1;
	if (!accel.val)
		return opt_fail(&it, ctx->err, ctx->errlen,
				"Parameter 'accel' is missing");
	if (check_accel(ctx, &it, accel.val, accel.val_len))
		return -1;
	opt_iter_init(&it, ctx->opt, arg, "accel", false);
	while ((ret = opt_next(&it, &e, ctx->err, ctx->errlen)) > 0)
		if (!opt_key_is(&e, "accel"))
			return opt_fail(&it, ctx->err, ctx->errlen,
					"Property '%.*s-accel.%.*s' not found",
					(int)accel.val_len, accel.val,
					(int)e.key_len, e.key);
	return ret;
}

/* --- -name -------------------------------------------------------------- */

static int name_copy(const struct opt_iter *it, const struct opt_elem *e,
		     char *buf, char *err, size_t errlen)
{
	if (opt_val_copy(e, buf, NAME_MAX_LEN))
		return opt_fail(it, err, errlen,
				"Parameter '%.*s' is longer than %d bytes",
				(int)e->key_len, e->key, NAME_MAX_LEN - 1);
	return 0;
}

static int name_prop(struct parse_ctx *ctx, const struct opt_iter *it,
		     const struct opt_elem *e)
{
	struct config *cfg = ctx->cfg;

	if (opt_key_is(e, "guest"))
		return name_copy(it, e, cfg->name, ctx->err, ctx->errlen);
	if (opt_key_is(e, "process"))
		return name_copy(it, e, cfg->process_name, ctx->err,
				 ctx->errlen);
	if (opt_key_is(e, "debug-threads"))
		return opt_parse_bool(it, e, &cfg->debug_threads, ctx->err,
				  ctx->errlen);
	return opt_fail(it, ctx->err, ctx->errlen, "Invalid parameter '%.*s'",
			(int)e->key_len, e->key);
}

/* Repeated -name options merge key by key, as in QEMU. */
static int handle_name(struct parse_ctx *ctx, const char *arg)
{
	struct opt_iter it;

	opt_iter_init(&it, ctx->opt, arg, "guest", false);
	return for_each_elem(ctx, &it, name_prop);
}

/* --- -rtc --------------------------------------------------------------- */

static const int month_days[12] = {
	31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
};

/* Days from 1970-01-01 to @y-@m-@d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD".  QEMU lets mktime() fold
 * 2006-13-01 into 2007; kvmlite refuses a date that does not exist.
 */
static int parse_rtc_date(const char *text, int64_t *epoch)
{
	int y, mo, d, h = 0, mi = 0, s = 0, n = -1;

	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
		   &s, &n) != 6 || text[n]) {
		n = -1;
		h = mi = s = 0;
		if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 ||
		    text[n])
			return -1;
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] ||
	    (mo == 2 && d == 29 && !leap_year(y)) || h > 23 || mi > 59 ||
	    s > 59 || h < 0 || mi < 0 || s < 0)
		return -1;
	*epoch = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

static int rtc_base(struct parse_ctx *ctx, const struct opt_elem *e)
{
	struct rtc_option *rtc = &ctx->cfg->rtc;
	char buf[64];

	if (opt_val_is(e, "utc")) {
		rtc->base = RTC_BASE_UTC;
	} else if (opt_val_is(e, "localtime")) {
		rtc->base = RTC_BASE_LOCALTIME;
	} else if (opt_val_copy(e, buf, sizeof(buf)) ||
		   parse_rtc_date(buf, &rtc->start_epoch)) {
		return fail(ctx, NULL, "invalid datetime format\n"
			    "valid formats: '2006-06-17T16:01:21' or '2006-06-17'");
	} else {
		rtc->base = RTC_BASE_DATE;
	}
	return 0;
}

/* The guest's RTC always follows the host clock, so these only get checked. */
static int rtc_choice(struct parse_ctx *ctx, const struct opt_elem *e,
		      const char *a, const char *b, const char *c)
{
	if (opt_val_is(e, a) || opt_val_is(e, b) || (c && opt_val_is(e, c)))
		return 0;
	return fail(ctx, NULL, "invalid option value '%.*s'",
		    (int)e->val_len, e->val);
}

static int rtc_prop(struct parse_ctx *ctx, const struct opt_iter *it,
		    const struct opt_elem *e)
{
	if (opt_key_is(e, "base"))
		return rtc_base(ctx, e);
	if (opt_key_is(e, "clock"))
		return rtc_choice(ctx, e, "host", "rt", "vm");
	if (opt_key_is(e, "driftfix"))
		return rtc_choice(ctx, e, "none", "slew", NULL);
	return opt_fail(it, ctx->err, ctx->errlen, "Invalid parameter '%.*s'",
			(int)e->key_len, e->key);
}

static int handle_rtc(struct parse_ctx *ctx, const char *arg)
{
	struct opt_iter it;

	opt_iter_init(&it, ctx->opt, arg, NULL, false);
	return for_each_elem(ctx, &it, rtc_prop);
}

/* --- -kernel, -initrd, -append, -no-reboot ------------------------------ */

static int handle_kernel(struct parse_ctx *ctx, const char *arg)
{
	ctx->cfg->kernel = arg;
	return 0;
}

static int handle_initrd(struct parse_ctx *ctx, const char *arg)
{
	ctx->cfg->initrd = arg;
	return 0;
}

static int handle_append(struct parse_ctx *ctx, const char *arg)
{
	ctx->cfg->append = arg;
	return 0;
}

static int handle_no_reboot(struct parse_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->cfg->no_reboot = true;
	return 0;
}

static int handle_snapshot(struct parse_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->cfg->snapshot = true;
	return 0;
}

/* --- -nographic, -display, -serial -------------------------------------- */

static int handle_nographic(struct parse_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->cfg->nographic = true;
	return 0;
}

/*
 * QEMU's display types; all but "none" need a graphical console.  Those
 * are only refused once the command line is read, as a later -display
 * may override them.
 */
static int display_type(struct parse_ctx *ctx, const struct opt_iter *it,
			const struct opt_elem *e)
{
	static const char *const graphical[] = {
		"gtk", "sdl", "egl-headless", "curses", "dbus", "spice-app",
	};
	size_t i;

	ctx->display_graphical = NULL;
	if (opt_val_is(e, "none"))
		return 0;
	for (i = 0; i < sizeof(graphical) / sizeof(graphical[0]); i++) {
		if (opt_val_is(e, graphical[i])) {
			ctx->display_opt = it->opt;
			ctx->display_arg = it->text;
			ctx->display_graphical = graphical[i];
			return 0;
		}
	}
	return opt_fail(it, ctx->err, ctx->errlen,
			"Parameter 'type' does not accept value '%.*s'",
			(int)e->val_len, e->val);
}

static int display_prop(struct parse_ctx *ctx, const struct opt_iter *it,
			const struct opt_elem *e)
{
	if (opt_key_is(e, "type"))
		return 0;
	return opt_fail(it, ctx->err, ctx->errlen,
			"Parameter '%.*s' is unexpected",
			(int)e->key_len, e->key);
}

/* QEMU checks the type before anything else the display is given. */
static int handle_display(struct parse_ctx *ctx, const char *arg)
{
	struct opt_elem type;
	struct opt_iter it;

	opt_iter_init(&it, ctx->opt, arg, "type", true);
	if (find_key(ctx, &it, "type", &type))
		return -1;
	if (!type.val)
		return opt_fail(&it, ctx->err, ctx->errlen,
				"Parameter 'type' is missing");
	if (display_type(ctx, &it, &type))
		return -1;
	opt_iter_init(&it, ctx->opt, arg, "type", true);
	return for_each_elem(ctx, &it, display_prop);
}

static bool stdio_in_use(const struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->nr_serial; i++)
		if (cfg->serial[i].kind == CHARDEV_STDIO)
			return true;
	return false;
}

/* As in QEMU, "none" takes no port: "-serial none -serial pty" is COM1. */
static int handle_serial(struct parse_ctx *ctx, const char *arg)
{
	struct config *cfg = ctx->cfg;
	struct chardev_spec spec;
	char msg[512];

	ctx->serial_given = true;
	if (chardev_parse(arg, &spec, msg, sizeof(msg)))
		return fail(ctx, arg, "%s", msg);
	if (spec.kind == CHARDEV_NONE)
		return 0;
	if (cfg->nr_serial == MAX_SERIAL_PORTS)
		return fail(ctx, arg, "too many serial ports (kvmlite has %d)",
			    MAX_SERIAL_PORTS);
	if (spec.kind == CHARDEV_STDIO && stdio_in_use(cfg))
		return fail(ctx, arg,
			    "cannot use stdio by multiple character devices");
	if (spec.kind == CHARDEV_STDIO)
		ctx->serial_stdio = arg;
	/* As in QEMU, "mon:" stands for the default monitor. */
	if (spec.mux_monitor)
		ctx->monitor_given = true;
	cfg->serial[cfg->nr_serial++] = spec;
	return 0;
}

/* --- -monitor, -qmp ----------------------------------------------------- */

static struct monitor_config *add_monitor(struct config *cfg,
					  enum monitor_mode mode,
					  const struct chardev_spec *spec)
{
	struct monitor_config *mon;

	if (cfg->nr_monitors == MAX_MONITORS)
		return NULL;
	mon = &cfg->monitors[cfg->nr_monitors++];
	memset(mon, 0, sizeof(*mon));
	mon->mode = mode;
	mon->chr = *spec;
	return mon;
}

static int handle_monitor_mode(struct parse_ctx *ctx, const char *arg,
			       enum monitor_mode mode)
{
	struct monitor_config *mon;
	struct chardev_spec spec;
	char msg[512];

	ctx->monitor_given = true;
	if (chardev_parse(arg, &spec, msg, sizeof(msg)))
		return fail(ctx, arg, "%s", msg);
	if (spec.mux_monitor)
		return fail(ctx, arg, "mon: is for -serial, to share it with the monitor");
	if (spec.kind == CHARDEV_NONE || spec.kind == CHARDEV_NULL)
		return 0;
	mon = add_monitor(ctx->cfg, mode, &spec);
	if (!mon)
		return fail(ctx, arg, "too many monitors (kvmlite has %d)",
			    MAX_MONITORS);
	mon->opt = ctx->opt;
	mon->arg = arg;
	return 0;
}

static int handle_monitor(struct parse_ctx *ctx, const char *arg)
{
	return handle_monitor_mode(ctx, arg, MONITOR_HMP);
}

static int handle_qmp(struct parse_ctx *ctx, const char *arg)
{
	return handle_monitor_mode(ctx, arg, MONITOR_QMP);
}

/* --- -S, -daemonize, -pidfile, -sandbox, -runas, -chroot, -nodefaults - */

static int handle_start_paused(struct parse_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->cfg->start_paused = true;
	return 0;
}

static int handle_daemonize(struct parse_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->cfg->daemonize = true;
	return 0;
}

static int handle_pidfile(struct parse_ctx *ctx, const char *arg)
{
	ctx->cfg->pidfile = arg;
	return 0;
}

static int handle_sandbox(struct parse_ctx *ctx, const char *arg)
{
	return sandbox_option(ctx->cfg, ctx->opt, arg, ctx->err, ctx->errlen);
}

static int handle_runas(struct parse_ctx *ctx, const char *arg)
{
	return runas_option(ctx->cfg, ctx->opt, arg, ctx->err, ctx->errlen);
}

static int handle_chroot(struct parse_ctx *ctx, const char *arg)
{
	ctx->cfg->chroot_dir = arg;
	return 0;
}

static int handle_nodefaults(struct parse_ctx *ctx, const char *arg)
{
	(void)arg;
	ctx->no_defaults = true;
	return 0;
}

/* --- -device isa-debug-exit --------------------------------------------- */

/* An unsigned property, in any C base; "-1" is out of range, not a wrap. */
int opt_parse_uint(const struct opt_iter *it, const struct opt_elem *e,
		   uint64_t max, const char *type, uint64_t *out, char *err,
		   size_t errlen)
{
	char buf[64], *end = buf;
	unsigned long long val = 0;

	if (!opt_val_copy(e, buf, sizeof(buf))) {
		errno = 0;
		val = strtoull(buf, &end, 0);
	}
	if (end == buf || *end || errno)
		return opt_fail(it, err, errlen,
				"Parameter '%.*s' expects integer",
				(int)e->key_len, e->key);
	if (val > max)
		return opt_fail(it, err, errlen, "Parameter '%.*s' expects %s",
				(int)e->key_len, e->key, type);
	*out = val;
	return 0;
}

static int device_u32(struct parse_ctx *ctx, const struct opt_iter *it,
		      const struct opt_elem *e, uint32_t *out)
{
	uint64_t val;

	if (opt_parse_uint(it, e, UINT32_MAX, "uint32_t", &val, ctx->err,
			   ctx->errlen))
		return -1;
	*out = val;
	return 0;
}

struct debug_exit_props {
	uint32_t iobase;
	uint32_t iosize;
};

static int device_prop(struct parse_ctx *ctx, const struct opt_iter *it,
		       const struct opt_elem *e, struct debug_exit_props *p)
{
	if (opt_key_is(e, "driver") || opt_key_is(e, "id"))
		return 0;
	if (opt_key_is(e, "iobase"))
		return device_u32(ctx, it, e, &p->iobase);
	if (opt_key_is(e, "iosize"))
		return device_u32(ctx, it, e, &p->iosize);
	return opt_fail(it, ctx->err, ctx->errlen,
			"Property '" DEBUG_EXIT_DEVICE ".%.*s' not found",
			(int)e->key_len, e->key);
}

/*
 * QEMU takes any uint32 and maps what falls inside the 64 KiB port space;
 * kvmlite refuses a range that would be partly or wholly unreachable.
 */
static int device_check_range(struct parse_ctx *ctx,
			      const struct opt_iter *it,
			      const struct debug_exit_props *p)
{
	if (!p->iosize)
		return opt_fail(it, ctx->err, ctx->errlen,
				"iosize must be at least 1");
	if (p->iobase >= IO_SPACE_SIZE ||
	    p->iosize > IO_SPACE_SIZE - p->iobase)
		return opt_fail(it, ctx->err, ctx->errlen,
				"ports 0x%x-0x%llx are outside the I/O port space (0x0-0xffff)",
				p->iobase,
				(unsigned long long)p->iobase + p->iosize - 1);
	return 0;
}

static int device_props(struct parse_ctx *ctx, const char *arg)
{
	struct debug_exit_props p = { DEBUG_EXIT_IOBASE, DEBUG_EXIT_IOSIZE };
	struct debug_exit_config *dbg = &ctx->cfg->debug_exit;
	struct opt_iter it;
	struct opt_elem e;
	int ret;

	opt_iter_init(&it, ctx->opt, arg, "driver", false);
	while ((ret = opt_next(&it, &e, ctx->err, ctx->errlen)) > 0)
		if (device_prop(ctx, &it, &e, &p))
			return -1;
	if (ret || device_check_range(ctx, &it, &p))
		return -1;
	dbg->enabled = true;
	dbg->iobase = p.iobase;
	dbg->iosize = p.iosize;
	return 0;
}

static int add_debug_exit(struct parse_ctx *ctx, const char *arg)
{
	struct opt_iter it;

	opt_iter_init(&it, ctx->opt, arg, "driver", false);
	if (ctx->cfg->debug_exit.enabled)
		return opt_fail(&it, ctx->err, ctx->errlen,
				"only one " DEBUG_EXIT_DEVICE " device is supported");
	if (device_props(ctx, arg))
		return -1;
	ctx->cfg->nr_anon_devices++;
	return 0;
}

static int add_e1000(struct parse_ctx *ctx, const char *arg)
{
	return nic_device_add(ctx->cfg, ctx->opt, arg, ctx->err,
			      ctx->errlen);
}

static int add_virtio_blk(struct parse_ctx *ctx, const char *arg)
{
	return virtio_blk_add(ctx->cfg, ctx->opt, arg, ctx->err, ctx->errlen);
}

/* -device by driver name. */
static const struct device_model {
	const char *name;
	int (*add)(struct parse_ctx *ctx, const char *arg);
} device_models[] = {
	{ DEBUG_EXIT_DEVICE, add_debug_exit },
	{ "e1000", add_e1000 },
	{ "virtio-blk-pci", add_virtio_blk },
};

static int handle_device(struct parse_ctx *ctx, const char *arg)
{
	struct opt_elem driver;
	struct opt_iter it;
	size_t i;

	opt_iter_init(&it, ctx->opt, arg, "driver", false);
	if (find_key(ctx, &it, "driver", &driver))
		return -1;
	if (!driver.val)
		return opt_fail(&it, ctx->err, ctx->errlen,
				"Parameter 'driver' is missing");
	for (i = 0; i < sizeof(device_models) / sizeof(device_models[0]); i++)
		if (opt_val_is(&driver, device_models[i].name))
			return device_models[i].add(ctx, arg);
	return opt_fail(&it, ctx->err, ctx->errlen,
			"'%.*s' is not a valid device model name",
			(int)driver.val_len, driver.val);
}

/* --- -netdev, -nic ------------------------------------------------------ */

static int handle_netdev(struct parse_ctx *ctx, const char *arg)
{
	return netdev_add(ctx->cfg, ctx->opt, arg, ctx->err, ctx->errlen);
}

static int handle_nic(struct parse_ctx *ctx, const char *arg)
{
	return nic_shorthand_add(ctx->cfg, ctx->opt, arg, ctx->err,
				 ctx->errlen);
}

/* --- -drive, -hda ------------------------------------------------------ */

static int handle_drive(struct parse_ctx *ctx, const char *arg)
{
	return drive_add(ctx->cfg, ctx->opt, arg, ctx->err, ctx->errlen);
}

/* -hda is index 0 of QEMU's IDE disks, -hdd index 3. */
static int handle_hd(struct parse_ctx *ctx, const char *arg)
{
	const char *name = ctx->opt + strlen(ctx->opt) - 1;

	return drive_add_disk(ctx->cfg, ctx->opt, arg, *name - 'a', ctx->err,
			      ctx->errlen);
}

/* --- -d, -D ------------------------------------------------------------- */

static const char log_items_help[] =
	"Log items (comma separated):\n"
	"unimp           log guest accesses to unimplemented I/O ports and MMIO\n"
	"guest_errors    log when the guest gives a device something invalid\n";

static bool log_item_is(const char *p, size_t n, const char *item)
{
	return n == strlen(item) && !strncmp(p, item, n);
}

/* Each -d replaces the previous one's items, as in QEMU. */
static int handle_log_items(struct parse_ctx *ctx, const char *arg)
{
	const char *p = arg;
	size_t n;

	if (!strcmp(arg, "help")) {
		fputs(log_items_help, ctx->out);
		return 1;
	}
	ctx->cfg->log_unimp = false;
	ctx->cfg->log_guest_errors = false;
	for (;; p += n + 1) {
		n = strcspn(p, ",");
		if (log_item_is(p, n, "unimp"))
			ctx->cfg->log_unimp = true;
		else if (log_item_is(p, n, "guest_errors"))
			ctx->cfg->log_guest_errors = true;
		else
			return fail(ctx, arg, "unknown log item '%.*s' (valid items: unimp, guest_errors)",
				    (int)n, p);
		if (!p[n])
			return 0;
	}
}

static int handle_log_file(struct parse_ctx *ctx, const char *arg)
{
	ctx->cfg->log_file = arg;
	return 0;
}

/* --- -pin-vcpus, -pin-io ------------------------------------------------ */

static int handle_pin_vcpus(struct parse_ctx *ctx, const char *arg)
{
	int n = cpulist_parse(arg, ctx->cfg->pin_vcpus, MAX_VCPUS);

	if (n < 0)
		return fail(ctx, arg, "expected a host CPU list such as 2-5 or "
			    "2,4,6,8 (at most %d CPUs)", MAX_VCPUS);
	ctx->cfg->nr_pin_vcpus = n;
	return 0;
}

static int handle_pin_io(struct parse_ctx *ctx, const char *arg)
{
	int cpu;

	if (cpulist_parse(arg, &cpu, 1) != 1)
		return fail(ctx, arg, "expected one host CPU number");
	ctx->cfg->pin_io = cpu;
	return 0;
}

/* --- the table and the passes over argv --------------------------------- */

static const struct option options[] = {
	{ "h", false, handle_help, "-h or -help", "display this help and exit" },
	{ "help", false, handle_help, NULL, NULL },
	{ "version", false, handle_version, "-version",
	  "display version information and exit" },
	{ "machine", true, handle_machine,
	  "-machine [type=]name[,accel=kvm]",
	  "machine type: kvmlite (default); pc and q35 are aliases of it" },
	{ "M", true, handle_machine, NULL, NULL },
	{ "accel", true, handle_accel, "-accel kvm",
	  "use KVM (the only accelerator, and the default)" },
	{ "enable-kvm", false, handle_enable_kvm, "-enable-kvm",
	  "same as -accel kvm" },
	{ "cpu", true, handle_cpu, "-cpu model[,+feat][,-feat][,feat=on|off]",
	  "CPU model (host or max) with CPUID features added or removed" },
	{ "smp", true, handle_smp,
	  "-smp [[cpus=]n][,maxcpus=n][,sockets=n][,dies=n][,cores=n][,threads=n]",
	  "number of vCPUs (default 1, at most 255) and their topology" },
	{ "m", true, handle_memory, "-m [size=]megs[,slots=n,maxmem=size]",
	  "guest RAM in MiB, or with a suffix k, M, G, T, P or E (default 128M)" },
	{ "name", true, handle_name,
	  "-name string[,process=name][,debug-threads=on|off]",
	  "name of the guest; process= names the kvmlite process" },
	{ "rtc", true, handle_rtc,
	  "-rtc [base=utc|localtime|datetime][,clock=host|rt|vm][,driftfix=none|slew]",
	  "RTC start time: host UTC (default), host local time, or a date like 2006-06-17T16:01:21 or 2006-06-17" },
	{ "kernel", true, handle_kernel, "-kernel file",
	  "kernel to boot: a PVH, multiboot or 64-bit ELF image" },
	{ "initrd", true, handle_initrd, "-initrd file",
	  "initial ram disk for the -kernel" },
	{ "append", true, handle_append, "-append cmdline",
	  "command line for the -kernel" },
	{ "nographic", false, handle_nographic, "-nographic",
	  "serial port on the terminal with Ctrl-A escapes (C-a h for help)" },
	{ "display", true, handle_display, "-display none",
	  "no display (kvmlite has no graphical console)" },
	{ "serial", true, handle_serial, "-serial dev",
	  "serial port: stdio, mon:stdio, null, none, pty, file:path, unix:path[,server[,nowait]], tcp:[host]:port[,server=on][,wait=off]; up to 4" },
	{ "monitor", true, handle_monitor, "-monitor dev",
	  "human monitor on dev: stdio, pty, none, unix:path[,server[,nowait]], tcp:[host]:port[,server=on][,wait=off]" },
	{ "qmp", true, handle_qmp, "-qmp dev",
	  "QMP monitor on dev, as for -monitor; servers take several clients" },
	{ "nodefaults", false, handle_nodefaults, "-nodefaults",
	  "no default serial port and no default monitor" },
	{ "device", true, handle_device,
	  "-device isa-debug-exit[,iobase=port][,iosize=n]",
	  "port that exits kvmlite with status (value << 1) | 1 (default 0x501)" },
	{ "device", true, handle_device,
	  "-device virtio-blk-pci,drive=id[,num-queues=n][,serial=s][,addr=slot][,id=name]",
	  "virtio disk for an if=none drive; num-queues defaults to one per vCPU" },
	{ "drive", true, handle_drive,
	  "-drive file=path[,format=raw|qcow2][,if=virtio|none][,id=name][,cache=writeback|none|writethrough|directsync|unsafe][,aio=threads|io_uring|native][,readonly=on|off][,serial=s][,discard=ignore|unmap][,snapshot=on|off][,backing-dirs=dir[:dir...]]",
	  "a disk image; without if=none it is a virtio disk; backing files only from the image's directory and backing-dirs" },
	{ "snapshot", false, handle_snapshot, "-snapshot",
	  "write to temporary files instead of disk image files" },
	{ "hda", true, handle_hd, "-hda/-hdb/-hdc/-hdd file",
	  "disk image 0 to 3, as a virtio disk" },
	{ "hdb", true, handle_hd, NULL, NULL },
	{ "hdc", true, handle_hd, NULL, NULL },
	{ "hdd", true, handle_hd, NULL, NULL },
	{ "netdev", true, handle_netdev,
	  "-netdev tap,id=str[,ifname=name][,script=file|no][,downscript=file|no][,fd=h]",
	  "TAP network backend; scripts default to /etc/qemu-ifup and /etc/qemu-ifdown" },
	{ "nic", true, handle_nic,
	  "-nic tap[,model=e1000][,mac=addr][,tap options]|none",
	  "an e1000 NIC with its own TAP backend (-device e1000,netdev=id,mac=addr,addr=slot adds one for a -netdev)" },
	{ "no-reboot", false, handle_no_reboot, "-no-reboot",
	  "exit instead of rebooting" },
	{ "S", false, handle_start_paused, "-S",
	  "do not start the vCPUs until the monitor says cont" },
	{ "daemonize", false, handle_daemonize, "-daemonize",
	  "run in the background once the VM is set up" },
	{ "pidfile", true, handle_pidfile, "-pidfile file",
	  "write the process ID to file, locked while kvmlite runs" },
	{ "sandbox", true, handle_sandbox,
	  "-sandbox on|off[,obsolete=allow|deny][,elevateprivileges=allow|deny|children][,spawn=allow|deny][,resourcecontrol=allow|deny]",
	  "seccomp allow-lists for every thread (on by default)" },
	{ "runas", true, handle_runas, "-runas user",
	  "drop to user (a name, or uid:gid) once the host resources are open" },
	{ "chroot", true, handle_chroot, "-chroot dir",
	  "chroot to dir once the host resources are open" },
	{ "d", true, handle_log_items, "-d item[,...]",
	  "log the given items (use '-d help' for a list)" },
	{ "D", true, handle_log_file, "-D logfile",
	  "write the log to logfile instead of stderr" },
	{ "pin-vcpus", true, handle_pin_vcpus, "-pin-vcpus list",
	  "pin vCPU i to the i-th host CPU of list (e.g. 2-5 or 2,4,6,8)" },
	{ "pin-io", true, handle_pin_io, "-pin-io cpu",
	  "pin the I/O thread to host CPU cpu" },
	{ NULL, false, NULL, NULL, NULL },
};

/* QEMU's layout: synopsis, then the description from column 16. */
static int handle_help(struct parse_ctx *ctx, const char *arg)
{
	const struct option *o;
	int len;

	(void)arg;
	fprintf(ctx->out, "kvmlite version " KVMLITE_VERSION "\n"
		"usage: kvmlite [options]\n\n");
	for (o = options; o->name; o++) {
		if (!o->synopsis)
			continue;
		len = fprintf(ctx->out, "%s", o->synopsis);
		if (len >= HELP_INDENT) {
			fputc('\n', ctx->out);
			len = 0;
		}
		fprintf(ctx->out, "%*s%s\n", HELP_INDENT - len, "", o->help);
	}
	fprintf(ctx->out, "\nWhen using -nographic, press 'ctrl-a h' to get some help.\n");
	return 1;
}

static const struct option *find_option(const char *word)
{
	const struct option *o;

	word += word[1] == '-' ? 2 : 1;
	for (o = options; o->name; o++)
		if (!strcmp(o->name, word))
			return o;
	return NULL;
}

/* Pass 1: every option exists and has its argument. */
static int check_options(struct parse_ctx *ctx, int argc, char **argv)
{
	const struct option *o;
	int i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			continue;
		o = find_option(argv[i]);
		if (!o)
			return fail(ctx, NULL, "%s: invalid option", argv[i]);
		if (o->has_arg && ++i >= argc)
			return fail(ctx, NULL, "%s: requires an argument",
				    argv[i - 1]);
	}
	return 0;
}

/* Pass 2: act on them in order. */
static int run_options(struct parse_ctx *ctx, int argc, char **argv)
{
	const struct option *o;
	int i, ret;

	for (i = 1; i < argc; i++) {
		/* A bare image name is -hda, as in QEMU. */
		if (argv[i][0] != '-') {
			if (drive_add_disk(ctx->cfg, NULL, argv[i], 0, ctx->err,
					   ctx->errlen))
				return -1;
			continue;
		}
		o = find_option(argv[i]);
		ctx->opt = argv[i];
		ret = o->handler(ctx, o->has_arg ? argv[++i] : NULL);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * No -serial at all: COM1 on stdio, there being no graphical console.
 * Where QEMU's default would be an invisible graphical console (with
 * -daemonize, or a monitor on stdio without -nographic), it goes to null.
 */
static void finish_serial(struct parse_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	bool stdio_taken = false;
	int i;

	for (i = 0; i < cfg->nr_monitors; i++)
		stdio_taken |= cfg->monitors[i].chr.kind == CHARDEV_STDIO;
	if (!ctx->serial_given && !ctx->no_defaults) {
		memset(&cfg->serial[0], 0, sizeof(cfg->serial[0]));
		cfg->serial[0].kind = cfg->daemonize ||
				      (stdio_taken && !cfg->nographic) ?
				      CHARDEV_NULL : CHARDEV_STDIO;
		cfg->nr_serial = 1;
	}
	for (i = 0; i < cfg->nr_serial; i++)
		if (cfg->serial[i].kind == CHARDEV_STDIO)
			cfg->serial[i].mux_escapes |= cfg->nographic;
}

static struct chardev_spec *serial_on_stdio(struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->nr_serial; i++)
		if (cfg->serial[i].kind == CHARDEV_STDIO)
			return &cfg->serial[i];
	return NULL;
}

/*
 * -nographic's monitor, as QEMU's: on the same stdio as the serial port
 * (C-a c), or alone on stdio if no serial port is there; "mon:stdio"
 * asks for the shared one explicitly.
 */
static int finish_monitor(struct parse_ctx *ctx)
{
	static const struct chardev_spec stdio = { .kind = CHARDEV_STDIO };
	struct config *cfg = ctx->cfg;
	struct chardev_spec *serial = serial_on_stdio(cfg);
	struct monitor_config *mon;

	if (serial && serial->mux_monitor)
		mon = add_monitor(cfg, MONITOR_HMP, &stdio);
	else if (cfg->nographic && !ctx->monitor_given && !ctx->no_defaults)
		mon = add_monitor(cfg, MONITOR_HMP, &stdio);
	else
		return 0;
	if (!mon)
		return fail(ctx, NULL, "too many monitors (kvmlite has %d)",
			    MAX_MONITORS);
	mon->opt = "-monitor";
	mon->arg = "stdio";
	mon->mux = serial != NULL;
	return 0;
}

/* One user of stdio at most, a shared (muxed) monitor aside. */
static int check_stdio_users(struct parse_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	const struct monitor_config *mon, *first = NULL;
	int i;

	for (i = 0; i < cfg->nr_monitors; i++) {
		mon = &cfg->monitors[i];
		if (mon->chr.kind != CHARDEV_STDIO || mon->mux)
			continue;
		if (first)
			return fail(ctx, NULL, "%s %s: cannot use stdio by multiple character devices",
				    mon->opt, mon->arg);
		first = mon;
	}
	if (!first || !serial_on_stdio(cfg))
		return 0;
	if (ctx->serial_stdio)
		return fail(ctx, NULL, "-serial %s: cannot use stdio by multiple character devices",
			    ctx->serial_stdio);
	return fail(ctx, NULL, "cannot use stdio by multiple character devices");
}

/* QEMU's checks: a daemon has no terminal to talk to. */
static int check_daemonize(struct parse_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	int i;

	if (!cfg->daemonize)
		return 0;
	if (cfg->nographic && !ctx->no_defaults &&
	    (!ctx->serial_given || !ctx->monitor_given))
		return fail(ctx, NULL, "-nographic cannot be used with -daemonize");
	if (ctx->serial_stdio)
		return fail(ctx, NULL, "-serial %s: cannot use stdio with -daemonize",
			    ctx->serial_stdio);
	for (i = 0; i < cfg->nr_monitors; i++)
		if (cfg->monitors[i].chr.kind == CHARDEV_STDIO)
			return fail(ctx, NULL, "%s %s: cannot use stdio with -daemonize",
				    cfg->monitors[i].opt,
				    cfg->monitors[i].arg);
	return 0;
}

/* What can only be checked once the whole command line is known. */
static int finish(struct parse_ctx *ctx)
{
	struct config *cfg = ctx->cfg;

	if (ctx->accel_option && ctx->machine_accel)
		return fail(ctx, NULL,
			    "The -accel and \"-machine accel=\" options are incompatible");
	if (ctx->display_graphical)
		return fail(ctx, NULL,
			    "%s %s: display '%s' is not supported: kvmlite has no graphical console (use -display none or -nographic)",
			    ctx->display_opt, ctx->display_arg,
			    ctx->display_graphical);
	if (smp_args_finish(&ctx->smp, &cfg->smp, ctx->err, ctx->errlen) ||
	    mem_args_finish(&ctx->mem, &cfg->ram_size, ctx->err, ctx->errlen) ||
	    drives_finish(cfg, ctx->err, ctx->errlen))
		return -1;
	if (cfg->append && !cfg->kernel)
		return fail(ctx, NULL, "-append only allowed with -kernel option");
	if (cfg->initrd && !cfg->kernel)
		return fail(ctx, NULL, "-initrd only allowed with -kernel option");
	if (net_finish(cfg, ctx->err, ctx->errlen))
		return -1;
	if (check_daemonize(ctx))
		return -1;
	finish_serial(ctx);
	if (finish_monitor(ctx))
		return -1;
	return check_stdio_users(ctx);
}

enum config_result config_parse(struct config *cfg, int argc, char **argv,
				char *err, size_t errlen, FILE *out)
{
	struct parse_ctx ctx;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->pin_io = -1;
	cfg->sandbox = true;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.err = err;
	ctx.errlen = errlen;
	ctx.out = out;
	ret = check_options(&ctx, argc, argv);
	if (!ret)
		ret = run_options(&ctx, argc, argv);
	if (!ret)
		ret = finish(&ctx);
	if (ret > 0)
		return CONFIG_EXIT_OK;
	return ret ? CONFIG_ERROR : CONFIG_RUN;
}
