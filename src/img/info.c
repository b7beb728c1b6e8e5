// SPDX-License-Identifier: MIT
/* kvmlite-img info: qemu-img's human and JSON reports. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "img_priv.h"

struct report {
	const char *file;
	struct image *img;
	struct qcow2 *q;
	struct qcow2_info qi;
	uint64_t actual;
	struct qcow2_snapshot_info *snaps;
	unsigned int nr_snaps;
};

static const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

static void json_snapshots(const struct report *r)
{
	unsigned int i;

	printf("    \"snapshots\": [\n");
	for (i = 0; i < r->nr_snaps; i++) {
		const struct qcow2_snapshot_info *s = &r->snaps[i];

		printf("        {\n"
		       "            \"icount\": %" PRIu64 ",\n"
		       "            \"vm-clock-nsec\": %" PRIu64 ",\n"
		       "            \"name\": \"%s\",\n"
		       "            \"date-sec\": %u,\n"
		       "            \"date-nsec\": %u,\n"
		       "            \"vm-clock-sec\": %" PRIu64 ",\n"
		       "            \"id\": \"%s\",\n"
		       "            \"vm-state-size\": %" PRIu64 "\n"
		       "        }%s\n",
		       s->icount, s->vm_clock_nsec % 1000000000, s->name,
		       s->date_sec, s->date_nsec,
		       s->vm_clock_nsec / 1000000000, s->id, s->vm_state_size,
		       i + 1 < r->nr_snaps ? "," : "");
	}
	printf("    ],\n");
}

static void json_format_specific(const struct report *r)
{
	printf("    \"format-specific\": {\n"
	       "        \"type\": \"qcow2\",\n"
	       "        \"data\": {\n"
	       "            \"compat\": \"%s\",\n"
	       "            \"compression-type\": \"zlib\",\n",
	       r->qi.version >= 3 ? "1.1" : "0.10");
	if (r->qi.version >= 3)
		printf("            \"lazy-refcounts\": %s,\n",
		       json_bool(r->qi.lazy_refcounts));
	printf("            \"refcount-bits\": %u%s\n", r->qi.refcount_bits,
	       r->qi.version >= 3 ? "," : "");
	if (r->qi.version >= 3)
		printf("            \"corrupt\": %s,\n"
		       "            \"extended-l2\": %s\n",
		       json_bool(r->qi.corrupt), json_bool(r->qi.extended_l2));
	printf("        }\n    },\n");
}

static void print_json(const struct report *r)
{
	printf("{\n");
	if (r->q && r->nr_snaps)
		json_snapshots(r);
	if (r->q && r->qi.backing_name && r->qi.backing_fmt)
		printf("    \"backing-filename-format\": \"%s\",\n",
		       r->qi.backing_fmt);
	printf("    \"virtual-size\": %" PRIu64 ",\n"
	       "    \"filename\": \"%s\",\n", image_size(r->img), r->file);
	if (r->q)
		printf("    \"cluster-size\": %" PRIu64 ",\n",
		       r->qi.cluster_size);
	printf("    \"format\": \"%s\",\n"
	       "    \"actual-size\": %" PRIu64 ",\n",
	       image_format(r->img), r->actual);
	if (r->q)
		json_format_specific(r);
	if (r->q && r->qi.backing_name)
		printf("    \"full-backing-filename\": \"%s\",\n"
		       "    \"backing-filename\": \"%s\",\n",
		       r->qi.backing_name, r->qi.backing_name);
	printf("    \"dirty-flag\": %s\n}\n", json_bool(r->q && r->qi.dirty));
}

static void human_snapshots(const struct report *r)
{
	unsigned int i;

	printf("Snapshot list:\n"
	       "ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n");
	for (i = 0; i < r->nr_snaps; i++) {
		const struct qcow2_snapshot_info *s = &r->snaps[i];
		uint64_t secs = s->vm_clock_nsec / 1000000000;
		time_t t = s->date_sec;
		char size[32], date[32];

		img_human_size(s->vm_state_size, size, sizeof(size));
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S",
			 localtime(&t));
		printf("%-9s %-17s %7s %19s %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64 " %10" PRIu64 "\n",
		       s->id, s->name, size, date, secs / 3600,
		       secs / 60 % 60, secs % 60,
		       s->vm_clock_nsec / 1000000 % 1000, s->icount);
	}
}

static void print_human(const struct report *r)
{
	char vs[32], ds[32];

	img_human_size(image_size(r->img), vs, sizeof(vs));
	img_human_size(r->actual, ds, sizeof(ds));
	printf("image: %s\nfile format: %s\n"
	       "virtual size: %s (%" PRIu64 " bytes)\ndisk size: %s\n",
	       r->file, image_format(r->img), vs, image_size(r->img), ds);
	if (!r->q)
		return;
	printf("cluster_size: %" PRIu64 "\n", r->qi.cluster_size);
	if (r->qi.backing_name)
		printf("backing file: %s\n", r->qi.backing_name);
	if (r->qi.backing_name && r->qi.backing_fmt)
		printf("backing file format: %s\n", r->qi.backing_fmt);
	if (r->nr_snaps)
		human_snapshots(r);
	printf("Format specific information:\n    compat: %s\n"
	       "    compression type: zlib\n",
	       r->qi.version >= 3 ? "1.1" : "0.10");
	if (r->qi.version >= 3)
		printf("    lazy refcounts: %s\n",
		       json_bool(r->qi.lazy_refcounts));
	printf("    refcount bits: %u\n", r->qi.refcount_bits);
	if (r->qi.version >= 3)
		printf("    corrupt: %s\n    extended l2: %s\n",
		       json_bool(r->qi.corrupt), json_bool(r->qi.extended_l2));
}

int img_info(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "output", required_argument, NULL, 'O' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	struct report r = { 0 };
	const char *fmt = NULL, *output = "human";
	struct stat st;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:U", longs, NULL)) != -1) {
		if (c == 'f')
			fmt = optarg;
		else if (c == 'O')
			output = optarg;
		else if (c != 'U')
			return IMG_ERROR;
	}
	if (strcmp(output, "human") && strcmp(output, "json")) {
		img_error("--output must be used with human or json as argument.");
		return IMG_ERROR;
	}
	if (optind >= argc) {
		img_error("Expecting one image file name");
		return IMG_ERROR;
	}
	r.file = argv[optind];
	r.img = img_open(r.file, fmt, IMAGE_NO_BACKING | IMAGE_NO_REPAIR);
	if (!r.img)
		return IMG_ERROR;
	r.q = image_qcow2(r.img);
	if (!fstat(image_fd(r.img), &st))
		r.actual = (uint64_t)st.st_blocks * 512;
	if (r.q) {
		qcow2_get_info(r.q, &r.qi);
		qcow2_snapshot_list(r.q, &r.snaps, &r.nr_snaps);
	}
	if (!strcmp(output, "json"))
		print_json(&r);
	else
		print_human(&r);
	qcow2_snapshots_free(r.snaps, r.nr_snaps);
	image_close(r.img);
	return IMG_OK;
}
