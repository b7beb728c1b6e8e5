// SPDX-License-Identifier: MIT
/*
 * Internal snapshots: the snapshot table, and creating, applying and
 * deleting snapshots.  A snapshot is a copy of the L1 table; what it
 * shares with the active image has its refcount raised, and loses the
 * COPIED flag, so that the next write copies it.  Every step is ordered
 * so that a crash leaks clusters at worst: new tables are written before
 * the header points at them, references dropped before refcounts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qcow2_priv.h"

#define SNAP_FIXED	40
#define SNAP_EXTRA	24	/* vm state size, disk size, icount */

struct snap {
	uint64_t l1_offset;
	uint32_t l1_size;
	struct qcow2_snapshot_info info;
	uint32_t extra_len;
	uint8_t extra[SNAP_EXTRA];
};

static void free_snaps(struct snap *s, unsigned int nr)
{
	unsigned int i;

	for (i = 0; s && i < nr; i++) {
		free(s[i].info.id);
		free(s[i].info.name);
	}
	free(s);
}

/* One entry at @p (@left bytes); its length, or 0 if it is malformed. */
static size_t parse_one(struct qcow2 *q, const uint8_t *p, size_t left,
			struct snap *s)
{
	uint16_t id_len, name_len;
	uint32_t extra;
	size_t len;

	if (left < SNAP_FIXED)
		return 0;
	s->l1_offset = be_get64(p);
	s->l1_size = be_get32(p + 8);
	id_len = be_get16(p + 12);
	name_len = be_get16(p + 14);
	s->info.date_sec = be_get32(p + 16);
	s->info.date_nsec = be_get32(p + 20);
	s->info.vm_clock_nsec = be_get64(p + 24);
	s->info.vm_state_size = be_get32(p + 32);
	extra = be_get32(p + 36);
	len = SNAP_FIXED + (size_t)extra + id_len + name_len;
	if (len > left || s->l1_offset % q->cluster_size ||
	    (uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return 0;
	s->extra_len = extra < SNAP_EXTRA ? extra : SNAP_EXTRA;
	memcpy(s->extra, p + SNAP_FIXED, s->extra_len);
	if (extra >= 8)
		s->info.vm_state_size = be_get64(p + SNAP_FIXED);
	s->info.disk_size = extra >= 16 ? be_get64(p + SNAP_FIXED + 8) : q->h.size;
	s->info.icount = extra >= 24 ? be_get64(p + SNAP_FIXED + 16) : -1ull;
	s->info.id = strndup((const char *)p + SNAP_FIXED + extra, id_len);
	s->info.name = strndup((const char *)p + SNAP_FIXED + extra + id_len,
			       name_len);
	if (!s->info.id || !s->info.name)
		return 0;
	/* The padding to 8 bytes may be cut off by the end of the file. */
	len = (len + 7) & ~7ul;
	return len < left ? len : left;
}

static int read_table(struct qcow2 *q, struct snap **out, unsigned int *nr,
		      uint64_t *table_len)
{
	uint64_t size = qcow2_file_size(q), off = q->h.snapshots_offset;
	uint64_t cap = size > off ? size - off : 0, pos = 0;
	struct snap *s = calloc(q->h.nb_snapshots + 1, sizeof(*s));
	uint8_t *buf = NULL;
	unsigned int i;
	int ret = s ? 0 : -ENOMEM;

	*nr = 0;
	*table_len = 0;
	if (!ret && q->h.nb_snapshots) {
		if (cap > (64u << 20))
			cap = 64u << 20;
		buf = malloc(cap ? cap : 1);
		ret = buf ? qcow2_pread(q, buf, cap, off) : -ENOMEM;
	}
	for (i = 0; !ret && i < q->h.nb_snapshots; i++) {
		size_t n = parse_one(q, buf + pos, cap - pos, &s[i]);

		*nr = i + 1;
		if (!n)
			ret = -EIO;
		pos += n;
	}
	free(buf);
	*table_len = pos;
	if (ret) {
		free_snaps(s, *nr);
		return ret;
	}
	*out = s;
	return 0;
}

static size_t serialize(const struct snap *s, unsigned int nr, uint8_t *buf)
{
	size_t pos = 0, id, name;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		uint8_t *p = buf ? buf + pos : NULL;

		id = strlen(s[i].info.id);
		name = strlen(s[i].info.name);
		if (p) {
			be_put64(p, s[i].l1_offset);
			be_put32(p + 8, s[i].l1_size);
			p[12] = id >> 8;
			p[13] = id;
			p[14] = name >> 8;
			p[15] = name;
			be_put32(p + 16, s[i].info.date_sec);
			be_put32(p + 20, s[i].info.date_nsec);
			be_put64(p + 24, s[i].info.vm_clock_nsec);
			be_put32(p + 32, 0);
			be_put32(p + 36, s[i].extra_len);
			memcpy(p + SNAP_FIXED, s[i].extra, s[i].extra_len);
			memcpy(p + SNAP_FIXED + s[i].extra_len, s[i].info.id,
			       id);
			memcpy(p + SNAP_FIXED + s[i].extra_len + id,
			       s[i].info.name, name);
		}
		pos += (SNAP_FIXED + s[i].extra_len + id + name + 7) & ~7ul;
	}
	return pos;
}

/* The new table, then the header pointing at it, then the old freed. */
static int write_table(struct qcow2 *q, const struct snap *s,
		       unsigned int nr, uint64_t old_len)
{
	uint64_t len = serialize(s, nr, NULL), old = q->h.snapshots_offset;
	uint64_t clusters = (len + q->cluster_size - 1) >> q->cluster_bits;
	uint8_t *buf = qcow2_alloc_buf(clusters << q->cluster_bits);
	int64_t off = 0;
	int ret = buf ? 0 : -ENOMEM;

	if (!ret && nr) {
		serialize(s, nr, buf);
		off = qcow2_alloc_contiguous(q, clusters);
		ret = off < 0 ? off : qcow2_pwrite(q, buf, len, off);
		q->need_sync = true;
		if (!ret)
			ret = qcow2_flush_locked(q);
	}
	free(buf);
	if (ret)
		return ret;
	q->h.snapshots_offset = nr ? off : 0;
	q->h.nb_snapshots = nr;
	ret = qcow2_write_header(q);
	if (!ret)
		ret = qcow2_sync(q);
	if (!ret && old_len && old)
		ret = qcow2_rc_update(q, old, old_len, -1);
	return ret;
}

int qcow2_load_l1(struct qcow2 *q, uint64_t off, uint32_t size,
		  uint64_t **l1)
{
	uint64_t bytes = qcow2_round_up(q, (uint64_t)size * 8);

	*l1 = qcow2_alloc_buf(bytes ? bytes : q->cluster_size);
	if (!*l1)
		return -ENOMEM;
	if (!size)
		return 0;
	if (off % q->cluster_size || off + (uint64_t)size * 8 >
	    qcow2_file_size(q))
		return -EIO;
	return qcow2_pread(q, *l1, (uint64_t)size * 8, off);
}

int qcow2_snapshot_l1s(struct qcow2 *q, uint64_t **offs, uint64_t **sizes,
		       unsigned int *nr, uint64_t *table_len)
{
	struct snap *s;
	unsigned int i;
	int ret = read_table(q, &s, nr, table_len);

	if (ret)
		return ret;
	*offs = calloc(*nr + 1, sizeof(**offs));
	*sizes = calloc(*nr + 1, sizeof(**sizes));
	for (i = 0; *offs && *sizes && i < *nr; i++) {
		(*offs)[i] = s[i].l1_offset;
		(*sizes)[i] = s[i].l1_size;
	}
	free_snaps(s, *nr);
	if (!*offs || !*sizes) {
		free(*offs);
		free(*sizes);
		return -ENOMEM;
	}
	return 0;
}

int qcow2_snapshot_list(struct qcow2 *q, struct qcow2_snapshot_info **list,
			unsigned int *nr)
{
	struct snap *s;
	uint64_t len;
	unsigned int i;
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = read_table(q, &s, nr, &len);
	pthread_mutex_unlock(&q->lock);
	if (ret)
		return ret;
	*list = calloc(*nr + 1, sizeof(**list));
	for (i = 0; *list && i < *nr; i++) {
		(*list)[i] = s[i].info;
		s[i].info.id = NULL;
		s[i].info.name = NULL;
	}
	free_snaps(s, *nr);
	return *list ? 0 : -ENOMEM;
}

void qcow2_snapshots_free(struct qcow2_snapshot_info *list, unsigned int nr)
{
	unsigned int i;

	for (i = 0; list && i < nr; i++) {
		free(list[i].id);
		free(list[i].name);
	}
	free(list);
}

/* --- the trees of tables ------------------------------------------------------ */

/* A freed L2 table must not be written back from the cache later. */
static void forget_if_free(struct qcow2 *q, uint64_t off)
{
	uint64_t rc;

	if (!qcow2_rc_get(q, off >> q->cluster_bits, &rc) && !rc)
		qcow2_cache_forget(&q->l2_cache, off);
}

/* Adds @delta to everything an L1 table references. */
static int update_tree(struct qcow2 *q, const uint64_t *l1, uint32_t size,
		       int64_t delta)
{
	uint64_t *table, i, j, off, e;
	int ret = 0;

	for (i = 0; !ret && i < size; i++) {
		off = be64toh(l1[i]) & L1E_OFFSET_MASK;
		if (!off)
			continue;
		table = NULL;
		ret = qcow2_cache_get(q, &q->l2_cache, off, false,
				      (void **)&table);
		for (j = 0; !ret && j < (1ull << q->l2_bits); j++) {
			e = be64toh(table[j]);
			if (e & QCOW_OFLAG_COMPRESSED) {
				uint64_t coff, clen;

				qcow2_compressed_range(q, e, &coff, &clen);
				ret = qcow2_rc_update(q, coff, clen, delta);
			} else if (e & L2E_OFFSET_MASK) {
				ret = qcow2_rc_update(q, e & L2E_OFFSET_MASK,
						      q->cluster_size, delta);
			}
		}
		if (table)
			qcow2_cache_put(&q->l2_cache, table);
		if (!ret)
			ret = qcow2_rc_update(q, off, q->cluster_size, delta);
		if (!ret && delta < 0)
			forget_if_free(q, off);
	}
	return ret;
}

static int write_l1(struct qcow2 *q)
{
	q->need_sync = true;
	return qcow2_pwrite(q, q->l1, qcow2_round_up(q, (uint64_t)q->l1_size * 8),
			    q->h.l1_table_offset);
}

static uint64_t with_copied(uint64_t e, bool copied)
{
	return htobe64(copied ? e | QCOW_OFLAG_COPIED : e & ~QCOW_OFLAG_COPIED);
}

/* An L2 table's entries: COPIED where the data's refcount is 1. */
static int fix_copied_l2(struct qcow2 *q, uint64_t off, bool shared)
{
	uint64_t *table, j, e, rc = 0;
	int ret = qcow2_cache_get(q, &q->l2_cache, off, false,
				  (void **)&table);

	for (j = 0; !ret && j < (1ull << q->l2_bits); j++) {
		e = be64toh(table[j]);
		if ((e & QCOW_OFLAG_COMPRESSED) || !(e & L2E_OFFSET_MASK))
			continue;
		if (!shared)
			ret = qcow2_rc_get(q, (e & L2E_OFFSET_MASK) >>
					   q->cluster_bits, &rc);
		table[j] = with_copied(e, !shared && rc == 1);
	}
	if (!ret) {
		qcow2_cache_dirty(&q->l2_cache, table);
		qcow2_cache_put(&q->l2_cache, table);
	}
	return ret;
}

/* COPIED set exactly where the refcount is 1, in the active tables. */
static int fix_copied(struct qcow2 *q)
{
	uint64_t i, off, e, rc;
	int ret = 0;

	for (i = 0; !ret && i < q->l1_size; i++) {
		e = be64toh(q->l1[i]);
		off = e & L1E_OFFSET_MASK;
		if (!off)
			continue;
		ret = qcow2_rc_get(q, off >> q->cluster_bits, &rc);
		if (!ret) {
			q->l1[i] = with_copied(e, rc == 1);
			ret = fix_copied_l2(q, off, rc != 1);
		}
	}
	return ret ? ret : write_l1(q);
}

static int find_snap(const struct snap *s, unsigned int nr, const char *name)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(s[i].info.id, name) || !strcmp(s[i].info.name, name))
			return i;
	return -1;
}

static int next_id(const struct snap *s, unsigned int nr)
{
	int id = 0, i;

	for (i = 0; i < (int)nr; i++)
		if (atoi(s[i].info.id) > id)
			id = atoi(s[i].info.id);
	return id + 1;
}

static int new_snap(struct qcow2 *q, struct snap *n, const char *name,
		    int id)
{
	uint64_t bytes = qcow2_round_up(q, (uint64_t)q->l1_size * 8);
	struct timespec now;
	int64_t off = 0;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	memset(n, 0, sizeof(*n));
	if (bytes) {
		off = qcow2_alloc_contiguous(q, bytes >> q->cluster_bits);
		ret = off < 0 ? off : qcow2_pwrite(q, q->l1, bytes, off);
	}
	n->l1_offset = off;
	n->l1_size = q->l1_size;
	n->info.date_sec = now.tv_sec;
	n->info.date_nsec = now.tv_nsec;
	n->info.disk_size = q->h.size;
	n->extra_len = SNAP_EXTRA;
	be_put64(n->extra + 8, q->h.size);
	if (asprintf(&n->info.id, "%d", id) < 0)
		n->info.id = NULL;
	n->info.name = strdup(name);
	if (!n->info.id || !n->info.name)
		ret = -ENOMEM;
	return ret;
}

static int snapshot_create(struct qcow2 *q, const char *name, char *err,
			   size_t errlen)
{
	struct snap *s;
	unsigned int nr;
	uint64_t len;
	int ret = read_table(q, &s, &nr, &len);

	if (ret)
		return ret;
	if (find_snap(s, nr, name) >= 0) {
		snprintf(err, errlen, "Snapshot '%s' already exists", name);
		free_snaps(s, nr);
		return -EEXIST;
	}
	ret = new_snap(q, &s[nr], name, next_id(s, nr));
	nr++;
	if (!ret)
		ret = update_tree(q, q->l1, q->l1_size, 1);
	if (!ret)
		ret = fix_copied(q);
	if (!ret)
		ret = write_table(q, s, nr, len);
	free_snaps(s, nr);
	return ret;
}

static int snapshot_apply(struct qcow2 *q, struct snap *s, char *err,
			  size_t errlen)
{
	uint64_t bytes = qcow2_round_up(q, (uint64_t)q->l1_size * 8);
	uint64_t *l1 = NULL, *old = qcow2_alloc_buf(bytes ? bytes : 1);
	uint32_t old_size = q->l1_size;
	int ret = old ? qcow2_load_l1(q, s->l1_offset, s->l1_size, &l1) :
			-ENOMEM;

	if (!ret && s->l1_size > q->l1_size)
		ret = qcow2_grow_l1(q, s->l1_size);
	if (!ret)
		ret = update_tree(q, l1, s->l1_size, 1);
	if (!ret) {
		memcpy(old, q->l1, (uint64_t)old_size * 8);
		memset(q->l1, 0, qcow2_round_up(q, (uint64_t)q->l1_size * 8));
		memcpy(q->l1, l1, (uint64_t)s->l1_size * 8);
		q->h.size = s->info.disk_size;
		ret = write_l1(q);
	}
	if (!ret)
		ret = qcow2_write_header(q);
	if (!ret)
		ret = qcow2_flush_locked(q);
	if (!ret)
		ret = update_tree(q, old, old_size, -1);
	if (!ret)
		ret = fix_copied(q);
	if (ret)
		snprintf(err, errlen, "Could not apply snapshot: %s",
			 strerror(-ret));
	free(l1);
	free(old);
	return ret;
}

static int snapshot_delete(struct qcow2 *q, struct snap *s, unsigned int nr,
			   int idx, uint64_t len)
{
	struct snap gone = s[idx];
	uint64_t *l1 = NULL;
	int ret;

	memmove(s + idx, s + idx + 1, (nr - idx - 1) * sizeof(*s));
	s[nr - 1] = gone;
	ret = write_table(q, s, nr - 1, len);
	if (!ret)
		ret = qcow2_load_l1(q, gone.l1_offset, gone.l1_size, &l1);
	if (!ret)
		ret = update_tree(q, l1, gone.l1_size, -1);
	if (!ret && gone.l1_size)
		ret = qcow2_rc_update(q, gone.l1_offset,
				      (uint64_t)gone.l1_size * 8, -1);
	if (!ret)
		ret = fix_copied(q);
	free(l1);
	return ret;
}

enum snap_op { SNAP_CREATE, SNAP_APPLY, SNAP_DELETE };

static int snapshot_op(struct qcow2 *q, enum snap_op op, const char *name,
		       char *err, size_t errlen)
{
	struct snap *s;
	unsigned int nr;
	uint64_t len;
	int ret, idx;

	*err = '\0';
	pthread_mutex_lock(&q->lock);
	ret = qcow2_flush_locked(q);
	if (!ret && op == SNAP_CREATE) {
		ret = snapshot_create(q, name, err, errlen);
	} else if (!ret && !(ret = read_table(q, &s, &nr, &len))) {
		idx = find_snap(s, nr, name);
		if (idx < 0) {
			snprintf(err, errlen, "Can't find the snapshot");
			ret = -ENOENT;
		} else if (op == SNAP_APPLY) {
			ret = snapshot_apply(q, &s[idx], err, errlen);
		} else {
			ret = snapshot_delete(q, s, nr, idx, len);
		}
		free_snaps(s, nr);
	}
	if (!ret)
		ret = qcow2_flush_locked(q);
	pthread_mutex_unlock(&q->lock);
	if (ret && !*err)
		snprintf(err, errlen, "%s", strerror(-ret));
	return ret;
}

int qcow2_snapshot_create(struct qcow2 *q, const char *name, char *err,
			  size_t errlen)
{
	return snapshot_op(q, SNAP_CREATE, name, err, errlen);
}

int qcow2_snapshot_apply(struct qcow2 *q, const char *name, char *err,
			 size_t errlen)
{
	return snapshot_op(q, SNAP_APPLY, name, err, errlen);
}

int qcow2_snapshot_delete(struct qcow2 *q, const char *name, char *err,
			  size_t errlen)
{
	return snapshot_op(q, SNAP_DELETE, name, err, errlen);
}
