/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_QCOW2_H
#define KVMLITE_QCOW2_H

/*
 * The qcow2 format, synchronously: the engine under the block driver
 * (which runs it on worker threads) and under kvmlite-img.  Requests may
 * come from several threads at once; they proceed in parallel except
 * while they change the same metadata.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include "kvmlite/image.h"

struct qcow2;

struct qcow2_open_opts {
	const char *filename;
	int fd;			/* already open (not closed), or -1 */
	bool read_only;
	bool direct;		/* the file is O_DIRECT */
	uint32_t align;		/* its O_DIRECT alignment */
	bool no_backing;
	bool no_repair;		/* a dirty image is opened as it is */
	bool unsafe;		/* never sync (IMAGE_UNSAFE) */
	uint64_t l2_cache_size;
	uint64_t refcount_cache_size;
	const struct image_chain *chain;
	const struct backing_policy *policy;	/* NULL: follow any */
	bool probed;		/* the format was guessed, not given */
};

/* Errors as QEMU's: "Image is not in qcow2 format", ... */
int qcow2_open(const struct qcow2_open_opts *o, struct qcow2 **out,
	       char *err, size_t errlen);
/* Writes back what is cached; 0 or -errno. */
int qcow2_close(struct qcow2 *q);

uint64_t qcow2_size(const struct qcow2 *q);
uint64_t qcow2_cluster_size(const struct qcow2 *q);
struct image *qcow2_backing(const struct qcow2 *q);

int qcow2_readv(struct qcow2 *q, uint64_t off, const struct iovec *iov,
		unsigned int cnt);
int qcow2_writev(struct qcow2 *q, uint64_t off, const struct iovec *iov,
		 unsigned int cnt);
/* Zero clusters where the format allows (v3), written zeroes elsewhere. */
int qcow2_write_zeroes(struct qcow2 *q, uint64_t off, uint64_t len,
		       bool unmap);
/* Frees the whole clusters in the range. */
int qcow2_discard(struct qcow2 *q, uint64_t off, uint64_t len);
int qcow2_flush(struct qcow2 *q);
int qcow2_status(struct qcow2 *q, uint64_t off, uint64_t len, uint64_t *run);

/* --- kvmlite-img ---------------------------------------------------------- */

struct qcow2_create_opts {
	uint64_t size;
	uint32_t cluster_size;		/* 0: 64 KiB */
	int version;			/* 2 or 3 */
	uint32_t refcount_bits;		/* 0: 16 */
	bool lazy_refcounts;
	const char *backing_file;
	const char *backing_fmt;
	enum { QCOW2_PREALLOC_OFF, QCOW2_PREALLOC_METADATA,
	       QCOW2_PREALLOC_FALLOC, QCOW2_PREALLOC_FULL } prealloc;
};

/* Writes a new image into the empty file @fd; errors as qemu-img's. */
int qcow2_create(int fd, const struct qcow2_create_opts *o, char *err,
		 size_t errlen);

struct qcow2_check_result {
	uint64_t corruptions;
	uint64_t leaks;
	uint64_t check_errors;
	uint64_t corruptions_fixed;
	uint64_t leaks_fixed;
	uint64_t total_clusters;	/* guest clusters */
	uint64_t allocated_clusters;
	uint64_t fragmented_clusters;
	uint64_t compressed_clusters;
	uint64_t image_end_offset;
};

enum qcow2_fix {
	QCOW2_FIX_LEAKS = 1 << 0,
	QCOW2_FIX_ERRORS = 1 << 1,
};

/* Messages for each finding go to @log (qemu-img's wording). */
int qcow2_check(struct qcow2 *q, unsigned int fix,
		struct qcow2_check_result *res, FILE *log);

struct qcow2_info {
	int version;
	uint64_t cluster_size;
	uint32_t refcount_bits;
	bool lazy_refcounts;
	bool corrupt;
	bool dirty;
	bool extended_l2;
	const char *backing_name;	/* as stored */
	const char *backing_fmt;
};

void qcow2_get_info(const struct qcow2 *q, struct qcow2_info *info);
/* The backing file's path (relative names resolved), malloc'd, or NULL. */
char *qcow2_backing_path(const struct qcow2 *q);

struct qcow2_snapshot_info {
	char *id;
	char *name;
	uint64_t vm_state_size;
	uint32_t date_sec;
	uint32_t date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t icount;
	uint64_t disk_size;
};

/* The snapshot table, which the caller frees with qcow2_snapshots_free. */
int qcow2_snapshot_list(struct qcow2 *q, struct qcow2_snapshot_info **list,
			unsigned int *nr);
void qcow2_snapshots_free(struct qcow2_snapshot_info *list, unsigned int nr);
int qcow2_snapshot_create(struct qcow2 *q, const char *name, char *err,
			  size_t errlen);
int qcow2_snapshot_apply(struct qcow2 *q, const char *name, char *err,
			 size_t errlen);
int qcow2_snapshot_delete(struct qcow2 *q, const char *name, char *err,
			  size_t errlen);
/* Changes the virtual size (growing L1 as needed; shrink frees clusters). */
int qcow2_resize(struct qcow2 *q, uint64_t size, char *err, size_t errlen);
struct deflate_ctx;

/*
 * Writes one whole cluster at @guest (cluster-aligned, unallocated)
 * compressed, or plainly if it does not compress.
 */
int qcow2_write_compressed(struct qcow2 *q, struct deflate_ctx *ctx,
			   uint64_t guest, const void *data);
/* Rewrites the backing file name and format in the header. */
int qcow2_set_backing(struct qcow2 *q, const char *name, const char *fmt);

#endif
