/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_QCOW2_PRIV_H
#define KVMLITE_QCOW2_PRIV_H

/*
 * The qcow2 format's internals, shared by the files of src/block/qcow2*.c.
 * Layout and rules: QEMU's docs/interop/qcow2.txt.  Tables are kept in
 * memory in their on-disk (big-endian) form, in buffers aligned for
 * O_DIRECT, so that they are written as they are.
 *
 * Locking: q->lock guards every table, cache, the allocator and the busy
 * list.  Guest data moves without it; so do COW fills from the backing
 * file.  Metadata I/O (a cache miss, a write-back) runs under it.  The
 * block driver's owner thread only ever tries it (qcow2_read_extent).
 */

#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "kvmlite/image.h"
#include "kvmlite/qcow2.h"

#define QCOW2_MAGIC		0x514649fbu
#define QCOW2_V2_HEADER_LEN	72
#define QCOW2_V3_HEADER_LEN	104
#define QCOW2_MIN_CLUSTER_BITS	9
#define QCOW2_MAX_CLUSTER_BITS	21
#define QCOW2_MAX_BACKING_NAME	1023
#define QCOW2_MAX_REFCOUNT_ORDER 6
/* Limits that keep a hostile header from asking for absurd memory. */
#define QCOW2_MAX_L1_BYTES	(32u << 20)
#define QCOW2_MAX_RT_BYTES	(8u << 20)
#define QCOW2_MAX_SNAPSHOTS	65536
/* Host offsets are 56 bits wide (L2 entry bits 9-55). */
#define QCOW2_MAX_HOST_OFFSET	(1ull << 56)

#define L1E_OFFSET_MASK		0x00fffffffffffe00ull
#define L1E_RESERVED_MASK	0x7f000000000001ffull
#define L2E_OFFSET_MASK		0x00fffffffffffe00ull
#define L2E_RESERVED_MASK	0x3f000000000001feull
#define QCOW_OFLAG_COPIED	(1ull << 63)
#define QCOW_OFLAG_COMPRESSED	(1ull << 62)
#define QCOW_OFLAG_ZERO		1ull
#define RTE_OFFSET_MASK		0xfffffffffffffe00ull

#define INCOMPAT_DIRTY		(1ull << 0)
#define INCOMPAT_CORRUPT	(1ull << 1)
#define INCOMPAT_DATA_FILE	(1ull << 2)
#define INCOMPAT_COMPRESSION	(1ull << 3)
#define INCOMPAT_EXTL2		(1ull << 4)
#define INCOMPAT_KNOWN		0x1full
#define COMPAT_LAZY_REFCOUNTS	(1ull << 0)
#define AUTOCLEAR_BITMAPS	(1ull << 0)
#define AUTOCLEAR_DATA_RAW	(1ull << 1)

#define EXT_END			0x00000000u
#define EXT_BACKING_FMT		0xe2792acau
#define EXT_FEATURES		0x6803f857u
#define EXT_BITMAPS		0x23852875u
#define EXT_CRYPTO		0x0537be77u
#define EXT_DATA_FILE		0x44415441u

struct qcow2_header {
	uint32_t version;
	uint64_t backing_file_offset;
	uint32_t backing_file_size;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_table_offset;
	uint64_t refcount_table_offset;
	uint32_t refcount_table_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompat;
	uint64_t compat;
	uint64_t autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression_type;
};

/* A header extension kvmlite does not interpret, kept for rewrites. */
struct qcow2_ext {
	uint32_t type;
	uint32_t len;
	uint8_t *data;
};

/* --- caches of L2 tables and refcount blocks (qcow2_cache.c) ------------ */

struct qcow2_cache_entry {
	uint64_t offset;	/* 0: unused */
	uint64_t last_use;
	unsigned int pins;
	bool dirty;
	void *table;		/* NULL until first used */
};

struct qcow2;

struct qcow2_cache {
	struct qcow2_cache_entry *entries;
	unsigned int nr;
	uint64_t clock;
	/* Runs before a dirty table is written (ordering); may be NULL. */
	int (*before_write)(struct qcow2 *q);
};

int qcow2_cache_init(struct qcow2_cache *c, unsigned int nr, size_t size);
void qcow2_cache_free(struct qcow2_cache *c);
/* A pinned table at @offset, read from the file unless @fresh (zeroed). */
int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t offset,
		    bool fresh, void **table);
/* The same without I/O: -EAGAIN unless the table is cached already. */
int qcow2_cache_get_cached(struct qcow2_cache *c, uint64_t offset,
			   void **table);
void qcow2_cache_put(struct qcow2_cache *c, void *table);
void qcow2_cache_dirty(struct qcow2_cache *c, void *table);
/* Writes every dirty table (after before_write); no sync. */
int qcow2_cache_write_back(struct qcow2 *q, struct qcow2_cache *c);
/* Forgets a table whose cluster was freed; dirty contents are dropped. */
void qcow2_cache_forget(struct qcow2_cache *c, uint64_t offset);
bool qcow2_cache_has_dirty(const struct qcow2_cache *c);

/* --- the image ----------------------------------------------------------- */

/* A range of guest clusters a write-type request is changing. */
struct qcow2_busy {
	uint64_t first, last;
	struct qcow2_busy *next;
};

struct qcow2 {
	int fd;
	bool own_fd;
	bool read_only;
	bool direct;
	bool unsafe;		/* qcow2_sync does nothing */
	uint32_t align;		/* O_DIRECT offset/length alignment */
	char *filename;
	struct qcow2_header h;
	char *backing_name;	/* as stored, or NULL */
	char *backing_fmt;	/* or NULL */
	struct qcow2_ext *exts;
	unsigned int nr_exts;
	bool has_bitmaps_ext;

	uint32_t cluster_bits;
	uint64_t cluster_size;
	uint32_t l2_bits;		/* log2 of entries per L2 table */
	uint32_t rb_bits;		/* log2 of entries per refcount block */
	uint32_t refcount_bits;
	uint64_t refcount_max;

	uint64_t *l1;			/* big-endian, cluster-padded */
	uint32_t l1_size;
	uint64_t *rt;			/* big-endian, cluster-padded */
	uint64_t rt_size;		/* entries */

	struct qcow2_cache l2_cache;
	struct qcow2_cache rc_cache;
	pthread_mutex_t lock;
	pthread_cond_t busy_done;
	struct qcow2_busy *busy;
	pthread_mutex_t rmw_lock;	/* unaligned O_DIRECT writes */

	uint64_t free_hint;		/* no free cluster below this index */
	uint64_t file_size;		/* the host file's length (atomic) */
	/* Space taken past file_size for clusters to come (see io.c). */
	uint64_t reserved_end;
	bool no_reserve;		/* the file system refused it */
	struct image *backing;
	/* Metadata written since the last sync of the file. */
	bool need_sync;
	/* Where the next compressed cluster may go (kvmlite-img convert). */
	uint64_t comp_cursor;
	/* Guest data written since then (atomic: written without q->lock). */
	unsigned long unsynced_writes;
};

/* --- host file I/O (qcow2_io.c) ----------------------------------------- */

/* 0 or -errno; a read past the end of the file reads zeroes. */
int qcow2_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off);
int qcow2_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off);
int qcow2_preadv(struct qcow2 *q, const struct iovec *iov, unsigned int cnt,
		 uint64_t off);
int qcow2_pwritev(struct qcow2 *q, const struct iovec *iov, unsigned int cnt,
		  uint64_t off);
int qcow2_sync(struct qcow2 *q);
/* An aligned, zeroed buffer of @len bytes, or NULL. */
void *qcow2_alloc_buf(size_t len);
/* Notes that the file now reaches @end; any thread. */
void qcow2_grow_file(struct qcow2 *q, uint64_t end);
/* Host space up to @end and beyond, for new clusters; under q->lock. */
void qcow2_reserve_file(struct qcow2 *q, uint64_t end);
/* Gives back the reserved space no cluster took; 0 or -errno. */
int qcow2_release_file(struct qcow2 *q);
uint64_t qcow2_file_size(struct qcow2 *q);

/* --- header (qcow2_header.c) -------------------------------------------- */

int qcow2_parse_header(struct qcow2 *q, const uint8_t *buf, size_t len,
		       char *err, size_t errlen);
/* Writes cluster 0 from q->h, the extensions and the backing name. */
int qcow2_write_header(struct qcow2 *q);
/* Serialises the header into @buf (@len bytes); -ENOSPC if too small. */
int qcow2_build_header(const struct qcow2 *q, uint8_t *buf, size_t len);

/* --- refcounts (qcow2_refcount.c) ---------------------------------------- */

uint64_t qcow2_rc_read_entry(const struct qcow2 *q, const void *block,
			     uint64_t index);
void qcow2_rc_write_entry(const struct qcow2 *q, void *block, uint64_t index,
			  uint64_t value);
int qcow2_rc_get(struct qcow2 *q, uint64_t cluster, uint64_t *refcount);
/* Adds @delta to the refcount of the clusters in [@off, @off + @len). */
int qcow2_rc_update(struct qcow2 *q, uint64_t off, uint64_t len,
		    int64_t delta);
/*
 * Allocates the first run of free clusters, up to @n long (refcount 1);
 * returns its host offset, and its length in *@got (if not NULL).
 */
int64_t qcow2_alloc_clusters(struct qcow2 *q, uint64_t n, uint64_t *got);
/* Frees what a freed L2 entry pointed to (normal or compressed). */
int qcow2_free_l2_entry(struct qcow2 *q, uint64_t entry);
/* Makes refcounts on disk at least what the caches hold (+ sync). */
int qcow2_rc_flush(struct qcow2 *q);
/* Writes all metadata in the right order and syncs the file. */
int qcow2_flush_locked(struct qcow2 *q);

/* --- create (qcow2_create.c) ---------------------------------------------- */

int qcow2_preallocate(struct qcow2 *q, int mode);
/* @n free clusters in a row (refcount 1); the host offset. */
int64_t qcow2_alloc_contiguous(struct qcow2 *q, uint64_t n);
/* A larger L1 table, moved to new clusters (under q->lock). */
int qcow2_grow_l1(struct qcow2 *q, uint32_t entries);

/* --- snapshots (qcow2_snapshot.c) ------------------------------------------ */

int qcow2_load_l1(struct qcow2 *q, uint64_t off, uint32_t size,
		  uint64_t **l1);
/* The L1 tables of the snapshots, and the snapshot table's length. */
int qcow2_snapshot_l1s(struct qcow2 *q, uint64_t **offs, uint64_t **sizes,
		       unsigned int *nr, uint64_t *table_len);
int qcow2_write_zeroes_data(struct qcow2 *q);

/* --- check and repair (qcow2_check.c) ------------------------------------ */

/* Rebuilds the refcounts of an image left dirty, and clears the bit. */
int qcow2_repair_dirty(struct qcow2 *q, char *err, size_t errlen);

/* --- mapping (qcow2_map.c) ----------------------------------------------- */

enum qcow2_kind {
	QCOW2_UNALLOCATED,	/* backing file, or zeroes */
	QCOW2_ZERO,		/* reads as zeroes (maybe with a host cluster) */
	QCOW2_NORMAL,
	QCOW2_COMPRESSED,
};

struct qcow2_map {
	enum qcow2_kind kind;
	uint64_t entry;		/* the L2 entry of the first cluster */
	uint64_t host;		/* NORMAL: host offset of the first byte */
	uint64_t bytes;		/* the run from the guest offset asked */
};

/* Under q->lock: what @guest maps to, for up to @len bytes. */
int qcow2_map_locked(struct qcow2 *q, uint64_t guest, uint64_t len,
		     struct qcow2_map *m);
/*
 * The same without I/O, from the L2 tables cached: -EAGAIN when the one
 * @guest needs is not.
 */
int qcow2_map_cached(struct qcow2 *q, uint64_t guest, uint64_t len,
		     struct qcow2_map *m);
/*
 * Where a read of [@guest, @guest + @len) lies in the host file, when the
 * caller may send it there itself: one run of allocated clusters in a row,
 * inside the file (and aligned for O_DIRECT), mapped without waiting for
 * q->lock or doing I/O.  -EAGAIN otherwise, or an error of the mapping.
 */
int qcow2_read_extent(struct qcow2 *q, uint64_t guest, uint64_t len,
		      uint64_t *host);
int qcow2_check_data_entry(struct qcow2 *q, uint64_t entry);
/* A compressed cluster's host range (rounded to sectors). */
void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry,
			    uint64_t *off, uint64_t *len);
int qcow2_read_compressed(struct qcow2 *q, uint64_t entry, void *cluster);
/* The L2 table for @guest, COPIED (writable), pinned; allocated if absent. */
int qcow2_l2_writable(struct qcow2 *q, uint64_t guest, uint64_t **table);
int qcow2_l1_write_entry(struct qcow2 *q, uint32_t index);

static inline uint64_t qcow2_l1_index(const struct qcow2 *q, uint64_t guest)
{
	return guest >> (q->cluster_bits + q->l2_bits);
}

static inline uint64_t qcow2_l2_index(const struct qcow2 *q, uint64_t guest)
{
	return (guest >> q->cluster_bits) & ((1ull << q->l2_bits) - 1);
}

static inline uint64_t qcow2_offset_in_cluster(const struct qcow2 *q,
					       uint64_t off)
{
	return off & (q->cluster_size - 1);
}

static inline uint64_t qcow2_round_up(const struct qcow2 *q, uint64_t off)
{
	return (off + q->cluster_size - 1) & ~(q->cluster_size - 1);
}

static inline bool qcow2_is_v3(const struct qcow2 *q)
{
	return q->h.version >= 3;
}

/* Big-endian fields of on-disk structures, at any alignment. */
static inline uint16_t be_get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static inline uint32_t be_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static inline uint64_t be_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static inline void be_put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline void be_put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

#endif
