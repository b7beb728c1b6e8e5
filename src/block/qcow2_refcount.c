// SPDX-License-Identifier: MIT
/*
 * qcow2 refcounts: entries of 1 to 64 bits in refcount blocks found
 * through the refcount table, the cluster allocator on top of them, and
 * the growth of the table itself.  The crash-safety rules they serve:
 * a refcount goes up before anything on disk points at the cluster (so
 * L2 tables wait for the refcount cache, see qcow2_rc_flush), and goes
 * down only after what pointed at it is gone on disk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_priv.h"

uint64_t qcow2_rc_read_entry(const struct qcow2 *q, const void *block,
			     uint64_t index)
{
	const uint8_t *b = block;
	uint32_t bits = q->refcount_bits;
	uint64_t v = 0;
	uint32_t i;

	if (bits < 8)
		return (b[index * bits / 8] >> (index * bits % 8)) &
		       ((1u << bits) - 1);
	for (i = 0; i < bits / 8; i++)
		v = v << 8 | b[index * (bits / 8) + i];
	return v;
}

void qcow2_rc_write_entry(const struct qcow2 *q, void *block, uint64_t index,
			  uint64_t value)
{
	uint8_t *b = block;
	uint32_t bits = q->refcount_bits;
	uint32_t i;

	if (bits < 8) {
		uint32_t shift = index * bits % 8;
		uint8_t mask = ((1u << bits) - 1) << shift;

		b[index * bits / 8] = (b[index * bits / 8] & ~mask) |
				      ((value << shift) & mask);
		return;
	}
	for (i = bits / 8; i > 0; i--) {
		b[index * (bits / 8) + i - 1] = value & 0xff;
		value >>= 8;
	}
}

/* The refcount block covering table entry @ti, or NULL if it has none. */
static int block_lookup(struct qcow2 *q, uint64_t ti, void **block)
{
	uint64_t off;

	*block = NULL;
	if (ti >= q->rt_size)
		return 0;
	off = be64toh(q->rt[ti]) & RTE_OFFSET_MASK;
	if (!off)
		return 0;
	if (off % q->cluster_size || off + q->cluster_size >
	    qcow2_file_size(q))
		return -EIO;
	return qcow2_cache_get(q, &q->rc_cache, off, false, block);
}

static int write_rt_entry(struct qcow2 *q, uint64_t ti)
{
	uint64_t first = ti * 8 / 512 * 512;

	return qcow2_pwrite(q, (uint8_t *)q->rt + first, 512,
			    q->h.refcount_table_offset + first);
}

/*
 * A range without a refcount block has only free clusters, so its new
 * block goes in its own first cluster, describing itself.
 */
static int block_create(struct qcow2 *q, uint64_t ti, void **block)
{
	uint64_t off = ti << (q->rb_bits + q->cluster_bits);
	int ret;

	if (!off || off >= QCOW2_MAX_HOST_OFFSET)
		return -EIO;
	ret = qcow2_cache_get(q, &q->rc_cache, off, true, block);
	if (ret)
		return ret;
	qcow2_rc_write_entry(q, *block, 0, 1);
	ret = qcow2_pwrite(q, *block, q->cluster_size, off);
	if (!ret)
		ret = qcow2_sync(q);
	if (!ret) {
		q->rt[ti] = htobe64(off);
		ret = write_rt_entry(q, ti);
		q->need_sync = true;
	}
	if (ret) {
		qcow2_cache_put(&q->rc_cache, *block);
		qcow2_cache_forget(&q->rc_cache, off);
		*block = NULL;
	}
	return ret;
}

static int grow_table(struct qcow2 *q, uint64_t ti);

static int block_get(struct qcow2 *q, uint64_t cluster, bool create,
		     void **block)
{
	uint64_t ti = cluster >> q->rb_bits;
	int ret;

	if (create && ti >= q->rt_size) {
		ret = grow_table(q, ti);
		if (ret)
			return ret;
	}
	ret = block_lookup(q, ti, block);
	if (!ret && !*block && create)
		ret = block_create(q, ti, block);
	return ret;
}

int qcow2_rc_get(struct qcow2 *q, uint64_t cluster, uint64_t *refcount)
{
	void *block;
	int ret = block_get(q, cluster, false, &block);

	*refcount = 0;
	if (ret || !block)
		return ret;
	*refcount = qcow2_rc_read_entry(q, block, cluster &
					((1ull << q->rb_bits) - 1));
	qcow2_cache_put(&q->rc_cache, block);
	return 0;
}

static int rc_add(struct qcow2 *q, uint64_t cluster, int64_t delta)
{
	uint64_t index = cluster & ((1ull << q->rb_bits) - 1), v;
	void *block;
	int ret = block_get(q, cluster, delta > 0, &block);

	if (ret)
		return ret;
	if (!block)
		return -EIO;
	v = qcow2_rc_read_entry(q, block, index);
	if ((delta < 0 && v < (uint64_t)-delta) ||
	    (delta > 0 && q->refcount_max - v < (uint64_t)delta)) {
		qcow2_cache_put(&q->rc_cache, block);
		return delta < 0 ? -EIO : -ERANGE;
	}
	v += delta;
	qcow2_rc_write_entry(q, block, index, v);
	qcow2_cache_dirty(&q->rc_cache, block);
	qcow2_cache_put(&q->rc_cache, block);
	if (!v && cluster < q->free_hint)
		q->free_hint = cluster;
	return 0;
}

int qcow2_rc_update(struct qcow2 *q, uint64_t off, uint64_t len,
		    int64_t delta)
{
	uint64_t c, end = (off + len + q->cluster_size - 1) >> q->cluster_bits;
	int ret;

	for (c = off >> q->cluster_bits; c < end; c++) {
		ret = rc_add(q, c, delta);
		if (ret)
			return ret;
	}
	return 0;
}

static int rc_get_or_create(struct qcow2 *q, uint64_t cluster, uint64_t *rc)
{
	void *block;
	int ret = block_get(q, cluster, true, &block);

	if (ret)
		return ret;
	*rc = qcow2_rc_read_entry(q, block, cluster &
				  ((1ull << q->rb_bits) - 1));
	qcow2_cache_put(&q->rc_cache, block);
	return 0;
}

int64_t qcow2_alloc_clusters(struct qcow2 *q, uint64_t n, uint64_t *got)
{
	uint64_t limit = QCOW2_MAX_HOST_OFFSET >> q->cluster_bits;
	uint64_t c, start = 0, run = 0, rc;
	int ret;

	for (c = q->free_hint; run < n; c++) {
		if (c >= limit)
			return -ENOSPC;
		ret = rc_get_or_create(q, c, &rc);
		if (ret)
			return ret;
		if (rc && run)
			break;
		if (!rc && !run++)
			start = c;
	}
	ret = qcow2_rc_update(q, start << q->cluster_bits,
			      run << q->cluster_bits, 1);
	if (ret)
		return ret;
	/*
	 * The run is the first free one from the hint, so everything up to
	 * its end is in use now: the next search starts there rather than
	 * walking the whole image again, once per allocation.
	 */
	q->free_hint = start + run;
	if (got)
		*got = run;
	return start << q->cluster_bits;
}

int qcow2_free_l2_entry(struct qcow2 *q, uint64_t entry)
{
	uint64_t off, len;

	if (entry & QCOW_OFLAG_COMPRESSED) {
		qcow2_compressed_range(q, entry, &off, &len);
		return qcow2_rc_update(q, off, len, -1);
	}
	off = entry & L2E_OFFSET_MASK;
	if (!off)
		return 0;
	return qcow2_rc_update(q, off, q->cluster_size, -1);
}

/* --- growing the refcount table ------------------------------------------ */

/*
 * The new table and the refcount blocks it needs for itself go after
 * everything the old table covers, where every cluster is free; they are
 * written, then the header switches to them, then the old table is freed.
 */
struct rt_growth {
	uint64_t first;		/* cluster index of the new area */
	uint64_t nr_blocks;
	uint64_t entries;
	uint64_t table_clusters;
};

static void plan_growth(const struct qcow2 *q, uint64_t ti,
			struct rt_growth *g)
{
	uint64_t per_cluster = q->cluster_size / 8, rbe = 1ull << q->rb_bits;
	uint64_t entries = q->rt_size * 2 > ti + 1 ? q->rt_size * 2 : ti + 1;
	uint64_t nb = 1, prev;

	g->first = q->rt_size << q->rb_bits;
	do {
		prev = nb;
		g->table_clusters = (entries + per_cluster - 1) / per_cluster;
		nb = (nb + g->table_clusters + rbe - 1) / rbe;
		if (g->first / rbe + nb > entries)
			entries = g->first / rbe + nb;
	} while (nb != prev || (entries + per_cluster - 1) / per_cluster !=
		 g->table_clusters);
	g->nr_blocks = nb;
	g->entries = g->table_clusters * per_cluster;
}

static int write_growth(struct qcow2 *q, const struct rt_growth *g,
			uint64_t *table)
{
	uint64_t cs = q->cluster_size, rbe = 1ull << q->rb_bits, i;
	uint64_t area = g->nr_blocks + g->table_clusters;
	uint8_t *blocks = qcow2_alloc_buf(g->nr_blocks * cs);
	int ret;

	if (!blocks)
		return -ENOMEM;
	for (i = 0; i < area; i++)
		qcow2_rc_write_entry(q, blocks + i / rbe * cs, i % rbe, 1);
	for (i = 0; i < g->nr_blocks; i++)
		table[g->first / rbe + i] = htobe64((g->first + i) * cs);
	ret = qcow2_pwrite(q, blocks, g->nr_blocks * cs, g->first * cs);
	if (!ret)
		ret = qcow2_pwrite(q, table, g->table_clusters * cs,
				   (g->first + g->nr_blocks) * cs);
	free(blocks);
	return ret;
}

static int grow_table(struct qcow2 *q, uint64_t ti)
{
	uint64_t old_off = q->h.refcount_table_offset;
	uint64_t old_bytes = (uint64_t)q->h.refcount_table_clusters *
			     q->cluster_size;
	struct rt_growth g;
	uint64_t *table;
	int ret;

	plan_growth(q, ti, &g);
	if (g.table_clusters * q->cluster_size > QCOW2_MAX_RT_BYTES ||
	    (g.first + g.nr_blocks + g.table_clusters) * q->cluster_size >=
	    QCOW2_MAX_HOST_OFFSET)
		return -ENOSPC;
	table = qcow2_alloc_buf(g.table_clusters * q->cluster_size);
	if (!table)
		return -ENOMEM;
	memcpy(table, q->rt, q->rt_size * 8);
	ret = write_growth(q, &g, table);
	q->need_sync = true;
	if (!ret)
		ret = qcow2_rc_flush(q);
	if (ret) {
		free(table);
		return ret;
	}
	q->h.refcount_table_offset = (g.first + g.nr_blocks) *
				     q->cluster_size;
	q->h.refcount_table_clusters = g.table_clusters;
	free(q->rt);
	q->rt = table;
	q->rt_size = g.entries;
	ret = qcow2_write_header(q);
	if (!ret)
		ret = qcow2_sync(q);
	if (!ret)
		ret = qcow2_rc_update(q, old_off, old_bytes, -1);
	return ret;
}

/* --- ordering ------------------------------------------------------------ */

static int sync_if_needed(struct qcow2 *q)
{
	int ret;

	if (!__atomic_exchange_n(&q->unsynced_writes, 0, __ATOMIC_ACQ_REL) &&
	    !q->need_sync)
		return 0;
	q->need_sync = false;
	ret = qcow2_sync(q);
	if (ret)
		q->need_sync = true;
	return ret;
}

int qcow2_rc_flush(struct qcow2 *q)
{
	int ret = qcow2_cache_write_back(q, &q->rc_cache);

	return ret ? ret : sync_if_needed(q);
}

int qcow2_flush_locked(struct qcow2 *q)
{
	int ret = qcow2_cache_write_back(q, &q->l2_cache);

	return ret ? ret : qcow2_rc_flush(q);
}
