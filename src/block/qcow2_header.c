// SPDX-License-Identifier: MIT
/*
 * The qcow2 header and its extensions: parsed with every field checked,
 * and written back whole, extensions kvmlite does not know included, so
 * that what another program stored survives a rewrite.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_priv.h"

#define FEATURE_ENTRY_LEN	48
#define FEATURE_NAME_LEN	46

struct feature {
	uint8_t type;		/* 0 incompatible, 1 compatible, 2 autoclear */
	uint8_t bit;
	const char *name;
};

/* The names QEMU writes in its feature name table. */
static const struct feature features[] = {
	{ 0, 0, "dirty bit" },
	{ 0, 1, "corrupt bit" },
	{ 0, 2, "external data file" },
	{ 0, 3, "compression type" },
	{ 0, 4, "extended L2 entries" },
	{ 1, 0, "lazy refcounts" },
	{ 2, 0, "bitmaps" },
	{ 2, 1, "raw external data" },
};

#define NR_FEATURES	(sizeof(features) / sizeof(features[0]))

/* Where each header field is in the file; its width is the member's. */
struct field {
	uint8_t at;
	uint8_t width;
	size_t member;
};

#define FIELD(at, name) { at, sizeof(((struct qcow2_header *)0)->name), \
			  offsetof(struct qcow2_header, name) }

static const struct field v2_fields[] = {
	FIELD(4, version),
	FIELD(8, backing_file_offset),
	FIELD(16, backing_file_size),
	FIELD(20, cluster_bits),
	FIELD(24, size),
	FIELD(32, crypt_method),
	FIELD(36, l1_size),
	FIELD(40, l1_table_offset),
	FIELD(48, refcount_table_offset),
	FIELD(56, refcount_table_clusters),
	FIELD(60, nb_snapshots),
	FIELD(64, snapshots_offset),
};

static const struct field v3_fields[] = {
	FIELD(72, incompat),
	FIELD(80, compat),
	FIELD(88, autoclear),
	FIELD(96, refcount_order),
	FIELD(100, header_length),
};

#define NR_FIELDS(t)	(sizeof(t) / sizeof((t)[0]))

static void get_fields(struct qcow2_header *h, const uint8_t *b,
		       const struct field *f, size_t n)
{
	uint8_t *m = (uint8_t *)h;

	for (; n--; f++) {
		if (f->width == 8)
			*(uint64_t *)(m + f->member) = be_get64(b + f->at);
		else
			*(uint32_t *)(m + f->member) = be_get32(b + f->at);
	}
}

static void put_fields(const struct qcow2_header *h, uint8_t *b,
		       const struct field *f, size_t n)
{
	const uint8_t *m = (const uint8_t *)h;

	for (; n--; f++) {
		if (f->width == 8)
			be_put64(b + f->at, *(const uint64_t *)(m + f->member));
		else
			be_put32(b + f->at, *(const uint32_t *)(m + f->member));
	}
}

static void read_fixed(struct qcow2_header *h, const uint8_t *b)
{
	get_fields(h, b, v2_fields, NR_FIELDS(v2_fields));
	if (h->version < 3) {
		h->refcount_order = 4;
		h->header_length = QCOW2_V2_HEADER_LEN;
		return;
	}
	get_fields(h, b, v3_fields, NR_FIELDS(v3_fields));
	h->compression_type = h->header_length > QCOW2_V3_HEADER_LEN ?
			      b[104] : 0;
}

/* --- extensions ---------------------------------------------------------- */

static int keep_ext(struct qcow2 *q, uint32_t type, const uint8_t *data,
		    uint32_t len)
{
	struct qcow2_ext *exts = realloc(q->exts,
					 (q->nr_exts + 1) * sizeof(*exts));

	if (!exts)
		return -ENOMEM;
	q->exts = exts;
	exts[q->nr_exts].type = type;
	exts[q->nr_exts].len = len;
	exts[q->nr_exts].data = malloc(len ? len : 1);
	if (!exts[q->nr_exts].data)
		return -ENOMEM;
	memcpy(exts[q->nr_exts].data, data, len);
	q->nr_exts++;
	return 0;
}

static int take_ext(struct qcow2 *q, uint32_t type, const uint8_t *data,
		    uint32_t len)
{
	switch (type) {
	case EXT_BACKING_FMT:
		free(q->backing_fmt);
		q->backing_fmt = strndup((const char *)data, len);
		return q->backing_fmt ? 0 : -ENOMEM;
	case EXT_FEATURES:
		/* Ours is written from our own table. */
		return 0;
	case EXT_CRYPTO:
	case EXT_DATA_FILE:
		/* The feature bits that need these are refused already. */
		return 0;
	case EXT_BITMAPS:
		q->has_bitmaps_ext = true;
		return keep_ext(q, type, data, len);
	default:
		return keep_ext(q, type, data, len);
	}
}

static int parse_exts(struct qcow2 *q, const uint8_t *b, size_t end,
		      char *err, size_t errlen)
{
	size_t pos = q->h.header_length;

	while (pos + 8 <= end) {
		uint32_t type = be_get32(b + pos), len = be_get32(b + pos + 4);
		int ret;

		pos += 8;
		if (type == EXT_END)
			return 0;
		if (len > end - pos) {
			snprintf(err, errlen, "Invalid qcow2 header: header extension 0x%08x is too long", type);
			return -EINVAL;
		}
		ret = take_ext(q, type, b + pos, len);
		if (ret)
			return ret;
		pos += (len + 7) & ~7u;
	}
	return 0;
}

/* The name the image gives a feature bit, or QEMU's "Unknown" wording. */
static void feature_name(const uint8_t *b, size_t hdr_end, size_t ext_end,
			 unsigned int bit, char *out, size_t outlen)
{
	size_t pos = hdr_end;

	while (pos + 8 <= ext_end) {
		uint32_t type = be_get32(b + pos), len = be_get32(b + pos + 4);
		uint32_t i;

		pos += 8;
		if (type == EXT_END || len > ext_end - pos)
			break;
		for (i = 0; type == EXT_FEATURES &&
			    i + FEATURE_ENTRY_LEN <= len;
		     i += FEATURE_ENTRY_LEN) {
			const uint8_t *f = b + pos + i;

			if (f[0] == 0 && f[1] == bit) {
				snprintf(out, outlen, "%.*s",
					 (int)strnlen((const char *)f + 2,
						      FEATURE_NAME_LEN),
					 (const char *)f + 2);
				return;
			}
		}
		pos += (len + 7) & ~7u;
	}
	snprintf(out, outlen, "Unknown incompatible feature: %llx",
		 1ull << bit);
}

/* --- checks -------------------------------------------------------------- */

static int unsupported_feature(const struct qcow2 *q, const uint8_t *b,
			       size_t ext_end, char *err, size_t errlen)
{
	uint64_t unknown = q->h.incompat & ~INCOMPAT_KNOWN;
	char name[80];

	if (unknown) {
		feature_name(b, q->h.header_length, ext_end,
			     __builtin_ctzll(unknown), name, sizeof(name));
		snprintf(err, errlen, "Unsupported qcow2 feature(s): %s", name);
		return -ENOTSUP;
	}
	if (q->h.incompat & INCOMPAT_DATA_FILE)
		snprintf(err, errlen, "Unsupported qcow2 feature(s): external data file");
	else if (q->h.incompat & INCOMPAT_EXTL2)
		snprintf(err, errlen, "Unsupported qcow2 feature(s): extended L2 entries");
	else if (q->h.compression_type == 1)
		snprintf(err, errlen, "Unsupported qcow2 feature(s): zstd compression");
	else if (q->h.compression_type)
		snprintf(err, errlen, "Unknown compression type '%u'",
			 q->h.compression_type);
	else if (q->h.crypt_method == 1)
		snprintf(err, errlen, "Unsupported qcow2 feature(s): AES encryption");
	else if (q->h.crypt_method == 2)
		snprintf(err, errlen, "Unsupported qcow2 feature(s): LUKS encryption");
	else if (q->h.crypt_method)
		snprintf(err, errlen, "Unsupported encryption method: %u",
			 q->h.crypt_method);
	else
		return 0;
	return -ENOTSUP;
}

static int check_geometry(const struct qcow2_header *h, char *err,
			  size_t errlen)
{
	uint64_t cs = 1ull << h->cluster_bits;

	if (h->l1_table_offset % cs || h->l1_table_offset >= QCOW2_MAX_HOST_OFFSET) {
		snprintf(err, errlen, "Invalid L1 table offset");
		return -EINVAL;
	}
	if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
		snprintf(err, errlen, "Active L1 table too large");
		return -EFBIG;
	}
	if (h->refcount_table_offset % cs || !h->refcount_table_offset ||
	    h->refcount_table_offset >= QCOW2_MAX_HOST_OFFSET) {
		snprintf(err, errlen, "Invalid reference count table offset");
		return -EINVAL;
	}
	if (!h->refcount_table_clusters ||
	    (uint64_t)h->refcount_table_clusters * cs > QCOW2_MAX_RT_BYTES) {
		snprintf(err, errlen, "Reference count table too large");
		return -EFBIG;
	}
	if (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
		snprintf(err, errlen, "Too many snapshots");
		return -EFBIG;
	}
	if (h->nb_snapshots && (h->snapshots_offset % cs ||
	    h->snapshots_offset >= QCOW2_MAX_HOST_OFFSET)) {
		snprintf(err, errlen, "Invalid snapshot table offset");
		return -EINVAL;
	}
	return 0;
}

static int check_basics(const struct qcow2_header *h, char *err,
			size_t errlen)
{
	if (h->version != 2 && h->version != 3) {
		snprintf(err, errlen, "Unsupported qcow2 version %u",
			 h->version);
		return -ENOTSUP;
	}
	if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
	    h->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
		snprintf(err, errlen, "Unsupported cluster size: 2^%u",
			 h->cluster_bits);
		return -EINVAL;
	}
	if (h->version >= 3 && (h->header_length < QCOW2_V3_HEADER_LEN ||
	    h->header_length > (1u << h->cluster_bits) ||
	    h->header_length % 8)) {
		snprintf(err, errlen, "qcow2 header too short");
		return -EINVAL;
	}
	if (h->refcount_order > QCOW2_MAX_REFCOUNT_ORDER) {
		snprintf(err, errlen, "Reference count entry width too large; may not exceed 64 bits");
		return -EINVAL;
	}
	if (h->backing_file_offset &&
	    (h->backing_file_size > QCOW2_MAX_BACKING_NAME ||
	     h->backing_file_offset > (1u << h->cluster_bits) ||
	     h->backing_file_size >
	     (1u << h->cluster_bits) - h->backing_file_offset)) {
		snprintf(err, errlen, "Backing file name too long");
		return -EINVAL;
	}
	return check_geometry(h, err, errlen);
}

/* The L1 table must be able to map the whole virtual disk. */
static int check_size(struct qcow2 *q, char *err, size_t errlen)
{
	uint64_t per_l2 = 1ull << (q->cluster_bits + q->l2_bits);

	if (q->h.size >= QCOW2_MAX_HOST_OFFSET) {
		snprintf(err, errlen, "Image is too big");
		return -EFBIG;
	}
	if ((q->h.size + per_l2 - 1) / per_l2 > q->h.l1_size) {
		snprintf(err, errlen, "L1 table is too small");
		return -EINVAL;
	}
	return 0;
}

int qcow2_parse_header(struct qcow2 *q, const uint8_t *buf, size_t len,
		       char *err, size_t errlen)
{
	size_t ext_end;
	int ret;

	if (len < QCOW2_V2_HEADER_LEN || be_get32(buf) != QCOW2_MAGIC) {
		snprintf(err, errlen, "Image is not in qcow2 format");
		return -EINVAL;
	}
	read_fixed(&q->h, buf);
	ret = check_basics(&q->h, err, errlen);
	if (ret)
		return ret;
	if (q->h.header_length > len) {
		snprintf(err, errlen, "qcow2 header exceeds the image");
		return -EINVAL;
	}
	q->cluster_bits = q->h.cluster_bits;
	q->cluster_size = 1ull << q->cluster_bits;
	q->l2_bits = q->cluster_bits - 3;
	q->refcount_bits = 1u << q->h.refcount_order;
	q->rb_bits = q->cluster_bits + 3 - q->h.refcount_order;
	q->refcount_max = q->refcount_bits == 64 ? UINT64_MAX :
			  (1ull << q->refcount_bits) - 1;
	ext_end = q->h.backing_file_offset ? q->h.backing_file_offset :
					     q->cluster_size;
	if (ext_end > len)
		ext_end = len;
	ret = unsupported_feature(q, buf, ext_end, err, errlen);
	if (!ret && ext_end > q->h.header_length)
		ret = parse_exts(q, buf, ext_end, err, errlen);
	if (ret)
		return ret;
	if (q->h.backing_file_offset) {
		if (q->h.backing_file_offset + q->h.backing_file_size > len) {
			snprintf(err, errlen, "Backing file name too long");
			return -EINVAL;
		}
		q->backing_name = strndup((const char *)buf +
					  q->h.backing_file_offset,
					  q->h.backing_file_size);
		if (!q->backing_name)
			return -ENOMEM;
	}
	return check_size(q, err, errlen);
}

/* --- writing ------------------------------------------------------------- */

static size_t put_ext(uint8_t *buf, size_t pos, uint32_t type,
		      const void *data, uint32_t len)
{
	be_put32(buf + pos, type);
	be_put32(buf + pos + 4, len);
	if (len)	/* an empty extension may come with no data at all */
		memcpy(buf + pos + 8, data, len);
	memset(buf + pos + 8 + len, 0, ((len + 7) & ~7u) - len);
	return pos + 8 + ((len + 7) & ~7u);
}

static void build_fixed(const struct qcow2 *q, uint8_t *b, size_t hlen)
{
	struct qcow2_header h = q->h;

	h.header_length = hlen;
	memset(b, 0, hlen);
	be_put32(b, QCOW2_MAGIC);
	put_fields(&h, b, v2_fields, NR_FIELDS(v2_fields));
	if (h.version < 3)
		return;
	put_fields(&h, b, v3_fields, NR_FIELDS(v3_fields));
	b[104] = h.compression_type;
}

static uint32_t feature_table(uint8_t *out)
{
	size_t i;

	memset(out, 0, NR_FEATURES * FEATURE_ENTRY_LEN);
	for (i = 0; i < NR_FEATURES; i++) {
		out[i * FEATURE_ENTRY_LEN] = features[i].type;
		out[i * FEATURE_ENTRY_LEN + 1] = features[i].bit;
		memcpy(out + i * FEATURE_ENTRY_LEN + 2, features[i].name,
		       strlen(features[i].name));
	}
	return NR_FEATURES * FEATURE_ENTRY_LEN;
}

/* Everything but the feature table: its room decides whether it goes in. */
static size_t exts_size(const struct qcow2 *q, size_t hlen)
{
	size_t n = hlen + 8, i;

	if (q->backing_fmt)
		n += 8 + ((strlen(q->backing_fmt) + 7) & ~7u);
	for (i = 0; i < q->nr_exts; i++)
		n += 8 + ((q->exts[i].len + 7) & ~7u);
	if (q->backing_name)
		n += strlen(q->backing_name);
	return n;
}

int qcow2_build_header(const struct qcow2 *q, uint8_t *buf, size_t len)
{
	size_t hlen = q->h.version < 3 ? QCOW2_V2_HEADER_LEN : 112;
	uint8_t table[NR_FEATURES * FEATURE_ENTRY_LEN];
	size_t pos = hlen, i, need = exts_size(q, hlen);
	bool with_features = q->h.version >= 3 &&
			     need + 8 + sizeof(table) <= len;

	if (need > len)
		return -ENOSPC;
	memset(buf, 0, len);
	build_fixed(q, buf, hlen);
	if (q->backing_fmt)
		pos = put_ext(buf, pos, EXT_BACKING_FMT, q->backing_fmt,
			      strlen(q->backing_fmt));
	if (with_features)
		pos = put_ext(buf, pos, EXT_FEATURES, table,
			      feature_table(table));
	for (i = 0; i < q->nr_exts; i++)
		pos = put_ext(buf, pos, q->exts[i].type, q->exts[i].data,
			      q->exts[i].len);
	pos = put_ext(buf, pos, EXT_END, NULL, 0);
	if (q->backing_name) {
		memcpy(buf + pos, q->backing_name, strlen(q->backing_name));
		be_put64(buf + 8, pos);
		be_put32(buf + 16, strlen(q->backing_name));
	} else {
		be_put64(buf + 8, 0);
		be_put32(buf + 16, 0);
	}
	return 0;
}

int qcow2_write_header(struct qcow2 *q)
{
	uint8_t *buf = qcow2_alloc_buf(q->cluster_size);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = qcow2_build_header(q, buf, q->cluster_size);
	if (!ret) {
		q->h.backing_file_offset = be_get64(buf + 8);
		q->h.backing_file_size = be_get32(buf + 16);
		ret = qcow2_pwrite(q, buf, q->cluster_size, 0);
	}
	free(buf);
	return ret;
}
