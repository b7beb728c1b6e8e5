// SPDX-License-Identifier: MIT
/* kvmlite-img create: raw or qcow2, with qemu-img's -o options. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmlite/config.h"
#include "img_priv.h"

struct create_args {
	const char *fmt;
	const char *file;
	bool quiet;
	bool have_size;
	bool compat_given;
	struct qcow2_create_opts q;
};

static int parse_bool(const char *key, const char *val, bool *out)
{
	if (!strcmp(val, "on") || !strcmp(val, "true")) {
		*out = true;
	} else if (!strcmp(val, "off") || !strcmp(val, "false")) {
		*out = false;
	} else {
		img_error("Parameter '%s' expects 'on' or 'off'", key);
		return -1;
	}
	return 0;
}

static int parse_prealloc(const char *val, struct qcow2_create_opts *q)
{
	static const char *const modes[] = { "off", "metadata", "falloc",
					     "full" };
	int i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(val, modes[i])) {
			q->prealloc = i;
			return 0;
		}
	}
	img_error("Parameter 'preallocation' does not accept value '%s'", val);
	return -1;
}

static int parse_compat(const char *val, struct create_args *a)
{
	a->compat_given = true;
	if (!strcmp(val, "0.10") || !strcmp(val, "v2")) {
		a->q.version = 2;
	} else if (!strcmp(val, "1.1") || !strcmp(val, "v3")) {
		a->q.version = 3;
	} else {
		img_error("Parameter 'version' does not accept value '%s'", val);
		return -1;
	}
	return 0;
}

static int parse_number(const char *key, const char *val, uint32_t *out)
{
	uint64_t v;

	if (parse_size(val, 1, &v) || v > UINT32_MAX) {
		img_error("Parameter '%s' expects a size", key);
		return -1;
	}
	*out = v;
	return 0;
}

static int set_option(struct create_args *a, const char *key, char *val)
{
	if (!strcmp(key, "size")) {
		a->have_size = true;
		return img_parse_size(val, &a->q.size);
	}
	if (!strcmp(key, "backing_file")) {
		a->q.backing_file = val;
		return 0;
	}
	if (!strcmp(key, "backing_fmt")) {
		a->q.backing_fmt = val;
		return 0;
	}
	if (!strcmp(key, "preallocation"))
		return parse_prealloc(val, &a->q);
	if (!strcmp(a->fmt, "qcow2") && !strcmp(key, "cluster_size"))
		return parse_number(key, val, &a->q.cluster_size);
	if (!strcmp(a->fmt, "qcow2") && !strcmp(key, "refcount_bits"))
		return parse_number(key, val, &a->q.refcount_bits);
	if (!strcmp(a->fmt, "qcow2") && !strcmp(key, "compat"))
		return parse_compat(val, a);
	if (!strcmp(a->fmt, "qcow2") && !strcmp(key, "lazy_refcounts"))
		return parse_bool(key, val, &a->q.lazy_refcounts);
	img_error("%s: Invalid parameter '%s'", a->file, key);
	return -1;
}

/* "key=value,key=value" (the string is split in place). */
static int parse_options(struct create_args *a, char *text)
{
	char *save, *item;

	for (item = strtok_r(text, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq) {
			img_error("%s: Invalid parameter '%s'", a->file, item);
			return -1;
		}
		*eq = '\0';
		if (set_option(a, item, eq + 1))
			return -1;
	}
	return 0;
}

static void print_formatting(const struct create_args *a)
{
	const struct qcow2_create_opts *q = &a->q;

	if (a->quiet)
		return;
	printf("Formatting '%s', fmt=%s ", a->file, a->fmt);
	if (!strcmp(a->fmt, "qcow2"))
		printf("cluster_size=%u extended_l2=off compression_type=zlib ",
		       q->cluster_size ? q->cluster_size : 65536);
	printf("size=%" PRIu64, q->size);
	if (q->backing_file)
		printf(" backing_file=%s", q->backing_file);
	if (q->backing_fmt)
		printf(" backing_fmt=%s", q->backing_fmt);
	if (!strcmp(a->fmt, "qcow2"))
		printf(" lazy_refcounts=%s refcount_bits=%u",
		       q->lazy_refcounts ? "on" : "off",
		       q->refcount_bits ? q->refcount_bits : 16);
	printf("\n");
}

/* The backing file must exist; its size is the default size. */
static int check_backing(struct create_args *a)
{
	char *copy, *slash, *path = NULL;
	struct image *img;

	if (!a->q.backing_fmt) {
		img_error("%s: Backing file specified without backing format",
			  a->file);
		return -1;
	}
	copy = strdup(a->file);
	slash = copy ? strrchr(copy, '/') : NULL;
	if (slash && a->q.backing_file[0] != '/') {
		slash[1] = '\0';
		if (asprintf(&path, "%s%s", copy, a->q.backing_file) < 0)
			path = NULL;
	} else {
		path = strdup(a->q.backing_file);
	}
	free(copy);
	img = path ? img_open(path, a->q.backing_fmt, IMAGE_NO_BACKING) : NULL;
	free(path);
	if (!img)
		return -1;
	if (!a->have_size) {
		a->q.size = image_size(img);
		a->have_size = true;
	}
	image_close(img);
	return 0;
}

static int create_raw(int fd, const struct qcow2_create_opts *q)
{
	if (ftruncate(fd, q->size))
		return -errno;
	if (q->prealloc == QCOW2_PREALLOC_FALLOC ||
	    q->prealloc == QCOW2_PREALLOC_FULL)
		return posix_fallocate(fd, 0, q->size) ? -EIO : 0;
	return 0;
}

static int do_create(struct create_args *a)
{
	char err[512] = "";
	int fd, ret;

	if (a->q.backing_file && check_backing(a))
		return IMG_ERROR;
	if (!a->have_size) {
		img_error("%s: Image creation needs a size parameter",
			  a->file);
		return IMG_ERROR;
	}
	print_formatting(a);
	fd = open(a->file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		img_error("%s: Could not create '%s': %s", a->file, a->file,
			  strerror(errno));
		return IMG_ERROR;
	}
	if (!strcmp(a->fmt, "raw"))
		ret = create_raw(fd, &a->q);
	else
		ret = qcow2_create(fd, &a->q, err, sizeof(err));
	if (fsync(fd) && !ret)
		ret = -errno;
	close(fd);
	if (ret) {
		img_error("%s: %s", a->file, *err ? err : strerror(-ret));
		return IMG_ERROR;
	}
	return IMG_OK;
}

int img_create_file(const char *file, const char *fmt, uint64_t size,
		    char *opts)
{
	struct create_args a = { .fmt = fmt, .file = file, .quiet = true,
				 .have_size = true };

	a.q.size = size;
	if (opts && parse_options(&a, opts))
		return IMG_ERROR;
	return do_create(&a);
}

int img_create(int argc, char **argv)
{
	struct create_args a = { .fmt = "raw" };
	char *opts[16];
	int c, nr_opts = 0, i;

	optind = 1;
	while ((c = getopt(argc, argv, "f:b:F:o:qu")) != -1) {
		switch (c) {
		case 'f': a.fmt = optarg; break;
		case 'b': a.q.backing_file = optarg; break;
		case 'F': a.q.backing_fmt = optarg; break;
		case 'o':
			if (nr_opts < 16)
				opts[nr_opts++] = optarg;
			break;
		case 'q': a.quiet = true; break;
		case 'u': break;
		default: return IMG_ERROR;
		}
	}
	if (strcmp(a.fmt, "raw") && strcmp(a.fmt, "qcow2")) {
		img_error("Unknown file format '%s'", a.fmt);
		return IMG_ERROR;
	}
	if (optind >= argc) {
		img_error("Expecting image file name");
		return IMG_ERROR;
	}
	a.file = argv[optind];
	for (i = 0; i < nr_opts; i++)
		if (parse_options(&a, opts[i]))
			return IMG_ERROR;
	if (optind + 1 < argc) {
		if (img_parse_size(argv[optind + 1], &a.q.size))
			return IMG_ERROR;
		a.have_size = true;
	}
	return do_create(&a);
}
