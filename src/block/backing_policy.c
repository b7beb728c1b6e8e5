// SPDX-License-Identifier: MIT
/*
 * The backing-file policy of include/kvmlite/backing_policy.h.  Names are
 * compared as realpath() gives them, so the answer is about the file that
 * would be opened, whatever links or ".." led there.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmlite/backing_policy.h"

struct backing_policy {
	char *image;		/* realpath of the drive's image */
	bool image_allowed;	/* ... as a backing file (-snapshot) */
	size_t nr_dirs;
	char **dirs;		/* realpaths; dirs[0] is the image's */
};

/* Pseudo file systems whose files are never disk images. */
static const char *const forbidden_trees[] = { "/proc", "/sys", "/dev" };

#define NR_FORBIDDEN	(sizeof(forbidden_trees) / sizeof(*forbidden_trees))

static bool inside(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (len == 1)		/* "/" */
		return true;
	return !strncmp(path, dir, len) && path[len] == '/';
}

static int add_dir(struct backing_policy *p, const char *dir, char *err,
		   size_t errlen)
{
	char **dirs = realloc(p->dirs, (p->nr_dirs + 1) * sizeof(*dirs));
	char *real;
	struct stat st;

	if (!dirs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->dirs = dirs;
	real = realpath(dir, NULL);
	if (!real || stat(real, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "backing-dirs: '%s': %s", dir,
			 real ? strerror(ENOTDIR) : strerror(errno));
		free(real);
		return -1;
	}
	p->dirs[p->nr_dirs++] = real;
	return 0;
}

static int add_dir_list(struct backing_policy *p, const char *list,
			char *err, size_t errlen)
{
	char *copy = strdup(list), *rest = copy, *dir;
	int ret = 0;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (!ret && (dir = strsep(&rest, ":")))
		if (*dir)
			ret = add_dir(p, dir, err, errlen);
	free(copy);
	return ret;
}

struct backing_policy *backing_policy_new(const char *image,
					  const char *extra_dirs, char *err,
					  size_t errlen)
{
	struct backing_policy *p = calloc(1, sizeof(*p));
	char *dir;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->image = realpath(image, NULL);
	if (!p->image) {
		snprintf(err, errlen, "Could not open '%s': %s", image,
			 strerror(errno));
		backing_policy_free(p);
		return NULL;
	}
	dir = strdup(p->image);
	if (!dir || add_dir(p, dirname(dir), err, errlen) ||
	    (extra_dirs && add_dir_list(p, extra_dirs, err, errlen))) {
		free(dir);
		backing_policy_free(p);
		return NULL;
	}
	free(dir);
	return p;
}

void backing_policy_free(struct backing_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nr_dirs; i++)
		free(p->dirs[i]);
	free(p->dirs);
	free(p->image);
	free(p);
}

void backing_policy_allow_image(struct backing_policy *p)
{
	p->image_allowed = true;
}

static bool in_allowed_dir(const struct backing_policy *p, const char *real)
{
	size_t i;

	for (i = 0; i < p->nr_dirs; i++)
		if (inside(real, p->dirs[i]))
			return true;
	return false;
}

static void list_dirs(const struct backing_policy *p, char *buf,
		      size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < p->nr_dirs && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s",
				 i ? ":" : "", p->dirs[i]);
}

/*
 * @name made absolute with "." and ".." taken away as text, into @out:
 * what the name says before any link is followed.
 */
static int lexical_path(const char *name, char *out, size_t len)
{
	char *copy, *rest, *part;
	size_t used;

	if (name[0] == '/')
		out[0] = '\0';
	else if (!getcwd(out, len))
		return -1;
	copy = strdup(name);
	if (!copy)
		return -1;
	rest = copy;
	while ((part = strsep(&rest, "/"))) {
		used = strlen(out);
		if (!*part || !strcmp(part, "."))
			continue;
		if (!strcmp(part, ".."))
			*(strrchr(out, '/') ?: out) = '\0';
		else if (snprintf(out + used, len - used, "/%s", part) >=
			 (int)(len - used))
			break;
	}
	free(copy);
	return part ? -1 : 0;
}

static const char *forbidden_tree(const char *path)
{
	size_t i;

	for (i = 0; i < NR_FORBIDDEN; i++)
		if (inside(path, forbidden_trees[i]))
			return forbidden_trees[i];
	return NULL;
}

/* Why @real may not be a backing file, or NULL if it may. */
static const char *refusal(const struct backing_policy *p, const char *real,
			   char *buf, size_t len)
{
	struct stat st;

	if (stat(real, &st))
		return strerror(errno);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return "it is a device node";
	if (!S_ISREG(st.st_mode))
		return "it is not a regular file";
	if (in_allowed_dir(p, real))
		return NULL;
	snprintf(buf, len, "it is outside the allowed directories (");
	list_dirs(p, buf + strlen(buf), len - strlen(buf));
	snprintf(buf + strlen(buf), len - strlen(buf),
		 "); -drive backing-dirs= allows more");
	return buf;
}

/*
 * The name is judged as written (so /proc/self/root/... is refused even
 * where it leads somewhere allowed) and as resolved.
 */
static const char *judge(const struct backing_policy *p, bool probed,
			 const char *backing, char *buf, size_t len)
{
	char real[PATH_MAX], name[PATH_MAX];
	const char *tree;

	if (probed)
		return "the image's format was probed (format=qcow2 allows its backing file)";
	if (!realpath(backing, real))
		return strerror(errno);
	if (p->image_allowed && !strcmp(real, p->image))
		return NULL;
	if (lexical_path(backing, name, sizeof(name)))
		return strerror(ENAMETOOLONG);
	tree = forbidden_tree(name) ?: forbidden_tree(real);
	if (tree) {
		snprintf(buf, len, "it is under %s", tree);
		return buf;
	}
	return refusal(p, real, buf, len);
}

int backing_policy_check(const struct backing_policy *p, const char *image,
			 bool probed, const char *backing, char *err,
			 size_t errlen)
{
	char buf[1024];
	const char *why;

	if (!p)
		return 0;
	why = judge(p, probed, backing, buf, sizeof(buf));
	if (!why)
		return 0;
	snprintf(err, errlen, "'%s', the backing file of '%s', is refused: %s",
		 backing, image, why);
	return -1;
}
