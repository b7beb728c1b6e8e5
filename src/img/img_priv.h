/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_IMG_PRIV_H
#define KVMLITE_IMG_PRIV_H

/* kvmlite-img: the commands, and what they share. */

#include <stdbool.h>
#include <stdint.h>

#include "kvmlite/image.h"
#include "kvmlite/qcow2.h"

/* Exit statuses, as qemu-img's. */
#define IMG_OK			0
#define IMG_ERROR		1

/* "kvmlite-img: <message>" on stderr. */
void img_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A size with QEMU's suffixes, in bytes; -1 with qemu-img's message. */
int img_parse_size(const char *text, uint64_t *out);
/* Opens with the message qemu-img gives when it cannot. */
struct image *img_open(const char *path, const char *fmt, unsigned int flags);
/* "1 GiB", "392 KiB", "0 B", as QEMU writes sizes. */
void img_human_size(uint64_t bytes, char *out, size_t len);

/* create without the command line; @opts is -o's text (split). */
int img_create_file(const char *file, const char *fmt, uint64_t size,
		    char *opts);
/* What [@off, @off + @len) of the whole chain holds: DATA or ZERO. */
int img_chain_status(struct image *img, uint64_t off, uint64_t len,
		     uint64_t *run);
bool img_is_zero(const void *buf, size_t len);

int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_check(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_snapshot(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_rebase(int argc, char **argv);

#endif
