// SPDX-License-Identifier: MIT
/*
 * kvmlite-img: qemu-img's commands for raw and qcow2 images, with its
 * options, messages and exit statuses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kvmlite/config.h"
#include "kvmlite/img.h"
#include "img_priv.h"

void img_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kvmlite-img: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int img_parse_size(const char *text, uint64_t *out)
{
	if (parse_size(text, 1, out) || *out >= (1ull << 63)) {
		img_error("Invalid image size specified. You may use k, M, G, T, P or E suffixes for");
		fprintf(stderr, "kvmlite-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.\n");
		return -1;
	}
	*out = (*out + 511) & ~511ull;
	return 0;
}

struct image *img_open(const char *path, const char *fmt, unsigned int flags)
{
	struct image_open_opts o = { .filename = path, .format = fmt,
				     .flags = flags };
	char err[1200];
	struct image *img = image_open(&o, err, sizeof(err));

	if (!img)
		img_error("Could not open '%s': %s", path, err);
	return img;
}

void img_human_size(uint64_t bytes, char *out, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	double v = bytes;
	int i = 0;

	while (v >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	snprintf(out, len, "%0.3g %s", v, units[i]);
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "create", img_create },
	{ "info", img_info },
	{ "check", img_check },
	{ "convert", img_convert },
	{ "compare", img_compare },
	{ "snapshot", img_snapshot },
	{ "resize", img_resize },
	{ "commit", img_commit },
	{ "rebase", img_rebase },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kvmlite-img [command] [command options]\n"
		"Commands:");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, " %s", commands[i].name);
	fprintf(f, "\n(the options are qemu-img's)\n");
}

int img_main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		img_error("Not enough arguments");
		fprintf(stderr, "Try 'kvmlite-img --help' for more information\n");
		return IMG_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return IMG_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	img_error("Command not found: %s", argv[1]);
	return IMG_ERROR;
}
