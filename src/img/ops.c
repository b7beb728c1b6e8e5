// SPDX-License-Identifier: MIT
/* kvmlite-img snapshot, resize, commit and rebase. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "img_priv.h"

#define CHUNK	(1u << 20)

static struct qcow2 *need_qcow2(struct image *img)
{
	if (img && !image_qcow2(img)) {
		img_error("This operation is not supported for '%s' (raw images have no such metadata)",
			  image_filename(img));
		return NULL;
	}
	return img ? image_qcow2(img) : NULL;
}

static int list_snapshots(struct qcow2 *q)
{
	struct qcow2_snapshot_info *s;
	unsigned int nr, i;

	if (qcow2_snapshot_list(q, &s, &nr)) {
		img_error("Could not read the snapshot table");
		return IMG_ERROR;
	}
	if (nr)
		printf("Snapshot list:\n"
		       "ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n");
	for (i = 0; i < nr; i++) {
		uint64_t secs = s[i].vm_clock_nsec / 1000000000;
		time_t t = s[i].date_sec;
		char size[32], date[32];

		img_human_size(s[i].vm_state_size, size, sizeof(size));
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S",
			 localtime(&t));
		printf("%-9s %-17s %7s %19s %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64 " %10" PRIu64 "\n",
		       s[i].id, s[i].name, size, date, secs / 3600,
		       secs / 60 % 60, secs % 60,
		       s[i].vm_clock_nsec / 1000000 % 1000, s[i].icount);
	}
	qcow2_snapshots_free(s, nr);
	return IMG_OK;
}

int img_snapshot(int argc, char **argv)
{
	const char *fmt = NULL, *name = NULL;
	int op = 'l', ch, ret;
	struct image *img;
	struct qcow2 *q;
	char err[512];

	optind = 1;
	while ((ch = getopt(argc, argv, "f:c:a:d:lqU")) != -1) {
		if (ch == 'f') {
			fmt = optarg;
		} else if (ch == 'c' || ch == 'a' || ch == 'd') {
			op = ch;
			name = optarg;
		} else if (ch == 'l') {
			op = 'l';
		} else if (ch == '?') {
			return IMG_ERROR;
		}
	}
	if (optind >= argc) {
		img_error("Expecting one image file name");
		return IMG_ERROR;
	}
	img = img_open(argv[optind], fmt, op == 'l' ? IMAGE_NO_BACKING :
						      IMAGE_RW);
	q = need_qcow2(img);
	if (!q) {
		image_close(img);
		return IMG_ERROR;
	}
	if (op == 'l')
		ret = list_snapshots(q);
	else if (op == 'c')
		ret = qcow2_snapshot_create(q, name, err, sizeof(err));
	else if (op == 'a')
		ret = qcow2_snapshot_apply(q, name, err, sizeof(err));
	else
		ret = qcow2_snapshot_delete(q, name, err, sizeof(err));
	if (op != 'l' && ret)
		img_error("Could not %s snapshot '%s': %s",
			  op == 'c' ? "create" : op == 'a' ? "apply" : "delete",
			  name, err);
	if (image_close(img))
		ret = IMG_ERROR;
	return ret ? IMG_ERROR : IMG_OK;
}

/* --- resize -------------------------------------------------------------- */

static int new_size(const char *arg, uint64_t old, uint64_t *size)
{
	uint64_t delta;

	if (img_parse_size(arg + (*arg == '+' || *arg == '-'), &delta))
		return -1;
	if (*arg == '+')
		*size = old + delta;
	else if (*arg == '-')
		*size = delta > old ? 0 : old - delta;
	else
		*size = delta;
	return 0;
}

static int resize_image(struct image *img, uint64_t size, bool shrink)
{
	char err[512] = "";
	int fd = image_fd(img);

	if (size < image_size(img) && !shrink) {
		img_error("Use the --shrink option to perform a shrink operation.");
		fprintf(stderr, "kvmlite-img: warning: Shrinking an image will delete all data beyond the shrunken image's end. Before performing such an operation, make sure there is no important data there.\n");
		return IMG_ERROR;
	}
	if (image_qcow2(img) && qcow2_resize(image_qcow2(img), size, err,
					     sizeof(err))) {
		img_error("%s", err);
		return IMG_ERROR;
	}
	if (!image_qcow2(img) && ftruncate(fd, size)) {
		img_error("Could not resize image: %s", strerror(errno));
		return IMG_ERROR;
	}
	printf("Image resized.\n");
	return IMG_OK;
}

int img_resize(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "shrink", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL;
	bool shrink = false;
	struct image *img;
	uint64_t size;
	int ch, ret;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+f:qU", longs, NULL)) != -1) {
		if (ch == 'f')
			fmt = optarg;
		else if (ch == 'S')
			shrink = true;
		else if (ch == '?')
			return IMG_ERROR;
	}
	if (argc - optind != 2) {
		img_error("Expecting image file name and size");
		return IMG_ERROR;
	}
	img = img_open(argv[optind], fmt, IMAGE_RW | IMAGE_NO_BACKING);
	if (!img)
		return IMG_ERROR;
	ret = new_size(argv[optind + 1], image_size(img), &size) ? IMG_ERROR :
	      resize_image(img, size, shrink);
	if (image_close(img))
		ret = IMG_ERROR;
	return ret;
}

/* --- commit and rebase -------------------------------------------------------- */

/* What @top holds itself goes into @base. */
static int commit_into(struct image *top, struct image *base)
{
	uint64_t size = image_size(top), off, run, len;
	uint8_t *buf = malloc(CHUNK);
	int st, ret = buf ? 0 : -1;

	for (off = 0; !ret && off < size; off += run) {
		len = size - off < CHUNK ? size - off : CHUNK;
		st = image_status(top, off, len, &run);
		if (st < 0 || !run) {
			ret = st < 0 ? st : -1;
			break;
		}
		if (st == IMAGE_STATUS_ZERO)
			ret = image_write_zeroes(base, off, run, false);
		else if (st == IMAGE_STATUS_DATA && !(ret = image_read(top, off, buf, run)))
			ret = image_write(base, off, buf, run);
	}
	free(buf);
	return ret ? ret : image_flush(base);
}

/* The backing file of @top, opened for writing. */
static struct image *open_backing_rw(struct image *top)
{
	struct qcow2_info qi;
	struct image *base;
	char *path;

	qcow2_get_info(image_qcow2(top), &qi);
	if (!qi.backing_name) {
		img_error("Image does not have a backing file");
		return NULL;
	}
	path = qcow2_backing_path(image_qcow2(top));
	base = path ? img_open(path, qi.backing_fmt, IMAGE_RW) : NULL;
	free(path);
	return base;
}

int img_commit(int argc, char **argv)
{
	const char *fmt = NULL;
	bool keep = false;
	struct image *top, *base = NULL;
	int ch, ret = -1;

	optind = 1;
	while ((ch = getopt(argc, argv, "f:dqpt:b:")) != -1) {
		if (ch == 'f')
			fmt = optarg;
		else if (ch == 'd')
			keep = true;
		else if (ch == '?')
			return IMG_ERROR;
	}
	if (optind >= argc) {
		img_error("Expecting one image file name");
		return IMG_ERROR;
	}
	top = img_open(argv[optind], fmt, IMAGE_RW | IMAGE_NO_BACKING);
	if (need_qcow2(top))
		base = open_backing_rw(top);
	if (base)
		ret = commit_into(top, base);
	if (!ret && !keep)
		ret = image_discard(top, 0, image_size(top));
	if (base && image_close(base))
		ret = -1;
	if (top && image_close(top))
		ret = -1;
	if (!ret)
		printf("Image committed.\n");
	else if (base)
		img_error("Could not commit the image");
	return ret ? IMG_ERROR : IMG_OK;
}

/*
 * Safe rebase: wherever @top shows its backing file, what the new one
 * would show instead is compared, and the old data copied into @top
 * where they differ.
 */
static int keep_old_data(struct image *top, struct image *new_base)
{
	uint64_t size = image_size(top), off, run, len;
	uint8_t *a = malloc(CHUNK), *b = malloc(CHUNK);
	int st, ret = a && b ? 0 : -1;

	for (off = 0; !ret && off < size; off += run) {
		len = size - off < CHUNK ? size - off : CHUNK;
		st = image_status(top, off, len, &run);
		if (st < 0 || !run) {
			ret = -1;
			break;
		}
		if (st != IMAGE_STATUS_BACKING)
			continue;
		ret = image_read(top, off, a, run);
		memset(b, 0, run);
		if (!ret && new_base && off < image_size(new_base))
			ret = image_read(new_base, off, b,
					 image_size(new_base) - off < run ?
					 image_size(new_base) - off : run);
		if (!ret && memcmp(a, b, run))
			ret = image_write(top, off, a, run);
	}
	free(a);
	free(b);
	return ret;
}

/* The new backing file, named relative to @top's directory. */
static struct image *open_new_backing(const char *top_file, const char *name,
				      const char *fmt)
{
	const char *slash = strrchr(top_file, '/');
	struct image *img;
	char *path;

	if (name[0] == '/' || !slash)
		path = strdup(name);
	else if (asprintf(&path, "%.*s/%s", (int)(slash - top_file), top_file,
			  name) < 0)
		path = NULL;
	img = path ? img_open(path, fmt, 0) : NULL;
	free(path);
	return img;
}

static int rebase(const char *file, const char *fmt, const char *name,
		  const char *bfmt, bool unsafe)
{
	struct image *top, *nb = NULL;
	int ret = -1;

	top = img_open(file, fmt, IMAGE_RW | (unsafe ? IMAGE_NO_BACKING : 0));
	if (!need_qcow2(top)) {
		image_close(top);
		return IMG_ERROR;
	}
	if (!unsafe && *name)
		nb = open_new_backing(file, name, bfmt);
	if (unsafe || !*name || nb)
		ret = unsafe ? 0 : keep_old_data(top, nb);
	if (!ret)
		ret = qcow2_set_backing(image_qcow2(top), name, bfmt);
	if (ret)
		img_error("Could not change the backing file of '%s'", file);
	image_close(nb);
	if (image_close(top))
		ret = -1;
	return ret ? IMG_ERROR : IMG_OK;
}

int img_rebase(int argc, char **argv)
{
	const char *fmt = NULL, *name = NULL, *bfmt = NULL;
	bool unsafe = false;
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "f:b:F:uqpt:T:U")) != -1) {
		if (ch == 'f')
			fmt = optarg;
		else if (ch == 'b')
			name = optarg;
		else if (ch == 'F')
			bfmt = optarg;
		else if (ch == 'u')
			unsafe = true;
		else if (ch == '?')
			return IMG_ERROR;
	}
	if (optind >= argc || !name) {
		img_error("Expecting one image file name and -b");
		return IMG_ERROR;
	}
	if (*name && !bfmt) {
		img_error("%s: Backing file specified without backing format",
			  argv[optind]);
		return IMG_ERROR;
	}
	return rebase(argv[optind], fmt, name, bfmt, unsafe);
}
