/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_BACKING_POLICY_H
#define KVMLITE_BACKING_POLICY_H

/*
 * Which backing files a VM's disk may follow.  A qcow2 header is data:
 * whoever could once write the image (a guest, through a disk whose format
 * was probed or given as raw) chooses the backing file name in it.  So a
 * drive's chain is followed only
 *  - from an image whose format was given, not probed (format= on the
 *    command line, or backing_fmt in the image above it);
 *  - to a regular file, never a device node nor anything under /proc,
 *    /sys or /dev;
 *  - inside the top image's directory or a directory the user allowed
 *    (-drive backing-dirs=DIR:DIR), judged on the realpath(), so ".." and
 *    symbolic links cannot leave them.
 * The image the user named is always allowed as the backing file of a
 * -snapshot overlay.  kvmlite-img passes no policy and follows anything,
 * as qemu-img does.
 */

#include <stdbool.h>
#include <stddef.h>

struct backing_policy;

/*
 * The policy for the drive whose image is @image, with @extra_dirs (a
 * ':'-separated list, or NULL) allowed too; NULL with @err set when a
 * name does not resolve.
 */
struct backing_policy *backing_policy_new(const char *image,
					  const char *extra_dirs, char *err,
					  size_t errlen);
void backing_policy_free(struct backing_policy *p);
/* -snapshot: the drive's own image is its overlay's backing file. */
void backing_policy_allow_image(struct backing_policy *p);

/*
 * Whether @image (whose format was @probed) may have @backing (the name
 * as resolved against @image's directory) as its backing file: 0, or -1
 * with one line in @err naming both and the reason.  A NULL @p allows
 * everything.
 */
int backing_policy_check(const struct backing_policy *p, const char *image,
			 bool probed, const char *backing, char *err,
			 size_t errlen);

#endif
