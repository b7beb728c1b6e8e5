// SPDX-License-Identifier: MIT
/*
 * Making and reshaping qcow2 images: create (a header, a refcount table
 * and one refcount block; the L1 table then comes from resizing the
 * empty image, through the allocator like any other cluster), resize,
 * preallocation, a new backing file name, and compressed clusters.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmlite/deflate.h"
#include "qcow2_priv.h"

#define DEFAULT_CLUSTER_SIZE	65536

static int check_create_opts(const struct qcow2_create_opts *o, char *err,
			     size_t errlen)
{
	uint32_t cs = o->cluster_size, rb = o->refcount_bits;

	if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1))) {
		snprintf(err, errlen, "Cluster size must be a power of two between 512 and 2048k");
		return -EINVAL;
	}
	if (!rb || rb > 64 || (rb & (rb - 1))) {
		snprintf(err, errlen, "Refcount width must be a power of two and may not exceed 64 bits");
		return -EINVAL;
	}
	if (o->version < 3 && o->lazy_refcounts) {
		snprintf(err, errlen, "Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or greater)");
		return -EINVAL;
	}
	if (o->version < 3 && rb != 16) {
		snprintf(err, errlen, "Different refcount widths than 16 bits require compatibility level 1.1 or above (use version=v3 or greater)");
		return -EINVAL;
	}
	return 0;
}

/* Cluster 0 header, cluster 1 refcount table, cluster 2 its block. */
static int write_empty(struct qcow2 *q)
{
	uint64_t cs = q->cluster_size;
	uint8_t *buf = qcow2_alloc_buf(3 * cs);
	uint64_t rb = htobe64(2 * cs);
	int ret, i;

	if (!buf)
		return -ENOMEM;
	memcpy(buf + cs, &rb, 8);
	for (i = 0; i < 3; i++)
		qcow2_rc_write_entry(q, buf + 2 * cs, i, 1);
	ret = qcow2_build_header(q, buf, cs);
	if (!ret)
		ret = qcow2_pwrite(q, buf, 3 * cs, 0);
	free(buf);
	return ret;
}

static void init_header(struct qcow2 *q, const struct qcow2_create_opts *o)
{
	struct qcow2_header *h = &q->h;

	h->version = o->version;
	h->cluster_bits = __builtin_ctz(o->cluster_size);
	h->refcount_order = __builtin_ctz(o->refcount_bits);
	h->refcount_table_offset = o->cluster_size;
	h->refcount_table_clusters = 1;
	h->compat = o->lazy_refcounts ? COMPAT_LAZY_REFCOUNTS : 0;
	q->cluster_bits = h->cluster_bits;
	q->cluster_size = o->cluster_size;
	q->refcount_bits = o->refcount_bits;
}

static int reopen_and_finish(int fd, const struct qcow2_create_opts *o,
			     char *err, size_t errlen)
{
	struct qcow2_open_opts oo = { .filename = "", .fd = fd,
				      .no_backing = true };
	struct qcow2 *q;
	int ret = qcow2_open(&oo, &q, err, errlen);

	if (ret)
		return ret;
	if (o->backing_file)
		ret = qcow2_set_backing(q, o->backing_file, o->backing_fmt);
	if (!ret)
		ret = qcow2_resize(q, o->size, err, errlen);
	if (!ret && o->prealloc != QCOW2_PREALLOC_OFF)
		ret = qcow2_preallocate(q, o->prealloc);
	if (ret && !*err)
		snprintf(err, errlen, "Could not write the image: %s",
			 strerror(-ret));
	return qcow2_close(q) ? -EIO : ret;
}

int qcow2_create(int fd, const struct qcow2_create_opts *o, char *err,
		 size_t errlen)
{
	struct qcow2 q = { .fd = fd, .align = 512 };
	struct qcow2_create_opts opts = *o;
	int ret;

	*err = '\0';
	if (!opts.cluster_size)
		opts.cluster_size = DEFAULT_CLUSTER_SIZE;
	if (!opts.refcount_bits)
		opts.refcount_bits = 16;
	if (!opts.version)
		opts.version = 3;
	ret = check_create_opts(&opts, err, errlen);
	if (ret)
		return ret;
	init_header(&q, &opts);
	if (ftruncate(fd, 0) || (ret = write_empty(&q))) {
		snprintf(err, errlen, "Could not write the image: %s",
			 strerror(ret ? -ret : errno));
		return -EIO;
	}
	return reopen_and_finish(fd, &opts, err, errlen);
}

/* --- resize ------------------------------------------------------------------ */

/* @n free clusters in a row, wherever the first such run is. */
int64_t qcow2_alloc_contiguous(struct qcow2 *q, uint64_t n)
{
	uint64_t hint = q->free_hint, c, rc, run = 0, start = 0;
	int ret;

	for (c = hint; run < n; c++) {
		if ((c << q->cluster_bits) >= QCOW2_MAX_HOST_OFFSET)
			return -ENOSPC;
		ret = qcow2_rc_get(q, c, &rc);
		if (ret)
			return ret;
		if (rc) {
			run = 0;
		} else if (!run++) {
			start = c;
		}
	}
	ret = qcow2_rc_update(q, start << q->cluster_bits,
			      n << q->cluster_bits, 1);
	return ret ? ret : (int64_t)(start << q->cluster_bits);
}

int qcow2_grow_l1(struct qcow2 *q, uint32_t entries)
{
	uint64_t bytes = qcow2_round_up(q, (uint64_t)entries * 8);
	uint64_t old = q->h.l1_table_offset;
	uint64_t old_bytes = qcow2_round_up(q, (uint64_t)q->l1_size * 8);
	uint64_t *l1 = qcow2_alloc_buf(bytes);
	int64_t off;
	int ret;

	if (!l1)
		return -ENOMEM;
	memcpy(l1, q->l1, q->l1_size * 8);
	off = qcow2_alloc_contiguous(q, bytes >> q->cluster_bits);
	ret = off < 0 ? off : qcow2_pwrite(q, l1, bytes, off);
	q->need_sync = true;
	if (!ret)
		ret = qcow2_flush_locked(q);
	if (ret) {
		free(l1);
		return ret;
	}
	free(q->l1);
	q->l1 = l1;
	q->l1_size = entries;
	q->h.l1_size = entries;
	q->h.l1_table_offset = off;
	ret = qcow2_write_header(q);
	if (!ret)
		ret = qcow2_sync(q);
	if (!ret && old_bytes && old)
		ret = qcow2_rc_update(q, old, old_bytes, -1);
	return ret;
}

/* Frees the L2 tables that only map what lies past the new end. */
static int drop_tables_past(struct qcow2 *q, uint64_t size)
{
	uint64_t per_l2 = 1ull << (q->cluster_bits + q->l2_bits);
	uint64_t first = (size + per_l2 - 1) / per_l2, i, off;
	int ret = 0;

	for (i = first; !ret && i < q->l1_size; i++) {
		off = be64toh(q->l1[i]) & L1E_OFFSET_MASK;
		if (!off)
			continue;
		q->l1[i] = 0;
		ret = qcow2_l1_write_entry(q, i);
		if (!ret)
			ret = qcow2_sync(q);
		qcow2_cache_forget(&q->l2_cache, off);
		if (!ret)
			ret = qcow2_rc_update(q, off, q->cluster_size, -1);
	}
	return ret;
}

int qcow2_resize(struct qcow2 *q, uint64_t size, char *err, size_t errlen)
{
	uint64_t per_l2 = 1ull << (q->cluster_bits + q->l2_bits);
	uint64_t need = (size + per_l2 - 1) / per_l2;
	uint64_t old = q->h.size;
	int ret = 0;

	if (size >= QCOW2_MAX_HOST_OFFSET || need * 8 > QCOW2_MAX_L1_BYTES) {
		snprintf(err, errlen, "Image size too large for this cluster size");
		return -EFBIG;
	}
	if (size < old)
		ret = qcow2_discard(q, size, old - size);
	pthread_mutex_lock(&q->lock);
	if (!ret && size < old)
		ret = drop_tables_past(q, size);
	if (!ret && need > q->l1_size)
		ret = qcow2_grow_l1(q, need);
	if (!ret) {
		q->h.size = size;
		ret = qcow2_write_header(q);
	}
	if (!ret)
		ret = qcow2_flush_locked(q);
	pthread_mutex_unlock(&q->lock);
	if (ret && !*err)
		snprintf(err, errlen, "Could not resize the image: %s",
			 strerror(-ret));
	return ret;
}

int qcow2_set_backing(struct qcow2 *q, const char *name, const char *fmt)
{
	char *n = name && *name ? strdup(name) : NULL;
	char *f = fmt && name && *name ? strdup(fmt) : NULL;
	int ret;

	free(q->backing_name);
	free(q->backing_fmt);
	q->backing_name = n;
	q->backing_fmt = f;
	pthread_mutex_lock(&q->lock);
	ret = qcow2_write_header(q);
	if (!ret)
		ret = qcow2_sync(q);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

/* --- preallocation ------------------------------------------------------------- */

static int prealloc_table(struct qcow2 *q, uint64_t guest, uint64_t end)
{
	uint64_t *table, idx = qcow2_l2_index(q, guest), got = 0, i;
	uint64_t n = (end - guest + q->cluster_size - 1) >> q->cluster_bits;
	int64_t host = 0;
	int ret = qcow2_l2_writable(q, guest, &table);

	for (i = 0; !ret && i < n; i++) {
		if (be64toh(table[idx + i]))
			continue;
		if (!got) {
			host = qcow2_alloc_clusters(q, n - i, &got);
			if (host < 0) {
				ret = host;
				break;
			}
		}
		table[idx + i] = htobe64(host | QCOW_OFLAG_COPIED);
		qcow2_grow_file(q, host + q->cluster_size);
		host += q->cluster_size;
		got--;
	}
	if (!ret) {
		qcow2_cache_dirty(&q->l2_cache, table);
		qcow2_cache_put(&q->l2_cache, table);
	}
	return ret;
}

int qcow2_preallocate(struct qcow2 *q, int mode)
{
	uint64_t per_l2 = 1ull << (q->cluster_bits + q->l2_bits), g, end;
	uint64_t file_end;
	int ret = 0;

	pthread_mutex_lock(&q->lock);
	for (g = 0; !ret && g < q->h.size; g = end) {
		end = (g / per_l2 + 1) * per_l2;
		if (end > q->h.size)
			end = q->h.size;
		ret = prealloc_table(q, g, end);
	}
	file_end = qcow2_file_size(q);
	if (!ret && mode == QCOW2_PREALLOC_FALLOC &&
	    fallocate(q->fd, 0, 0, file_end))
		ret = -errno;
	if (!ret && mode != QCOW2_PREALLOC_FALLOC && ftruncate(q->fd, file_end))
		ret = -errno;
	if (!ret)
		ret = qcow2_flush_locked(q);
	pthread_mutex_unlock(&q->lock);
	if (!ret && mode == QCOW2_PREALLOC_FULL)
		ret = qcow2_write_zeroes_data(q);
	return ret;
}

/* preallocation=full: every data cluster written with zeroes. */
int qcow2_write_zeroes_data(struct qcow2 *q)
{
	uint64_t off, len = 1u << 20;
	uint8_t *zero = calloc(1, len);
	int ret = zero ? 0 : -ENOMEM;

	for (off = 0; !ret && off < q->h.size; off += len) {
		if (q->h.size - off < len)
			len = q->h.size - off;
		ret = qcow2_writev(q, off, &(struct iovec){ zero, len }, 1);
	}
	free(zero);
	return ret;
}

/* --- compressed clusters ------------------------------------------------------- */

/*
 * Compressed data is packed into a host cluster until the next does not
 * fit; each compressed cluster holds a reference to the host cluster.
 */
static int64_t place_compressed(struct qcow2 *q, uint64_t len)
{
	uint64_t used = q->comp_cursor & (q->cluster_size - 1);
	int64_t off;
	int ret;

	if (q->comp_cursor && used && q->cluster_size - used >= len) {
		off = q->comp_cursor;
		ret = qcow2_rc_update(q, off, 1, 1);
		if (ret)
			return ret;
	} else {
		off = qcow2_alloc_clusters(q, 1, NULL);
		if (off < 0)
			return off;
	}
	q->comp_cursor = (off + len + 511) & ~511ull;
	return off;
}

int qcow2_write_compressed(struct qcow2 *q, struct deflate_ctx *ctx,
			   uint64_t guest, const void *data)
{
	uint32_t x = 62 - (q->cluster_bits - 8);
	uint8_t *out = malloc(q->cluster_size);
	uint64_t *table, len, entry;
	int64_t off;
	int ret;

	if (!out)
		return -ENOMEM;
	len = deflate_compress(ctx, data, q->cluster_size, out,
			       q->cluster_size - 512);
	if (!len) {
		free(out);
		return qcow2_writev(q, guest, &(struct iovec){ (void *)data,
				    q->cluster_size }, 1);
	}
	pthread_mutex_lock(&q->lock);
	off = place_compressed(q, len);
	ret = off < 0 ? off : qcow2_pwrite(q, out, len, off);
	if (!ret)
		ret = qcow2_l2_writable(q, guest, &table);
	if (!ret) {
		entry = QCOW_OFLAG_COMPRESSED | off |
			(((off + len - 1) / 512 - off / 512) << x);
		table[qcow2_l2_index(q, guest)] = htobe64(entry);
		qcow2_cache_dirty(&q->l2_cache, table);
		qcow2_cache_put(&q->l2_cache, table);
	}
	pthread_mutex_unlock(&q->lock);
	free(out);
	return ret;
}
