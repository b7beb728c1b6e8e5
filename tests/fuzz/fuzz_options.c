// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the command line: the input is argv after the
 * program name, one argument per NUL-terminated string.  config_parse()
 * must end in CONFIG_RUN, CONFIG_EXIT_OK or CONFIG_ERROR with a message
 * (QEMU's: a few of them take two lines, and any may quote an argument
 * with newlines), and never exit or touch memory it does not own.
 *
 * Every argument is a heap block of exactly its length, so the sanitizers
 * catch a read past its NUL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kvmlite/config.h"

#define MAX_ARGS	64

/* Splits @data at its NULs into argv[1...]; returns argc. */
static int split(const uint8_t *data, size_t size, char **argv)
{
	size_t start = 0, i;
	int argc = 1;

	for (i = 0; i <= size && argc < MAX_ARGS; i++) {
		if (i < size && data[i])
			continue;
		argv[argc] = malloc(i - start + 1);
		ENSURE(argv[argc]);
		memcpy(argv[argc], data + start, i - start);
		argv[argc++][i - start] = '\0';
		start = i + 1;
	}
	return argc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char *argv[MAX_ARGS + 1] = { "kvmlite" };
	char err[512];
	enum config_result ret;
	FILE *out = fopen("/dev/null", "w");
	int argc, i;

	ENSURE(out);
	argc = split(data, size, argv);
	strcpy(err, "(no error)");
	ret = config_parse(&cfg, argc, argv, err, sizeof(err), out);
	fclose(out);
	ENSURE(ret == CONFIG_RUN || ret == CONFIG_EXIT_OK ||
	       ret == CONFIG_ERROR);
	ENSURE(memchr(err, '\0', sizeof(err)));
	if (ret == CONFIG_ERROR)
		ENSURE(strcmp(err, "(no error)") && err[0]);
	for (i = 1; i < argc; i++)
		free(argv[i]);
	return 0;
}
