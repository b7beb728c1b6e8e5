// SPDX-License-Identifier: MIT
/*
 * query-block (QMP's BlockInfo), which HMP's "info block" prints: one
 * object per drive, in command-line order, with the members in the order
 * QEMU 7.2 sends them.  kvmlite has no I/O throttling, backing files or
 * zero detection, so those members have QEMU's values for none of them.
 *
 * Everything read here is fixed once the machine is set up, so the
 * monitor thread needs no lock.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kvmlite/block.h"
#include "kvmlite/config.h"
#include "kvmlite/json.h"
#include "kvmlite/machine.h"

/* QEMU's generated node names: "#block", a counter, two random digits. */
#define NODE_NAME_LEN	32
#define IDE_QOM_BASE	17

struct block_info {
	struct machine *m;
	char node_name[MAX_DRIVES][NODE_NAME_LEN];
};

static struct json *cache_info(enum block_cache cache)
{
	struct json *c = json_object_new();

	if (json_object_set_bool(c, "no-flush", cache == BLOCK_CACHE_UNSAFE) |
	    json_object_set_bool(c, "direct", block_cache_direct(cache)) |
	    json_object_set_bool(c, "writeback",
				 cache != BLOCK_CACHE_WRITETHROUGH &&
				 cache != BLOCK_CACHE_DIRECTSYNC)) {
		json_free(c);
		return NULL;
	}
	return c;
}

static struct json *image_info(const struct block *bs)
{
	struct json *image = json_object_new();

	if (json_object_set_int(image, "virtual-size", block_length(bs)) |
	    json_object_set_str(image, "filename", block_filename(bs)) |
	    json_object_set_str(image, "format", block_format(bs)) |
	    json_object_set_int(image, "actual-size",
				block_allocated_size(bs)) |
	    json_object_set_bool(image, "dirty-flag", false)) {
		json_free(image);
		return NULL;
	}
	return image;
}

/* Members that are 0 without throttling. */
static int set_zero(struct json *o, const char *key)
{
	return json_object_set_int(o, key, 0);
}

/* BlockDeviceInfo: the medium and how it is opened. */
static struct json *inserted_info(const struct block *bs,
				  const char *node_name)
{
	struct json *in = json_object_new();

	if (set_zero(in, "iops_rd") |
	    json_object_set_str(in, "detect_zeroes", "off") |
	    json_object_set(in, "image", image_info(bs)) |
	    set_zero(in, "iops_wr") |
	    json_object_set_bool(in, "ro", block_read_only(bs)) |
	    json_object_set_str(in, "node-name", node_name) |
	    set_zero(in, "backing_file_depth") |
	    json_object_set_str(in, "drv", block_format(bs)) |
	    set_zero(in, "iops") | set_zero(in, "bps_wr") |
	    set_zero(in, "write_threshold") |
	    json_object_set_bool(in, "encrypted", false) |
	    set_zero(in, "bps") | set_zero(in, "bps_rd") |
	    json_object_set(in, "cache", cache_info(block_cache_mode(bs))) |
	    json_object_set_str(in, "file", block_filename(bs))) {
		json_free(in);
		return NULL;
	}
	return in;
}

/* The device a drive is attached to, or NULL. */
static const struct blk_device_config *drive_device(const struct config *cfg,
						    int drive)
{
	int i;

	for (i = 0; i < cfg->nr_blk; i++)
		if (cfg->blk[i].drive == drive)
			return &cfg->blk[i];
	return NULL;
}

/*
 * Where QEMU 7.2's pc machine (-nodefaults) puts an IDE disk: after its
 * 17 board devices, the vCPUs and the -nic cards, in index order.
 */
static int ide_qom_index(const struct config *cfg, int drive)
{
	int i, n = IDE_QOM_BASE + cfg->smp.cpus;

	for (i = 0; i < cfg->nr_nics; i++)
		if (cfg->nics[i].netdev_id[0] == '#')
			n++;
	for (i = 0; i < cfg->nr_drives; i++)
		if (cfg->drives[i].interface == DRIVE_IF_DEFAULT &&
		    cfg->drives[i].index < cfg->drives[drive].index)
			n++;
	return n;
}

/* The QOM path QEMU gives the drive's device. */
static struct json *qdev_path(const struct config *cfg,
			      const struct blk_device_config *b)
{
	char path[sizeof(b->id) + 64];

	if (b->id[0])
		snprintf(path, sizeof(path),
			 "/machine/peripheral/%s/virtio-backend", b->id);
	else if (b->anon_index >= 0)
		snprintf(path, sizeof(path),
			 "/machine/peripheral-anon/device[%d]/virtio-backend",
			 b->anon_index);
	else
		snprintf(path, sizeof(path), "/machine/unattached/device[%d]",
			 ide_qom_index(cfg, b->drive));
	return json_string_new(path);
}

/*
 * A drive without a device is a removable medium to QEMU, with no I/O
 * status and no qdev path.
 */
static int add_drive(const struct block_info *bi, int i, struct json *out)
{
	const struct config *cfg = bi->m->cfg;
	const struct blk_device_config *b = drive_device(cfg, i);
	const struct block *bs = bi->m->drives[i];
	struct json *info = json_object_new();
	int ret = 0;

	if (b)
		ret |= json_object_set_str(info, "io-status", "ok");
	ret |= json_object_set_str(info, "device", cfg->drives[i].id) |
	       json_object_set_bool(info, "locked", false) |
	       json_object_set_bool(info, "removable", !b);
	if (bs)
		ret |= json_object_set(info, "inserted",
				       inserted_info(bs, bi->node_name[i]));
	if (b)
		ret |= json_object_set(info, "qdev", qdev_path(cfg, b));
	ret |= json_object_set_str(info, "type", "unknown");
	return ret | json_array_append(out, info);
}

static int query_block(void *opaque, struct json *out)
{
	const struct block_info *bi = opaque;
	int i, ret = 0;

	for (i = 0; i < bi->m->cfg->nr_drives && !ret; i++)
		ret = add_drive(bi, i, out);
	return ret;
}

/*
 * QEMU numbers a drive's format node after its protocol node, two
 * counter values per drive; the digits after the counter are random.
 * The names are never freed: the monitor may ask until kvmlite ends.
 */
int block_info_init(struct machine *m)
{
	struct block_info *bi = calloc(1, sizeof(*bi));
	int i;

	if (!bi)
		return -1;
	bi->m = m;
	for (i = 0; i < m->cfg->nr_drives; i++)
		snprintf(bi->node_name[i], NODE_NAME_LEN, "#block%d%02ld",
			 2 * i + 1, random() % 100);
	machine_add_info(m, MACHINE_INFO_BLOCK, query_block, bi);
	return 0;
}
