// SPDX-License-Identifier: MIT
/* kvmlite-img check: qemu-img's report, repairs and exit statuses. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "img_priv.h"

enum {
	CHECK_CLEAN = 0,
	CHECK_FAILED = 1,
	CHECK_CORRUPT = 2,
	CHECK_LEAKS = 3,
	CHECK_UNSUPPORTED = 63,
};

static void print_stats(const struct qcow2_check_result *r)
{
	uint64_t alloc = r->allocated_clusters;

	if (r->total_clusters && alloc)
		printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed clusters\n",
		       alloc, r->total_clusters,
		       alloc * 100.0 / r->total_clusters,
		       r->fragmented_clusters * 100.0 / alloc,
		       r->compressed_clusters * 100.0 / alloc);
	printf("Image end offset: %" PRIu64 "\n", r->image_end_offset);
}

static void print_human(const struct qcow2_check_result *r, bool fixed)
{
	if (fixed && (r->leaks_fixed || r->corruptions_fixed))
		printf("The following inconsistencies were found and repaired:\n\n"
		       "    %" PRIu64 " leaked clusters\n"
		       "    %" PRIu64 " corruptions\n\n"
		       "Double checking the fixed image now...\n",
		       r->leaks_fixed, r->corruptions_fixed);
}

static void print_verdict(const struct qcow2_check_result *r)
{
	if (!r->corruptions && !r->leaks && !r->check_errors)
		printf("No errors were found on the image.\n");
	if (r->corruptions)
		printf("\n%" PRIu64 " errors were found on the image.\n"
		       "Data may be corrupted, or further writes to the image may corrupt it.\n",
		       r->corruptions);
	if (r->leaks)
		printf("\n%" PRIu64 " leaked clusters were found on the image.\n"
		       "This means waste of disk space, but no harm to data.\n",
		       r->leaks);
	if (r->check_errors)
		printf("\n%" PRIu64 " internal errors have occurred during the check.\n",
		       r->check_errors);
}

/* qemu-img leaves out the counts that are zero, these included. */
static void json_count(const char *key, uint64_t v, bool *first)
{
	if (v || !strcmp(key, "check-errors") ||
	    !strcmp(key, "image-end-offset") ||
	    !strcmp(key, "total-clusters") ||
	    !strcmp(key, "allocated-clusters")) {
		printf("%s    \"%s\": %" PRIu64, *first ? "" : ",\n", key, v);
		*first = false;
	}
}

static void print_json(const char *file, const struct qcow2_check_result *r)
{
	bool first = true;

	printf("{\n");
	json_count("image-end-offset", r->image_end_offset, &first);
	json_count("total-clusters", r->total_clusters, &first);
	json_count("check-errors", r->check_errors, &first);
	json_count("leaks", r->leaks, &first);
	json_count("corruptions", r->corruptions, &first);
	json_count("allocated-clusters", r->allocated_clusters, &first);
	printf(",\n    \"filename\": \"%s\",\n    \"format\": \"qcow2\"", file);
	json_count("fragmented-clusters", r->fragmented_clusters, &first);
	json_count("compressed-clusters", r->compressed_clusters, &first);
	printf("\n}\n");
}

static int exit_status(const struct qcow2_check_result *r)
{
	if (r->check_errors)
		return CHECK_FAILED;
	if (r->corruptions)
		return CHECK_CORRUPT;
	return r->leaks ? CHECK_LEAKS : CHECK_CLEAN;
}

static int parse_repair(const char *arg, unsigned int *fix)
{
	if (!strcmp(arg, "leaks")) {
		*fix = QCOW2_FIX_LEAKS;
	} else if (!strcmp(arg, "all")) {
		*fix = QCOW2_FIX_LEAKS | QCOW2_FIX_ERRORS;
	} else {
		img_error("Unknown option for -r (expecting 'leaks' or 'all'): %s",
			  arg);
		return -1;
	}
	return 0;
}

static int run_check(const char *file, struct qcow2 *q, unsigned int fix,
		     bool json, bool quiet)
{
	struct qcow2_check_result r, again;
	FILE *log = quiet ? fopen("/dev/null", "w") : stderr;

	if (!log)
		return CHECK_FAILED;
	qcow2_check(q, fix, &r, log);
	if (fix && (r.leaks_fixed || r.corruptions_fixed)) {
		if (!json && !quiet)
			print_human(&r, true);
		qcow2_check(q, 0, &again, log);
		again.leaks_fixed = r.leaks_fixed;
		r = again;
	}
	if (quiet)
		fclose(log);
	if (json)
		print_json(file, &r);
	else if (!quiet) {
		print_verdict(&r);
		print_stats(&r);
	}
	return exit_status(&r);
}

int img_check(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "output", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *output = "human";
	unsigned int fix = 0;
	bool quiet = false;
	struct image *img;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:r:qU", longs, NULL)) != -1) {
		if (c == 'f')
			fmt = optarg;
		else if (c == 'O')
			output = optarg;
		else if (c == 'q')
			quiet = true;
		else if (c == 'r' && parse_repair(optarg, &fix))
			return CHECK_FAILED;
		else if (c == '?')
			return CHECK_FAILED;
	}
	if (optind >= argc) {
		img_error("Expecting one image file name");
		return CHECK_FAILED;
	}
	img = img_open(argv[optind], fmt, IMAGE_NO_BACKING | IMAGE_NO_REPAIR |
		       (fix ? IMAGE_RW : 0));
	if (!img)
		return CHECK_FAILED;
	if (!image_qcow2(img)) {
		img_error("This image format does not support checks");
		image_close(img);
		return CHECK_UNSUPPORTED;
	}
	ret = run_check(argv[optind], image_qcow2(img), fix,
			!strcmp(output, "json"), quiet);
	image_close(img);
	return ret;
}
