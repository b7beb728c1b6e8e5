// SPDX-License-Identifier: MIT
/*
 * -drive, -hda and -device virtio-blk-pci with QEMU 7.2's defaults,
 * checks and messages, made in the order QEMU makes them.  Nothing is
 * opened here: the machine opens the images, and a key no image format
 * takes is only reported then, as QEMU names the format in the message.
 *
 * kvmlite has no IDE: a drive without if= (and -hda) is a virtio disk,
 * but keeps QEMU's IDE index and name (ide0-hd0), so command lines that
 * name it still work.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/config.h"

#define IDE_UNITS	2	/* per bus */
#define IDE_BUSES	2
#define VIRTIO_BLK	"virtio-blk-pci"
#define PCI_SLOTS	32

/* QEMU's identifiers: a letter, then letters, digits, '-', '.' or '_'. */
static int check_id(const struct opt_iter *it, const char *id, char *err,
		    size_t errlen)
{
	const char *p = id;

	if (isalpha((unsigned char)*p))
		while (*++p && (isalnum((unsigned char)*p) || strchr("-._", *p)))
			;
	if (*id && !*p)
		return 0;
	return opt_fail(it, err, errlen, "Parameter 'id' expects an identifier\n"
			"Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
}

static int copy_value(const struct opt_iter *it, const struct opt_elem *e,
		      char *buf, size_t len, char *err, size_t errlen)
{
	if (!opt_val_copy(e, buf, len))
		return 0;
	return opt_fail(it, err, errlen, "Parameter '%.*s' is longer than %zu bytes",
			(int)e->key_len, e->key, len - 1);
}

/*
 * serial= keeps what GET_ID can return, as QEMU's device does; a longer
 * value fails to copy only after filling the buffer.
 */
static void copy_serial(const struct opt_elem *e, char *serial)
{
	opt_val_copy(e, serial, VIRTIO_BLK_ID_BYTES + 1);
	serial[VIRTIO_BLK_ID_BYTES] = '\0';
}

/* --- -drive -------------------------------------------------------------- */

/* The last value of each key; .key is NULL for a key not given. */
struct drive_args {
	struct opt_elem file, format, iface, id, cache, aio, readonly, serial,
			discard, index, media, snapshot, l2_cache, rc_cache,
			backing_dirs;
	struct opt_elem unsupported;	/* QEMU has it, kvmlite does not */
	struct opt_elem bad;		/* no one has it */
};

static const struct {
	const char *key;
	size_t offset;
} drive_keys[] = {
	{ "file", offsetof(struct drive_args, file) },
	{ "format", offsetof(struct drive_args, format) },
	{ "if", offsetof(struct drive_args, iface) },
	{ "id", offsetof(struct drive_args, id) },
	{ "cache", offsetof(struct drive_args, cache) },
	{ "aio", offsetof(struct drive_args, aio) },
	{ "readonly", offsetof(struct drive_args, readonly) },
	{ "serial", offsetof(struct drive_args, serial) },
	{ "discard", offsetof(struct drive_args, discard) },
	{ "index", offsetof(struct drive_args, index) },
	{ "media", offsetof(struct drive_args, media) },
	{ "snapshot", offsetof(struct drive_args, snapshot) },
	{ "l2-cache-size", offsetof(struct drive_args, l2_cache) },
	{ "refcount-cache-size", offsetof(struct drive_args, rc_cache) },
	{ "backing-dirs", offsetof(struct drive_args, backing_dirs) },
};

static const char *const qemu_only_keys[] = {
	"bus", "unit", "rerror", "werror", "copy-on-read",
	"detect-zeroes",
};

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static void collect_key(struct drive_args *a, const struct opt_elem *e)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(drive_keys); i++) {
		if (opt_key_is(e, drive_keys[i].key)) {
			*(struct opt_elem *)((char *)a + drive_keys[i].offset) =
				*e;
			return;
		}
	}
	for (i = 0; i < ARRAY_LEN(qemu_only_keys); i++) {
		if (opt_key_is(e, qemu_only_keys[i])) {
			if (!a->unsupported.key)
				a->unsupported = *e;
			return;
		}
	}
	if (!a->bad.key)
		a->bad = *e;
}

static int drive_enum(const struct opt_iter *it, const struct opt_elem *e,
		      int (*parse)(const char *name, void *out), void *out,
		      const char *msg, char *err, size_t errlen)
{
	char buf[32];

	if (e->key && (opt_val_copy(e, buf, sizeof(buf)) || parse(buf, out)))
		return opt_fail(it, err, errlen, "%s", msg);
	return 0;
}

static int parse_cache(const char *name, void *out)
{
	return block_parse_cache(name, out);
}

static int parse_aio(const char *name, void *out)
{
	return block_parse_aio(name, out);
}

static int parse_discard(const char *name, void *out)
{
	return block_parse_discard(name, out);
}

/* qcow2's cache sizes, in bytes with QEMU's suffixes. */
static int drive_cache_size(const struct opt_iter *it,
			    const struct opt_elem *e, uint64_t *out,
			    char *err, size_t errlen)
{
	char buf[64];

	if (e->key && (opt_val_copy(e, buf, sizeof(buf)) ||
		       parse_size(buf, 1, out)))
		return opt_fail(it, err, errlen,
				"Parameter '%.*s' expects a size value",
				(int)e->key_len, e->key);
	return 0;
}

static int drive_qcow2_options(const struct opt_iter *it,
			       const struct drive_args *a,
			       struct block_options *o, char *err,
			       size_t errlen)
{
	if (a->snapshot.key &&
	    opt_parse_bool(it, &a->snapshot, &o->snapshot, err, errlen))
		return -1;
	return drive_cache_size(it, &a->l2_cache, &o->l2_cache_size, err,
				errlen) ||
	       drive_cache_size(it, &a->rc_cache, &o->refcount_cache_size, err,
				errlen) ? -1 : 0;
}

static int drive_block_options(const struct opt_iter *it,
			       const struct drive_args *a,
			       struct block_options *o, char *err,
			       size_t errlen)
{
	struct opt_elem ro = a->readonly;
	const char *conflict;

	if (drive_enum(it, &a->cache, parse_cache, &o->cache,
		       "invalid cache option", err, errlen) ||
	    drive_enum(it, &a->aio, parse_aio, &o->aio, "invalid aio option",
		       err, errlen))
		return -1;
	conflict = block_options_conflict(o);
	if (conflict)
		return opt_fail(it, err, errlen, "%s", conflict);
	/* QEMU's message calls it by its newer name. */
	ro.key = "read-only";
	ro.key_len = strlen(ro.key);
	if (a->readonly.key &&
	    opt_parse_bool(it, &ro, &o->read_only, err, errlen))
		return -1;
	if (drive_qcow2_options(it, a, o, err, errlen))
		return -1;
	return drive_enum(it, &a->discard, parse_discard, &o->discard,
			  "Invalid discard option", err, errlen);
}

static int drive_media_and_if(const struct opt_iter *it,
			      const struct drive_args *a,
			      struct drive_config *d, char *err,
			      size_t errlen)
{
	static const char *const qemu_buses[] = {
		"ide", "scsi", "sd", "mtd", "floppy", "pflash",
	};
	size_t i;

	if (a->media.key && opt_val_is(&a->media, "cdrom"))
		return opt_fail(it, err, errlen, "media=cdrom is not supported: kvmlite has no CD-ROM drive");
	if (a->media.key && !opt_val_is(&a->media, "disk"))
		return opt_fail(it, err, errlen, "'%.*s' invalid media",
				(int)a->media.val_len, a->media.val);
	if (!a->iface.key)
		return 0;
	if (opt_val_is(&a->iface, "virtio")) {
		d->interface = DRIVE_IF_VIRTIO;
		return 0;
	}
	if (opt_val_is(&a->iface, "none")) {
		d->interface = DRIVE_IF_NONE;
		return 0;
	}
	for (i = 0; i < ARRAY_LEN(qemu_buses); i++)
		if (opt_val_is(&a->iface, qemu_buses[i]))
			return opt_fail(it, err, errlen, "if=%s is not supported: kvmlite disks are if=virtio or if=none",
					qemu_buses[i]);
	return opt_fail(it, err, errlen, "unsupported bus type '%.*s'",
			(int)a->iface.val_len, a->iface.val);
}

/* A negative index= means none, as in QEMU. */
static int drive_index(const struct opt_iter *it, const struct opt_elem *e,
		       int *index, char *err, size_t errlen)
{
	char buf[32], *end = buf;
	long val = 0;

	*index = -1;
	if (!e->key)
		return 0;
	errno = 0;
	if (!opt_val_copy(e, buf, sizeof(buf)))
		val = strtol(buf, &end, 0);
	if (end == buf || *end || errno || val > INT_MAX)
		return opt_fail(it, err, errlen,
				"Parameter 'index' expects a number");
	*index = val < 0 ? -1 : (int)val;
	return 0;
}

static int drive_files(const struct opt_iter *it, const struct drive_args *a,
		       struct drive_config *d, char *err, size_t errlen)
{
	if (a->format.key) {
		if (copy_value(it, &a->format, d->format, sizeof(d->format),
			       err, errlen) || !block_format_known(d->format))
			return opt_fail(it, err, errlen, "Unknown driver '%.*s'",
					(int)a->format.val_len, a->format.val);
		d->block.format = d->format;
	}
	if (a->file.key &&
	    copy_value(it, &a->file, d->file, sizeof(d->file), err, errlen))
		return -1;
	if (a->file.key && !d->file[0])
		return opt_fail(it, err, errlen, "A block device must be specified for \"file\"");
	if (a->backing_dirs.key) {
		if (copy_value(it, &a->backing_dirs, d->backing_dirs,
			       sizeof(d->backing_dirs), err, errlen))
			return -1;
		d->block.backing_dirs = d->backing_dirs;
	}
	d->snapshot_given = a->snapshot.key;
	if (a->serial.key) {
		copy_serial(&a->serial, d->serial);
		d->has_serial = true;
	}
	if (a->bad.key)
		snprintf(d->bad_key, sizeof(d->bad_key), "%.*s",
			 (int)a->bad.key_len, a->bad.key);
	return 0;
}

/* --- indexes and names, as QEMU gives them ------------------------------ */

static struct drive_config *find_drive(struct config *cfg, const char *id)
{
	int i;

	for (i = 0; i < cfg->nr_drives; i++)
		if (!strcmp(cfg->drives[i].id, id))
			return &cfg->drives[i];
	return NULL;
}

static bool index_used(const struct config *cfg, enum drive_interface iface,
		       int index)
{
	int i;

	for (i = 0; i < cfg->nr_drives; i++)
		if (cfg->drives[i].interface == iface &&
		    cfg->drives[i].index == index)
			return true;
	return false;
}

static int drive_place(struct config *cfg, struct drive_config *d, int index,
		       char *err, size_t errlen)
{
	bool ide = d->interface == DRIVE_IF_DEFAULT;
	int bus, unit;

	if (index < 0)
		for (index = 0; index_used(cfg, d->interface, index); index++)
			;
	bus = ide ? index / IDE_UNITS : 0;
	unit = ide ? index % IDE_UNITS : index;
	if (ide && bus >= IDE_BUSES)
		return config_error(err, errlen, d->opt, d->arg,
				    "machine type does not support if=ide,bus=%d,unit=%d",
				    bus, unit);
	if (index_used(cfg, d->interface, index))
		return config_error(err, errlen, d->opt, d->arg,
				    "drive with bus=%d, unit=%d (index=%d) exists",
				    bus, unit, index);
	d->index = index;
	if (d->id[0])
		return 0;
	if (ide)
		snprintf(d->id, sizeof(d->id), "ide%d-hd%d", bus, unit);
	else
		snprintf(d->id, sizeof(d->id), "%s%d",
			 d->interface == DRIVE_IF_VIRTIO ? "virtio" : "none",
			 unit);
	return 0;
}

/* The next free entry, not yet counted; NULL with @err if none. */
static struct drive_config *new_drive(struct config *cfg, const char *opt,
				      const char *arg, char *err,
				      size_t errlen)
{
	struct drive_config *d = &cfg->drives[cfg->nr_drives];

	if (cfg->nr_drives == MAX_DRIVES) {
		config_error(err, errlen, opt, arg,
			     "too many drives (kvmlite takes %d)", MAX_DRIVES);
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	d->opt = opt;
	d->arg = arg;
	d->block.filename = d->file;
	return d;
}

/* Checks @d's place and name, and counts it in. */
static int drive_commit(struct config *cfg, struct drive_config *d,
			int index, char *err, size_t errlen)
{
	if (drive_place(cfg, d, index, err, errlen))
		return -1;
	if (find_drive(cfg, d->id))
		return config_error(err, errlen, d->opt, d->arg,
				    "Duplicate ID '%s' for drive", d->id);
	cfg->nr_drives++;
	return 0;
}

int drive_add(struct config *cfg, const char *opt, const char *text,
	      char *err, size_t errlen)
{
	struct drive_config *d = new_drive(cfg, opt, text, err, errlen);
	struct drive_args a;
	struct opt_iter it;
	struct opt_elem e;
	int ret, index;

	if (!d)
		return -1;
	memset(&a, 0, sizeof(a));
	opt_iter_init(&it, opt, text, NULL, false);
	while ((ret = opt_next(&it, &e, err, errlen)) > 0)
		collect_key(&a, &e);
	if (ret)
		return -1;
	if (a.id.key && (copy_value(&it, &a.id, d->id, sizeof(d->id), err,
				    errlen) ||
			 check_id(&it, d->id, err, errlen)))
		return -1;
	if (drive_block_options(&it, &a, &d->block, err, errlen) ||
	    drive_media_and_if(&it, &a, d, err, errlen))
		return -1;
	if (a.unsupported.key)
		return opt_fail(&it, err, errlen,
				"option '%.*s' is not supported by kvmlite",
				(int)a.unsupported.key_len, a.unsupported.key);
	if (drive_index(&it, &a.index, &index, err, errlen) ||
	    drive_files(&it, &a, d, err, errlen))
		return -1;
	return drive_commit(cfg, d, index, err, errlen);
}

int drive_add_disk(struct config *cfg, const char *opt, const char *file,
		   int index, char *err, size_t errlen)
{
	struct drive_config *d = new_drive(cfg, opt, file, err, errlen);

	if (!d)
		return -1;
	snprintf(d->file, sizeof(d->file), "%s", file);
	if (strlen(file) >= sizeof(d->file))
		return config_error(err, errlen, opt, file,
				    "file names are at most %zu bytes",
				    sizeof(d->file) - 1);
	return drive_commit(cfg, d, index, err, errlen);
}

/* --- -device virtio-blk-pci --------------------------------------------- */

/* addr=SLOT[.FUNCTION], both hexadecimal, as QEMU reads it. */
static int parse_addr(const struct opt_iter *it, const struct opt_elem *e,
		      int *slot, char *err, size_t errlen)
{
	char buf[32], *end = buf;
	unsigned long val = PCI_SLOTS, fn = 0;

	if (!opt_val_copy(e, buf, sizeof(buf)) &&
	    isxdigit((unsigned char)buf[0]))
		val = strtoul(buf, &end, 16);
	if (*end == '.' && isxdigit((unsigned char)end[1]))
		fn = strtoul(end + 1, &end, 16);
	if (val >= PCI_SLOTS || fn > 7 || *end)
		return opt_fail(it, err, errlen,
				"Property '" VIRTIO_BLK ".addr' doesn't take value '%.*s'",
				(int)e->val_len, e->val);
	if (fn)
		return opt_fail(it, err, errlen, "kvmlite has no multifunction devices: give function 0 (addr=%lx or addr=%lx.0)",
				val, val);
	*slot = val;
	return 0;
}

/* A -device being read: num-queues=0 is only refused at the end. */
struct blk_args {
	struct blk_device_config b;
	bool num_queues_given;
};

static int blk_prop(struct blk_args *a, const struct opt_iter *it,
		    const struct opt_elem *e, char *err, size_t errlen)
{
	struct blk_device_config *b = &a->b;
	uint64_t val;
	bool on;

	if (opt_key_is(e, "driver") || opt_key_is(e, "bootindex"))
		return 0;
	if (opt_key_is(e, "drive"))
		return copy_value(it, e, b->drive_id, sizeof(b->drive_id), err,
				  errlen);
	if (opt_key_is(e, "id"))
		return copy_value(it, e, b->id, sizeof(b->id), err, errlen) ||
		       check_id(it, b->id, err, errlen);
	if (opt_key_is(e, "num-queues")) {
		if (opt_parse_uint(it, e, UINT16_MAX, "uint16_t", &val, err,
				   errlen))
			return -1;
		b->num_queues = val;
		a->num_queues_given = true;
		return 0;
	}
	if (opt_key_is(e, "serial")) {
		copy_serial(e, b->serial);
		b->has_serial = true;
		return 0;
	}
	if (opt_key_is(e, "addr"))
		return parse_addr(it, e, &b->slot, err, errlen);
	if (opt_key_is(e, "disable-legacy")) {
		if (opt_parse_bool(it, e, &on, err, errlen))
			return -1;
		return on ? 0 : opt_fail(it, err, errlen, "disable-legacy=off is not supported: kvmlite's virtio devices are modern only");
	}
	return opt_fail(it, err, errlen, "Property '" VIRTIO_BLK ".%.*s' not found",
			(int)e->key_len, e->key);
}

static bool device_id_used(const struct config *cfg, const char *id)
{
	int i;

	for (i = 0; i < cfg->nr_blk; i++)
		if (!strcmp(cfg->blk[i].id, id))
			return true;
	return false;
}

static int blk_check(const struct config *cfg, const struct blk_args *a,
		     const struct opt_iter *it, char *err, size_t errlen)
{
	const struct blk_device_config *b = &a->b;

	if (!b->drive_id[0])
		return opt_fail(it, err, errlen, "drive property not set");
	if (a->num_queues_given && !b->num_queues)
		return opt_fail(it, err, errlen, "num-queues property must be larger than 0");
	if (b->num_queues > VIRTIO_BLK_MAX_QUEUES)
		return opt_fail(it, err, errlen, "num-queues property must be at most %d",
				VIRTIO_BLK_MAX_QUEUES);
	if (b->id[0] && device_id_used(cfg, b->id))
		return opt_fail(it, err, errlen, "Duplicate ID '%s' for device",
				b->id);
	if (cfg->nr_blk == MAX_VIRTIO_BLK)
		return opt_fail(it, err, errlen, "too many %s devices (kvmlite takes %d)",
				VIRTIO_BLK, MAX_VIRTIO_BLK);
	return 0;
}

int virtio_blk_add(struct config *cfg, const char *opt, const char *text,
		   char *err, size_t errlen)
{
	struct blk_args a = { .b = { .opt = opt, .arg = text, .slot = -1 } };
	struct opt_iter it;
	struct opt_elem e;
	int ret;

	opt_iter_init(&it, opt, text, "driver", false);
	while ((ret = opt_next(&it, &e, err, errlen)) > 0)
		if (blk_prop(&a, &it, &e, err, errlen))
			return -1;
	if (ret || blk_check(cfg, &a, &it, err, errlen))
		return -1;
	a.b.drive = -1;
	a.b.anon_index = a.b.id[0] ? -1 : cfg->nr_anon_devices++;
	cfg->blk[cfg->nr_blk++] = a.b;
	return 0;
}

/* --- once the whole command line is read -------------------------------- */

static bool drive_attached(const struct config *cfg, int drive)
{
	int i;

	for (i = 0; i < cfg->nr_blk; i++)
		if (cfg->blk[i].drive == drive)
			return true;
	return false;
}

static int attach_explicit(struct config *cfg, struct blk_device_config *b,
			   char *err, size_t errlen)
{
	struct drive_config *d = find_drive(cfg, b->drive_id);
	int index = d ? d - cfg->drives : -1;

	if (!d)
		return config_error(err, errlen, b->opt, b->arg,
				    "Property 'virtio-blk-device.drive' can't find value '%s'",
				    b->drive_id);
	if (d->interface != DRIVE_IF_NONE)
		return config_error(err, errlen, d->opt, d->arg,
				    "Drive '%s' is already in use because it has been automatically connected to another device (did you need 'if=none' in the drive options?)",
				    d->id);
	if (drive_attached(cfg, index))
		return config_error(err, errlen, b->opt, b->arg,
				    "Drive '%s' is already in use by another device",
				    d->id);
	if (!d->file[0])
		return config_error(err, errlen, b->opt, b->arg,
				    "Device needs media, but drive is empty");
	b->drive = index;
	return 0;
}

/* A drive without if=none brings its own device, after the -device ones. */
static int attach_implicit(struct config *cfg, int index, char *err,
			   size_t errlen)
{
	struct drive_config *d = &cfg->drives[index];
	struct blk_device_config *b;

	if (!d->file[0])
		return config_error(err, errlen, d->opt, d->arg,
				    "Device needs media, but drive is empty");
	if (cfg->nr_blk == MAX_VIRTIO_BLK)
		return config_error(err, errlen, d->opt, d->arg,
				    "too many %s devices (kvmlite takes %d)",
				    VIRTIO_BLK, MAX_VIRTIO_BLK);
	b = &cfg->blk[cfg->nr_blk++];
	memset(b, 0, sizeof(*b));
	b->opt = d->opt;
	b->arg = d->arg;
	b->drive = index;
	b->slot = -1;
	/*
	 * QEMU adds if=virtio devices as -device options after the command
	 * line's; its IDE disks are not under peripheral-anon.
	 */
	b->anon_index = d->interface == DRIVE_IF_VIRTIO ?
			cfg->nr_anon_devices++ : -1;
	return 0;
}

/* One queue per vCPU by default, as in QEMU; serial= of the device wins. */
static void blk_defaults(struct config *cfg, struct blk_device_config *b)
{
	const struct drive_config *d = &cfg->drives[b->drive];

	if (!b->num_queues)
		b->num_queues = cfg->smp.cpus < VIRTIO_BLK_MAX_QUEUES ?
				cfg->smp.cpus : VIRTIO_BLK_MAX_QUEUES;
	if (!b->has_serial && d->has_serial) {
		memcpy(b->serial, d->serial, sizeof(b->serial));
		b->has_serial = true;
	}
}

int drives_finish(struct config *cfg, char *err, size_t errlen)
{
	int i, nr_explicit = cfg->nr_blk;

	for (i = 0; i < nr_explicit; i++)
		if (attach_explicit(cfg, &cfg->blk[i], err, errlen))
			return -1;
	for (i = 0; i < cfg->nr_drives; i++)
		if (cfg->drives[i].interface != DRIVE_IF_NONE &&
		    attach_implicit(cfg, i, err, errlen))
			return -1;
	for (i = 0; i < cfg->nr_blk; i++)
		blk_defaults(cfg, &cfg->blk[i]);
	for (i = 0; i < cfg->nr_drives; i++)
		if (!cfg->drives[i].snapshot_given)
			cfg->drives[i].block.snapshot |= cfg->snapshot;
	return 0;
}
