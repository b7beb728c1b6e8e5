// SPDX-License-Identifier: MIT
/*
 * -runas and -chroot, as QEMU has them: once /dev/kvm, the TAPs, the
 * images and the sockets are open, kvmlite leaves the host's file system
 * for the chroot and root for the user, before the guest runs.  Whatever
 * still needs root at exit (TAP down scripts) is left to a helper forked
 * before (src/net/scripts.c).  -sandbox's option parsing is here too,
 * so that src/core/sandbox.c needs nothing of the command line.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmlite/config.h"
#include "kvmlite/privilege.h"

#define MAX_GROUPS	256

/* "<uid>:<gid>", each a number that is not -1 (QEMU's rule). */
static bool parse_uid_gid(const char *text, uid_t *uid, gid_t *gid)
{
	unsigned long u, g;
	char *end;

	errno = 0;
	u = strtoul(text, &end, 0);
	if (errno || end == text || *end != ':' || (uid_t)u != u ||
	    (uid_t)u == (uid_t)-1)
		return false;
	text = end + 1;
	g = strtoul(text, &end, 0);
	if (errno || end == text || *end || (gid_t)g != g ||
	    (gid_t)g == (gid_t)-1)
		return false;
	*uid = u;
	*gid = g;
	return true;
}

int runas_option(struct config *cfg, const char *opt, const char *text,
		 char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(text);

	cfg->runas = true;
	cfg->runas_user[0] = '\0';
	if (pw && strlen(pw->pw_name) < sizeof(cfg->runas_user)) {
		strcpy(cfg->runas_user, pw->pw_name);
		cfg->runas_uid = pw->pw_uid;
		cfg->runas_gid = pw->pw_gid;
		return 0;
	}
	if (parse_uid_gid(text, &cfg->runas_uid, &cfg->runas_gid))
		return 0;
	return config_error(err, errlen, opt, text,
			    "User \"%s\" doesn't exist (and is not <uid>:<gid>)",
			    text);
}

static int change_root(const char *dir, char *err, size_t errlen)
{
	if (chroot(dir) < 0) {
		snprintf(err, errlen, "chroot failed");
		return -1;
	}
	if (chdir("/")) {
		snprintf(err, errlen, "not able to chdir to /: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The user's groups, read before a chroot hides /etc/group. */
static int user_groups(const struct config *cfg, gid_t *groups)
{
	int n = MAX_GROUPS;

	if (!cfg->runas_user[0]) {
		groups[0] = cfg->runas_gid;
		return 1;
	}
	if (getgrouplist(cfg->runas_user, cfg->runas_gid, groups, &n) < 0)
		return -1;
	return n;
}

static int change_user(const struct config *cfg, const gid_t *groups,
		       int nr_groups, char *err, size_t errlen)
{
	if (setgid(cfg->runas_gid) < 0) {
		snprintf(err, errlen, "Failed to setgid(%d)",
			 (int)cfg->runas_gid);
		return -1;
	}
	if (setgroups(nr_groups, groups) < 0) {
		if (cfg->runas_user[0])
			snprintf(err, errlen, "Failed to initgroups(\"%s\", %d)",
				 cfg->runas_user, (int)cfg->runas_gid);
		else
			snprintf(err, errlen, "Failed to setgroups(1, [%d])",
				 (int)cfg->runas_gid);
		return -1;
	}
	if (setuid(cfg->runas_uid) < 0) {
		snprintf(err, errlen, "Failed to setuid(%d)",
			 (int)cfg->runas_uid);
		return -1;
	}
	if (setuid(0) != -1) {
		snprintf(err, errlen, "Dropping privileges failed");
		return -1;
	}
	return 0;
}

int privileges_drop(const struct config *cfg, char *err, size_t errlen)
{
	static gid_t groups[MAX_GROUPS];
	int nr_groups = 0;

	if (cfg->runas) {
		nr_groups = user_groups(cfg, groups);
		if (nr_groups < 0) {
			snprintf(err, errlen, "Failed to initgroups(\"%s\", %d)",
				 cfg->runas_user, (int)cfg->runas_gid);
			return -1;
		}
	}
	if (cfg->chroot_dir && change_root(cfg->chroot_dir, err, errlen))
		return -1;
	if (cfg->runas &&
	    change_user(cfg, groups, nr_groups, err, errlen))
		return -1;
	return 0;
}

/* --- -sandbox ------------------------------------------------------------- */

/*
 * QEMU's sub-options name groups of calls to deny; kvmlite's lists
 * allow none of those groups in any case, so each is checked as QEMU
 * checks it and then has nothing left to change.
 */
static const struct {
	const char *key;
	const char *const values[4];
} sandbox_keys[] = {
	{ "obsolete", { "allow", "deny" } },
	{ "elevateprivileges", { "allow", "deny", "children" } },
	{ "spawn", { "allow", "deny" } },
	{ "resourcecontrol", { "allow", "deny" } },
};

/* -1 if @e is no sub-option; 0 if its value is valid, else 1. */
static int check_sub_option(const struct opt_elem *e)
{
	size_t i, v;

	for (i = 0; i < sizeof(sandbox_keys) / sizeof(sandbox_keys[0]); i++) {
		if (!opt_key_is(e, sandbox_keys[i].key))
			continue;
		for (v = 0; sandbox_keys[i].values[v]; v++)
			if (opt_val_is(e, sandbox_keys[i].values[v]))
				return 0;
		return 1;
	}
	return -1;
}

/* As QEMU: keys are checked always, their values only when it is on. */
int sandbox_option(struct config *cfg, const char *opt, const char *text,
		   char *err, size_t errlen)
{
	struct opt_elem e, bad = { 0 };
	struct opt_iter it;
	bool on = false;
	int ret;

	opt_iter_init(&it, opt, text, "enable", false);
	while ((ret = opt_next(&it, &e, err, errlen)) > 0) {
		if (opt_key_is(&e, "enable")) {
			if (opt_parse_bool(&it, &e, &on, err, errlen))
				return -1;
			continue;
		}
		ret = check_sub_option(&e);
		if (ret < 0)
			return opt_fail(&it, err, errlen,
					"Invalid parameter '%.*s'",
					(int)e.key_len, e.key);
		if (ret && !bad.key)
			bad = e;
	}
	if (ret)
		return -1;
	if (on && bad.key)
		return opt_fail(&it, err, errlen, "invalid argument for %.*s",
				(int)bad.key_len, bad.key);
	cfg->sandbox = on;
	return 0;
}
