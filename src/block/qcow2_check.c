// SPDX-License-Identifier: MIT
/*
 * Checking qcow2 refcounts as qemu-img check does: every reference from
 * the header, the L1 tables of the image and of its snapshots, their L2
 * tables and data, the snapshot table and the refcount structures is
 * counted, and the counts compared with the stored refcounts.  Repair
 * fixes leaks in place; anything worse rebuilds the refcount structures
 * from the counts, after the end of the file, and switches the header to
 * them.  An image left dirty is repaired the same way when opened.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_priv.h"

#define MAX_CHECK_CLUSTERS	(1ull << 28)

struct counts {
	struct qcow2 *q;
	uint32_t *refs;
	uint64_t nr;		/* clusters the array holds */
	uint64_t end;		/* one past the highest cluster referenced */
	struct qcow2_check_result *res;
	FILE *log;
	bool with_refcount_structures;
};

static void ref_range(struct counts *c, uint64_t off, uint64_t len)
{
	uint64_t cl, last;

	if (!len)
		return;
	last = (off + len - 1) >> c->q->cluster_bits;
	if (last >= c->nr) {
		fprintf(c->log, "ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x%" PRIx64 " size 0x%" PRIx64 "\n",
			off, len);
		c->res->corruptions++;
		return;
	}
	for (cl = off >> c->q->cluster_bits; cl <= last; cl++) {
		c->refs[cl]++;
		if (cl + 1 > c->end)
			c->end = cl + 1;
	}
}

static int read_l2(struct qcow2 *q, uint64_t off, uint64_t *table)
{
	return qcow2_pread(q, table, q->cluster_size, off);
}

static void count_l2_entry(struct counts *c, uint64_t entry, bool active,
			   uint64_t *expected_next)
{
	struct qcow2 *q = c->q;
	uint64_t off, len;

	if (entry & QCOW_OFLAG_COMPRESSED) {
		qcow2_compressed_range(q, entry, &off, &len);
		ref_range(c, off, len);
		if (active) {
			c->res->allocated_clusters++;
			c->res->compressed_clusters++;
			c->res->fragmented_clusters++;
			*expected_next = 0;
		}
		return;
	}
	off = entry & L2E_OFFSET_MASK;
	if (!off)
		return;
	if (off % q->cluster_size) {
		fprintf(c->log, "ERROR offset=%" PRIx64 ": Cluster is not properly aligned; L2 entry corrupted.\n",
			off);
		c->res->corruptions++;
		return;
	}
	ref_range(c, off, q->cluster_size);
	if (active && !(entry & QCOW_OFLAG_ZERO && qcow2_is_v3(q))) {
		c->res->allocated_clusters++;
		if (*expected_next && off != *expected_next)
			c->res->fragmented_clusters++;
		*expected_next = off + q->cluster_size;
	}
}

static int count_l1(struct counts *c, const uint64_t *l1, uint32_t size,
		    bool active)
{
	struct qcow2 *q = c->q;
	uint64_t *table = qcow2_alloc_buf(q->cluster_size), next = 0, i, j;
	int ret = table ? 0 : -ENOMEM;

	for (i = 0; !ret && i < size; i++) {
		uint64_t off = be64toh(l1[i]) & L1E_OFFSET_MASK;

		if (!off)
			continue;
		if (off % q->cluster_size || off >= c->nr << q->cluster_bits) {
			fprintf(c->log, "ERROR l2_offset=%" PRIx64 ": Table is not cluster aligned; L1 entry corrupted\n",
				off);
			c->res->corruptions++;
			continue;
		}
		ref_range(c, off, q->cluster_size);
		ret = read_l2(q, off, table);
		for (j = 0; !ret && j < (1ull << q->l2_bits); j++)
			count_l2_entry(c, be64toh(table[j]), active, &next);
	}
	free(table);
	return ret;
}

static int count_snapshots(struct counts *c)
{
	struct qcow2 *q = c->q;
	uint64_t *l1, *offs, *sizes, table_len;
	unsigned int nr, i;
	int ret = qcow2_snapshot_l1s(q, &offs, &sizes, &nr, &table_len);

	if (ret)
		return ret;
	if (nr)
		ref_range(c, q->h.snapshots_offset, table_len);
	for (i = 0; !ret && i < nr; i++) {
		ref_range(c, offs[i], sizes[i] * 8);
		ret = qcow2_load_l1(q, offs[i], sizes[i], &l1);
		if (!ret)
			ret = count_l1(c, l1, sizes[i], false);
		free(l1);
	}
	free(offs);
	free(sizes);
	return ret;
}

static void count_refcount_structures(struct counts *c)
{
	struct qcow2 *q = c->q;
	uint64_t i, off;

	ref_range(c, q->h.refcount_table_offset,
		  (uint64_t)q->h.refcount_table_clusters * q->cluster_size);
	for (i = 0; i < q->rt_size; i++) {
		off = be64toh(q->rt[i]) & RTE_OFFSET_MASK;
		if (!off)
			continue;
		if (off % q->cluster_size) {
			fprintf(c->log, "ERROR refcount block %" PRIu64 " is not cluster aligned; refcount table entry corrupted\n",
				i);
			c->res->corruptions++;
			continue;
		}
		ref_range(c, off, q->cluster_size);
	}
}

static int count_all(struct counts *c)
{
	struct qcow2 *q = c->q;
	int ret;

	c->nr = (qcow2_file_size(q) + q->cluster_size - 1) >>
		q->cluster_bits;
	if (c->nr > MAX_CHECK_CLUSTERS)
		return -EFBIG;
	c->refs = calloc(c->nr ? c->nr : 1, sizeof(*c->refs));
	if (!c->refs)
		return -ENOMEM;
	ref_range(c, 0, q->cluster_size);
	ref_range(c, q->h.l1_table_offset, (uint64_t)q->l1_size * 8);
	ret = count_l1(c, q->l1, q->l1_size, true);
	if (!ret)
		ret = count_snapshots(c);
	if (!ret && c->with_refcount_structures)
		count_refcount_structures(c);
	return ret;
}

/* --- comparing ------------------------------------------------------------- */

static int check_copied(struct counts *c, unsigned int fix)
{
	struct qcow2 *q = c->q;
	uint64_t *table, i, j, rc, off, e;
	bool dirty;
	int ret = 0;

	for (i = 0; !ret && i < q->l1_size; i++) {
		e = be64toh(q->l1[i]);
		off = e & L1E_OFFSET_MASK;
		if (!off || off % q->cluster_size)
			continue;
		ret = qcow2_rc_get(q, off >> q->cluster_bits, &rc);
		if (ret)
			break;
		if ((rc == 1) != !!(e & QCOW_OFLAG_COPIED)) {
			fprintf(c->log, "ERROR OFLAG_COPIED L2 cluster: l1_index=%" PRIu64 " l1_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
				i, e, rc);
			c->res->corruptions++;
			if (fix & QCOW2_FIX_ERRORS) {
				q->l1[i] = htobe64(rc == 1 ? e | QCOW_OFLAG_COPIED :
						   e & ~QCOW_OFLAG_COPIED);
				ret = qcow2_l1_write_entry(q, i);
				c->res->corruptions_fixed++;
			}
		}
		if (ret || rc != 1)
			continue;
		ret = qcow2_cache_get(q, &q->l2_cache, off, false,
				      (void **)&table);
		dirty = false;
		for (j = 0; !ret && j < (1ull << q->l2_bits); j++) {
			e = be64toh(table[j]);
			off = e & L2E_OFFSET_MASK;
			if ((e & QCOW_OFLAG_COMPRESSED) || !off)
				continue;
			ret = qcow2_rc_get(q, off >> q->cluster_bits, &rc);
			if (ret || (rc == 1) == !!(e & QCOW_OFLAG_COPIED))
				continue;
			fprintf(c->log, "ERROR OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
				e, rc);
			c->res->corruptions++;
			if (fix & QCOW2_FIX_ERRORS) {
				table[j] = htobe64(rc == 1 ? e | QCOW_OFLAG_COPIED :
						   e & ~QCOW_OFLAG_COPIED);
				dirty = true;
				c->res->corruptions_fixed++;
			}
		}
		if (!ret && dirty)
			qcow2_cache_dirty(&q->l2_cache, table);
		if (!ret)
			qcow2_cache_put(&q->l2_cache, table);
	}
	return ret;
}

/* Compares; returns whether a rebuild is needed to repair. */
static int compare_refcounts(struct counts *c, unsigned int fix,
			     bool *rebuild)
{
	struct qcow2 *q = c->q;
	uint64_t cl, rc, limit = q->rt_size << q->rb_bits;
	int ret;

	for (cl = 0; cl < c->nr || cl < c->end; cl++) {
		ret = qcow2_rc_get(q, cl, &rc);
		if (ret) {
			c->res->check_errors++;
			*rebuild = true;
			continue;
		}
		if (rc && cl + 1 > c->end)
			c->end = cl + 1;
		if (rc == c->refs[cl])
			continue;
		if (rc < c->refs[cl] || cl >= limit) {
			fprintf(c->log, "ERROR cluster %" PRIu64 " refcount=%" PRIu64 " reference=%u\n",
				cl, rc, c->refs[cl]);
			c->res->corruptions++;
			*rebuild = true;
			continue;
		}
		fprintf(c->log, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%u\n",
			fix & QCOW2_FIX_LEAKS ? "Repairing" : "Leaked", cl, rc,
			c->refs[cl]);
		c->res->leaks++;
		if (!(fix & QCOW2_FIX_LEAKS))
			continue;
		ret = qcow2_rc_update(q, cl << q->cluster_bits, 1,
				      (int64_t)c->refs[cl] - (int64_t)rc);
		if (ret)
			return ret;
		c->res->leaks_fixed++;
	}
	return 0;
}

/* --- rebuilding -------------------------------------------------------------- */

/* Blocks for [0, end) and a table for them, placed from @first on. */
static void plan_rebuild(const struct qcow2 *q, uint64_t first,
			 uint64_t *nb, uint64_t *tc)
{
	uint64_t rbe = 1ull << q->rb_bits, prev_nb, prev_tc;

	*nb = 1;
	*tc = 1;
	do {
		prev_nb = *nb;
		prev_tc = *tc;
		*nb = (first + *nb + *tc + rbe - 1) / rbe;
		*tc = (*nb * 8 + q->cluster_size - 1) / q->cluster_size;
	} while (*nb != prev_nb || *tc != prev_tc);
}

static int write_rebuilt(struct qcow2 *q, const struct counts *c,
			 uint64_t first, uint64_t nb, uint64_t tc,
			 uint64_t *table)
{
	uint64_t cs = q->cluster_size, rbe = 1ull << q->rb_bits, i;
	uint8_t *blocks = qcow2_alloc_buf(nb * cs);
	int ret;

	if (!blocks)
		return -ENOMEM;
	for (i = 0; i < c->nr; i++)
		if (c->refs[i])
			qcow2_rc_write_entry(q, blocks + i / rbe * cs, i % rbe,
					     c->refs[i]);
	for (i = first; i < first + nb + tc; i++)
		qcow2_rc_write_entry(q, blocks + i / rbe * cs, i % rbe, 1);
	for (i = 0; i < nb; i++)
		table[i] = htobe64((first + i) * cs);
	ret = qcow2_pwrite(q, blocks, nb * cs, first * cs);
	if (!ret)
		ret = qcow2_pwrite(q, table, tc * cs, (first + nb) * cs);
	free(blocks);
	return ret ? ret : qcow2_sync(q);
}

static int rebuild(struct qcow2 *q, struct counts *c)
{
	uint64_t cs = q->cluster_size, nb, tc;
	uint64_t first = (qcow2_file_size(q) + cs - 1) / cs;
	unsigned int cached = q->rc_cache.nr;
	uint64_t *table;
	int ret;

	if (first < c->end)
		first = c->end;
	plan_rebuild(q, first, &nb, &tc);
	table = qcow2_alloc_buf(tc * cs);
	if (!table)
		return -ENOMEM;
	ret = write_rebuilt(q, c, first, nb, tc, table);
	if (ret) {
		free(table);
		return ret;
	}
	qcow2_cache_free(&q->rc_cache);
	free(q->rt);
	q->rt = table;
	q->rt_size = tc * cs / 8;
	q->h.refcount_table_offset = (first + nb) * cs;
	q->h.refcount_table_clusters = tc;
	q->free_hint = 0;
	ret = qcow2_cache_init(&q->rc_cache, cached, cs);
	if (!ret)
		ret = qcow2_write_header(q);
	return ret ? ret : qcow2_sync(q);
}

int qcow2_check(struct qcow2 *q, unsigned int fix,
		struct qcow2_check_result *res, FILE *log)
{
	struct counts c = { .q = q, .res = res, .log = log,
			    .with_refcount_structures = true };
	bool need_rebuild = false;
	int ret;

	memset(res, 0, sizeof(*res));
	res->total_clusters = (q->h.size + q->cluster_size - 1) >>
			      q->cluster_bits;
	pthread_mutex_lock(&q->lock);
	ret = qcow2_flush_locked(q);
	if (!ret)
		ret = count_all(&c);
	if (!ret)
		ret = compare_refcounts(&c, fix, &need_rebuild);
	if (!ret && need_rebuild && (fix & QCOW2_FIX_ERRORS)) {
		fprintf(log, "Rebuilding refcount structure\n");
		free(c.refs);
		c = (struct counts){ .q = q, .res = &(struct qcow2_check_result){ 0 },
				     .log = log };
		ret = count_all(&c);
		if (!ret)
			ret = rebuild(q, &c);
		if (!ret)
			res->corruptions_fixed = res->corruptions;
	}
	if (!ret)
		ret = check_copied(&c, fix);
	if (!ret && fix)
		ret = qcow2_flush_locked(q);
	res->image_end_offset = c.end << q->cluster_bits;
	pthread_mutex_unlock(&q->lock);
	free(c.refs);
	if (ret)
		res->check_errors++;
	return ret;
}

int qcow2_repair_dirty(struct qcow2 *q, char *err, size_t errlen)
{
	struct qcow2_check_result res;
	FILE *devnull = fopen("/dev/null", "w");
	int ret;

	if (!devnull)
		return -errno;
	ret = qcow2_check(q, QCOW2_FIX_LEAKS | QCOW2_FIX_ERRORS, &res,
			  devnull);
	fclose(devnull);
	if (!ret) {
		q->h.incompat &= ~INCOMPAT_DIRTY;
		ret = qcow2_write_header(q);
	}
	if (!ret)
		ret = qcow2_sync(q);
	if (ret)
		snprintf(err, errlen, "Could not repair dirty image: %s",
			 strerror(-ret));
	return ret;
}
