// SPDX-License-Identifier: MIT
/*
 * From guest offsets to host clusters: the L1 table, L2 tables through
 * their cache, the kinds of L2 entry, and making an L2 table writable
 * (allocating it, or copying it when a snapshot shares it).  Every offset
 * read from the image is checked before it is used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/deflate.h"
#include "qcow2_priv.h"

/* Whether a table of one cluster at @off lies inside the file. */
static bool table_in_file(struct qcow2 *q, uint64_t off)
{
	return off && !qcow2_offset_in_cluster(q, off) &&
	       off + q->cluster_size <= qcow2_file_size(q);
}

/*
 * The L2 table for @guest, pinned, or NULL when the L1 entry is empty;
 * only from the cache if @cached.
 */
static int l2_for_read(struct qcow2 *q, uint64_t guest, bool cached,
		       uint64_t **table)
{
	uint64_t l1i = qcow2_l1_index(q, guest), off;

	*table = NULL;
	if (l1i >= q->l1_size)
		return 0;
	off = be64toh(q->l1[l1i]) & L1E_OFFSET_MASK;
	if (!off)
		return 0;
	if (!table_in_file(q, off))
		return -EIO;
	if (cached)
		return qcow2_cache_get_cached(&q->l2_cache, off,
					      (void **)table);
	return qcow2_cache_get(q, &q->l2_cache, off, false, (void **)table);
}

void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry,
			    uint64_t *off, uint64_t *len)
{
	uint32_t x = 62 - (q->cluster_bits - 8);
	uint64_t sectors = ((entry >> x) &
			    ((1ull << (q->cluster_bits - 8)) - 1)) + 1;

	*off = entry & ((1ull << x) - 1);
	*len = sectors * 512 - (*off & 511);
}

int qcow2_check_data_entry(struct qcow2 *q, uint64_t entry)
{
	uint64_t off, len;

	if (entry & QCOW_OFLAG_COMPRESSED) {
		qcow2_compressed_range(q, entry, &off, &len);
		return off && off < qcow2_file_size(q) ? 0 : -EIO;
	}
	off = entry & L2E_OFFSET_MASK;
	if (!off)
		return 0;
	return table_in_file(q, off) ? 0 : -EIO;
}

static enum qcow2_kind kind_of(const struct qcow2 *q, uint64_t entry)
{
	if (entry & QCOW_OFLAG_COMPRESSED)
		return QCOW2_COMPRESSED;
	if ((entry & QCOW_OFLAG_ZERO) && qcow2_is_v3(q))
		return QCOW2_ZERO;
	if (entry & L2E_OFFSET_MASK)
		return QCOW2_NORMAL;
	return QCOW2_UNALLOCATED;
}

/* Whether the cluster after one with entry @prev continues its run. */
static bool continues(const struct qcow2 *q, uint64_t prev, uint64_t next)
{
	enum qcow2_kind k = kind_of(q, prev);

	if (k != kind_of(q, next))
		return false;
	switch (k) {
	case QCOW2_NORMAL:
		return (next & ~L2E_OFFSET_MASK) == (prev & ~L2E_OFFSET_MASK) &&
		       (next & L2E_OFFSET_MASK) ==
		       (prev & L2E_OFFSET_MASK) + q->cluster_size;
	case QCOW2_ZERO:
		return !(prev & L2E_OFFSET_MASK) && !(next & L2E_OFFSET_MASK);
	case QCOW2_UNALLOCATED:
		return true;
	default:
		return false;
	}
}

/*
 * Where the run of like clusters from @idx ends, looking no further than
 * the @want clusters the request covers: the scan runs under the lock.
 */
static uint64_t run_end(struct qcow2 *q, const uint64_t *table, uint64_t idx,
			uint64_t want)
{
	uint64_t n = 1ull << q->l2_bits, i = idx + 1;

	if (want < n - idx)
		n = idx + want;
	while (i < n && continues(q, be64toh(table[i - 1]), be64toh(table[i])))
		i++;
	return i;
}

static int map(struct qcow2 *q, uint64_t guest, uint64_t len, bool cached,
	       struct qcow2_map *m)
{
	uint64_t idx = qcow2_l2_index(q, guest), end, *table;
	uint64_t in = qcow2_offset_in_cluster(q, guest);
	int ret = l2_for_read(q, guest, cached, &table);

	if (ret)
		return ret;
	m->entry = 0;
	m->host = 0;
	if (!table) {
		m->kind = QCOW2_UNALLOCATED;
		end = 1ull << q->l2_bits;
	} else {
		m->entry = be64toh(table[idx]);
		m->kind = kind_of(q, m->entry);
		end = run_end(q, table, idx, (in + len + q->cluster_size - 1) >>
						q->cluster_bits);
		qcow2_cache_put(&q->l2_cache, table);
		ret = qcow2_check_data_entry(q, m->entry);
		if (ret)
			return ret;
		if (m->kind == QCOW2_NORMAL)
			m->host = (m->entry & L2E_OFFSET_MASK) + in;
	}
	m->bytes = ((end - idx) << q->cluster_bits) - in;
	if (m->bytes > len)
		m->bytes = len;
	return 0;
}

int qcow2_map_locked(struct qcow2 *q, uint64_t guest, uint64_t len,
		     struct qcow2_map *m)
{
	return map(q, guest, len, false, m);
}

int qcow2_map_cached(struct qcow2 *q, uint64_t guest, uint64_t len,
		     struct qcow2_map *m)
{
	return map(q, guest, len, true, m);
}

int qcow2_read_compressed(struct qcow2 *q, uint64_t entry, void *cluster)
{
	uint64_t off, len;
	uint8_t *buf;
	int ret;

	qcow2_compressed_range(q, entry, &off, &len);
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	ret = qcow2_pread(q, buf, len, off);
	if (!ret && inflate_cluster(buf, len, cluster, q->cluster_size))
		ret = -EIO;
	free(buf);
	return ret;
}

/* --- writable L2 tables ---------------------------------------------------- */

int qcow2_l1_write_entry(struct qcow2 *q, uint32_t index)
{
	uint64_t first = (uint64_t)index * 8 / 512 * 512;

	q->need_sync = true;
	return qcow2_pwrite(q, (uint8_t *)q->l1 + first, 512,
			    q->h.l1_table_offset + first);
}

/*
 * The new table is on disk, and so is its refcount, before the L1 entry
 * points at it; the shared table it replaces loses its reference only
 * once the new L1 entry is on disk.
 */
static int l2_new(struct qcow2 *q, uint64_t l1i, uint64_t old,
		  uint64_t **table)
{
	int64_t off = qcow2_alloc_clusters(q, 1, NULL);
	uint64_t *src;
	int ret;

	if (off < 0)
		return off;
	ret = qcow2_cache_get(q, &q->l2_cache, off, true, (void **)table);
	if (ret)
		return ret;
	if (old) {
		ret = qcow2_cache_get(q, &q->l2_cache, old, false,
				      (void **)&src);
		if (!ret) {
			memcpy(*table, src, q->cluster_size);
			qcow2_cache_put(&q->l2_cache, src);
		}
	}
	if (!ret)
		ret = qcow2_pwrite(q, *table, q->cluster_size, off);
	q->need_sync = true;
	if (!ret)
		ret = qcow2_rc_flush(q);
	if (!ret) {
		q->l1[l1i] = htobe64(off | QCOW_OFLAG_COPIED);
		ret = qcow2_l1_write_entry(q, l1i);
	}
	if (!ret && old)
		ret = qcow2_rc_flush(q);
	if (!ret && old)
		ret = qcow2_rc_update(q, old, q->cluster_size, -1);
	if (ret)
		qcow2_cache_put(&q->l2_cache, *table);
	return ret;
}

int qcow2_l2_writable(struct qcow2 *q, uint64_t guest, uint64_t **table)
{
	uint64_t l1i = qcow2_l1_index(q, guest), l1e, off;

	if (l1i >= q->l1_size)
		return -EIO;
	l1e = be64toh(q->l1[l1i]);
	off = l1e & L1E_OFFSET_MASK;
	if (off && !table_in_file(q, off))
		return -EIO;
	if (off && (l1e & QCOW_OFLAG_COPIED))
		return qcow2_cache_get(q, &q->l2_cache, off, false,
				       (void **)table);
	return l2_new(q, l1i, off, table);
}
