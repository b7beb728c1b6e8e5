// SPDX-License-Identifier: MIT
/*
 * Opening and closing a qcow2 image: the header, the L1 and refcount
 * tables (checked against the file), the caches, the backing file, and
 * what a read-write open changes (unknown autoclear bits cleared; a dirty
 * image's refcounts rebuilt).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmlite/backing_policy.h"
#include "qcow2_priv.h"

#define DEFAULT_L2_CACHE	(32ull << 20)
#define DEFAULT_RC_CACHE	(1ull << 20)
#define MIN_CACHE_TABLES	4
#define MAX_CACHE_TABLES	4096
#define MAX_CHAIN_DEPTH		256

/* --- tables --------------------------------------------------------------- */

static bool range_in_file(struct qcow2 *q, uint64_t off, uint64_t len)
{
	return off >= q->cluster_size && off < QCOW2_MAX_HOST_OFFSET &&
	       len <= qcow2_file_size(q) && off <= qcow2_file_size(q) - len;
}

static int load_table(struct qcow2 *q, uint64_t off, uint64_t entries,
		      uint64_t **table, const char *what, char *err,
		      size_t errlen)
{
	uint64_t bytes = qcow2_round_up(q, entries * 8);
	int ret;

	if (!bytes)
		bytes = q->cluster_size;
	*table = qcow2_alloc_buf(bytes);
	if (!*table) {
		snprintf(err, errlen, "Could not allocate the %s", what);
		return -ENOMEM;
	}
	if (!entries)
		return 0;
	if (!range_in_file(q, off, entries * 8)) {
		snprintf(err, errlen, "The %s lies outside the image", what);
		return -EINVAL;
	}
	ret = qcow2_pread(q, *table, entries * 8, off);
	if (ret)
		snprintf(err, errlen, "Could not read the %s: %s", what,
			 strerror(-ret));
	return ret;
}

static unsigned int cache_tables(const struct qcow2 *q, uint64_t bytes,
				 uint64_t def)
{
	uint64_t n = (bytes ? bytes : def) / q->cluster_size;

	if (n < MIN_CACHE_TABLES)
		n = MIN_CACHE_TABLES;
	return n > MAX_CACHE_TABLES ? MAX_CACHE_TABLES : n;
}

static int init_caches(struct qcow2 *q, const struct qcow2_open_opts *o,
		       char *err, size_t errlen)
{
	/* QEMU's default: enough L2 tables for the whole disk, up to 32M. */
	uint64_t whole = (uint64_t)q->l1_size * q->cluster_size;
	uint64_t l2_def = whole < DEFAULT_L2_CACHE ? whole : DEFAULT_L2_CACHE;

	if (qcow2_cache_init(&q->l2_cache, cache_tables(q, o->l2_cache_size,
							l2_def),
			     q->cluster_size) ||
	    qcow2_cache_init(&q->rc_cache,
			     cache_tables(q, o->refcount_cache_size,
					  DEFAULT_RC_CACHE),
			     q->cluster_size)) {
		snprintf(err, errlen, "Could not allocate metadata caches");
		return -ENOMEM;
	}
	q->l2_cache.before_write = qcow2_rc_flush;
	return 0;
}

/* --- the backing file -------------------------------------------------------- */

/* Relative names are relative to the overlay's directory, as in QEMU. */
char *qcow2_backing_path(const struct qcow2 *q)
{
	char *copy, *dir, *path;

	if (!q->backing_name)
		return NULL;
	if (q->backing_name[0] == '/' || !strchr(q->filename, '/'))
		return strdup(q->backing_name);
	copy = strdup(q->filename);
	if (!copy)
		return NULL;
	dir = dirname(copy);
	if (asprintf(&path, "%s/%s", dir, q->backing_name) < 0)
		path = NULL;
	free(copy);
	return path;
}

static int chain_depth(const struct image_chain *c)
{
	int n = 0;

	for (; c; c = c->next)
		n++;
	return n;
}

static int open_backing(struct qcow2 *q, const struct qcow2_open_opts *o,
			const struct image_chain *self, char *err,
			size_t errlen)
{
	struct image_open_opts bo = {
		.format = q->backing_fmt,
		.chain = self,
		.policy = o->policy,
		.l2_cache_size = o->l2_cache_size,
		.refcount_cache_size = o->refcount_cache_size,
	};
	char why[1024];
	char *path;

	if (!strncmp(q->backing_name, "json:", 5)) {
		snprintf(err, errlen, "Could not open backing file: json: backing file names are not supported");
		return -ENOTSUP;
	}
	if (chain_depth(self) > MAX_CHAIN_DEPTH) {
		snprintf(err, errlen, "Could not open backing file: the backing chain is deeper than %d", MAX_CHAIN_DEPTH);
		return -ELOOP;
	}
	path = qcow2_backing_path(q);
	if (!path)
		return -ENOMEM;
	bo.filename = path;
	if (!backing_policy_check(o->policy, q->filename, o->probed, path,
				  why, sizeof(why)))
		q->backing = image_open(&bo, why, sizeof(why));
	free(path);
	if (!q->backing) {
		snprintf(err, errlen, "Could not open backing file: %s", why);
		return -EINVAL;
	}
	return 0;
}

/* --- open ---------------------------------------------------------------------- */

static int open_file(struct qcow2 *q, const struct qcow2_open_opts *o,
		     char *err, size_t errlen)
{
	struct stat st;

	q->fd = o->fd;
	if (q->fd < 0) {
		q->fd = open(o->filename, (o->read_only ? O_RDONLY : O_RDWR) |
			     O_CLOEXEC | (o->direct ? O_DIRECT : 0));
		q->own_fd = true;
	}
	if (q->fd < 0 || fstat(q->fd, &st)) {
		snprintf(err, errlen, "Could not open '%s': %s", o->filename,
			 strerror(errno));
		return -errno;
	}
	q->file_size = st.st_size;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(q->fd, 0, SEEK_END);

		q->file_size = end > 0 ? (uint64_t)end : 0;
	}
	return 0;
}

/* The cluster size first, then the whole of cluster 0 parsed. */
static int read_header(struct qcow2 *q, char *err, size_t errlen)
{
	uint8_t head[QCOW2_V2_HEADER_LEN] = { 0 };
	uint32_t bits;
	uint8_t *buf;
	int ret = qcow2_pread(q, head, sizeof(head), 0);

	if (ret) {
		snprintf(err, errlen, "Could not read image header: %s",
			 strerror(-ret));
		return ret;
	}
	memcpy(&bits, head + 20, 4);
	bits = be32toh(bits);
	if (bits < QCOW2_MIN_CLUSTER_BITS || bits > QCOW2_MAX_CLUSTER_BITS)
		bits = QCOW2_MIN_CLUSTER_BITS;
	buf = qcow2_alloc_buf(1u << bits);
	if (!buf)
		return -ENOMEM;
	ret = qcow2_pread(q, buf, 1u << bits, 0);
	if (!ret)
		ret = qcow2_parse_header(q, buf, 1u << bits, err, errlen);
	free(buf);
	return ret;
}

static int open_rw(struct qcow2 *q, const struct qcow2_open_opts *o,
		   char *err, size_t errlen)
{
	int ret;

	if (q->h.incompat & INCOMPAT_CORRUPT) {
		snprintf(err, errlen, "qcow2: Image is corrupt; cannot be opened read/write");
		return -EROFS;
	}
	if ((q->h.incompat & INCOMPAT_DIRTY) && !o->no_repair) {
		ret = qcow2_repair_dirty(q, err, errlen);
		if (ret)
			return ret;
	}
	if (!q->h.autoclear)
		return 0;
	/* We keep no bitmaps: what the bits vouch for may not stay true. */
	q->h.autoclear = 0;
	ret = qcow2_write_header(q);
	if (!ret)
		ret = qcow2_sync(q);
	if (ret)
		snprintf(err, errlen, "Could not update qcow2 header: %s",
			 strerror(-ret));
	return ret;
}

static int open_image(struct qcow2 *q, const struct qcow2_open_opts *o,
		      char *err, size_t errlen)
{
	struct image_chain self = { .next = o->chain };
	struct stat st;
	int ret = read_header(q, err, errlen);

	if (ret)
		return ret;
	q->l1_size = q->h.l1_size;
	ret = load_table(q, q->h.l1_table_offset, q->l1_size, &q->l1,
			 "L1 table", err, errlen);
	if (ret)
		return ret;
	q->rt_size = (uint64_t)q->h.refcount_table_clusters *
		     q->cluster_size / 8;
	ret = load_table(q, q->h.refcount_table_offset, q->rt_size, &q->rt,
			 "refcount table", err, errlen);
	if (!ret)
		ret = init_caches(q, o, err, errlen);
	if (ret)
		return ret;
	if (!fstat(q->fd, &st)) {
		self.dev = st.st_dev;
		self.ino = st.st_ino;
	}
	if (q->backing_name && !o->no_backing)
		ret = open_backing(q, o, &self, err, errlen);
	if (!ret && !q->read_only)
		ret = open_rw(q, o, err, errlen);
	return ret;
}

static void free_image(struct qcow2 *q)
{
	unsigned int i;

	if (q->backing)
		image_close(q->backing);
	qcow2_cache_free(&q->l2_cache);
	qcow2_cache_free(&q->rc_cache);
	for (i = 0; i < q->nr_exts; i++)
		free(q->exts[i].data);
	free(q->exts);
	free(q->l1);
	free(q->rt);
	free(q->backing_name);
	free(q->backing_fmt);
	free(q->filename);
	if (q->own_fd && q->fd >= 0)
		close(q->fd);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->rmw_lock);
	pthread_cond_destroy(&q->busy_done);
	free(q);
}

int qcow2_open(const struct qcow2_open_opts *o, struct qcow2 **out,
	       char *err, size_t errlen)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	int ret;

	*out = NULL;
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	q->fd = -1;
	q->read_only = o->read_only;
	q->direct = o->direct;
	q->unsafe = o->unsafe;
	q->align = o->align ? o->align : 512;
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->rmw_lock, NULL);
	pthread_cond_init(&q->busy_done, NULL);
	q->filename = strdup(o->filename);
	ret = q->filename ? open_file(q, o, err, errlen) : -ENOMEM;
	if (!ret)
		ret = open_image(q, o, err, errlen);
	if (ret) {
		free_image(q);
		return ret;
	}
	*out = q;
	return 0;
}

int qcow2_close(struct qcow2 *q)
{
	int ret;

	if (!q)
		return 0;
	ret = qcow2_flush(q);
	if (!ret)
		ret = qcow2_release_file(q);
	free_image(q);
	return ret;
}

uint64_t qcow2_size(const struct qcow2 *q)
{
	return q->h.size;
}

uint64_t qcow2_cluster_size(const struct qcow2 *q)
{
	return q->cluster_size;
}

struct image *qcow2_backing(const struct qcow2 *q)
{
	return q->backing;
}

void qcow2_get_info(const struct qcow2 *q, struct qcow2_info *info)
{
	info->version = q->h.version;
	info->cluster_size = q->cluster_size;
	info->refcount_bits = q->refcount_bits;
	info->lazy_refcounts = q->h.compat & COMPAT_LAZY_REFCOUNTS;
	info->corrupt = q->h.incompat & INCOMPAT_CORRUPT;
	info->dirty = q->h.incompat & INCOMPAT_DIRTY;
	info->extended_l2 = q->h.incompat & INCOMPAT_EXTL2;
	info->backing_name = q->backing_name;
	info->backing_fmt = q->backing_fmt;
}
