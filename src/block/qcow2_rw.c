// SPDX-License-Identifier: MIT
/*
 * qcow2 requests: reads, writes with allocation and copy-on-write,
 * zeroes, discards and flushes.  A request works through its range one
 * run of like clusters at a time; the lock is taken to map or change
 * metadata and dropped while guest data moves.  Write-type requests mark
 * the guest clusters they change as busy, so that two of them never
 * allocate the same cluster or free what the other writes into.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/iov.h"
#include "qcow2_priv.h"

/* --- busy guest clusters ------------------------------------------------- */

static bool overlaps_busy(const struct qcow2 *q, uint64_t first,
			  uint64_t last)
{
	const struct qcow2_busy *b;

	for (b = q->busy; b; b = b->next)
		if (b->first <= last && first <= b->last)
			return true;
	return false;
}

static void busy_enter(struct qcow2 *q, struct qcow2_busy *b, uint64_t first,
		       uint64_t last)
{
	while (overlaps_busy(q, first, last))
		pthread_cond_wait(&q->busy_done, &q->lock);
	b->first = first;
	b->last = last;
	b->next = q->busy;
	q->busy = b;
}

static void busy_leave(struct qcow2 *q, struct qcow2_busy *b)
{
	struct qcow2_busy **p;

	for (p = &q->busy; *p; p = &(*p)->next) {
		if (*p == b) {
			*p = b->next;
			break;
		}
	}
	pthread_cond_broadcast(&q->busy_done);
}

/* The guest clusters from @guest to the end of its L2 table or @len. */
static uint64_t last_cluster(const struct qcow2 *q, uint64_t guest,
			     uint64_t len)
{
	uint64_t table_end = (qcow2_l1_index(q, guest) + 1) <<
			     (q->cluster_bits + q->l2_bits);
	uint64_t end = guest + len < table_end ? guest + len : table_end;

	return (end - 1) >> q->cluster_bits;
}

/* --- reading --------------------------------------------------------------- */

#define READ_FEW_SEGMENTS	16

static int read_backing(struct qcow2 *q, uint64_t guest, struct iovec *iov,
			unsigned int cnt, uint64_t len)
{
	uint64_t bsize = q->backing ? image_size(q->backing) : 0;
	uint64_t from_backing = guest >= bsize ? 0 :
				bsize - guest < len ? bsize - guest : len;
	int ret = 0;

	if (from_backing) {
		struct iovec *part = malloc(cnt * sizeof(*part));
		int n;

		if (!part)
			return -ENOMEM;
		n = image_iov_slice(iov, cnt, 0, from_backing, part, cnt);
		ret = image_readv(q->backing, guest, part, n);
		free(part);
	}
	iov_memset(iov, cnt, from_backing, 0, len - from_backing);
	return ret;
}

static int read_compressed_into(struct qcow2 *q, const struct qcow2_map *m,
				uint64_t guest, struct iovec *iov,
				unsigned int cnt)
{
	uint8_t *cluster = malloc(q->cluster_size);
	int ret;

	if (!cluster)
		return -ENOMEM;
	ret = qcow2_read_compressed(q, m->entry, cluster);
	if (!ret)
		iov_from_buf(iov, cnt, 0, cluster +
			     qcow2_offset_in_cluster(q, guest), m->bytes);
	free(cluster);
	return ret;
}

static int read_run(struct qcow2 *q, const struct qcow2_map *m,
		    uint64_t guest, struct iovec *iov, unsigned int cnt)
{
	switch (m->kind) {
	case QCOW2_NORMAL:
		return qcow2_preadv(q, iov, cnt, m->host);
	case QCOW2_ZERO:
		iov_memset(iov, cnt, 0, 0, m->bytes);
		return 0;
	case QCOW2_COMPRESSED:
		return read_compressed_into(q, m, guest, iov, cnt);
	default:
		return read_backing(q, guest, iov, cnt, m->bytes);
	}
}

int qcow2_readv(struct qcow2 *q, uint64_t off, const struct iovec *iov,
		unsigned int cnt)
{
	uint64_t total = iov_size(iov, cnt), pos = 0;
	/* Most requests are a few segments: no allocation for those. */
	struct iovec few[READ_FEW_SEGMENTS];
	struct iovec *part = cnt <= READ_FEW_SEGMENTS ? few :
			     malloc(cnt * sizeof(*part));
	struct qcow2_map m;
	int ret = 0, n;

	if (!part)
		return -ENOMEM;
	while (!ret && pos < total) {
		pthread_mutex_lock(&q->lock);
		ret = qcow2_map_locked(q, off + pos, total - pos, &m);
		pthread_mutex_unlock(&q->lock);
		if (ret)
			break;
		n = image_iov_slice(iov, cnt, pos, m.bytes, part, cnt);
		ret = read_run(q, &m, off + pos, part, n);
		pos += m.bytes;
	}
	if (part != few)
		free(part);
	return ret;
}

/*
 * The read is then in flight without the lock, as a worker's read_run is:
 * a concurrent DISCARD, WRITE_ZEROES or copy-on-write may free the clusters
 * and an allocation reuse them, exactly as under a worker, and only a
 * guest that races reads with changes to the same range can see it.
 */
int qcow2_read_extent(struct qcow2 *q, uint64_t guest, uint64_t len,
		      uint64_t *host)
{
	struct qcow2_map m;
	int ret;

	if (pthread_mutex_trylock(&q->lock))
		return -EAGAIN;
	ret = qcow2_map_cached(q, guest, len, &m);
	pthread_mutex_unlock(&q->lock);
	if (ret)
		return ret;
	if (m.kind != QCOW2_NORMAL || m.bytes < len ||
	    m.host + len > qcow2_file_size(q) ||
	    (q->direct && m.host % q->align))
		return -EAGAIN;
	*host = m.host;
	return 0;
}

/* --- writing ----------------------------------------------------------------- */

/*
 * What a cluster being replaced held, for the parts of the new cluster
 * the write does not cover: @len bytes from @in bytes into the cluster.
 */
static int old_content(struct qcow2 *q, const struct qcow2_map *m,
		       uint64_t cluster_guest, uint64_t cluster_host,
		       uint64_t in, void *buf, uint64_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	uint8_t *tmp;
	int ret;

	switch (m->kind) {
	case QCOW2_NORMAL:
		return qcow2_pread(q, buf, len, cluster_host + in);
	case QCOW2_ZERO:
		memset(buf, 0, len);
		return 0;
	case QCOW2_COMPRESSED:
		tmp = malloc(q->cluster_size);
		if (!tmp)
			return -ENOMEM;
		ret = qcow2_read_compressed(q, m->entry, tmp);
		memcpy(buf, tmp + in, len);
		free(tmp);
		return ret;
	default:
		return read_backing(q, cluster_guest + in, &iov, 1, len);
	}
}

struct fill {
	uint8_t *head, *tail;
	uint64_t head_len, tail_len;
};

static int make_fill(struct qcow2 *q, const struct qcow2_map *m,
		     uint64_t guest, struct fill *f)
{
	uint64_t cs = q->cluster_size, in = qcow2_offset_in_cluster(q, guest);
	uint64_t end = guest + m->bytes, last = (end - 1) & ~(cs - 1);
	uint64_t first_host = m->host - in;
	int ret = 0;

	f->head_len = in;
	f->tail_len = qcow2_round_up(q, end) - end;
	f->head = f->head_len ? malloc(f->head_len) : NULL;
	f->tail = f->tail_len ? malloc(f->tail_len) : NULL;
	if ((f->head_len && !f->head) || (f->tail_len && !f->tail))
		return -ENOMEM;
	if (f->head_len)
		ret = old_content(q, m, guest - in, first_host, 0, f->head,
				  f->head_len);
	if (!ret && f->tail_len)
		ret = old_content(q, m, last, first_host + (last - (guest - in)),
				  end - last, f->tail, f->tail_len);
	return ret;
}

/* Points the L2 entries of the run at the new clusters; frees the old. */
static int commit_run(struct qcow2 *q, const struct qcow2_map *m,
		      uint64_t guest, uint64_t host, uint64_t nr)
{
	uint64_t *table, idx = qcow2_l2_index(q, guest), i, old;
	bool frees = false;
	int ret = qcow2_l2_writable(q, guest, &table);

	if (ret)
		return ret;
	for (i = 0; i < nr; i++) {
		old = be64toh(table[idx + i]);
		frees |= (old & (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED)) != 0;
		table[idx + i] = htobe64((host + (i << q->cluster_bits)) |
					 QCOW_OFLAG_COPIED);
	}
	qcow2_cache_dirty(&q->l2_cache, table);
	qcow2_cache_put(&q->l2_cache, table);
	if (!frees)
		return 0;
	ret = qcow2_flush_locked(q);
	for (i = 0; !ret && i < nr; i++) {
		if (m->kind == QCOW2_NORMAL)
			old = (m->entry & L2E_OFFSET_MASK) +
			      (i << q->cluster_bits);
		else
			old = m->entry;
		ret = qcow2_free_l2_entry(q, old);
	}
	return ret;
}

/*
 * Called and returns with the lock held, which it drops for the data.
 * Writes as much of the run as the first free run of clusters holds;
 * m->bytes says how much that was.
 */
static int write_new_clusters(struct qcow2 *q, struct qcow2_map *m,
			      uint64_t guest, const struct iovec *iov,
			      unsigned int cnt, uint64_t pos,
			      struct iovec *part)
{
	uint64_t first = guest >> q->cluster_bits, got;
	uint64_t nr = ((guest + m->bytes - 1) >> q->cluster_bits) - first + 1;
	int64_t host = qcow2_alloc_clusters(q, nr, &got);
	struct fill f = { 0 };
	struct iovec *all;
	int ret, n;

	if (host < 0)
		return host;
	if (got < nr)
		m->bytes = ((first + got) << q->cluster_bits) - guest;
	qcow2_reserve_file(q, host + (got << q->cluster_bits));
	pthread_mutex_unlock(&q->lock);
	n = image_iov_slice(iov, cnt, pos, m->bytes, part, cnt);
	all = malloc((n + 2) * sizeof(*all));
	ret = all ? make_fill(q, m, guest, &f) : -ENOMEM;
	if (!ret) {
		all[0] = (struct iovec){ f.head, f.head_len };
		memcpy(all + 1, part, n * sizeof(*part));
		all[n + 1] = (struct iovec){ f.tail, f.tail_len };
		ret = qcow2_pwritev(q, all, n + 2, host);
		__atomic_add_fetch(&q->unsynced_writes, 1, __ATOMIC_ACQ_REL);
	}
	free(all);
	free(f.head);
	free(f.tail);
	pthread_mutex_lock(&q->lock);
	if (!ret)
		ret = commit_run(q, m, guest, host, got);
	else
		qcow2_rc_update(q, host, got << q->cluster_bits, -1);
	return ret;
}

static bool writable_in_place(const struct qcow2_map *m)
{
	return m->kind == QCOW2_NORMAL && (m->entry & QCOW_OFLAG_COPIED);
}

/* One run of the write; returns the bytes done or -errno. */
static int64_t write_run(struct qcow2 *q, uint64_t guest, uint64_t len,
			 const struct iovec *iov, unsigned int cnt,
			 uint64_t pos, struct iovec *part)
{
	struct qcow2_busy busy;
	struct qcow2_map m;
	int ret, n;

	pthread_mutex_lock(&q->lock);
	busy_enter(q, &busy, guest >> q->cluster_bits,
		   last_cluster(q, guest, len));
	ret = qcow2_map_locked(q, guest, len, &m);
	if (!ret) {
		if (writable_in_place(&m)) {
			n = image_iov_slice(iov, cnt, pos, m.bytes, part, cnt);
			pthread_mutex_unlock(&q->lock);
			ret = qcow2_pwritev(q, part, n, m.host);
			__atomic_add_fetch(&q->unsynced_writes, 1,
					   __ATOMIC_ACQ_REL);
			pthread_mutex_lock(&q->lock);
		} else {
			ret = write_new_clusters(q, &m, guest, iov, cnt, pos,
						 part);
		}
	}
	busy_leave(q, &busy);
	pthread_mutex_unlock(&q->lock);
	return ret ? ret : (int64_t)m.bytes;
}

int qcow2_writev(struct qcow2 *q, uint64_t off, const struct iovec *iov,
		 unsigned int cnt)
{
	uint64_t total = iov_size(iov, cnt), pos = 0;
	struct iovec *part = malloc((cnt ? cnt : 1) * sizeof(*part));
	int64_t done = 0;

	if (!part)
		return -ENOMEM;
	if (q->read_only)
		done = -EROFS;
	while (done >= 0 && pos < total) {
		done = write_run(q, off + pos, total - pos, iov, cnt, pos,
				 part);
		pos += done > 0 ? done : 0;
	}
	free(part);
	return done < 0 ? done : 0;
}

/* --- zeroes and discards ------------------------------------------------------- */

enum zero_mode {
	ZERO_KEEP,	/* write zeroes, keeping allocations */
	ZERO_UNMAP,	/* write zeroes, freeing clusters */
	ZERO_DISCARD,	/* contents may become anything */
};

/* The L2 entry that makes a cluster read as the mode asks. */
static uint64_t zeroed_entry(const struct qcow2 *q, uint64_t old,
			     enum zero_mode mode)
{
	if (mode == ZERO_DISCARD)
		return q->backing && qcow2_is_v3(q) ? QCOW_OFLAG_ZERO : 0;
	if (mode == ZERO_KEEP && !(old & QCOW_OFLAG_COMPRESSED) &&
	    (old & QCOW_OFLAG_COPIED) && (old & L2E_OFFSET_MASK))
		return old | QCOW_OFLAG_ZERO;
	return QCOW_OFLAG_ZERO;
}

static int zero_table_locked(struct qcow2 *q, uint64_t guest, uint64_t nr,
			     enum zero_mode mode)
{
	uint64_t *table, idx = qcow2_l2_index(q, guest), i, old, *freed;
	uint64_t nr_freed = 0;
	int ret;

	/* Without a table or a backing file, the clusters read as zeroes. */
	if (!q->backing &&
	    !(be64toh(q->l1[qcow2_l1_index(q, guest)]) & L1E_OFFSET_MASK))
		return 0;
	freed = malloc(nr * sizeof(*freed));
	if (!freed)
		return -ENOMEM;
	ret = qcow2_l2_writable(q, guest, &table);
	if (ret) {
		free(freed);
		return ret;
	}
	for (i = 0; i < nr; i++) {
		uint64_t new;

		old = be64toh(table[idx + i]);
		new = zeroed_entry(q, old, mode);
		if ((old & (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED)) &&
		    (new & L2E_OFFSET_MASK) != (old & L2E_OFFSET_MASK))
			freed[nr_freed++] = old;
		table[idx + i] = htobe64(new);
	}
	qcow2_cache_dirty(&q->l2_cache, table);
	qcow2_cache_put(&q->l2_cache, table);
	if (nr_freed)
		ret = qcow2_flush_locked(q);
	for (i = 0; !ret && i < nr_freed; i++)
		ret = qcow2_free_l2_entry(q, freed[i]);
	free(freed);
	return ret;
}

/* Whole clusters [@off, @off + @len), one L2 table at a time. */
static int zero_clusters(struct qcow2 *q, uint64_t off, uint64_t len,
			 enum zero_mode mode)
{
	struct qcow2_busy busy;
	uint64_t first, last;
	int ret = 0;

	while (!ret && len) {
		first = off >> q->cluster_bits;
		last = last_cluster(q, off, len);
		pthread_mutex_lock(&q->lock);
		busy_enter(q, &busy, first, last);
		ret = zero_table_locked(q, off, last - first + 1, mode);
		busy_leave(q, &busy);
		pthread_mutex_unlock(&q->lock);
		len -= ((last + 1) << q->cluster_bits) - off;
		off = (last + 1) << q->cluster_bits;
	}
	return ret;
}

static int write_zero_bytes(struct qcow2 *q, uint64_t off, uint64_t len)
{
	uint64_t chunk = len < (1u << 20) ? len : (1u << 20);
	struct iovec iov = { .iov_len = chunk };
	int ret = 0;

	iov.iov_base = calloc(1, chunk ? chunk : 1);
	if (!iov.iov_base)
		return -ENOMEM;
	while (!ret && len) {
		iov.iov_len = len < chunk ? len : chunk;
		ret = qcow2_writev(q, off, &iov, 1);
		off += iov.iov_len;
		len -= iov.iov_len;
	}
	free(iov.iov_base);
	return ret;
}

/* The end of the range, clipped to the disk, split at cluster bounds. */
static void whole_clusters(const struct qcow2 *q, uint64_t off, uint64_t len,
			   uint64_t *start, uint64_t *end)
{
	uint64_t stop = off + len;

	if (stop == q->h.size)
		stop = qcow2_round_up(q, stop);
	*start = qcow2_round_up(q, off);
	*end = stop & ~(q->cluster_size - 1);
	if (*end < *start)
		*end = *start;
}

int qcow2_write_zeroes(struct qcow2 *q, uint64_t off, uint64_t len,
		       bool unmap)
{
	uint64_t start, end;
	int ret;

	if (q->read_only)
		return -EROFS;
	if (!qcow2_is_v3(q))
		return write_zero_bytes(q, off, len);
	whole_clusters(q, off, len, &start, &end);
	if (start >= off + len || end <= start)
		return write_zero_bytes(q, off, len);
	ret = write_zero_bytes(q, off, start - off);
	if (!ret)
		ret = zero_clusters(q, start, end - start,
				    unmap ? ZERO_UNMAP : ZERO_KEEP);
	if (!ret && end < off + len)
		ret = write_zero_bytes(q, end, off + len - end);
	return ret;
}

int qcow2_discard(struct qcow2 *q, uint64_t off, uint64_t len)
{
	uint64_t start, end;

	if (q->read_only)
		return -EROFS;
	whole_clusters(q, off, len, &start, &end);
	if (end <= start)
		return 0;
	return zero_clusters(q, start, end - start, ZERO_DISCARD);
}

int qcow2_flush(struct qcow2 *q)
{
	int ret;

	if (q->read_only)
		return 0;
	pthread_mutex_lock(&q->lock);
	ret = qcow2_flush_locked(q);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

int qcow2_status(struct qcow2 *q, uint64_t off, uint64_t len, uint64_t *run)
{
	struct qcow2_map m;
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = qcow2_map_locked(q, off, len, &m);
	pthread_mutex_unlock(&q->lock);
	if (ret)
		return ret;
	*run = m.bytes;
	switch (m.kind) {
	case QCOW2_NORMAL:
	case QCOW2_COMPRESSED:
		return IMAGE_STATUS_DATA;
	case QCOW2_ZERO:
		return IMAGE_STATUS_ZERO;
	default:
		return q->backing_name ? IMAGE_STATUS_BACKING :
					 IMAGE_STATUS_ZERO;
	}
}
