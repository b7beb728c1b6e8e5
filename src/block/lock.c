// SPDX-License-Identifier: MIT
/*
 * Image locks that QEMU understands, so that kvmlite and QEMU keep each
 * other off an image as two QEMUs do.  Each permission a user holds
 * (bit i: 0 consistent read, 1 write) is a shared OFD lock on byte
 * 100 + i of the image; each permission it does not share with other
 * users is a shared lock on byte 200 + i.  A user wanting permission i
 * fails if someone else holds byte 200 + i; a user not sharing i fails if
 * someone else holds byte 100 + i.  Like QEMU, no user shares write, and
 * every user shares reading.  The bytes are locked before the checks, so
 * of two users starting at once neither misses the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "block_priv.h"

#define LOCK_PERM_BASE		100
#define LOCK_SHARED_BASE	200
#define LOCK_RANGE		200	/* bytes 100 to 299 */

enum { PERM_CONSISTENT_READ, PERM_WRITE, NR_PERMS };

static const char *const perm_names[NR_PERMS] = {
	[PERM_CONSISTENT_READ] = "consistent read",
	[PERM_WRITE] = "write",
};

static int lock_bytes(int fd, short type, off_t start, off_t len)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = start,
		.l_len = len,
	};

	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* Whether another open file holds a lock on @byte. */
static bool held_elsewhere(int fd, off_t byte)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = byte,
		.l_len = 1,
	};

	if (fcntl(fd, F_OFD_GETLK, &fl))
		return true;
	return fl.l_type != F_UNLCK;
}

static int take_locks(int fd, unsigned int perms, unsigned int unshared,
		      char *err, size_t errlen)
{
	off_t byte;
	int i;

	for (i = 0; i < NR_PERMS; i++) {
		byte = 0;
		if (perms & (1u << i) &&
		    lock_bytes(fd, F_RDLCK, LOCK_PERM_BASE + i, 1))
			byte = LOCK_PERM_BASE + i;
		else if (unshared & (1u << i) &&
			 lock_bytes(fd, F_RDLCK, LOCK_SHARED_BASE + i, 1))
			byte = LOCK_SHARED_BASE + i;
		if (byte) {
			snprintf(err, errlen, "Failed to lock byte %ld: %s",
				 (long)byte, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int check_locks(int fd, unsigned int perms, unsigned int unshared,
		       const char *path, char *err, size_t errlen)
{
	const char *shared = NULL;
	int i;

	for (i = 0; i < NR_PERMS && !shared; i++) {
		if (perms & (1u << i) &&
		    held_elsewhere(fd, LOCK_SHARED_BASE + i))
			shared = "";
		else if (unshared & (1u << i) &&
			 held_elsewhere(fd, LOCK_PERM_BASE + i))
			shared = "shared ";
	}
	if (!shared)
		return 0;
	snprintf(err, errlen, "Failed to get %s\"%s\" lock\n"
		 "Is another process using the image [%s]?", shared,
		 perm_names[i - 1], path);
	return -1;
}

int block_file_lock(struct block_file *f, const char *path, char *err,
		    size_t errlen)
{
	unsigned int perms = 1u << PERM_CONSISTENT_READ;
	unsigned int unshared = 1u << PERM_WRITE;

	if (!f->read_only)
		perms |= 1u << PERM_WRITE;
	if (take_locks(f->fd, perms, unshared, err, errlen) ||
	    check_locks(f->fd, perms, unshared, path, err, errlen)) {
		lock_bytes(f->fd, F_UNLCK, LOCK_PERM_BASE, LOCK_RANGE);
		return -1;
	}
	return 0;
}
