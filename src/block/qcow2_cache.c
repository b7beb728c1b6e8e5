// SPDX-License-Identifier: MIT
/*
 * The LRU caches of L2 tables and refcount blocks: cluster-sized tables
 * by host offset, written back when evicted or flushed.  A cache's
 * before_write hook runs before any of its dirty tables is written, which
 * is how L2 tables wait for the refcounts of what they point to.  Tables
 * in use are pinned, so that a second lookup cannot evict the first.
 * Everything here runs under q->lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_priv.h"

/* Tables are allocated as they are first needed. */
int qcow2_cache_init(struct qcow2_cache *c, unsigned int nr, size_t size)
{
	(void)size;
	c->entries = calloc(nr, sizeof(*c->entries));
	if (!c->entries)
		return -ENOMEM;
	c->nr = nr;
	return 0;
}

void qcow2_cache_free(struct qcow2_cache *c)
{
	unsigned int i;

	for (i = 0; c->entries && i < c->nr; i++)
		free(c->entries[i].table);
	free(c->entries);
	c->entries = NULL;
	c->nr = 0;
}

static struct qcow2_cache_entry *entry_of(struct qcow2_cache *c, void *table)
{
	unsigned int i;

	for (i = 0; table && i < c->nr; i++)
		if (c->entries[i].table == table)
			return &c->entries[i];
	return NULL;
}

static int write_entry(struct qcow2 *q, struct qcow2_cache *c,
		       struct qcow2_cache_entry *e)
{
	int ret;

	if (!e->dirty)
		return 0;
	if (c->before_write) {
		ret = c->before_write(q);
		if (ret)
			return ret;
	}
	ret = qcow2_pwrite(q, e->table, q->cluster_size, e->offset);
	if (ret)
		return ret;
	e->dirty = false;
	q->need_sync = true;
	return 0;
}

/* The least recently used unpinned entry, preferring clean ones. */
static struct qcow2_cache_entry *victim(struct qcow2_cache *c)
{
	struct qcow2_cache_entry *best = NULL, *e;
	unsigned int i;

	for (i = 0; i < c->nr; i++) {
		e = &c->entries[i];
		if (e->pins)
			continue;
		if (!e->offset)
			return e;
		if (!best || (best->dirty && !e->dirty) ||
		    (best->dirty == e->dirty && e->last_use < best->last_use))
			best = e;
	}
	return best;
}

static struct qcow2_cache_entry *lookup(struct qcow2_cache *c, uint64_t off)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		if (c->entries[i].offset == off)
			return &c->entries[i];
	return NULL;
}

/* Marks @e used and pinned, and returns its table. */
static void *use(struct qcow2_cache *c, struct qcow2_cache_entry *e)
{
	e->last_use = ++c->clock;
	e->pins++;
	return e->table;
}

int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t offset,
		    bool fresh, void **table)
{
	struct qcow2_cache_entry *e = lookup(c, offset);
	int ret;

	if (!e) {
		e = victim(c);
		if (!e)
			return -EBUSY;
		if (!e->table)
			e->table = qcow2_alloc_buf(q->cluster_size);
		if (!e->table)
			return -ENOMEM;
		ret = write_entry(q, c, e);
		if (ret)
			return ret;
		e->offset = 0;
		if (fresh)
			memset(e->table, 0, q->cluster_size);
		else if ((ret = qcow2_pread(q, e->table, q->cluster_size,
					    offset)))
			return ret;
		e->offset = offset;
	} else if (fresh) {
		memset(e->table, 0, q->cluster_size);
	}
	*table = use(c, e);
	return 0;
}

int qcow2_cache_get_cached(struct qcow2_cache *c, uint64_t offset,
			   void **table)
{
	struct qcow2_cache_entry *e = offset ? lookup(c, offset) : NULL;

	if (!e)
		return -EAGAIN;
	*table = use(c, e);
	return 0;
}

void qcow2_cache_put(struct qcow2_cache *c, void *table)
{
	struct qcow2_cache_entry *e = entry_of(c, table);

	if (e && e->pins)
		e->pins--;
}

void qcow2_cache_dirty(struct qcow2_cache *c, void *table)
{
	struct qcow2_cache_entry *e = entry_of(c, table);

	if (e)
		e->dirty = true;
}

int qcow2_cache_write_back(struct qcow2 *q, struct qcow2_cache *c)
{
	unsigned int i;
	int ret;

	for (i = 0; i < c->nr; i++) {
		ret = write_entry(q, c, &c->entries[i]);
		if (ret)
			return ret;
	}
	return 0;
}

void qcow2_cache_forget(struct qcow2_cache *c, uint64_t offset)
{
	struct qcow2_cache_entry *e = lookup(c, offset);

	if (e && offset) {
		e->offset = 0;
		e->dirty = false;
	}
}

bool qcow2_cache_has_dirty(const struct qcow2_cache *c)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		if (c->entries[i].dirty)
			return true;
	return false;
}
